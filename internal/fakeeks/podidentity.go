package fakeeks

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
)

// PodIdentity is a cluster's OIDC issuer, compute mode and EKS Pod Identity
// associations, served by DescribeCluster (identity.oidc.issuer, computeConfig),
// ListPodIdentityAssociations (paged; filtered by namespace and serviceAccount) and
// DescribePodIdentityAssociation.
type PodIdentity struct {
	Issuer       string
	AutoMode     bool
	Associations []Association
}

// Association is one EKS Pod Identity association.
type Association struct {
	ID, Namespace, ServiceAccount string
	RoleARN, TargetRoleARN, ExtID string
	DisableSessionTags            bool
	OwnerARN                      string
}

// SetPodIdentity sets the cluster's pod identity data (the cluster is added, with
// no access entries, when the server does not hold it).
func (s *Server) SetPodIdentity(cluster string, pi PodIdentity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addCluster(cluster)
	pi.Associations = slices.Clone(pi.Associations)
	s.podIdentity[cluster] = pi
}

// addCluster adds a cluster with no access entries unless the server holds it.
// The caller holds s.mu.
func (s *Server) addCluster(cluster string) {
	if _, ok := s.clusters[cluster]; !ok {
		s.clusters[cluster] = eks.Snapshot{Cluster: eks.Cluster{Name: cluster}, Entries: []eks.AccessEntry{}}
	}
}

func associationARN(cluster, id string) string {
	return fmt.Sprintf("arn:aws:eks:%s:%s:podidentityassociation/%s/%s", Region, Account, cluster, id)
}

func servePodIdentity(w http.ResponseWriter, r *http.Request, op Op, cluster, id string, pi PodIdentity,
	page func(int) (int, int, *string, *Error), fail func(Error)) {
	now := float64(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	switch op {
	case ListPodIdentityAssociations:
		q := r.URL.Query()
		var sel []Association
		for _, a := range pi.Associations {
			if (q.Get("namespace") == "" || q.Get("namespace") == a.Namespace) && (q.Get("serviceAccount") == "" || q.Get("serviceAccount") == a.ServiceAccount) {
				sel = append(sel, a)
			}
		}
		start, end, next, e := page(len(sel))
		if e != nil {
			fail(*e)
			return
		}
		items := []any{}
		for _, a := range sel[start:end] {
			item := map[string]any{"clusterName": cluster, "namespace": a.Namespace, "serviceAccount": a.ServiceAccount,
				"associationArn": associationARN(cluster, a.ID), "associationId": a.ID}
			if a.OwnerARN != "" {
				item["ownerArn"] = a.OwnerARN
			}
			items = append(items, item)
		}
		body := map[string]any{"associations": items}
		if next != nil {
			body["nextToken"] = *next
		}
		writeJSON(w, body)
	case DescribePodIdentityAssociation:
		i := slices.IndexFunc(pi.Associations, func(a Association) bool { return a.ID == id })
		if i < 0 {
			fail(Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: fmt.Sprintf("No Pod Identity Association found for id: %s", id)})
			return
		}
		a := pi.Associations[i]
		assoc := map[string]any{"clusterName": cluster, "namespace": a.Namespace, "serviceAccount": a.ServiceAccount, "roleArn": a.RoleARN,
			"associationArn": associationARN(cluster, a.ID), "associationId": a.ID, "tags": map[string]string{}, "createdAt": now, "modifiedAt": now,
			"disableSessionTags": a.DisableSessionTags}
		if a.TargetRoleARN != "" {
			assoc["targetRoleArn"], assoc["externalId"] = a.TargetRoleARN, a.ExtID
		}
		if a.OwnerARN != "" {
			assoc["ownerArn"] = a.OwnerARN
		}
		writeJSON(w, map[string]any{"association": assoc})
	}
}
