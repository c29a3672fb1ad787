// Package migrate plans the move of aws-auth mappings to EKS access entries: which
// entry each mapping becomes (node mappings keep their node entry type), what changes
// in meaning on the way, and what cannot move. It only plans: it writes nothing and
// never removes aws-auth. Pure.
package migrate

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// Actions of a planned entry.
const (
	// ActionCreate: no access entry exists for the principal; create it.
	ActionCreate = "create"
	// ActionExists: an entry with the same settings exists already; nothing to do.
	ActionExists = "exists"
	// ActionDiffers: an entry exists with other settings. It is left alone (it already
	// wins over aws-auth in API_AND_CONFIG_MAP mode); the differences are listed.
	ActionDiffers = "differs"
	// ActionManaged: the role of a managed node group or a Fargate profile, whose
	// access entry EKS creates itself (eks.ManagedRoles); a second entry for the
	// principal would be refused. Nothing to create.
	ActionManaged = "managed"
)

// Change codes: where the entry does not mean exactly what the mapping meant.
const (
	ChangeMastersToPolicy  = "MastersToClusterAdminPolicy"
	ChangeSystemGroup      = "SystemGroupDropped"
	ChangeUsernameDefault  = "UsernameDefaulted"
	ChangeNodeGroups       = "NodeGroupsDropped"
	ChangeNodeTypeGuessed  = "NodeTypeGuessed"
	ChangeUserSessionName  = "UserSessionName"
	ChangeDifferentSetting = "ExistingEntryDiffers"
	// ChangeManagedByEKS: the entry is EKS's to create (action managed).
	ChangeManagedByEKS = "ManagedByEKS"
	// ChangeMaybeManagedByEKS: an EC2 node role, while the cluster's managed node
	// groups are unknown: if it is one's node role, EKS creates its entry itself.
	ChangeMaybeManagedByEKS = "MaybeManagedByEKS"
)

// Blocked codes: mappings that cannot move as they are.
const (
	BlockedAccount       = "MapAccounts"
	BlockedSSO           = "SSOEntry"
	BlockedARN           = "UnusableARN"
	BlockedAmbiguous     = "Ambiguous"
	BlockedNodeUser      = "NodeMappingOnUser"
	BlockedReserved      = "ReservedUsername"
	BlockedTemplate      = "UnsupportedTemplate"
	BlockedSessionColon  = "SessionNameWithoutColon"
	BlockedGroupTemplate = "TemplatedGroup"
)

// The plan's types are the API's (they are printed).
type (
	Change  = v1alpha1.MigrationChange
	Entry   = v1alpha1.MigrationEntry
	Blocked = v1alpha1.MigrationBlocked
	Skipped = v1alpha1.MigrationSkipped
	Plan    = v1alpha1.MigrationPlan
)

// ClusterAdminPolicyARN is the policy system:masters becomes.
const ClusterAdminPolicyARN = eks.PolicyARNPrefix + "AmazonEKSClusterAdminPolicy"

// MastersGroup is the group that bypasses RBAC, which an access entry cannot name.
const MastersGroup = rbac.SuperuserGroup

// reservedPrefixes may not start an access entry's custom username.
var reservedPrefixes = []string{"system:", "eks:", "aws:", "amazon:", "iam:"}

// Build plans the migration of the mappings in store. existing are the cluster's
// access entries, nil when they were not read (then every entry is "create" and the
// mode is unknown).
func Build(store *awsauth.Store, existing *eks.Snapshot) *Plan {
	p := &Plan{Entries: []Entry{}, Blocked: []Blocked{}, Skipped: []Skipped{}}
	byKey := map[string]*eks.AccessEntry{}
	if existing != nil {
		p.Mode = existing.Cluster.AuthenticationMode
		for i := range existing.Entries {
			byKey[iamarn.Key(existing.Entries[i].PrincipalARN)] = &existing.Entries[i]
		}
	}
	if store == nil {
		return p
	}
	mappings := slices.Clone(store.Mappings)
	awsauth.SortMappings(mappings)
	for _, m := range mappings {
		from := fmt.Sprintf("aws-auth %s[%d]", m.Key, m.Index)
		switch m.Status {
		case awsauth.StatusShadowed:
			p.Skipped = append(p.Skipped, Skipped{From: from, ARN: m.ARN, Reason: "shadowed by a later entry for the same principal: not in effect"})
			continue
		case awsauth.StatusDead:
			p.Skipped = append(p.Skipped, Skipped{From: from, ARN: m.ARN, Reason: "mapRoles maps the same ARN, which wins: not in effect"})
			continue
		case awsauth.StatusAmbiguous:
			p.Blocked = append(p.Blocked, Blocked{From: from, ARN: m.ARN, Code: BlockedAmbiguous,
				Reason: "a case variant of this ARN is mapped too, and the authenticator picks one at random: decide which mapping is meant, fix aws-auth ('aws-auth validate'), then plan again"})
			continue
		}
		e, blocked := plan(m, from)
		if blocked != nil {
			p.Blocked = append(p.Blocked, *blocked)
			continue
		}
		if managedByEKS(&e, existing) {
			p.Entries = append(p.Entries, e)
			continue
		}
		e.Action = ActionCreate
		if cur, ok := byKey[iamarn.Key(e.PrincipalARN)]; ok {
			e.Action = ActionExists
			if diff := differences(cur, &e.AccessEntry); len(diff) > 0 {
				e.Action = ActionDiffers
				e.Changes = append(e.Changes, Change{Code: ChangeDifferentSetting,
					Message: "an access entry for this principal exists (" + cur.PrincipalARN + ") and differs: " + strings.Join(diff, "; ") + "; it is left alone"})
			}
		}
		noteMaybeManaged(&e, existing)
		p.Entries = append(p.Entries, e)
	}
	return p
}

// managedByEKS marks a node entry whose access EKS manages itself (action managed,
// true), or notes that it may be (MaybeManagedByEKS, false):
//   - the cluster's managed node groups and Fargate profiles were read
//     (existing.Managed): the role is one's, or it is not;
//   - they were not: a FARGATE_LINUX mapping is a Fargate profile's pod execution
//     role (that is what the mapping is for, and EKS writes it), so EKS manages it; an
//     EC2 node role may be a managed node group's or a self-managed one's, which the
//     mapping does not tell: it is planned as usual, and a create gets a note
//     (noteMaybeManaged).
func managedByEKS(e *Entry, existing *eks.Snapshot) bool {
	if e.Type == eks.TypeStandard || e.Type == eks.TypeHybridLinux {
		return false
	}
	const why = ": EKS adds the access entry of the roles of managed node groups and Fargate profiles itself (also when the authentication mode changes), and refuses a second entry for a principal (user guide, \"Create access entries\"): nothing to create; keep the aws-auth mapping until the entry exists"
	if existing != nil && existing.Managed != nil {
		owner := eks.Owner(existing.Managed, e.PrincipalARN)
		if owner == "" {
			return false
		}
		e.Action = ActionManaged
		e.Changes = append(e.Changes, Change{Code: ChangeManagedByEKS, Message: "the role of " + owner + why})
		return true
	}
	if e.Type == eks.TypeFargateLinux {
		e.Action = ActionManaged
		e.Changes = append(e.Changes, Change{Code: ChangeManagedByEKS, Message: "a Fargate pod execution role, so a Fargate profile's (the cluster's Fargate profiles were not read)" + why})
		return true
	}
	return false
}

// noteMaybeManaged notes on an EC2 node entry to create that, the cluster's managed
// node groups being unknown, EKS may create it itself.
func noteMaybeManaged(e *Entry, existing *eks.Snapshot) {
	if e.Action != ActionCreate || (e.Type != eks.TypeEC2Linux && e.Type != eks.TypeEC2Windows) || (existing != nil && existing.Managed != nil) {
		return
	}
	e.Changes = append(e.Changes, Change{Code: ChangeMaybeManagedByEKS,
		Message: "the cluster's managed node groups were not read: if this is the node role of one, EKS creates its access entry itself and this create fails (ResourceInUseException): skip it then"})
}

// plan turns one mapping in effect into an entry, or says why it cannot move.
func plan(m awsauth.Mapping, from string) (Entry, *Blocked) {
	block := func(code, reason string) (Entry, *Blocked) {
		return Entry{}, &Blocked{From: from, ARN: m.ARN, Code: code, Reason: reason}
	}
	switch {
	case m.Kind == awsauth.KindAccount:
		return block(BlockedAccount, "mapAccounts lets every principal of account "+m.ARN+" in (username = its ARN, no groups); access entries name one principal each: create an entry for each principal that needs access")
	case m.SSO != nil:
		return block(BlockedSSO, "an sso entry matches a permission set by pattern; access entries need each role's full ARN: create one for arn:aws:iam::"+m.SSO.AccountID+":role/aws-reserved/sso.amazonaws.com/[REGION/]AWSReservedSSO_"+m.SSO.PermissionSetName+"_SUFFIX")
	}
	a := iamarn.Parse(m.ARN)
	switch {
	case a.Malformed != "":
		return block(BlockedARN, "the ARN "+a.Malformed+": it never matched in aws-auth, and is not a valid access entry principal")
	case a.Kind != iamarn.Role && a.Kind != iamarn.User:
		return block(BlockedARN, "an ARN of kind "+a.Kind+" never matches in aws-auth, and access entries take only IAM role or user ARNs")
	case a.Kind == iamarn.Role && strings.HasPrefix(a.Path, "/aws-service-role/"):
		return block(BlockedARN, "service-linked roles cannot have access entries")
	case a.Kind == iamarn.Role && a.Path != "" && a.Path != "/":
		// Only role paths are lost: a session's canonical ARN names the role without
		// its path, so a mapRoles entry written with one never matches (EKS user
		// guide, "Create access entries": "ARNs in aws-auth ConfigMap entries can't
		// include a path", said of roles; AWS-AUTH.md §4). A user's canonical ARN is
		// the user ARN, path included, so a mapUsers entry with a path works today
		// and moves like any other.
		return block(BlockedARN, "aws-auth never matches a role ARN with a path (a session names the role without it), so this mapping grants nothing today; an access entry with the path would start matching: create it only if that access is wanted")
	}
	for _, g := range m.Groups {
		if strings.Contains(g, "{{") {
			return block(BlockedGroupTemplate, fmt.Sprintf("group %q is a template, rendered per request; kubernetesGroups are fixed names", g))
		}
	}
	e := Entry{From: from, AccessEntry: eks.AccessEntry{PrincipalARN: m.ARN, Type: eks.TypeStandard, KubernetesGroups: []string{}, AccessPolicies: []eks.AssociatedPolicy{}}, Changes: []Change{}}
	if t, ok := nodeType(m); ok {
		if a.Kind != iamarn.Role {
			return block(BlockedNodeUser, "a node mapping on an IAM user: node entry types take only roles of the cluster's account")
		}
		e.Type = t
		if t == eks.TypeHybridLinux {
			e.Changes = append(e.Changes, Change{Code: ChangeNodeTypeGuessed,
				Message: "system:node:{{SessionName}} without system:node-proxier is the hybrid nodes mapping: typed HYBRID_LINUX; use FARGATE_LINUX if this is a Fargate pod execution role"})
		}
		var extra []string
		for _, g := range m.Groups {
			if !slices.Contains(nodeMappingGroups(t), g) {
				extra = append(extra, g)
			}
		}
		if len(extra) > 0 {
			e.Changes = append(e.Changes, Change{Code: ChangeNodeGroups,
				Message: "node entries take no kubernetesGroups: groups " + strings.Join(extra, ", ") + " are dropped; bind what they grant to the node identity another way"})
		}
		return e, nil
	}
	if b := checkUsername(m); b != "" {
		code, reason, _ := strings.Cut(b, "|")
		return block(code, reason)
	}
	e.Username = m.Username
	if m.Username == "" {
		def := eks.DefaultUsername(&e.AccessEntry)
		e.Changes = append(e.Changes, Change{Code: ChangeUsernameDefault,
			Message: "the mapping has no username (the authenticator gives \"\"); the entry gets EKS's default, " + def})
	}
	if a.Kind == iamarn.User && firstSessionToken(m.Username) >= 0 {
		e.Changes = append(e.Changes, Change{Code: ChangeUserSessionName,
			Message: "{{SessionName}} and {{SessionNameRaw}} are empty for an IAM user in aws-auth; how EKS renders them for a user entry is not documented: check it"})
	}
	for _, g := range m.Groups {
		switch {
		case g == MastersGroup:
			e.AccessPolicies = append(e.AccessPolicies, eks.AssociatedPolicy{PolicyARN: ClusterAdminPolicyARN, Scope: eks.Scope{Type: eks.ScopeCluster, Namespaces: []string{}}})
			e.Changes = append(e.Changes, Change{Code: ChangeMastersToPolicy,
				Message: "system:masters cannot be a kubernetesGroup; AmazonEKSClusterAdminPolicy (cluster scope) gives the same permissions through EKS's authorizer, but the identity is no longer in group system:masters (admission webhooks or bindings that look for it will not see it), and it can be revoked"})
		case strings.HasPrefix(g, "system:"):
			e.Changes = append(e.Changes, Change{Code: ChangeSystemGroup,
				Message: fmt.Sprintf("kubernetesGroups cannot start with system:; group %q is dropped: bind what it grants to another group", g)})
		default:
			if !slices.Contains(e.KubernetesGroups, g) {
				e.KubernetesGroups = append(e.KubernetesGroups, g)
			}
		}
	}
	return e, nil
}

// sessionTokens are the username templates EKS accepts in an access entry: EKS user
// guide, "Create access entries" (creating-access-entries.adoc) and "Set a custom
// username for EKS access entries" (set-custom-username.adoc): {{SessionName}}, with
// '@' replaced by '-', and {{SessionNameRaw}}, the session name as is. Either needs a
// ':' somewhere before it. No other template is documented for access entries.
var sessionTokens = []string{"{{SessionName}}", "{{SessionNameRaw}}"}

// checkUsername says why a STANDARD entry cannot take the mapping's username, as
// "code|reason", or "".
func checkUsername(m awsauth.Mapping) string {
	u := m.Username
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(u, p) {
			return BlockedReserved + "|" + fmt.Sprintf("username %q starts with %s, which access entries reserve: choose another username and update the bindings that name this user", u, p)
		}
	}
	for _, tok := range templateStrings(u) {
		if !slices.Contains(sessionTokens, tok) {
			return BlockedTemplate + "|" + fmt.Sprintf("username %q uses %s; access entries document only {{SessionName}} and {{SessionNameRaw}}: choose a username that keeps the users apart, and update the bindings", u, tok)
		}
	}
	if i := firstSessionToken(u); i >= 0 && !strings.Contains(u[:i], ":") {
		return BlockedSessionColon + "|" + fmt.Sprintf("username %q: EKS requires a ':' before {{SessionName}} or {{SessionNameRaw}} (so that a session cannot pose as another user): such as %q, then update the bindings", u, "name:"+u[i:])
	}
	return ""
}

// firstSessionToken is the index of the first {{SessionName}} or {{SessionNameRaw}}
// in u, or -1.
func firstSessionToken(u string) int {
	first := -1
	for _, tok := range sessionTokens {
		if i := strings.Index(u, tok); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

// nodeMappingGroups are the groups of the node mapping EKS and its tools write in
// aws-auth for a node entry type (AWS-AUTH.md §6). A node entry does not carry them
// all (EKS sets its groups, and reports only system:nodes): that is EKS's design, not a
// change the plan needs to flag. Any other group on a node mapping is flagged as
// dropped.
func nodeMappingGroups(entryType string) []string {
	groups := []string{"system:bootstrappers", "system:nodes"}
	switch entryType {
	case eks.TypeEC2Windows:
		groups = append(groups, "eks:kube-proxy-windows")
	case eks.TypeFargateLinux:
		groups = append(groups, "system:node-proxier")
	}
	return groups
}

// nodeType recognises the node mappings EKS and its tools write (AWS-AUTH.md §6).
func nodeType(m awsauth.Mapping) (string, bool) {
	if !slices.Contains(m.Groups, "system:nodes") {
		return "", false
	}
	switch m.Username {
	case "system:node:{{EC2PrivateDNSName}}":
		if slices.Contains(m.Groups, "eks:kube-proxy-windows") {
			return eks.TypeEC2Windows, true
		}
		return eks.TypeEC2Linux, true
	case "system:node:{{SessionName}}":
		if slices.Contains(m.Groups, "system:node-proxier") {
			return eks.TypeFargateLinux, true
		}
		return eks.TypeHybridLinux, true
	}
	return "", false
}

// differences lists how an existing entry differs from the planned one.
func differences(cur, want *eks.AccessEntry) []string {
	var out []string
	if cur.Type != want.Type {
		out = append(out, fmt.Sprintf("type %s, planned %s", cur.Type, want.Type))
	}
	if want.Type == eks.TypeStandard && eks.Username(cur) != eks.Username(want) {
		out = append(out, fmt.Sprintf("username %q, planned %q", eks.Username(cur), eks.Username(want)))
	}
	// The groups as EKS gives them: a node entry reports system:nodes, which EKS sets
	// and the plan (which may not set groups on node types) implies.
	if cg, wg := eks.Groups(cur), eks.Groups(want); !sameSet(cg, wg) {
		out = append(out, fmt.Sprintf("groups [%s], planned [%s]", strings.Join(cg, " "), strings.Join(wg, " ")))
	}
	for _, wp := range want.AccessPolicies {
		if !slices.ContainsFunc(cur.AccessPolicies, func(cp eks.AssociatedPolicy) bool {
			return cp.PolicyARN == wp.PolicyARN && cp.Scope.Type == wp.Scope.Type
		}) {
			out = append(out, "no "+eks.PolicyName(wp.PolicyARN)+" with "+wp.Scope.Type+" scope")
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// Target is where the commands go.
type Target struct {
	// Cluster name; "" writes "$CLUSTER_NAME" for the user to set.
	Cluster string
	// Region, "" to leave it to the AWS configuration.
	Region string
}

// Commands renders the plan as aws CLI commands, one per line: the mode change when
// the cluster is in CONFIG_MAP mode (and a wait for the update to end), then
// create-access-entry and
// associate-access-policy for every entry to create. Nothing deletes aws-auth; the
// mode is never set to API.
func Commands(p *Plan, t Target) []string {
	cluster := `"$CLUSTER_NAME"`
	if t.Cluster != "" {
		cluster = quote(t.Cluster)
	}
	common := " --cluster-name " + cluster
	if t.Region != "" {
		common += " --region " + quote(t.Region)
	}
	var out []string
	if p.Mode == eks.ModeConfigMap {
		// The mode change is an update of the cluster, during which EKS also creates the
		// entries of the roles it manages (ActionManaged): wait for it to end.
		region := strings.TrimPrefix(common, " --cluster-name "+cluster)
		out = append(out, "aws eks update-cluster-config --name "+cluster+region+" --access-config authenticationMode="+eks.ModeAPIAndConfigMap,
			"aws eks wait cluster-active --name "+cluster+region)
	}
	entries := slices.Clone(p.Entries)
	slices.SortStableFunc(entries, func(a, b Entry) int { return cmp.Compare(a.PrincipalARN, b.PrincipalARN) })
	for _, e := range entries {
		if e.Action != ActionCreate {
			continue
		}
		c := "aws eks create-access-entry" + common + " --principal-arn " + quote(e.PrincipalARN) + " --type " + e.Type
		if e.Username != "" {
			c += " --username " + quote(e.Username)
		}
		if len(e.KubernetesGroups) > 0 {
			c += " --kubernetes-groups"
			for _, g := range e.KubernetesGroups {
				c += " " + quote(g)
			}
		}
		out = append(out, c)
		for _, ap := range e.AccessPolicies {
			scope := "type=" + ap.Scope.Type
			if ap.Scope.Type == eks.ScopeNamespace {
				scope += ",namespaces=" + strings.Join(ap.Scope.Namespaces, ",")
			}
			out = append(out, "aws eks associate-access-policy"+common+" --principal-arn "+quote(e.PrincipalARN)+" --policy-arn "+quote(ap.PolicyARN)+" --access-scope "+quote(scope))
		}
	}
	return out
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// quote makes s one shell word.
func quote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// templateStrings are the template tokens in s.
func templateStrings(s string) []string {
	var out []string
	for _, l := range iamarn.TemplateTokens(s) {
		out = append(out, s[l[0]:l[1]])
	}
	return out
}
