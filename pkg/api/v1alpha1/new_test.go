package v1alpha1

import (
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

// Every report a constructor makes marshals without a null list, and with its kind.
func TestConstructorsHaveNoNullLists(t *testing.T) {
	reports := map[string]runtime.Object{
		"WhoCanReport":      NewWhoCanReport(WhoCanQuery{}),
		"AccessReport":      NewAccessReport(),
		"CanReport":         NewCanReport(SubjectRef{Kind: "User", Name: "alice"}),
		"AnonReport":        NewAnonReport("none"),
		"SAHardenReport":    NewSAHardenReport("none"),
		"AWSAuthMappings":   NewAWSAuthMappings("x"),
		"AWSAuthValidation": NewAWSAuthValidation("x"),
		"AWSAuthDiff":       NewAWSAuthDiff("a", "b"),
		"Version":           NewVersionReport(),
		"AuditReport":       NewAuditReport(),
	}
	for kind, r := range reports {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "null") {
			t.Errorf("%s: null in %s", kind, data)
		}
		if got := r.GetObjectKind().GroupVersionKind(); got.Kind != kind || got.GroupVersion() != GroupVersion {
			t.Errorf("%s: kind %v", kind, got)
		}
	}
	// A nested list element made by its constructor is null-free too.
	s := NewSubject("User", "alice", "")
	if data, _ := json.Marshal(s); strings.Contains(string(data), "null") {
		t.Errorf("Subject: %s", data)
	}
	t.Logf("%d report constructors checked", len(reports))
}
