package awsauth

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"

	"gopkg.in/yaml.v3"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Severity of a finding, in the one vocabulary of every command's findings.
type Severity = v1alpha1.Severity

const (
	// Error (high): the authenticator drops or rejects it, it can never take effect as
	// written, it takes effect nondeterministically, or it removes access the
	// cluster needs. 'aws-auth validate' exits 1 on these.
	Error = v1alpha1.SeverityHigh
	// Warn (medium): it works but is risky, non-canonical or against best practice.
	Warn = v1alpha1.SeverityMedium
)

// Location says where a finding is: a data key, an entry of its list, a field, and
// the line and column within the data value's text (1-based; 0 when unknown).
type Location struct {
	Key    string `json:"key,omitempty"`
	Entry  int    `json:"entry"` // -1: the key (or the object) as a whole
	Field  string `json:"field,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

func (l Location) String() string {
	var b strings.Builder
	if l.Key == "" {
		// The object, or for a file that is not a manifest, the file: lines are the file's.
		b.WriteString("object")
		if l.Line > 0 {
			fmt.Fprintf(&b, " (file line %d", l.Line)
			if l.Column > 0 {
				fmt.Fprintf(&b, ", column %d", l.Column)
			}
			b.WriteString(")")
		}
		return b.String()
	}
	b.WriteString(l.Key)
	if l.Entry >= 0 {
		fmt.Fprintf(&b, "[%d]", l.Entry)
	}
	if l.Field != "" {
		b.WriteString("." + l.Field)
	}
	if l.Line > 0 {
		fmt.Fprintf(&b, " (line %d", l.Line)
		if l.Column > 0 {
			fmt.Fprintf(&b, ", column %d", l.Column)
		}
		b.WriteString(")")
	}
	return b.String()
}

// Finding is one validation result.
type Finding struct {
	// Rule is the rule id, AA01 to AA34 (the numbers of AWS-AUTH.md §10, and AA34), or
	// AA00 for a file that is not YAML or JSON.
	Rule     string   `json:"rule"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	Location Location `json:"location"`
	// ARN of the entry concerned, when there is one.
	ARN     string `json:"arn,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// Drops says what of the authenticator's view the finding costs: a whole key or
	// an entry ("" when it drops nothing).
	Drops Dropped `json:"-"`
}

// Identity of a finding that does not depend on positions, to compare findings
// before and after an edit.
func (f Finding) identity() string {
	msg := positionRefs.ReplaceAllString(f.Message, "")
	return f.Rule + "|" + f.Name + "|" + f.Location.Key + "|" + strings.ToLower(f.ARN) + "|" + f.Location.Field + "|" + msg
}

// positionRefs are the parts of a message that name positions ("mapRoles[5]",
// "line 3"), which an edit shifts.
var positionRefs = regexp.MustCompile(`\[\d+\]|line \d+(, column \d+)?`)

// Object is the ConfigMap as validation sees it. From a manifest file, the fields
// after Data say what a typed object loses.
type Object struct {
	APIVersion, Kind, Namespace, Name string
	Data                              map[string]string
	// From a manifest: data keys whose value is not a string, and keys given twice.
	NonStringData     []string
	DuplicateDataKeys []string
	// BinaryData are the sizes, in decoded bytes, of the values under binaryData, by
	// key. The authenticator never reads binaryData.
	BinaryData map[string]int
}

// DataSize is what the API server counts against a ConfigMap's size limit: the bytes
// of every data value plus every (decoded) binaryData value. Keys, metadata and the
// JSON encoding do not count.
func (o *Object) DataSize() int {
	n := 0
	for _, v := range o.Data {
		n += len(v)
	}
	for _, b := range o.BinaryData {
		n += b
	}
	return n
}

// Options carry context validation cannot find in the ConfigMap.
type Options struct {
	// ClusterAccount and ClusterPartition, when known; otherwise inferred from the
	// node role mappings.
	ClusterAccount   string
	ClusterPartition string
}

// Groups and users with a meaning on EKS.
const (
	GroupMasters       = rbac.SuperuserGroup
	GroupNodes         = "system:nodes"
	GroupBootstrappers = "system:bootstrappers"
	GroupNodeProxier   = "system:node-proxier"
	GroupKubeProxyWin  = "eks:kube-proxy-windows"
)

var (
	dataKeyChars  = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	yamlLineError = regexp.MustCompile(`line (\d+)(?:, column (\d+))?`)
	unquotedTmpl  = regexp.MustCompile(`^\s*(?:-\s+)?[A-Za-z_]+\s*:\s+\{\{`)
)

// MaxDataSize is the API server's limit on a ConfigMap's data and binaryData
// together (ValidateConfigMap: core.MaxSecretSize, 1 MiB).
const MaxDataSize = 1 << 20

// nearDataSize is where AA05 starts to warn: 90% of the limit, room for a few dozen
// more mappings.
const nearDataSize = MaxDataSize * 9 / 10

type validator struct {
	obj      *Object
	opts     Options
	parsed   *Parsed
	located  map[string]*Located
	findings []Finding
}

// drops marks the last finding with what the authenticator drops for it.
func (v *validator) drops(d Dropped) {
	if d != DroppedNothing {
		v.findings[len(v.findings)-1].Drops = d
	}
}

// DroppedFindings are the findings whose key or entry the authenticator drops: the
// one list of them, for every command that reports them (derived from the parse, as
// the authenticator decides).
func DroppedFindings(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Drops != "" {
			out = append(out, f)
		}
	}
	return out
}

func (v *validator) add(rule, name string, sev Severity, loc Location, arn, msg, hint string) {
	v.findings = append(v.findings, Finding{Rule: rule, Name: name, Severity: sev, Location: loc, ARN: arn, Message: msg, Hint: hint})
}

// Validate applies every rule of AWS-AUTH.md §10 that the ConfigMap alone can decide
// (rule 22 needs the cluster's access entries and rule 30 an edit; see Guard).
// Findings are sorted by key, entry, line and rule.
func Validate(obj *Object, opts Options) []Finding {
	v := &validator{obj: obj, opts: opts, parsed: Parse(obj.Data), located: map[string]*Located{}}
	v.object()
	for _, key := range []string{KeyRoles, KeyUsers} {
		if text, ok := obj.Data[key]; ok && !isSkippable(text) {
			v.located[key] = Locate(key, text)
		}
	}
	v.keys()
	v.entries(KeyRoles)
	v.entries(KeyUsers)
	v.duplicates()
	v.accounts()
	slices.SortStableFunc(v.findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(keyOrder(a.Location.Key), keyOrder(b.Location.Key)), cmp.Compare(a.Location.Key, b.Location.Key),
			cmp.Compare(a.Location.Entry, b.Location.Entry), cmp.Compare(a.Location.Line, b.Location.Line), cmp.Compare(a.Rule, b.Rule))
	})
	return v.findings
}

func keyOrder(k string) int {
	switch k {
	case "":
		return 0
	case KeyRoles:
		return 1
	case KeyUsers:
		return 2
	case KeyAccounts:
		return 3
	}
	return 4
}

var objectLoc = Location{Entry: -1}

func keyLoc(key string) Location { return Location{Key: key, Entry: -1} }

// Rules 1, 2, 4, 5: the object.
func (v *validator) object() {
	o := v.obj
	if o.Kind != "" && o.Kind != "ConfigMap" {
		v.add("AA01", "wrong-object", Error, objectLoc, "", fmt.Sprintf("the object is a %s, not a ConfigMap: the authenticator reads only ConfigMap kube-system/aws-auth", o.Kind), "")
	}
	if o.Name != Name || o.Namespace != Namespace {
		v.add("AA01", "wrong-object", Error, objectLoc, "",
			fmt.Sprintf("the object is %s/%s: the authenticator reads only kube-system/aws-auth, so this one has no effect", orNone(o.Namespace), orNone(o.Name)),
			"set metadata.name: aws-auth and metadata.namespace: kube-system")
	}
	for _, k := range o.NonStringData {
		v.add("AA02", "data-not-string", Error, keyLoc(k), "", fmt.Sprintf("data.%s is not a string: the API server rejects the object", k),
			"write the value as a block string: "+k+": |")
	}
	for _, k := range o.DuplicateDataKeys {
		v.add("AA04", "duplicate-data-key", Error, keyLoc(k), "", fmt.Sprintf("data.%s is given more than once: strict validation rejects it and lenient clients keep the last", k),
			"merge the entries under one "+k+" key")
	}
	switch size := o.DataSize(); {
	case size > MaxDataSize:
		v.add("AA05", "data-too-large", Error, objectLoc, "", fmt.Sprintf("data and binaryData hold %d bytes, over the API server's ConfigMap limit of %d: it rejects the object", size, MaxDataSize),
			"move people to EKS access entries, or map groups of roles by one role each")
	case size > nearDataSize:
		v.add("AA05", "data-near-limit", Warn, objectLoc, "", fmt.Sprintf("data and binaryData hold %d bytes, %d%% of the API server's ConfigMap limit of %d", size, size*100/MaxDataSize, MaxDataSize),
			"plan for the limit: move people to EKS access entries")
	}
	for _, k := range slices.Sorted(maps.Keys(o.BinaryData)) {
		if slices.Contains([]string{KeyRoles, KeyUsers, KeyAccounts}, k) {
			v.add("AA34", "mapping-in-binarydata", Error, Location{Key: "binaryData." + k, Entry: -1}, "",
				fmt.Sprintf("binaryData.%s is never read: the authenticator reads only data, so every mapping there is dropped", k),
				"move it under data: as a string ("+k+": |)")
			v.drops(DroppedKey)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// Rules 3, 5, 6, 7, 8: data keys and whole values.
func (v *validator) keys() {
	keys := make([]string, 0, len(v.obj.Data))
	for k := range v.obj.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		text := v.obj.Data[k]
		switch k {
		case KeyRoles, KeyUsers, KeyAccounts:
			if isSkippable(text) {
				v.add("AA08", "empty-key", Warn, keyLoc(k), "", fmt.Sprintf("%s is present but empty: it maps nothing", k), "remove the key or add entries")
			}
			continue
		}
		if !dataKeyChars.MatchString(k) {
			v.add("AA05", "invalid-data-key", Error, keyLoc(k), "", fmt.Sprintf("data key %q is not a valid ConfigMap key ([-._a-zA-Z0-9]+)", k), "")
		}
		if near := nearMiss(k); near != "" {
			v.add("AA03", "misspelled-data-key", Error, keyLoc(k), "", fmt.Sprintf("data key %q is not read: the authenticator only reads %s, case-sensitively", k, near), "rename it to "+near)
		} else {
			v.add("AA03", "unknown-data-key", Warn, keyLoc(k), "", fmt.Sprintf("data key %q is not read by the authenticator", k), "")
		}
	}
	for _, e := range v.parsed.Errors {
		if e.Entry >= 0 || e.Key == KeyAccounts {
			continue
		}
		loc := keyLoc(e.Key)
		if m := yamlLineError.FindStringSubmatch(e.Message); m != nil {
			loc.Line, _ = strconv.Atoi(m[1])
			if m[2] != "" {
				loc.Column, _ = strconv.Atoi(m[2])
			}
		}
		switch {
		case strings.Contains(e.Message, "cannot unmarshal") && e.Dropped == DroppedKey && !strings.Contains(e.Message, "."):
			v.add("AA07", "not-a-list", Error, loc, "", fmt.Sprintf("%s is not a list: the authenticator drops every entry (%s)", e.Key, e.Message), "write it as a YAML list: one \"- rolearn: ...\" item per mapping")
			v.drops(e.Dropped)
		case e.Dropped == DroppedKey && strings.Contains(e.Message, "cannot unmarshal"):
			v.add("AA07", "not-a-list", Error, loc, "", fmt.Sprintf("%s is not a list of entries: the authenticator drops every entry (%s)", e.Key, e.Message), "")
			v.drops(e.Dropped)
		case e.Dropped == DroppedKey:
			v.add("AA06", "unparseable", Error, loc, "", fmt.Sprintf("%s is not valid YAML, so the authenticator drops every entry of it: %s", e.Key, e.Message), v.syntaxHint(e.Key))
			v.drops(e.Dropped)
		}
	}
}

// syntaxHint names the common causes of a YAML error in a data value.
func (v *validator) syntaxHint(key string) string {
	text := v.obj.Data[key]
	var hints []string
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		switch {
		case strings.Contains(line, "\t"):
			hints = append(hints, fmt.Sprintf("line %d has a tab: indent with spaces", i+1))
		case unquotedTmpl.MatchString(line):
			hints = append(hints, fmt.Sprintf("line %d: a value that starts with {{ must be quoted (\"{{SessionName}}\")", i+1))
		}
		if strings.TrimSpace(line) == "groups:" && i+1 < len(lines) {
			next := lines[i+1]
			dash := strings.Index(lines[i], strings.TrimSpace(lines[i]))
			if ind := indentOf(next); ind >= 0 && ind < dash && strings.HasPrefix(strings.TrimSpace(next), "-") {
				hints = append(hints, fmt.Sprintf("line %d: the groups items must be indented under groups:", i+2))
			}
		}
	}
	return strings.Join(hints, "; ")
}

// nearMiss returns the known key k differs from only by case or a small edit.
func nearMiss(k string) string {
	for _, known := range []string{KeyRoles, KeyUsers, KeyAccounts} {
		if strings.EqualFold(k, known) || editDistance(strings.ToLower(k), strings.ToLower(known)) <= 2 {
			return known
		}
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// entry is what the rules look at for one list entry: the authenticator's decoding
// (nil when it dropped the entry or the key) and the located view.
type entry struct {
	key      string
	index    int
	item     *Item
	arnField string
	arn      string
	username string
	groups   []string
	kept     bool
}

func (v *validator) entryList(key string) []entry {
	l := v.located[key]
	var out []entry
	kept := map[int]bool{}
	switch key {
	case KeyRoles:
		for i, idx := range v.parsed.RoleIndex {
			kept[idx] = true
			r := v.parsed.Roles[i]
			out = append(out, entry{key: key, index: idx, arnField: "rolearn", arn: r.RoleARN, username: r.Username, groups: r.Groups, kept: true})
		}
	case KeyUsers:
		for i, idx := range v.parsed.UserIndex {
			kept[idx] = true
			u := v.parsed.Users[i]
			out = append(out, entry{key: key, index: idx, arnField: "userarn", arn: u.UserARN, username: u.Username, groups: u.Groups, kept: true})
		}
	}
	if l != nil {
		for i := range l.Items {
			it := &l.Items[i]
			if !kept[it.Index] {
				e := entry{key: key, index: it.Index}
				if key == KeyRoles {
					e.arnField = "rolearn"
				} else {
					e.arnField = "userarn"
				}
				if f := it.Get(e.arnField); f != nil && f.Value.Kind == yaml.ScalarNode {
					e.arn = f.Value.Value
				}
				out = append(out, e)
			}
		}
		for i := range out {
			if out[i].index < len(l.Items) {
				out[i].item = &l.Items[out[i].index]
			}
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return cmp.Compare(a.index, b.index) })
	return out
}

func (v *validator) loc(e *entry, field string) Location {
	loc := Location{Key: e.key, Entry: e.index, Field: field}
	if e.item != nil {
		n := e.item.Node
		if field != "" {
			if f := e.item.Get(field); f != nil {
				n = f.Key
			}
		}
		loc.Line, loc.Column = n.Line, n.Column
	}
	return loc
}

// Rules 9-18, 23-29, 31: each entry.
func (v *validator) entries(key string) {
	if v.parsed == nil {
		return
	}
	entries := v.entryList(key)
	// Rule 9, 11: entries the authenticator dropped.
	for _, e := range v.parsed.Errors {
		if e.Key != key || e.Entry < 0 {
			continue
		}
		var ent *entry
		for i := range entries {
			if entries[i].index == e.Entry {
				ent = &entries[i]
			}
		}
		if ent == nil {
			ent = &entry{key: key, index: e.Entry}
		}
		rule, name, hint := "AA09", "missing-arn", ""
		switch {
		case strings.Contains(e.Message, "AccountID") || strings.Contains(e.Message, "PermissionSetName") || strings.Contains(e.Message, "partition"):
			rule, name = "AA11", "invalid-sso"
		case key == KeyRoles && ent.item != nil && ent.item.Get("userarn") != nil:
			hint = "userarn belongs in mapUsers; a mapRoles entry needs rolearn"
		case key == KeyUsers && ent.item != nil && ent.item.Get("rolearn") != nil:
			hint = "rolearn belongs in mapRoles; a mapUsers entry needs userarn"
		}
		v.add(rule, name, Error, v.loc(ent, ""), ent.arn, fmt.Sprintf("the authenticator drops this entry: %s", e.Message), hint)
		v.drops(e.Dropped)
	}
	// Rule 10: type errors (the authenticator keeps the entry with the field empty).
	for _, e := range v.parsed.Errors {
		if e.Key == key && e.Entry < 0 && e.Dropped == DroppedNothing {
			v.typeErrors(key, entries, e.Message)
		}
	}
	for i := range entries {
		e := &entries[i]
		v.entryFields(e)
		if !e.kept {
			continue
		}
		v.entryARN(e)
		v.entryIdentity(e)
	}
}

// typeErrors finds every field with the wrong type. encoding/json reports only the
// first, so each field of each entry is decoded on its own, through the same
// YAML 1.1 reading (an unquoted yes is a boolean, 0123 a number) the authenticator uses.
func (v *validator) typeErrors(key string, entries []entry, message string) {
	found := false
	for i := range entries {
		e := &entries[i]
		if e.item == nil {
			continue
		}
		for _, f := range e.item.Fields {
			want, ok := fieldTypeError(f)
			if ok {
				continue
			}
			found = true
			v.add("AA10", "wrong-type", Error, v.loc(e, f.Name), e.arn,
				fmt.Sprintf("%s is not %s: the authenticator reports an error but keeps the entry with %s empty", f.Name, want, f.Name),
				typeHint(f))
		}
	}
	if !found {
		v.add("AA10", "wrong-type", Error, keyLoc(key), "", "a field has the wrong type: "+message, "")
	}
}

// fieldTypeError decodes one field as the authenticator would. ok is false, with
// the type wanted, when the value does not fit.
func fieldTypeError(f Field) (want string, ok bool) {
	var target any
	switch strings.ToLower(f.Name) {
	case "groups":
		want, target = "a list of strings", new([]string)
	case "username", "rolearn", "userarn", "userid":
		want, target = "a string", new(string)
	case "sso":
		want, target = "an sso block (permissionSetName, accountID, partition)", new(SSO)
	default:
		return "", true
	}
	raw, err := yaml.Marshal(f.Value)
	if err != nil {
		return "", true // aliases and the like: leave it to the parser's own error
	}
	js, err := utilyaml.ToJSON(raw)
	if err != nil {
		return "", true
	}
	if err := json.Unmarshal(js, target); err != nil {
		return want, false
	}
	return "", true
}

func typeHint(f Field) string {
	if strings.EqualFold(f.Name, "groups") && f.Value.Kind == yaml.ScalarNode {
		return fmt.Sprintf("write groups as a list: groups: [%s]", f.Value.Value)
	}
	return ""
}

// Rules 13 and 14: field names and duplicate fields.
func (v *validator) entryFields(e *entry) {
	if e.item == nil {
		return
	}
	known := []string{"rolearn", "username", "groups", "userid", "sso"}
	if e.key == KeyUsers {
		known = []string{"userarn", "username", "groups", "userid"}
	}
	seen := map[string]*Field{}
	for i := range e.item.Fields {
		f := &e.item.Fields[i]
		lower := strings.ToLower(f.Name)
		switch {
		case !slices.Contains(known, lower):
			hint := ""
			if s := closest(lower, known); s != "" {
				hint = "did you mean " + s + "?"
			}
			v.add("AA13", "unknown-field", Warn, v.loc(e, f.Name), e.arn, fmt.Sprintf("field %q is ignored by the authenticator", f.Name), hint)
		case f.Name != lower:
			v.add("AA13", "non-canonical-field", Warn, v.loc(e, f.Name), e.arn,
				fmt.Sprintf("field %q works here (field names are case-insensitive) but tools that use yaml.v2 read it as missing", f.Name), "write it as "+lower)
		}
		if prev, ok := seen[lower]; ok {
			same := nodeText(prev.Value) == nodeText(f.Value)
			sev, what := Error, "with a different value: the last one wins silently"
			if same {
				sev, what = Warn, "with the same value"
			}
			v.add("AA14", "duplicate-field", sev, v.loc(e, f.Name), e.arn, fmt.Sprintf("field %q is given twice in this entry %s", f.Name, what), "keep one")
		}
		seen[lower] = f
	}
}

func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	switch s {
	case "arn", "role_arn", "rolearns", "role":
		return "rolearn"
	case "user", "user_arn":
		return "userarn"
	case "group":
		return "groups"
	}
	return best
}

func nodeText(n *yaml.Node) string {
	out, err := yaml.Marshal(n)
	if err != nil {
		return n.Value
	}
	return string(out)
}

// Rules 15-18: the ARN.
func (v *validator) entryARN(e *entry) {
	if e.arn == "" {
		return // an SSO entry
	}
	loc := v.loc(e, e.arnField)
	a := iamarn.Parse(e.arn)
	switch {
	case a.Kind == iamarn.AssumedRole || a.Kind == iamarn.FederatedUser || a.Kind == iamarn.InstanceProfile:
		hint := ""
		if a.Kind == iamarn.AssumedRole {
			if role, err := iamarn.CanonicalCaller(e.arn); err == nil {
				hint = "map the role instead: " + role
			}
		} else if a.Kind == iamarn.InstanceProfile {
			hint = "map the instance profile's role (arn:" + a.Partition + ":iam::" + a.Account + ":role/<name>)"
		}
		v.add("AA16", "session-arn", Error, loc, e.arn, fmt.Sprintf("%s is an %s ARN: the authenticator compares canonical role and user ARNs, so it never matches", e.arn, a.Kind), hint)
		return
	case a.Malformed != "":
		v.add("AA15", "malformed-arn", Error, loc, e.arn, fmt.Sprintf("%q %s: the authenticator stores it, but no IAM principal has this ARN", e.arn, a.Malformed), "")
		return
	}
	if a.Kind == iamarn.Role && a.Path != "" {
		hint := "map " + a.PathStripped()
		if strings.HasPrefix(a.Name, "AWSReservedSSO_") {
			hint = "IAM Identity Center roles are mapped without their path: " + a.PathStripped()
		}
		v.add("AA17", "role-path", Error, loc, e.arn, fmt.Sprintf("role ARN %s has the path %s: a session's canonical ARN has no path, so it never matches", e.arn, a.Path), hint)
	}
	if e.key == KeyUsers && a.Kind == iamarn.Role {
		v.add("AA18", "role-in-mapusers", Warn, loc, e.arn, "a role ARN in mapUsers works (the lists are not type-checked) but belongs in mapRoles", "move it to mapRoles")
	}
	if e.key == KeyRoles && (a.Kind == iamarn.User || a.Kind == iamarn.Root) {
		v.add("AA18", "user-in-maproles", Warn, loc, e.arn, fmt.Sprintf("a %s ARN in mapRoles works (the lists are not type-checked) but belongs in mapUsers", a.Kind), "move it to mapUsers")
	}
	account, partition := v.clusterAccount()
	if account != "" && a.Account != account {
		v.add("AA19", "cross-account", Warn, loc, e.arn, fmt.Sprintf("the ARN is in account %s, the cluster's node roles in %s: legal, but check it is meant", a.Account, account), "")
	} else if partition != "" && a.Partition != partition {
		v.add("AA19", "cross-partition", Warn, loc, e.arn, fmt.Sprintf("the ARN is in partition %s, the cluster's node roles in %s", a.Partition, partition), "")
	}
}

// clusterAccount is the account and partition given in Options, or else those of
// the node role mappings when they all agree.
func (v *validator) clusterAccount() (string, string) {
	if v.opts.ClusterAccount != "" {
		return v.opts.ClusterAccount, v.opts.ClusterPartition
	}
	account, partition := "", ""
	for _, r := range v.parsed.Roles {
		if !slices.Contains(r.Groups, GroupNodes) {
			continue
		}
		a := iamarn.Parse(r.RoleARN)
		if a.Malformed != "" {
			continue
		}
		if account != "" && (a.Account != account || a.Partition != partition) {
			return "", ""
		}
		account, partition = a.Account, a.Partition
	}
	return account, partition
}

// Rules 23-29, 31: username and groups.
func (v *validator) entryIdentity(e *entry) {
	uloc := v.loc(e, "username")
	gloc := v.loc(e, "groups")
	isNode := slices.Contains(e.groups, GroupNodes)
	isFargate := isNode && slices.Contains(e.groups, GroupNodeProxier)
	isHybrid := isNode && strings.Contains(strings.ToLower(iamarn.Parse(e.arn).Name), "hybrid")

	for i, s := range append([]string{e.username}, e.groups...) {
		loc := uloc
		if i > 0 {
			loc = gloc
		}
		for _, t := range tokenStrings(s) {
			if !slices.Contains(iamarn.KnownTokens(), t) {
				v.add("AA23", "unknown-template", Warn, loc, e.arn, fmt.Sprintf("%s is not a template the authenticator knows: it is passed through literally", t),
					"the templates are "+strings.Join(iamarn.KnownTokens(), ", ")+" (exact spelling, no spaces)")
			}
		}
		if strings.Count(s, "{{") != strings.Count(s, "}}") {
			v.add("AA23", "malformed-template", Warn, loc, e.arn, fmt.Sprintf("%q has unbalanced template braces", s), "")
		}
	}
	if strings.Contains(e.username, "{{EC2PrivateDNSName}}") && (!isNode || isFargate || isHybrid) {
		v.add("AA24", "ec2-dns-template-not-node", Error, uloc, e.arn,
			"{{EC2PrivateDNSName}} needs a session named after an EC2 instance ID; this is not an EC2 node role, so every login with it fails",
			"use {{SessionName}} for Fargate and hybrid nodes, or a fixed name with {{SessionName}} for people")
	}
	switch {
	case e.username == "":
		v.add("AA25", "empty-username", Warn, uloc, e.arn, "username is missing or empty: the principal authenticates as the user \"\"", "set a username, such as admin:{{SessionName}}")
	case strings.TrimSpace(e.username) != e.username:
		v.add("AA26", "username-whitespace", Warn, uloc, e.arn, fmt.Sprintf("username %q has leading or trailing white space", e.username), "")
	}
	if e.username == "" && len(e.groups) == 0 {
		v.add("AA25", "no-identity", Warn, gloc, e.arn, "no username and no groups: RBAC cannot grant this principal anything but what system:authenticated has", "")
	}
	for _, s := range append([]string{e.username}, e.groups...) {
		if r, ok := iamarn.OddRune(s); ok {
			v.add("AA26", "odd-character", Warn, uloc, e.arn, fmt.Sprintf("%q contains %U, invisible or easily confused with another character", s, r), "")
		}
	}
	for _, g := range e.groups {
		if strings.TrimSpace(g) != g || strings.Contains(strings.TrimSpace(g), " ") {
			v.add("AA26", "group-whitespace", Warn, gloc, e.arn, fmt.Sprintf("group %q contains white space (two groups run together?)", g), "")
		}
	}
	if !isNode && (e.username == "{{SessionName}}" || e.username == "{{SessionNameRaw}}") {
		v.add("AA27", "caller-chosen-username", Warn, uloc, e.arn,
			"the username is the session name alone, which whoever assumes the role chooses: RBAC User bindings cannot tell these callers apart",
			"prefix it with a fixed name, such as "+iamarn.Parse(e.arn).Name+":{{SessionName}}")
	}
	if strings.HasPrefix(e.username, "system:") && !(strings.HasPrefix(e.username, "system:node:{{") && strings.HasSuffix(e.username, "}}")) {
		v.add("AA28", "system-username", Warn, uloc, e.arn, fmt.Sprintf("username %q uses the reserved system: prefix", e.username), "")
	}
	seen := map[string]bool{}
	for _, g := range e.groups {
		if (strings.HasPrefix(g, "system:") || strings.HasPrefix(g, "eks:")) &&
			!slices.Contains([]string{GroupMasters, GroupNodes, GroupBootstrappers, GroupNodeProxier, GroupKubeProxyWin}, g) {
			v.add("AA28", "reserved-group", Warn, gloc, e.arn, fmt.Sprintf("group %q uses a reserved prefix (system: or eks:)", g), "")
		}
		if g == GroupMasters {
			v.add("AA29", "system-masters", Warn, gloc, e.arn, "mapped to system:masters, which bypasses RBAC and cannot be restricted or revoked with RBAC",
				"prefer an access entry with AmazonEKSClusterAdminPolicy, or a group bound to cluster-admin")
		}
		if seen[g] {
			v.add("AA29", "repeated-group", Warn, gloc, e.arn, fmt.Sprintf("group %q is listed twice", g), "")
		}
		seen[g] = true
	}
	if isNode || slices.Contains(e.groups, GroupBootstrappers) || strings.HasPrefix(e.username, "system:node:") {
		v.nodeEntry(e, isFargate, isHybrid)
	}
}

// Rule 31: node, Fargate and hybrid entries.
func (v *validator) nodeEntry(e *entry, fargate, hybrid bool) {
	loc := v.loc(e, "groups")
	var missing []string
	for _, g := range []string{GroupBootstrappers, GroupNodes} {
		if !slices.Contains(e.groups, g) {
			missing = append(missing, g)
		}
	}
	if len(missing) > 0 {
		v.add("AA31", "node-groups", Error, loc, e.arn, "a node mapping needs both system:bootstrappers and system:nodes; missing "+strings.Join(missing, ", "), "")
	}
	want := "system:node:{{EC2PrivateDNSName}}"
	if fargate || hybrid {
		want = "system:node:{{SessionName}}"
	}
	if e.username != want {
		v.add("AA31", "node-username", Error, v.loc(e, "username"), e.arn, fmt.Sprintf("a node mapping's username must be %s, not %q", want, e.username), "")
	}
}

// Rules 12, 20, 21: SSO entries and duplicates, over the authenticator's store.
func (v *validator) duplicates() {
	p := v.parsed
	byKey := map[string][]int{}
	for i, r := range p.Roles {
		if r.SSO != nil {
			e := &entry{key: KeyRoles, index: p.RoleIndex[i]}
			e.item = v.itemAt(KeyRoles, e.index)
			if r.SSO.Partition != "" {
				v.add("AA12", "sso-partition", Error, v.loc(e, "sso"), "", "sso.partition is set: the authenticator then builds the pattern arn::iam::..., which never matches (a bug in the library)", "remove sso.partition")
			}
			v.add("AA12", "sso-entry", Warn, v.loc(e, "sso"), "", "an sso entry works only if the authenticator's alpha SSORoleMatch gate is on, and EKS does not document that it is", "map the role ARN (without path) instead")
		}
		byKey[r.Key()] = append(byKey[r.Key()], i)
	}
	for _, idxs := range sortedGroups(byKey) {
		if len(idxs) < 2 {
			continue
		}
		last := p.Roles[idxs[len(idxs)-1]]
		for _, i := range idxs[:len(idxs)-1] {
			r := p.Roles[i]
			sev, what := Warn, "the same mapping"
			if r.Username != last.Username || !slices.Equal(sortedSet(r.Groups), sortedSet(last.Groups)) {
				sev, what = Error, "a different username or groups"
			}
			e := &entry{key: KeyRoles, index: p.RoleIndex[i], arn: r.RoleARN}
			e.item = v.itemAt(KeyRoles, e.index)
			v.add("AA21", "duplicate-role", sev, v.loc(e, "rolearn"), r.RoleARN,
				fmt.Sprintf("this role is mapped again at mapRoles[%d] with %s: the last entry wins, this one is dead", p.RoleIndex[idxs[len(idxs)-1]], what), "remove the dead entry")
		}
	}
	// Grouped as the authenticator compares them: strings.EqualFold.
	byLower := map[string][]int{}
	for i, u := range p.Users {
		byLower[iamarn.FoldKey(u.UserARN)] = append(byLower[iamarn.FoldKey(u.UserARN)], i)
	}
	for _, idxs := range sortedGroups(byLower) {
		if len(idxs) < 2 {
			continue
		}
		for n, i := range idxs {
			u := p.Users[i]
			e := &entry{key: KeyUsers, index: p.UserIndex[i], arn: u.UserARN}
			e.item = v.itemAt(KeyUsers, e.index)
			exactLater := false
			caseVariant := false
			for _, j := range idxs[n+1:] {
				if p.Users[j].UserARN == u.UserARN {
					exactLater = true
				} else {
					caseVariant = true
				}
			}
			if caseVariant {
				v.add("AA20", "case-variant-users", Error, v.loc(e, "userarn"), u.UserARN,
					"another mapUsers entry has this ARN in different case: the authenticator stores both and picks one at random on each request", "keep one entry, spelled as IAM spells the ARN")
			} else if exactLater {
				v.add("AA21", "duplicate-user", Warn, v.loc(e, "userarn"), u.UserARN, "this user is mapped again later: the last entry wins, this one is dead", "remove the dead entry")
			}
		}
	}
	for _, u := range p.Users {
		for i, r := range p.Roles {
			if r.RoleARN != "" && strings.EqualFold(r.RoleARN, u.UserARN) {
				e := &entry{key: KeyRoles, index: p.RoleIndex[i], arn: r.RoleARN}
				e.item = v.itemAt(KeyRoles, e.index)
				v.add("AA21", "in-both-lists", Warn, v.loc(e, "rolearn"), r.RoleARN, "this ARN is in both mapRoles and mapUsers: mapRoles wins, the mapUsers entry is dead", "")
				break
			}
		}
	}
}

func sortedGroups(m map[string][]int) [][]int {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][]int, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

func (v *validator) itemAt(key string, index int) *Item {
	if l := v.located[key]; l != nil && index < len(l.Items) {
		return &l.Items[index]
	}
	return nil
}

// Rules 7, 32, 33: mapAccounts.
func (v *validator) accounts() {
	text, ok := v.obj.Data[KeyAccounts]
	if !ok || isSkippable(text) {
		return
	}
	for _, e := range v.parsed.Errors {
		if e.Key == KeyAccounts {
			loc := keyLoc(KeyAccounts)
			if m := yamlLineError.FindStringSubmatch(e.Message); m != nil {
				loc.Line, _ = strconv.Atoi(m[1])
			}
			what := "every account is dropped"
			if e.Dropped == DroppedNothing {
				what = "the items that are not plain values are dropped"
			}
			v.add("AA07", "accounts-not-a-list", Error, loc, "", fmt.Sprintf("mapAccounts is not a list of account IDs (%s): %s", e.Message, what), "write it as a list: - \"111122223333\"")
			v.drops(e.Dropped)
		}
	}
	l := Locate(KeyAccounts, text)
	seen := map[string]bool{}
	for i, acct := range v.parsed.Accounts {
		loc := Location{Key: KeyAccounts, Entry: i}
		quoted := false
		if l.Root != nil && l.Root.Kind == yaml.SequenceNode && i < len(l.Root.Content) {
			n := l.Root.Content[i]
			loc.Line, loc.Column = n.Line, n.Column
			quoted = n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
		}
		if !iamarn.IsAccountID(acct) {
			v.add("AA32", "invalid-account", Error, loc, "", fmt.Sprintf("account %q is not exactly 12 digits: it is accepted but never matches", acct), "")
		} else if !quoted {
			v.add("AA32", "unquoted-account", Warn, loc, "", fmt.Sprintf("account %s is not quoted: the authenticator keeps its leading zeros, but YAML 1.2 and JSON tools read a number", acct), fmt.Sprintf("write it as \"%s\"", acct))
		}
		if seen[acct] {
			v.add("AA32", "duplicate-account", Warn, loc, "", fmt.Sprintf("account %s is listed twice", acct), "")
		}
		seen[acct] = true
		v.add("AA33", "account-mapping", Warn, loc, "", fmt.Sprintf("every principal of account %s becomes an authenticated user named by its ARN", acct), "map the roles and users that need access instead")
	}
}

// Errors returns the findings of severity Error.
func Errors(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == Error {
			out = append(out, f)
		}
	}
	return out
}

// NewErrors returns the Error findings of after that before does not have, compared
// without positions (which an edit shifts).
func NewErrors(before, after []Finding) []Finding {
	had := map[string]int{}
	for _, f := range Errors(before) {
		had[f.identity()]++
	}
	var out []Finding
	for _, f := range Errors(after) {
		if had[f.identity()] > 0 {
			had[f.identity()]--
			continue
		}
		out = append(out, f)
	}
	return out
}

// tokenStrings are the template tokens in s.
func tokenStrings(s string) []string {
	var out []string
	for _, l := range iamarn.TemplateTokens(s) {
		out = append(out, s[l[0]:l[1]])
	}
	return out
}
