package test

import (
	"encoding/json"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// Signer names hold a '/' (cert-manager's "issuers.cert-manager.io/*"): who-can takes
// TYPE/NAME with the rest of the argument as the name, live, and agrees with
// SubjectAccessReview.
func TestWhoCanSignerNames(t *testing.T) {
	cl := shared
	ctx := t.Context()
	name := "issuers.cert-manager.io/*"
	if _, err := cl.client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-approver"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"signers"}, Verbs: []string{"approve"}, ResourceNames: []string{name}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-approver"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cert-manager-approver"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "cert-manager"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := plugin(t, cl.kubeconfig, nil, "who-can", "approve", "signers/"+name, "-o", "json", "--iam=false")
	var w v1alpha1.WhoCanReport
	if err := json.Unmarshal([]byte(r.stdout), &w); err != nil || r.code != 0 {
		t.Fatalf("%v\n%s", err, r)
	}
	found := false
	for _, s := range w.Subjects {
		found = found || (s.Kind == "User" && s.Name == "cert-manager")
	}
	sar, err := cl.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User: "cert-manager", ResourceAttributes: &authzv1.ResourceAttributes{Verb: "approve", Group: "certificates.k8s.io", Resource: "signers", Name: name}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.Query.Resource == nil || w.Query.Resource.Name != name || !found || !sar.Status.Allowed {
		t.Errorf("query %+v, cert-manager listed %v, SubjectAccessReview allowed %v", w.Query.Resource, found, sar.Status.Allowed)
	}
}
