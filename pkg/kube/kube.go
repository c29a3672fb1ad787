// Package kube builds the Kubernetes clients the commands use: only the API groups
// they read and write, over one shared HTTP client and one client-side rate limiter.
package kube

import (
	"net/http"

	appsv1 "k8s.io/client-go/kubernetes/typed/apps/v1"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	batchv1 "k8s.io/client-go/kubernetes/typed/batch/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacv1 "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// Interface is the part of client-go's kubernetes.Interface the commands use;
// client-go's fake clientset satisfies it, for tests.
type Interface interface {
	CoreV1() corev1.CoreV1Interface
	RbacV1() rbacv1.RbacV1Interface
	AppsV1() appsv1.AppsV1Interface
	BatchV1() batchv1.BatchV1Interface
	AuthenticationV1() authenticationv1.AuthenticationV1Interface
	AuthorizationV1() authorizationv1.AuthorizationV1Interface
}

// Clientset implements Interface. Building only these groups' clients, not client-go's
// whole clientset, keeps some 50 API groups' clients out of the binary.
type Clientset struct {
	coreV1           *corev1.CoreV1Client
	rbacV1           *rbacv1.RbacV1Client
	appsV1           *appsv1.AppsV1Client
	batchV1          *batchv1.BatchV1Client
	authenticationV1 *authenticationv1.AuthenticationV1Client
	authorizationV1  *authorizationv1.AuthorizationV1Client
}

func (c *Clientset) CoreV1() corev1.CoreV1Interface    { return c.coreV1 }
func (c *Clientset) RbacV1() rbacv1.RbacV1Interface    { return c.rbacV1 }
func (c *Clientset) AppsV1() appsv1.AppsV1Interface    { return c.appsV1 }
func (c *Clientset) BatchV1() batchv1.BatchV1Interface { return c.batchV1 }
func (c *Clientset) AuthenticationV1() authenticationv1.AuthenticationV1Interface {
	return c.authenticationV1
}
func (c *Clientset) AuthorizationV1() authorizationv1.AuthorizationV1Interface {
	return c.authorizationV1
}

// NewForConfig builds the clients as client-go's kubernetes.NewForConfig does: one
// HTTP client, and one token-bucket rate limiter shared by every group.
func NewForConfig(config *rest.Config) (*Clientset, error) {
	c := *config
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	httpClient, err := rest.HTTPClientFor(&c)
	if err != nil {
		return nil, err
	}
	if c.RateLimiter == nil && c.QPS > 0 {
		if c.Burst <= 0 {
			c.Burst = rest.DefaultBurst
		}
		c.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(c.QPS, c.Burst)
	}
	return newForConfigAndClient(&c, httpClient)
}

func newForConfigAndClient(c *rest.Config, h *http.Client) (*Clientset, error) {
	var (
		cs  Clientset
		err error
	)
	if cs.coreV1, err = corev1.NewForConfigAndClient(c, h); err != nil {
		return nil, err
	}
	if cs.rbacV1, err = rbacv1.NewForConfigAndClient(c, h); err != nil {
		return nil, err
	}
	if cs.appsV1, err = appsv1.NewForConfigAndClient(c, h); err != nil {
		return nil, err
	}
	if cs.batchV1, err = batchv1.NewForConfigAndClient(c, h); err != nil {
		return nil, err
	}
	if cs.authenticationV1, err = authenticationv1.NewForConfigAndClient(c, h); err != nil {
		return nil, err
	}
	if cs.authorizationV1, err = authorizationv1.NewForConfigAndClient(c, h); err != nil {
		return nil, err
	}
	return &cs, nil
}
