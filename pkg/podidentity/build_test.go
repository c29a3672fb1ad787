package podidentity

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iampolicy"
)

const (
	account   = "111122223333"
	host      = "oidc.eks.us-west-2.amazonaws.com/id/CLUSTER1"
	otherHost = "oidc.eks.us-west-2.amazonaws.com/id/OLDCLUSTER"
	webRole   = "arn:aws:iam::" + account + ":role/web"
	piRole    = "arn:aws:iam::" + account + ":role/pi"
	nodeRole  = "arn:aws:iam::" + account + ":role/node"
	profile   = "arn:aws:iam::" + account + ":instance-profile/node"
)

func provider(h string) string { return "arn:aws:iam::" + account + ":oidc-provider/" + h }

func irsaTrust(h, conditions string) string {
	c := ""
	if conditions != "" {
		c = `,"Condition":` + conditions
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider(h) + `"},"Action":"sts:AssumeRoleWithWebIdentity"` + c + `}]}`
}

func sub(op, v string) string {
	return `{"` + op + `":{"` + host + `:sub":` + v + `,"` + host + `:aud":"sts.amazonaws.com"}}`
}

func piTrust(actions, conditions string) string {
	c := ""
	if conditions != "" {
		c = `,"Condition":` + conditions
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":` + actions + c + `}]}`
}

const goodPITrust = `["sts:AssumeRole","sts:TagSession"]`
const piConditions = `{"StringEquals":{"aws:RequestTag/kubernetes-namespace":"app","aws:RequestTag/kubernetes-service-account":"api"}}`

func role(t *testing.T, arn, doc string) *Role {
	t.Helper()
	p, err := iampolicy.ParseDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &Role{ARN: arn, Trust: p}
}

func container(name string) Container { return Container{Name: name} }

func irsaContainer(name, role string) Container {
	return Container{Name: name, RoleARN: role, HasRoleARN: true, WebIdentity: true}
}

// base is a small cluster: app/web with IRSA (exact trust), app/api with a Pod
// Identity association (narrowed trust), kube-system/aws-node with IRSA, nodes whose
// IMDS needs a token with hop limit 1.
func base(t *testing.T) *Input {
	return &Input{
		AllNamespaces: true,
		Namespaces:    []string{"app", "kube-system", "other"},
		ServiceAccounts: []ServiceAccount{
			{Namespace: "app", Name: "web", RoleARN: webRole}, {Namespace: "app", Name: "api"}, {Namespace: "app", Name: "default"},
			{Namespace: "kube-system", Name: "aws-node", RoleARN: "arn:aws:iam::" + account + ":role/cni"}, {Namespace: "other", Name: "web"},
		},
		Pods: []Pod{
			{Namespace: "app", Name: "web-1", ServiceAccount: "web", Node: "n1", Phase: "Running", Containers: []Container{irsaContainer("main", webRole)}},
			{Namespace: "app", Name: "api-1", ServiceAccount: "api", Node: "n1", Phase: "Running", Containers: []Container{{Name: "main", ContainerCredentials: true}}},
			{Namespace: "app", Name: "done", ServiceAccount: "api", Node: "n1", Phase: "Succeeded"},
		},
		Workloads:        []Workload{{Ref: Ref{Kind: "Deployment", Namespace: "app", Name: "web"}, ServiceAccount: "web"}},
		Nodes:            []Node{{Name: "n1", InstanceID: "i-1"}, {Name: "fargate-1", Fargate: true}},
		PodIdentityAgent: true,
		Cluster:          &Cluster{Name: "prod", ARN: "arn:aws:eks:us-west-2:" + account + ":cluster/prod", OIDCIssuer: "https://" + host},
		AssociationsRead: true,
		Associations:     []Association{{ID: "a-1", Namespace: "app", ServiceAccount: "api", RoleARN: piRole}},
		Roles: map[string]*Role{
			webRole:                                 role(t, webRole, irsaTrust(host, sub("StringEquals", `"system:serviceaccount:app:web"`))),
			piRole:                                  role(t, piRole, piTrust(goodPITrust, piConditions)),
			"arn:aws:iam::" + account + ":role/cni": role(t, "arn:aws:iam::"+account+":role/cni", irsaTrust(host, sub("StringEquals", `"system:serviceaccount:kube-system:aws-node"`))),
		},
		InstancesRead:    true,
		Instances:        map[string]*Instance{"i-1": {ID: "i-1", HTTPTokens: "required", HTTPEndpoint: "enabled", HopLimit: 1, InstanceProfileARN: profile}},
		InstanceProfiles: map[string][]string{profile: {nodeRole}},
	}
}

func findingSet(r *v1alpha1.PodIdentityReport) []string {
	out := []string{}
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s %s %s/%s", f.ID, f.Severity, f.Namespace, f.ServiceAccount))
	}
	return out
}

func TestBaseIsClean(t *testing.T) {
	r := Build(base(t), Options{})
	if len(r.Findings) != 0 || !r.Complete || len(r.NotEvaluated) != 0 {
		t.Fatalf("findings %v, complete %v, not evaluated %v", findingSet(r), r.Complete, r.NotEvaluated)
	}
}

func TestFindings(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, in *Input)
		want   []string // findings, "ID severity ns/sa"
	}{
		// PI01
		{"PI01 no condition at all", func(t *testing.T, in *Input) { in.Roles[webRole] = role(t, webRole, irsaTrust(host, "")) },
			[]string{"PI01 high app/web", "PI03 low app/web"}},
		{"PI01 only an aud condition", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, `{"StringEquals":{"`+host+`:aud":"sts.amazonaws.com"}}`))
		}, []string{"PI01 high app/web"}},
		{"near miss PI01: upper-case :SUB key is a :sub condition", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, `{"StringEquals":{"`+strings.ToUpper(host)+`:SUB":"system:serviceaccount:app:web","`+host+`:aud":"sts.amazonaws.com"}}`))
		}, nil},
		// PI02
		{"PI02 namespace wildcard", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, sub("StringLike", `"system:serviceaccount:app:*"`)))
		}, []string{"PI02 medium app/web"}},
		{"PI02 any service account", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, sub("StringLike", `"system:serviceaccount:*"`)))
		}, []string{"PI02 high app/web"}},
		{"PI02 question mark", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, sub("StringLike", `"system:serviceaccount:app:we?"`)))
		}, []string{"PI02 medium app/web"}},
		{"PI02 negated operator", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, `{"StringNotEquals":{"`+host+`:sub":"system:serviceaccount:app:api"},"StringEquals":{"`+host+`:aud":"sts.amazonaws.com"}}`))
		}, []string{"PI02 high app/web"}},
		{"near miss PI02: StringLike without a wildcard", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, sub("StringLike", `"system:serviceaccount:app:web"`)))
		}, nil},
		{"near miss PI02: a Deny narrows the wildcard back", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"`+provider(host)+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":`+sub("StringLike", `"system:serviceaccount:app:*"`)+`},
				{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotEquals":{"`+host+`:sub":"system:serviceaccount:app:web"}}}]}`)
		}, nil},
		// PI03
		{"PI03 no aud", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, `{"StringEquals":{"`+host+`:sub":"system:serviceaccount:app:web"}}`))
		}, []string{"PI03 low app/web"}},
		{"near miss PI03: upper-case :AUD key", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, `{"StringEquals":{"`+host+`:sub":"system:serviceaccount:app:web","`+strings.ToUpper(host)+`:AUD":"sts.amazonaws.com"}}`))
		}, nil},
		// PI04
		{"PI04 trusts only the old cluster", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(otherHost, `{"StringEquals":{"`+otherHost+`:sub":"system:serviceaccount:app:web"}}`))
		}, []string{"PI04 high app/web"}},
		{"PI04 trusts the old cluster too", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, `{"Statement":[`+strings.TrimSuffix(strings.TrimPrefix(irsaTrust(host, sub("StringEquals", `"system:serviceaccount:app:web"`)), `{"Version":"2012-10-17","Statement":[`), "]}")+`,
				{"Effect":"Allow","Principal":{"Federated":"`+provider(otherHost)+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+otherHost+`:sub":"system:serviceaccount:app:web"}}}]}`)
		}, []string{"PI04 medium app/web"}},
		{"PI04 star in StringEquals never matches", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, sub("StringEquals", `"system:serviceaccount:app:*"`)))
		}, []string{"PI04 high app/web"}},
		{"near miss PI04: issuer without https:// is the same provider", func(t *testing.T, in *Input) { in.Cluster.OIDCIssuer = host }, nil},
		// PI05
		{"PI05 trust names a missing service account", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, sub("StringEquals", `["system:serviceaccount:app:web","system:serviceaccount:app:ghost"]`)))
		}, []string{"PI02 medium app/web", "PI05 medium app/ghost"}},
		{"PI05 trust names a missing namespace", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, sub("StringEquals", `["system:serviceaccount:app:web","system:serviceaccount:gone:web"]`)))
		}, []string{"PI02 high app/web", "PI05 medium gone/web"}},
		{"near miss PI05: every named service account exists", func(t *testing.T, in *Input) {
			in.Roles[webRole] = role(t, webRole, irsaTrust(host, sub("StringEquals", `["system:serviceaccount:app:web","system:serviceaccount:app:api"]`)))
		}, []string{"PI02 medium app/web"}},
		// PI06
		{"PI06 no TagSession", func(t *testing.T, in *Input) {
			in.Roles[piRole] = role(t, piRole, piTrust(`"sts:AssumeRole"`, piConditions))
		},
			[]string{"PI06 high app/api"}},
		{"PI06 not narrowed", func(t *testing.T, in *Input) { in.Roles[piRole] = role(t, piRole, piTrust(goodPITrust, "")) },
			[]string{"PI06 medium app/api"}},
		{"PI06 tags disabled under tag conditions", func(t *testing.T, in *Input) { in.Associations[0].DisableSessionTags = true },
			[]string{"PI06 high app/api"}},
		{"PI06 target role does not trust the association role", func(t *testing.T, in *Input) {
			in.Associations[0].TargetRoleARN, in.Associations[0].ExternalID = "arn:aws:iam::444455556666:role/target", "ext-1"
			in.Roles["arn:aws:iam::444455556666:role/target"] = role(t, "", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"`+piRole+`"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"other"}}}}`)
		}, []string{"PI06 high app/api"}},
		{"near miss PI06: target role trusts it with the external id", func(t *testing.T, in *Input) {
			in.Associations[0].TargetRoleARN, in.Associations[0].ExternalID = "arn:aws:iam::444455556666:role/target", "ext-1"
			in.Roles["arn:aws:iam::444455556666:role/target"] = role(t, "", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"`+piRole+`"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}}`)
		}, nil},
		{"near miss PI06: sts:* with conditions", func(t *testing.T, in *Input) { in.Roles[piRole] = role(t, piRole, piTrust(`"sts:*"`, piConditions)) }, nil},
		{"near miss PI06: narrowed by the cluster tag only", func(t *testing.T, in *Input) {
			in.Roles[piRole] = role(t, piRole, piTrust(goodPITrust, `{"StringEquals":{"aws:RequestTag/eks-cluster-name":"prod"}}`))
		}, nil},
		// PI07
		{"PI07 association for a missing service account", func(t *testing.T, in *Input) {
			in.Associations = append(in.Associations, Association{ID: "a-2", Namespace: "app", ServiceAccount: "ghost", RoleARN: piRole})
		}, []string{"PI06 high app/ghost", "PI07 medium app/ghost"}},
		{"PI07 association for a missing namespace", func(t *testing.T, in *Input) {
			in.Associations = append(in.Associations, Association{ID: "a-2", Namespace: "gone", ServiceAccount: "api", RoleARN: piRole})
		}, []string{"PI06 high gone/api", "PI07 medium gone/api"}},
		// PI08
		{"PI08 IMDSv1 allowed", func(t *testing.T, in *Input) {
			in.Instances["i-1"].HTTPTokens = "optional"
			in.Pods = append(in.Pods, Pod{Namespace: "app", Name: "plain", ServiceAccount: "default", Node: "n1", Phase: "Running", Containers: []Container{container("c")}})
		}, []string{"PI08 low app/api", "PI08 high app/default", "PI08 low app/web"}},
		{"PI08 hop limit 2", func(t *testing.T, in *Input) {
			in.Instances["i-1"].HopLimit = 2
			in.Pods = append(in.Pods, Pod{Namespace: "app", Name: "plain", ServiceAccount: "default", Node: "n1", Phase: "Running", Containers: []Container{container("c")}})
		}, []string{"PI08 low app/api", "PI08 medium app/default", "PI08 low app/web"}},
		{"PI08 hostNetwork", func(t *testing.T, in *Input) {
			in.Pods = append(in.Pods, Pod{Namespace: "app", Name: "plain", ServiceAccount: "default", Node: "n1", Phase: "Running", HostNetwork: true, Containers: []Container{container("c")}})
		}, []string{"PI08 low app/default"}},
		{"PI08 a container skipped by the webhook", func(t *testing.T, in *Input) {
			in.Instances["i-1"].HopLimit = 2
			in.Pods[0].Containers = append(in.Pods[0].Containers, container("skipped"))
		}, []string{"PI08 low app/api", "PI08 medium app/web"}},
		{"near miss PI08: IMDSv2 required with hop limit 1", func(t *testing.T, in *Input) {
			in.Pods = append(in.Pods, Pod{Namespace: "app", Name: "plain", ServiceAccount: "default", Node: "n1", Phase: "Running", Containers: []Container{container("c")}})
		}, nil},
		{"near miss PI08: IMDS disabled", func(t *testing.T, in *Input) {
			in.Instances["i-1"].HTTPEndpoint, in.Instances["i-1"].HTTPTokens = "disabled", "optional"
			in.Pods = append(in.Pods, Pod{Namespace: "app", Name: "plain", ServiceAccount: "default", Node: "n1", Phase: "Running", Containers: []Container{container("c")}})
		}, nil},
		{"near miss PI08: Fargate", func(t *testing.T, in *Input) {
			in.Pods = append(in.Pods, Pod{Namespace: "app", Name: "plain", ServiceAccount: "default", Node: "fargate-1", Phase: "Running", Containers: []Container{container("c")}})
		}, nil},
		// PI09
		{"PI09 aws-node on the node role", func(t *testing.T, in *Input) { in.ServiceAccounts[3].RoleARN = "" }, []string{"PI09 medium kube-system/aws-node"}},
		{"near miss PI09: an association but no annotation", func(t *testing.T, in *Input) {
			in.ServiceAccounts[3].RoleARN = ""
			in.Associations = append(in.Associations, Association{ID: "a-3", Namespace: "kube-system", ServiceAccount: "aws-node", RoleARN: piRole})
		}, []string{"PI06 high kube-system/aws-node"}},
		// PI10
		{"PI10 annotation and association", func(t *testing.T, in *Input) {
			in.Associations = append(in.Associations, Association{ID: "a-4", Namespace: "app", ServiceAccount: "web", RoleARN: piRole})
			in.Roles[piRole] = role(t, piRole, piTrust(goodPITrust, `{"StringEquals":{"aws:RequestTag/eks-cluster-name":"prod"}}`))
		}, []string{"PI10 medium app/web"}},
		{"near miss PI10: the same name in another namespace", func(t *testing.T, in *Input) {
			in.Associations = append(in.Associations, Association{ID: "a-4", Namespace: "other", ServiceAccount: "web", RoleARN: piRole})
			in.Roles[piRole] = role(t, piRole, piTrust(goodPITrust, `{"StringEquals":{"aws:RequestTag/eks-cluster-name":"prod"}}`))
		}, nil},
	}
	fired := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base(t)
			tt.change(t, in)
			r := Build(in, Options{})
			got := findingSet(r)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
				for _, f := range r.Findings {
					t.Logf("%s: %s", f.ID, f.Message)
				}
				t.Logf("not evaluated: %v", r.NotEvaluated)
			}
			for _, f := range r.Findings {
				fired[f.ID] = true
				if f.Recommendation == "" || f.Message == "" {
					t.Errorf("%s without recommendation or message", f.ID)
				}
			}
		})
	}
	for i := 1; i <= 10; i++ {
		if id := fmt.Sprintf("PI%02d", i); !fired[id] {
			t.Errorf("no case fires %s", id)
		}
	}
	near := 0
	for _, tt := range tests {
		if strings.HasPrefix(tt.name, "near miss") {
			near++
		}
	}
	t.Logf("%d finding cases (%d near misses that must not fire)", len(tests), near)
}

func TestMap(t *testing.T) {
	in := base(t)
	in.Instances["i-1"].HopLimit = 2
	in.Pods = append(in.Pods,
		Pod{Namespace: "app", Name: "plain", ServiceAccount: "default", Node: "n1", Phase: "Running", Containers: []Container{container("c")}},
		Pod{Namespace: "app", Name: "pending", ServiceAccount: "default", Phase: "Pending", Containers: []Container{container("c")}},
		Pod{Namespace: "app", Name: "stale", ServiceAccount: "web", Node: "n1", Phase: "Running", Containers: []Container{container("c"), irsaContainer("d", webRole)}})
	in.Associations = append(in.Associations, Association{ID: "a-4", Namespace: "app", ServiceAccount: "web", RoleARN: piRole})
	r := Build(in, Options{})
	got := map[string][]string{}
	for _, sa := range r.ServiceAccounts {
		var rs []string
		for _, ro := range sa.Roles {
			rs = append(rs, fmt.Sprintf("%s %s effective=%v", ro.Via, ro.ARN[strings.LastIndex(ro.ARN, "/")+1:], ro.Effective))
		}
		for _, p := range sa.Pods {
			for _, c := range p.Credentials {
				rs = append(rs, fmt.Sprintf("pod %s %v: %s %s", p.Name, c.Containers, c.Via, c.RoleARN))
			}
		}
		got[sa.Namespace+"/"+sa.Name] = rs
	}
	want := map[string][]string{
		"app/api":     {"pod-identity pi effective=true", "pod api-1 [main]: pod-identity " + piRole},
		"app/default": {"node node effective=true", "pod pending [c]: none ", "pod plain [c]: node " + nodeRole},
		"app/web": {"irsa web effective=false", "pod-identity pi effective=true", "node node effective=true",
			"pod stale [c]: node " + nodeRole, "pod stale [d]: irsa " + webRole, "pod web-1 [main]: irsa " + webRole},
		"kube-system/aws-node": {"irsa cni effective=true"},
		"other/web":            nil,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("map (-want +got):\n%s", d)
	}
	if sa := r.ServiceAccounts[2]; sa.Name != "web" || len(sa.Workloads) != 1 || sa.Roles[0].Note == "" {
		t.Errorf("app/web: %+v", sa)
	}
}

func TestIncomplete(t *testing.T) {
	in := base(t)
	in.Cluster, in.AssociationsRead, in.Associations, in.InstancesRead, in.Instances = nil, false, nil, false, nil
	delete(in.Roles, webRole)
	r := Build(in, Options{})
	if r.Complete {
		t.Errorf("complete without AWS inputs")
	}
	for _, sa := range r.ServiceAccounts {
		if sa.Complete {
			t.Errorf("%s/%s complete", sa.Namespace, sa.Name)
		}
	}
	if !slices.ContainsFunc(r.NotEvaluated, func(s string) bool { return strings.Contains(s, "DescribeCluster") }) {
		t.Errorf("not evaluated: %v", r.NotEvaluated)
	}
	if len(r.Findings) != 0 {
		t.Errorf("findings from missing inputs: %v", findingSet(r))
	}
}
