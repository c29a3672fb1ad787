package audit

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

const (
	acct     = "111122223333"
	nodeRole = "arn:aws:iam::" + acct + ":role/eks-nodes"
	webRole  = "arn:aws:iam::" + acct + ":role/web"
)

var bootstrap = map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}

func rule(verbs, groups, resources []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

func subject(kind, name, ns string) rbacv1.Subject {
	s := rbacv1.Subject{Kind: kind, Name: name, Namespace: ns}
	if kind != rbacv1.ServiceAccountKind {
		s.APIGroup = rbacv1.GroupName
	}
	return s
}

func crb(name, role string, labels map[string]string, subs ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subs}
}

func rb(ns, name, kind, role string, subs ...rbacv1.Subject) rbacv1.RoleBinding {
	return rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role}, Subjects: subs}
}

func nodeMapping() string {
	return "- rolearn: " + nodeRole + "\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n"
}

// clean is a cluster on which no check finds anything: a limited public endpoint,
// API_AND_CONFIG_MAP without the creator's admin, aws-auth with the node role only,
// the bootstrap cluster-admin binding, a hardened default service account, and a
// pod identity map without findings.
func clean() *Input {
	return &Input{
		Context: "prod",
		RBAC: &rbac.Snapshot{
			ClusterRoles: []rbacv1.ClusterRole{
				{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", Labels: bootstrap}, Rules: []rbacv1.PolicyRule{rule([]string{"*"}, []string{"*"}, []string{"*"})}},
				{ObjectMeta: metav1.ObjectMeta{Name: "view-pods"}, Rules: []rbacv1.PolicyRule{rule([]string{"get", "list"}, []string{""}, []string{"pods"})}},
				{ObjectMeta: metav1.ObjectMeta{Name: "system:public-info-viewer", Labels: bootstrap}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/version"}}}},
			},
			ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
				crb("cluster-admin", "cluster-admin", bootstrap, subject(rbacv1.GroupKind, rbac.SuperuserGroup, "")),
				crb("system:public-info-viewer", "system:public-info-viewer", bootstrap, subject(rbacv1.GroupKind, rbac.UnauthenticatedGroup, ""), subject(rbacv1.GroupKind, rbac.AuthenticatedGroup, "")),
				crb("readers", "view-pods", nil, subject(rbacv1.GroupKind, "readers", "")),
			},
			Roles:        []rbacv1.Role{},
			RoleBindings: []rbacv1.RoleBinding{rb("app", "read", "ClusterRole", "view-pods", subject(rbacv1.UserKind, "bob", ""))},
		},
		AWSAuth: &awsauth.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: "kube-system", Name: "aws-auth", Data: map[string]string{"mapRoles": nodeMapping()}},
		Access: &eks.Snapshot{Cluster: eks.Cluster{Name: "prod", AuthenticationMode: eks.ModeAPIAndConfigMap, BootstrapClusterCreatorAdminPermissions: ptr.To(false)},
			Entries: []eks.AccessEntry{}},
		Harden: &harden.Input{Namespaces: []string{"app"}, RBAC: &rbac.Snapshot{}, BootstrapBindings: map[string]bool{}, Owners: map[string]harden.Ref{},
			ServiceAccounts: []harden.ServiceAccount{{Namespace: "app", Name: "default", Automount: ptr.To(false)}}},
		PodIdentity: &podidentity.Input{AllNamespaces: true, Namespaces: []string{"app"}, ServiceAccounts: []podidentity.ServiceAccount{{Namespace: "app", Name: "web"}},
			Cluster: &podidentity.Cluster{Name: "prod", OIDCIssuer: "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"}, AssociationsRead: true, InstancesRead: true,
			Roles: map[string]*podidentity.Role{}, Instances: map[string]*podidentity.Instance{}, InstanceProfiles: map[string][]string{}},
		AWSInputs: read(),
		Endpoint:  &v1alpha1.EndpointAccess{PublicAccess: true, PrivateAccess: true, PublicAccessCIDRs: []string{"203.0.113.0/24"}},
	}
}

func read() []v1alpha1.PodIdentityInput {
	var out []v1alpha1.PodIdentityInput
	for _, n := range []string{"eks:DescribeCluster", "eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation", "iam:GetRole", "ec2:DescribeInstances", "iam:GetInstanceProfile"} {
		out = append(out, v1alpha1.PodIdentityInput{Name: n, Source: "api", Status: "read"})
	}
	return out
}

func ids(fs []v1alpha1.AuditFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+"/"+string(f.Severity))
	}
	return out
}

func status(res *Result, check string) v1alpha1.AuditCheck {
	i := slices.IndexFunc(res.Checks, func(c v1alpha1.AuditCheck) bool { return c.ID == check })
	return res.Checks[i]
}

func irsaPod(name string, sc *corev1.PodSecurityContext, ct *corev1.SecurityContext) podidentity.Pod {
	c := podidentity.Container{Name: "main", RoleARN: webRole, HasRoleARN: true, WebIdentity: true}
	if sc != nil {
		c.RunAsUser, c.RunAsNonRoot = sc.RunAsUser, sc.RunAsNonRoot
	}
	if ct != nil {
		if ct.RunAsUser != nil {
			c.RunAsUser = ct.RunAsUser
		}
		if ct.RunAsNonRoot != nil {
			c.RunAsNonRoot = ct.RunAsNonRoot
		}
	}
	return podidentity.Pod{Namespace: "app", Name: name, ServiceAccount: "web", Node: "n1", Phase: "Running", Containers: []podidentity.Container{c}}
}

func TestCleanClusterHasNoFindings(t *testing.T) {
	res := Run(clean(), Options{})
	if len(res.Findings) > 0 {
		t.Fatalf("findings on the clean cluster: %v\n%+v", ids(res.Findings), res.Findings)
	}
	for _, c := range res.Checks {
		if c.Status != v1alpha1.CheckRun {
			t.Errorf("check %s %s: %s", c.ID, c.Status, c.Reason)
		}
	}
	if len(res.Checks) != len(Catalogue()) {
		t.Errorf("%d checks, want the catalogue's %d", len(res.Checks), len(Catalogue()))
	}
	t.Logf("%d checks ran, no finding", len(res.Checks))
}

// Each check fires on its case and stays quiet on a near miss.
func TestChecksFireAndNearMisses(t *testing.T) {
	tests := []struct {
		name  string
		check string
		edit  func(*Input)
		want  []string // id/severity of the check's findings; nil for a near miss
	}{
		{"public endpoint open to all", CheckEndpoint, func(in *Input) {
			in.Endpoint = &v1alpha1.EndpointAccess{PublicAccess: true, PublicAccessCIDRs: []string{"0.0.0.0/0"}}
		}, []string{"EP01/medium"}},
		{"near miss: private endpoint only", CheckEndpoint, func(in *Input) {
			in.Endpoint = &v1alpha1.EndpointAccess{PrivateAccess: true, PublicAccessCIDRs: []string{}}
		}, nil},
		{"near miss: public endpoint limited to CIDRs", CheckEndpoint, func(*Input) {}, nil},

		{"CONFIG_MAP mode", CheckAuthMode, func(in *Input) { in.Access.Cluster.AuthenticationMode = eks.ModeConfigMap }, []string{"AM01/medium"}},
		{"near miss: API mode", CheckAuthMode, func(in *Input) { in.Access.Cluster.AuthenticationMode = eks.ModeAPI }, nil},

		{"creator's entry made at creation", CheckCreator, func(in *Input) {
			in.Access.Cluster.BootstrapClusterCreatorAdminPermissions = ptr.To(true)
		}, []string{"EKS01/low"}},
		{"creator implicit admin in CONFIG_MAP", CheckCreator, func(in *Input) {
			in.Access.Cluster.AuthenticationMode, in.Access.Cluster.BootstrapClusterCreatorAdminPermissions = eks.ModeConfigMap, nil
		}, []string{"EKS01/medium"}},
		{"near miss: created without the creator's admin", CheckCreator, func(*Input) {}, nil},

		{"two IAM users with identical access", CheckIAMUsers, func(in *Input) {
			in.AWSAuth.Data["mapUsers"] = "- userarn: arn:aws:iam::" + acct + ":user/alice\n  username: alice\n  groups: [devs]\n- userarn: arn:aws:iam::" + acct + ":user/carol\n  username: carol\n  groups: [devs]\n"
		}, []string{"IU01/low", "IU01/low"}},
		{"near miss: two IAM users with different groups", CheckIAMUsers, func(in *Input) {
			in.AWSAuth.Data["mapUsers"] = "- userarn: arn:aws:iam::" + acct + ":user/alice\n  username: alice\n  groups: [devs]\n- userarn: arn:aws:iam::" + acct + ":user/carol\n  username: carol\n  groups: [ops]\n"
		}, nil},

		{"aws-auth maps a role to system:masters", CheckAWSAuth, func(in *Input) {
			in.AWSAuth.Data["mapRoles"] += "- rolearn: arn:aws:iam::" + acct + ":role/admin\n  username: admin:{{SessionName}}\n  groups:\n  - system:masters\n"
		}, []string{"AA29/medium"}},
		{"near miss: a role mapped to a team group", CheckAWSAuth, func(in *Input) {
			in.AWSAuth.Data["mapRoles"] += "- rolearn: arn:aws:iam::" + acct + ":role/admin\n  username: admin:{{SessionName}}\n  groups:\n  - admins\n"
		}, nil},

		{"a role in system:masters holds cluster-admin", CheckClusterAdmins, func(in *Input) {
			in.AWSAuth.Data["mapRoles"] += "- rolearn: arn:aws:iam::" + acct + ":role/admin\n  username: admin:{{SessionName}}\n  groups:\n  - system:masters\n"
		}, []string{"CA01/low"}},
		{"a service account bound to cluster-admin", CheckClusterAdmins, func(in *Input) {
			in.RBAC.ClusterRoleBindings = append(in.RBAC.ClusterRoleBindings, crb("ci", "cluster-admin", nil, subject(rbacv1.ServiceAccountKind, "deployer", "ci")))
		}, []string{"CA01/medium"}},
		{"an access entry with AmazonEKSClusterAdminPolicy", CheckClusterAdmins, func(in *Input) {
			in.Access.Entries = append(in.Access.Entries, eks.AccessEntry{PrincipalARN: "arn:aws:iam::" + acct + ":role/platform", Type: eks.TypeStandard, KubernetesGroups: []string{},
				AccessPolicies: []eks.AssociatedPolicy{{PolicyARN: eks.PolicyARNPrefix + "AmazonEKSClusterAdminPolicy", Scope: eks.Scope{Type: eks.ScopeCluster, Namespaces: []string{}}}}})
		}, []string{"CA01/low"}},
		{"near miss: only the bootstrap system:masters binding", CheckClusterAdmins, func(*Input) {}, nil},

		{"wildcard resources bound to a user", CheckLeastPrivilege, func(in *Input) {
			in.RBAC.ClusterRoles = append(in.RBAC.ClusterRoles, rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "read-all"},
				Rules: []rbacv1.PolicyRule{rule([]string{"get", "list"}, []string{"*"}, []string{"*"})}})
			in.RBAC.RoleBindings = append(in.RBAC.RoleBindings, rb("app", "read-all", "ClusterRole", "read-all", subject(rbacv1.UserKind, "bob", "")))
		}, []string{"LP01/medium"}},
		{"escalate bound to a service account", CheckLeastPrivilege, func(in *Input) {
			in.RBAC.ClusterRoles = append(in.RBAC.ClusterRoles, rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "role-admin"},
				Rules: []rbacv1.PolicyRule{rule([]string{"escalate", "bind"}, []string{"rbac.authorization.k8s.io"}, []string{"clusterroles"})}})
			in.RBAC.ClusterRoleBindings = append(in.RBAC.ClusterRoleBindings, crb("role-admin", "role-admin", nil, subject(rbacv1.ServiceAccountKind, "ops", "app")))
		}, []string{"LP01/high"}},
		{"cluster-admin bound in one namespace", CheckLeastPrivilege, func(in *Input) {
			in.RBAC.RoleBindings = append(in.RBAC.RoleBindings, rb("app", "app-admin", "ClusterRole", "cluster-admin", subject(rbacv1.GroupKind, "app-team", "")))
		}, []string{"LP01/high"}},
		{"near miss: the wildcard role bound to system:masters", CheckLeastPrivilege, func(in *Input) {
			in.RBAC.ClusterRoles = append(in.RBAC.ClusterRoles, rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "read-all"},
				Rules: []rbacv1.PolicyRule{rule([]string{"get", "list"}, []string{"*"}, []string{"*"})}})
			in.RBAC.ClusterRoleBindings = append(in.RBAC.ClusterRoleBindings, crb("read-all", "read-all", nil, subject(rbacv1.GroupKind, rbac.SuperuserGroup, "")))
		}, nil},
		{"near miss: explicit verbs and resources bound to a user", CheckLeastPrivilege, func(*Input) {}, nil},

		{"anonymous user bound to a role", CheckAnonymous, func(in *Input) {
			in.RBAC.ClusterRoleBindings = append(in.RBAC.ClusterRoleBindings, crb("anon-read", "view-pods", nil, subject(rbacv1.UserKind, rbac.AnonymousUser, "")))
		}, []string{"AN01/high"}},
		{"near miss: the bootstrap public-info-viewer binding", CheckAnonymous, func(*Input) {}, nil},

		{"default service account mounts its token", CheckDefaultSA, func(in *Input) { in.Harden.ServiceAccounts[0].Automount = nil }, []string{"SA01/high"}},
		{"near miss: automount false", CheckDefaultSA, func(*Input) {}, nil},

		{"legacy token Secret", CheckTokenSecrets, func(in *Input) {
			in.Harden.TokenSecrets = []harden.TokenSecret{{Namespace: "app", Name: "ci-token", ServiceAccount: "ci"}}
		}, []string{"ST01/medium"}},
		{"near miss: no token Secret", CheckTokenSecrets, func(*Input) {}, nil},

		{"association for a missing service account", CheckPodIdentity, func(in *Input) {
			in.PodIdentity.Associations = []podidentity.Association{{ID: "a-1", Namespace: "app", ServiceAccount: "ghost"}}
		}, []string{"PI07/medium"}},
		{"near miss: association for an existing service account", CheckPodIdentity, func(in *Input) {
			in.PodIdentity.Associations = []podidentity.Association{{ID: "a-1", Namespace: "app", ServiceAccount: "web"}}
		}, nil},

		{"IRSA pod with runAsUser 0", CheckRootIRSA, func(in *Input) {
			in.PodIdentity.Pods = []podidentity.Pod{irsaPod("web-1", &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}, nil)}
		}, []string{"RT01/medium"}},
		{"IRSA pod that sets no user", CheckRootIRSA, func(in *Input) {
			in.PodIdentity.Pods = []podidentity.Pod{irsaPod("web-1", nil, nil)}
		}, []string{"RT01/low"}},
		{"near miss: IRSA pod whose container sets runAsNonRoot", CheckRootIRSA, func(in *Input) {
			in.PodIdentity.Pods = []podidentity.Pod{irsaPod("web-1", &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}, &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)})}
		}, nil},
		{"near miss: root pod without IRSA", CheckRootIRSA, func(in *Input) {
			p := irsaPod("web-1", &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}, nil)
			p.Node, p.Containers[0].HasRoleARN, p.Containers[0].WebIdentity = "", false, false
			in.PodIdentity.Pods = []podidentity.Pod{p}
		}, nil},
	}
	fired := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := clean()
			tt.edit(in)
			res := Run(in, Options{})
			var got []string
			for _, f := range res.Findings {
				if f.Check == tt.check {
					got = append(got, f.ID+"/"+string(f.Severity))
					if f.Recommendation == "" || !strings.HasPrefix(f.RecommendationURL, guide+"#") || f.Fix == "" || f.Message == "" || f.Context != "prod" {
						t.Errorf("incomplete finding: %+v", f)
					}
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("findings of %s (-want +got):\n%s\nall: %+v", tt.check, d, res.Findings)
			}
			if st := status(res, tt.check); st.Status != v1alpha1.CheckRun || st.Findings != len(got) {
				t.Errorf("check %s: %+v", tt.check, st)
			}
			if len(tt.want) > 0 {
				fired[tt.check] = true
			}
		})
	}
	for _, c := range Catalogue() {
		if !fired[c.ID] {
			t.Errorf("check %s has no case that fires", c.ID)
		}
	}
	t.Logf("%d cases over %d checks", len(tests), len(fired))
}

// A check whose input is missing is listed as not run, with the reason; never as run.
func TestNotRunWithReason(t *testing.T) {
	in := clean()
	in.Access, in.AccessMissing = nil, "no AWS credentials"
	in.Endpoint = nil
	in.AWSInputs[0] = v1alpha1.PodIdentityInput{Name: "eks:DescribeCluster", Status: "denied", Message: "AccessDeniedException"}
	in.AWSAuth, in.AWSAuthMissing = nil, "the input holds no ConfigMap kube-system/aws-auth"
	in.Harden = nil
	res := Run(in, Options{})
	want := map[string]string{
		CheckEndpoint: "eks:DescribeCluster was not read (denied: AccessDeniedException)",
		CheckAuthMode: "the authentication mode is unknown: no AWS credentials",
		CheckCreator:  "the authentication mode is unknown: no AWS credentials",
		CheckAWSAuth:  "the input holds no ConfigMap kube-system/aws-auth", CheckIAMUsers: "the input holds no ConfigMap kube-system/aws-auth",
		CheckDefaultSA: "the service accounts, pods, workloads and Secrets were not read", CheckTokenSecrets: "the service accounts, pods, workloads and Secrets were not read",
	}
	for _, c := range res.Checks {
		reason, notRun := want[c.ID]
		switch {
		case notRun && (c.Status != v1alpha1.CheckNotRun || c.Reason != reason):
			t.Errorf("%s: %s %q, want not-run %q", c.ID, c.Status, c.Reason, reason)
		case c.ID == CheckPodIdentity && (c.Status != v1alpha1.CheckPartial || !strings.Contains(c.Reason, "eks:DescribeCluster (denied)")):
			t.Errorf("PI: %s %q, want partial naming eks:DescribeCluster", c.Status, c.Reason)
		case !notRun && c.ID != CheckPodIdentity && c.Status != v1alpha1.CheckRun:
			t.Errorf("%s: %s %q, want run", c.ID, c.Status, c.Reason)
		}
	}
	// Access entries read, aws-auth not in the input: the users aws-auth maps are
	// unknown, so IU01 does not run on the entries alone.
	in = clean()
	in.AWSAuth, in.AWSAuthMissing = nil, "the input holds no ConfigMap kube-system/aws-auth"
	if st := status(Run(in, Options{}), CheckIAMUsers); st.Status != v1alpha1.CheckNotRun {
		t.Errorf("IU01 without aws-auth: %+v", st)
	}
	// In API mode the cluster does not read aws-auth: its validation is not run.
	in = clean()
	in.Access.Cluster.AuthenticationMode = eks.ModeAPI
	if st := status(Run(in, Options{}), CheckAWSAuth); st.Status != v1alpha1.CheckNotRun || !strings.Contains(st.Reason, "API") {
		t.Errorf("aws-auth in API mode: %+v", st)
	}
	t.Logf("%d checks not run with their reasons", len(want))
}

func TestCheckAndSkip(t *testing.T) {
	in := clean()
	in.Endpoint.PublicAccessCIDRs = []string{"0.0.0.0/0"}
	in.AWSAuth.Data["mapRoles"] += "- rolearn: arn:aws:iam::" + acct + ":role/admin\n  username: admin\n  groups:\n  - system:masters\n  - system:masters\n"
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"all", Options{}, []string{"EP01/medium", "AA29/medium", "AA29/medium", "AA29/medium", "CA01/low"}},
		{"--check AA29 runs only the aws-auth check, only that id", Options{Checks: []string{"AA29"}}, []string{"AA29/medium", "AA29/medium", "AA29/medium"}},
		{"--check EP01,CA01", Options{Checks: []string{"EP01", "CA01"}}, []string{"EP01/medium", "CA01/low"}},
		{"--skip AA", Options{Skip: []string{"AA"}}, []string{"EP01/medium", "CA01/low"}},
		{"--skip AA29", Options{Skip: []string{"AA29"}}, []string{"EP01/medium", "CA01/low"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Run(in, tt.opts)
			if d := cmp.Diff(tt.want, ids(res.Findings)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			for _, c := range res.Checks {
				ran := c.Status != v1alpha1.CheckSkipped
				if want := tt.opts.selected(c.ID, ""); ran != want {
					t.Errorf("%s: %s, selected %v", c.ID, c.Status, want)
				}
			}
		})
	}
}

// Two runs over the same objects, read in another order, give the same bytes.
func TestStableOrder(t *testing.T) {
	build := func(reverse bool) []byte {
		in := clean()
		in.Endpoint.PublicAccessCIDRs = []string{"0.0.0.0/0"}
		in.AWSAuth.Data["mapUsers"] = "- userarn: arn:aws:iam::" + acct + ":user/alice\n  username: alice\n  groups: [devs]\n- userarn: arn:aws:iam::" + acct + ":user/carol\n  username: carol\n  groups: [devs]\n- userarn: arn:aws:iam::" + acct + ":user/dave\n  username: dave\n  groups: [devs]\n"
		for i := range 5 {
			in.RBAC.ClusterRoleBindings = append(in.RBAC.ClusterRoleBindings, crb("anon-"+string(rune('a'+i)), "view-pods", nil, subject(rbacv1.UserKind, rbac.AnonymousUser, "")))
		}
		in.Harden.TokenSecrets = []harden.TokenSecret{{Namespace: "app", Name: "t1"}, {Namespace: "app", Name: "t2"}}
		if reverse {
			slices.Reverse(in.RBAC.ClusterRoleBindings)
			slices.Reverse(in.RBAC.ClusterRoles)
			slices.Reverse(in.Harden.TokenSecrets)
		}
		r := v1alpha1.NewAuditReport()
		AddCluster(r, v1alpha1.AuditCluster{Context: "prod", Status: v1alpha1.AuditStatusAudited, Complete: true}, Run(in, Options{}))
		Finish(r)
		b, err := json.MarshalIndent(r, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := build(false), build(true)
	if d := cmp.Diff(string(a), string(b)); d != "" {
		t.Errorf("two runs differ:\n%s", d)
	}
	t.Logf("%d bytes, identical", len(a))
}

func TestFailing(t *testing.T) {
	r := v1alpha1.NewAuditReport()
	r.Findings = []v1alpha1.AuditFinding{{ID: "CA01", Severity: v1alpha1.SeverityLow}, {ID: "EP01", Severity: v1alpha1.SeverityMedium}}
	for failOn, want := range map[string]bool{"high": false, "medium": true, "low": true, "none": false} {
		r.FailOn = failOn
		if got := Failing(r); got != want {
			t.Errorf("--fail-on %s: %v, want %v", failOn, got, want)
		}
	}
}

func TestMerge(t *testing.T) {
	report := func(ctx string, sev v1alpha1.Severity) *v1alpha1.AuditReport {
		in := clean()
		in.Context = ctx
		if sev != "" {
			in.Endpoint.PublicAccessCIDRs = []string{"0.0.0.0/0"}
		}
		r := v1alpha1.NewAuditReport()
		AddCluster(r, v1alpha1.AuditCluster{Context: ctx, Status: v1alpha1.AuditStatusAudited, Complete: true}, Run(in, Options{}))
		Finish(r)
		return r
	}
	down := v1alpha1.NewAuditReport()
	AddCluster(down, v1alpha1.AuditCluster{Context: "c-down", Status: v1alpha1.AuditStatusError, Error: "connection refused"}, nil)
	Finish(down)
	m, err := Merge([]*v1alpha1.AuditReport{report("b-prod", v1alpha1.SeverityMedium), down, report("a-dev", "")}, []string{"b.json", "down.json", "a.json"}, "medium")
	if err != nil {
		t.Fatal(err)
	}
	var contexts []string
	for _, c := range m.Clusters {
		contexts = append(contexts, c.Context+"="+c.Status)
	}
	if d := cmp.Diff([]string{"a-dev=audited", "b-prod=audited", "c-down=error"}, contexts); d != "" {
		t.Errorf("clusters (-want +got):\n%s", d)
	}
	if len(m.Findings) != 1 || m.Findings[0].Context != "b-prod" || m.Complete || !Failing(m) || m.Clusters[1].Findings != 1 {
		t.Errorf("merged: complete %v, failing %v, findings %+v, clusters %+v", m.Complete, Failing(m), m.Findings, m.Clusters)
	}
	if m.Checks[0].Context != "a-dev" || len(m.Checks) != 2*len(Catalogue()) {
		t.Errorf("checks: %d, first %+v", len(m.Checks), m.Checks[0])
	}
	if _, err := Merge([]*v1alpha1.AuditReport{report("a", ""), report("a", "")}, []string{"1.json", "2.json"}, "low"); err == nil || !strings.Contains(err.Error(), `context "a" is in both 1.json and 2.json`) {
		t.Errorf("duplicate context: %v", err)
	}
	wrong := v1alpha1.NewAuditReport()
	v1alpha1.SetKind(wrong, "WhoCanReport")
	if _, err := Merge([]*v1alpha1.AuditReport{wrong}, []string{"w.json"}, "low"); err == nil || !strings.Contains(err.Error(), "w.json") {
		t.Errorf("wrong kind: %v", err)
	}
}

func TestRecommendationURLs(t *testing.T) {
	for rec, want := range map[string]string{
		RecEndpoint:     guide + "#make-the-eks-cluster-endpoint-private",
		RecNoSATokens:   guide + "#dont-use-a-service-account-token-for-authentication",
		RecIRSA:         guide + "#iam-roles-for-service-accounts-irsa",
		RecAWSAuthTools: guide + "#if-relying-on-aws-auth-configmap-use-tools-to-make-changes",
	} {
		if got := RecommendationURL(rec); got != want {
			t.Errorf("%s: %s, want %s", rec, got, want)
		}
	}
	// Every rule's recommendation is a heading of the chapter.
	for _, r := range Rules() {
		if r.Recommendation == "" || r.Title == "" {
			t.Errorf("rule %+v", r)
		}
	}
}
