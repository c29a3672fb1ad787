package source

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
)

// The service account audit and pod identity, asked for together (audit), share one
// LIST of each kind; each gets what it collects, as when read apart.
func TestHardenAndPodIdentityShareTheLists(t *testing.T) {
	objects := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "app"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "app", Annotations: map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/web"}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p1", Namespace: "app"}, Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c"}}}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: corev1.NodeSpec{ProviderID: "aws:///us-west-2a/i-1"}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "eks-pod-identity-agent", Namespace: "kube-system"}},
		&corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "rc", Namespace: "app"}, Spec: corev1.ReplicationControllerSpec{Template: &corev1.PodTemplateSpec{}}},
	}
	scheme := runtime.NewScheme()
	_ = metav1.AddMetaToScheme(scheme)
	read := func(req Request) (*Snapshot, map[string]int) {
		c := fake.NewClientset(objects...)
		s, err := Read(t.Context(), &Input{Clients: &Clients{Kube: c, Metadata: metadatafake.NewSimpleMetadataClient(scheme)}}, req)
		if err != nil {
			t.Fatal(err)
		}
		lists := map[string]int{}
		for _, a := range c.Actions() {
			if a.GetVerb() == "list" {
				lists[a.GetResource().Resource]++
			}
		}
		return s, lists
	}
	both, lists := read(Request{Harden: &HardenScope{}, PodIdentity: &PodIdentityScope{}})
	for _, kind := range []string{"pods", "serviceaccounts", "namespaces", "deployments", "nodes", "replicationcontrollers", "rolebindings"} {
		if lists[kind] != 1 {
			t.Errorf("%s listed %d times, want once: %v", kind, lists[kind], lists)
		}
	}
	alone, _ := read(Request{PodIdentity: &PodIdentityScope{}})
	got, want := both.PodIdentity.Input(), alone.PodIdentity.Input()
	if len(got.Pods) != 1 || len(got.Nodes) != 1 || len(got.ServiceAccounts) != 2 || len(got.Workloads) != len(want.Workloads) || !got.PodIdentityAgent ||
		len(got.Namespaces) != len(want.Namespaces) {
		t.Errorf("shared read: %+v\nalone: %+v", got, want)
	}
	if both.Harden == nil || len(both.Harden.ServiceAccounts) != 2 {
		t.Errorf("harden: %+v", both.Harden)
	}
	t.Logf("one LIST per kind: %v", lists)
}
