package test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The sharp edges a security engineer found against a real API server (issue 13):
// aws-auth near the size limit, remove --ignore-not-found without aws-auth, and flag
// values that are not one line.
func TestAWSAuthSharpEdges(t *testing.T) {
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	ctx := t.Context()
	cms := cl.client.CoreV1().ConfigMaps("kube-system")

	// No aws-auth: remove --ignore-not-found succeeds and changes nothing; without the
	// flag it is an error that does not suggest a flag remove does not have.
	arn := "arn:aws:iam::111122223333:role/Gone"
	r := plugin(t, cl.kubeconfig, nil, "aws-auth", "remove", arn, "--ignore-not-found")
	if r.code != 0 || !strings.Contains(r.stdout, "does not exist: nothing to change") {
		t.Errorf("remove --ignore-not-found without aws-auth: %s", r)
	}
	r = plugin(t, cl.kubeconfig, nil, "aws-auth", "remove", arn)
	if r.code != 2 || strings.Contains(r.stderr, "--create") || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("remove without aws-auth: %s", r)
	}
	if _, err := cms.Get(ctx, "aws-auth", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("aws-auth was created: %v", err)
	}

	// An aws-auth the API server accepts, with 1,003,936 bytes of data: validate warns
	// that it is near the limit, and exits 0 (it once said ERROR, exit 1, measuring the
	// whole object as JSON).
	roles := "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n"
	pad := 1003936 - len(roles)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"},
		Data: map[string]string{"mapRoles": roles, "notes": strings.Repeat("x", pad)}}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the API server refused %d bytes of data: %v", len(roles)+pad, err)
	}
	r = plugin(t, cl.kubeconfig, nil, "aws-auth", "validate")
	if r.code != 0 || !strings.Contains(r.stdout, "AA05 data-near-limit") || strings.Contains(r.stdout, "data-too-large") {
		t.Errorf("validate near the limit: %s", r)
	}
	// One byte over the API server's limit is refused by the server, and by validate.
	over := cm.DeepCopy()
	over.Name = "over"
	over.Data["notes"] = strings.Repeat("x", (1<<20)-len(roles)+1)
	if _, err := cms.Create(ctx, over, metav1.CreateOptions{}); err == nil {
		t.Errorf("the API server accepted %d bytes of data", 1<<20+1)
	}

	// A group with a newline is refused with the reason, and nothing is written.
	before, err := cms.Get(ctx, "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--group", "devs\nsystem:masters"}, {"--username", "ops\tx"}, {"--group", "a\u200bb"}} {
		r = plugin(t, cl.kubeconfig, nil, append([]string{"aws-auth", "add", "role", "arn:aws:iam::111122223333:role/Dev"}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "control or invisible character") {
			t.Errorf("add role %q: %s", args, r)
		}
	}
	after, err := cms.Get(ctx, "aws-auth", metav1.GetOptions{})
	if err != nil || after.ResourceVersion != before.ResourceVersion {
		t.Errorf("aws-auth changed (resourceVersion %s -> %s): %v", before.ResourceVersion, after.ResourceVersion, err)
	}
	t.Logf("near-limit aws-auth: %d data bytes accepted by the API server and by validate", len(roles)+pad)
}
