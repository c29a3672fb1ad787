package awsauth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

// Edit operations.
const (
	OpAdd    = "add"
	OpRemove = "remove"
	OpSet    = "set"
)

// Edit is one change to the mappings.
type Edit struct {
	Op string
	// Kind is role or user for add and set; remove matches the ARN in both lists
	// (and, for a 12-digit account ID, in mapAccounts); account adds to mapAccounts.
	Kind     string
	ARN      string
	Username string
	Groups   []string
	SSO      *SSO
}

// ErrExists says an add would duplicate a mapping.
var ErrExists = errors.New("already mapped")

// ErrNotMapped says a remove or set found nothing to change.
var ErrNotMapped = errors.New("not mapped")

// EditResult is the new data and what the edit had to do beyond the entries it touched.
type EditResult struct {
	Data map[string]string
	// Notes, for example a key in flow style that had to be rewritten whole.
	Notes []string
}

// ApplyEdits returns data with edits applied. Only the lines of the entries that
// change are touched: every other byte of every data value (comments, order,
// quoting, unknown fields and keys, mapAccounts) stays as it is. A key written in
// flow style ([...] or JSON) is rewritten whole, in block style, and a note says so.
// The result is parsed again and must map exactly what the edits intend.
func ApplyEdits(data map[string]string, edits []Edit) (*EditResult, error) {
	out := make(map[string]string, len(data))
	for k, v := range data {
		out[k] = v
	}
	res := &EditResult{Data: out}
	for _, e := range edits {
		if err := applyEdit(res, e); err != nil {
			return nil, err
		}
	}
	if err := verify(data, res.Data, edits); err != nil {
		return nil, fmt.Errorf("internal check failed, nothing was changed: %w", err)
	}
	return res, nil
}

// CheckIdentity refuses a username or group that cannot be one value: a control
// character (a newline, a tab...) or an invisible format character would be written
// as part of the value, which no caller can then match, or, through a shell or a CSV
// flag, silently cut it. what names the value ("--group", "username").
func CheckIdentity(what, v string) error {
	for i, r := range v {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%s %q has the character %U at byte %d (a control or invisible character): a username or group is one line of visible text", what, v, r, i)
		}
	}
	return nil
}

func applyEdit(res *EditResult, e Edit) error {
	if e.Op == OpAdd || e.Op == OpSet {
		if err := CheckIdentity("username", e.Username); err != nil {
			return err
		}
		for _, g := range e.Groups {
			if err := CheckIdentity("group", g); err != nil {
				return err
			}
		}
	}
	switch e.Op {
	case OpAdd:
		if e.Kind == KindAccount {
			return addAccount(res, e.ARN)
		}
		key := KeyRoles
		if e.Kind == KindUser {
			key = KeyUsers
		}
		s := NewStore(Parse(res.Data))
		for _, m := range s.Active() {
			if m.Kind == e.Kind && (strings.EqualFold(m.ARN, e.ARN) || (e.SSO != nil && m.SSO != nil && *m.SSO == *e.SSO)) {
				return fmt.Errorf("%s %s is %w (%s[%d])", e.Kind, e.ARN, ErrExists, m.Key, m.Index)
			}
			if e.Kind == KindUser && m.Kind == KindRole && m.SSO == nil && strings.EqualFold(m.ARN, e.ARN) {
				return fmt.Errorf("%s is %w in mapRoles (%s[%d]), which wins over mapUsers: a mapUsers entry would take no effect", e.ARN, ErrExists, m.Key, m.Index)
			}
		}
		return editKey(res, key, func(k *keyEditor) error { return k.append(e) })
	case OpRemove:
		found := false
		for _, key := range []string{KeyRoles, KeyUsers} {
			if keyDropped(res.Data, key) {
				res.Notes = append(res.Notes, fmt.Sprintf("%s does not parse, so the authenticator reads none of it: it was not searched", key))
				continue
			}
			err := editKey(res, key, func(k *keyEditor) error {
				n := k.removeMatching(e.ARN)
				found = found || n > 0
				return nil
			})
			if err != nil {
				return err
			}
		}
		if iamarn.IsAccountID(e.ARN) {
			n, err := removeAccount(res, e.ARN)
			if err != nil {
				return err
			}
			found = found || n > 0
		}
		if !found {
			if len(res.Notes) > 0 {
				return fmt.Errorf("%s is %w (%s)", e.ARN, ErrNotMapped, strings.Join(res.Notes, "; "))
			}
			return fmt.Errorf("%s is %w", e.ARN, ErrNotMapped)
		}
		return nil
	case OpSet:
		key := KeyRoles
		if e.Kind == KindUser {
			key = KeyUsers
		}
		return editKey(res, key, func(k *keyEditor) error { return k.set(e) })
	}
	return fmt.Errorf("unknown edit %q", e.Op)
}

// keyDropped reports whether the authenticator drops a whole data key as malformed.
func keyDropped(data map[string]string, key string) bool {
	for _, e := range Parse(map[string]string{key: data[key]}).Errors {
		if e.Dropped == DroppedKey {
			return true
		}
	}
	return false
}

// keyEditor edits one data value.
type keyEditor struct {
	key    string
	text   string
	loc    *Located
	parsed *Parsed
	// Block-style edits: replacements of line ranges, applied bottom up.
	repl []lineEdit
	// Flow style or empty value: the list is rebuilt from nodes.
	nodes   []*yaml.Node
	rebuild bool
}

type lineEdit struct {
	start, end int
	lines      []string
}

func editKey(res *EditResult, key string, fn func(*keyEditor) error) error {
	text, present := res.Data[key]
	k := &keyEditor{key: key, text: text}
	if !present || isSkippable(text) {
		k.rebuild = true
	} else {
		k.parsed = Parse(map[string]string{key: text})
		for _, e := range k.parsed.Errors {
			if e.Dropped == DroppedKey {
				return fmt.Errorf("%s cannot be edited safely: the authenticator cannot read it (%s); fix it first ('kubectl eksiam aws-auth validate' shows where)", key, e.Message)
			}
		}
		k.loc = Locate(key, text)
		if k.loc.Root == nil || k.loc.Root.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s cannot be edited safely: it is not a YAML list", key)
		}
		count := k.parsed.RoleCount
		if key == KeyUsers {
			count = k.parsed.UserCount
		}
		if len(k.loc.Items) != count {
			return fmt.Errorf("%s cannot be edited safely: yaml.v3 reads %d entries where the authenticator reads %d", key, len(k.loc.Items), count)
		}
		if !k.loc.Block {
			k.rebuild = true
			k.nodes = slices.Clone(k.loc.Root.Content)
			res.Notes = append(res.Notes, fmt.Sprintf("%s is written in flow style ([...] or JSON): it is rewritten whole, in block style", key))
		}
	}
	if err := fn(k); err != nil {
		return err
	}
	newText, changed, err := k.result()
	if err != nil {
		return err
	}
	if changed {
		res.Data[key] = newText
	}
	return nil
}

func (k *keyEditor) result() (string, bool, error) {
	if k.rebuild {
		if k.loc != nil && len(k.nodes) == len(k.loc.Root.Content) && slices.Equal(k.nodes, k.loc.Root.Content) {
			return k.text, false, nil
		}
		if k.loc == nil && len(k.nodes) == 0 {
			return k.text, false, nil
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: k.nodes}
		for _, n := range k.nodes {
			clearFlow(n)
		}
		out, err := yaml.Marshal(seq)
		if err != nil {
			return "", false, err
		}
		if len(k.nodes) == 0 {
			out = []byte("[]\n")
		}
		return string(out), true, nil
	}
	if len(k.repl) == 0 {
		return k.text, false, nil
	}
	lines := slices.Clone(k.loc.Lines())
	slices.SortStableFunc(k.repl, func(a, b lineEdit) int { return b.start - a.start })
	crlf := strings.Contains(k.text, "\r\n")
	for _, r := range k.repl {
		if crlf {
			// New lines end as the existing ones do.
			for i, l := range r.lines {
				if strings.HasSuffix(l, "\n") && !strings.HasSuffix(l, "\r\n") {
					r.lines[i] = strings.TrimSuffix(l, "\n") + "\r\n"
				}
			}
		}
		lines = slices.Replace(lines, r.start, r.end, r.lines...)
	}
	text := strings.Join(lines, "")
	return text, true, nil
}

// clearFlow turns a flow-style (or JSON) list into block style, unquoting mapping keys.
func clearFlow(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			n.Content[i].Style = 0
		}
	}
	for _, c := range n.Content {
		clearFlow(c)
	}
}

// indexOfKept maps the authenticator's kept entries to list positions.
func (k *keyEditor) entries() []Mapping {
	if k.parsed == nil {
		return nil
	}
	return NewStore(k.parsed).Mappings
}

func (k *keyEditor) removeMatching(arn string) int {
	if k.parsed == nil && len(k.nodes) == 0 {
		return 0
	}
	var idxs []int
	for _, m := range k.entries() {
		if strings.EqualFold(m.ARN, arn) {
			idxs = append(idxs, m.Index)
		}
	}
	if k.rebuild {
		var keep []*yaml.Node
		for i, n := range k.nodes {
			if !slices.Contains(idxs, i) {
				keep = append(keep, n)
			}
		}
		k.nodes = keep
		return len(idxs)
	}
	for _, i := range idxs {
		it := k.loc.Items[i]
		k.repl = append(k.repl, lineEdit{start: it.Start, end: it.End})
	}
	return len(idxs)
}

// set replaces the username and groups of the entry that takes effect for e.ARN,
// keeping its ARN as written and its other fields.
func (k *keyEditor) set(e Edit) error {
	var target *Mapping
	for _, m := range k.entries() {
		if m.Status != StatusShadowed && strings.EqualFold(m.ARN, e.ARN) {
			mm := m
			target = &mm
		}
	}
	if target == nil {
		return fmt.Errorf("%s %s is %w", e.Kind, e.ARN, ErrNotMapped)
	}
	var node *yaml.Node
	if k.rebuild {
		node = k.nodes[target.Index]
	} else {
		node = k.loc.Items[target.Index].Node
	}
	updated := setFields(node, e)
	if k.rebuild {
		k.nodes[target.Index] = updated
		return nil
	}
	it := k.loc.Items[target.Index]
	text, err := renderItem(updated, k.style())
	if err != nil {
		return err
	}
	dash := dashLineOf(k.loc, it)
	k.repl = append(k.repl, lineEdit{start: dash, end: it.End, lines: text})
	return nil
}

// setFields returns a copy of an entry's mapping node with username and groups
// replaced (added when absent), every other field kept.
func setFields(n *yaml.Node, e Edit) *yaml.Node {
	c := *n
	c.Content = slices.Clone(n.Content)
	c.HeadComment = ""
	setField(&c, "username", scalar(e.Username))
	setField(&c, "groups", groupsNode(e.Groups))
	return &c
}

func setField(m *yaml.Node, name string, value *yaml.Node) {
	// Every spelling of the field (encoding/json matches case-insensitively) goes,
	// then one canonical one is written where the first stood.
	at := -1
	var content []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if strings.EqualFold(m.Content[i].Value, name) {
			if at < 0 {
				at = len(content)
				content = append(content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, value)
			}
			continue
		}
		content = append(content, m.Content[i], m.Content[i+1])
	}
	if at < 0 {
		content = append(content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, value)
	}
	m.Content = content
}

// scalar is a string node, double-quoted unless it is plainly safe in both YAML 1.1
// (what the authenticator's parser speaks) and YAML 1.2.
func scalar(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if !plainSafe(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func plainSafe(s string) bool {
	if s == "" || strings.Contains(s, "{{") || strings.Contains(s, ": ") || strings.Contains(s, " #") {
		return false
	}
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off", "true", "false", "null", "~":
		return false
	}
	first := s[0]
	if !(first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z') {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":._-@/=+,", r)) {
			return false
		}
	}
	return !strings.HasSuffix(s, ":")
}

func groupsNode(groups []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, g := range groups {
		n.Content = append(n.Content, scalar(g))
	}
	return n
}

func newEntryNode(e Edit) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	field := func(name string, v *yaml.Node) {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, v)
	}
	switch {
	case e.Kind == KindUser:
		field("userarn", scalar(e.ARN))
	case e.SSO != nil:
		sso := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		sso.Content = append(sso.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: "permissionSetName"}, scalar(e.SSO.PermissionSetName),
			&yaml.Node{Kind: yaml.ScalarNode, Value: "accountID"}, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: e.SSO.AccountID, Style: yaml.DoubleQuotedStyle})
		if e.SSO.Partition != "" {
			sso.Content = append(sso.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "partition"}, scalar(e.SSO.Partition))
		}
		field("sso", sso)
	default:
		field("rolearn", scalar(e.ARN))
	}
	field("username", scalar(e.Username))
	field("groups", groupsNode(e.Groups))
	return m
}

func (k *keyEditor) append(e Edit) error {
	node := newEntryNode(e)
	if k.rebuild {
		k.nodes = append(k.nodes, node)
		return nil
	}
	text, err := renderItem(node, k.style())
	if err != nil {
		return err
	}
	// After the last entry, before any trailing comments and blank lines.
	at := len(k.loc.Lines())
	if n := len(k.loc.Items); n > 0 {
		at = k.loc.Items[n-1].End
	}
	lines := k.loc.Lines()
	if at > 0 && at <= len(lines) && !strings.HasSuffix(lines[at-1], "\n") {
		// The previous line ends the text without a newline: give it one.
		k.repl = append(k.repl, lineEdit{start: at - 1, end: at, lines: []string{lines[at-1] + "\n"}})
	}
	k.repl = append(k.repl, lineEdit{start: at, end: at, lines: text})
	return nil
}

// itemStyle is how the existing entries are laid out.
type itemStyle struct {
	dashCol int
	// seqIndent is the indentation of a groups item relative to the "groups:" key.
	seqIndent int
}

func (k *keyEditor) style() itemStyle {
	st := itemStyle{}
	if k.loc == nil || len(k.loc.Items) == 0 {
		return st
	}
	first := k.loc.Items[0]
	st.dashCol = max(first.Node.Column-3, 0)
	if line := k.loc.Lines()[dashLineOf(k.loc, first)]; strings.Contains(line, "-") {
		st.dashCol = strings.Index(line, "-")
	}
	// The groups layout of the last entry that has a block list, the neighbour of an
	// appended entry.
	for i := len(k.loc.Items) - 1; i >= 0; i-- {
		it := k.loc.Items[i]
		if f := it.Get("groups"); f != nil && f.Value.Kind == yaml.SequenceNode && len(f.Value.Content) > 0 && f.Value.Style&yaml.FlowStyle == 0 {
			st.seqIndent = max(f.Value.Content[0].Column-3-(f.Key.Column-1), 0)
			break
		}
	}
	return st
}

func dashLineOf(l *Located, it Item) int {
	line := it.Node.Line - 1
	if line > 0 && strings.TrimSpace(l.Lines()[line]) != "" && !strings.HasPrefix(strings.TrimSpace(l.Lines()[line]), "-") &&
		strings.TrimSpace(l.Lines()[line-1]) == "-" {
		return line - 1
	}
	return line
}

// renderItem writes one entry as block YAML lines at the list's indentation.
func renderItem(node *yaml.Node, st itemStyle) ([]string, error) {
	c := *node
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{&c}}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(seq); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	pad := strings.Repeat(" ", st.dashCol)
	var out []string
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line == "" {
			continue
		}
		// yaml.v3 indents a nested list by 2 under its key ("  groups:\n    - a");
		// follow the existing entries' habit when they put it at the key's column.
		if st.seqIndent == 0 && strings.HasPrefix(line, "    - ") {
			line = line[2:]
		}
		out = append(out, pad+line)
	}
	return out, nil
}

func addAccount(res *EditResult, account string) error {
	p := Parse(map[string]string{KeyAccounts: res.Data[KeyAccounts]})
	if slices.Contains(p.Accounts, account) {
		return fmt.Errorf("account %s is %w", account, ErrExists)
	}
	text := res.Data[KeyAccounts]
	line := fmt.Sprintf("- %q\n", account)
	if isSkippable(text) {
		res.Data[KeyAccounts] = line
		return nil
	}
	l := Locate(KeyAccounts, text)
	if l.Root == nil || l.Root.Kind != yaml.SequenceNode || !l.Block {
		return fmt.Errorf("mapAccounts cannot be edited safely: it is not a block list")
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if n := len(l.Root.Content); n > 0 {
		line = strings.Repeat(" ", max(l.Root.Content[0].Column-3, 0)) + line
	}
	res.Data[KeyAccounts] = text + line
	return nil
}

func removeAccount(res *EditResult, account string) (int, error) {
	text, ok := res.Data[KeyAccounts]
	if !ok || isSkippable(text) {
		return 0, nil
	}
	l := Locate(KeyAccounts, text)
	if l.Root == nil || l.Root.Kind != yaml.SequenceNode || !l.Block {
		return 0, fmt.Errorf("mapAccounts cannot be edited safely: it is not a block list")
	}
	lines := l.Lines()
	var drop []int
	for _, n := range l.Root.Content {
		if n.Kind == yaml.ScalarNode && n.Value == account {
			drop = append(drop, n.Line-1)
		}
	}
	for i := len(drop) - 1; i >= 0; i-- {
		lines = slices.Delete(lines, drop[i], drop[i]+1)
	}
	res.Data[KeyAccounts] = strings.Join(lines, "")
	return len(drop), nil
}

// verify parses the result and checks that what it maps is exactly what the
// original maps with the edits applied, in order.
func verify(before, after map[string]string, edits []Edit) error {
	for _, key := range []string{KeyRoles, KeyUsers, KeyAccounts} {
		if _, ok := after[key]; !ok {
			continue
		}
		for _, e := range Parse(map[string]string{key: after[key]}).Errors {
			if e.Dropped == DroppedKey || e.Dropped == DroppedEntry {
				if !hadError(before, key, e) {
					return fmt.Errorf("the edited %s no longer parses: %s", key, e.Message)
				}
			}
		}
	}
	want := effectiveOf(before)
	for _, e := range edits {
		switch {
		case e.Op == OpRemove:
			want.remove(e.ARN)
		case e.Kind == KindAccount:
			want[KindAccount+"|"+e.ARN] = mappingValue{groups: "[]"}
		case e.Kind == KindRole:
			key := strings.ToLower(e.ARN)
			if e.SSO != nil {
				key = (&RoleMapping{SSO: e.SSO}).SSOPattern()
			} else {
				// A role mapping takes the ARN from mapUsers too.
				for k := range want {
					if strings.HasPrefix(k, KindUser+"|") && strings.EqualFold(k[len(KindUser)+1:], e.ARN) {
						delete(want, k)
					}
				}
			}
			want[KindRole+"|"+key] = valueOf(e.Username, e.Groups)
		case e.Kind == KindUser:
			key := KindUser + "|" + e.ARN
			for k := range want {
				if strings.HasPrefix(k, KindUser+"|") && strings.EqualFold(k[len(KindUser)+1:], e.ARN) {
					key = k // set keeps the ARN as written
					delete(want, k)
				}
			}
			want[key] = valueOf(e.Username, e.Groups)
		}
	}
	got := effectiveOf(after)
	for k, v := range want {
		if g, ok := got[k]; !ok {
			return fmt.Errorf("%s is not mapped by the result", k)
		} else if g != v {
			return fmt.Errorf("%s maps to %s, not %s", k, g, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			return fmt.Errorf("the result maps %s, which no edit asked for", k)
		}
	}
	return nil
}

// mappingValue is what a mapping gives: a username and a set of groups.
type mappingValue struct{ username, groups string }

func (v mappingValue) String() string { return fmt.Sprintf("%q %s", v.username, v.groups) }

func valueOf(username string, groups []string) mappingValue {
	return mappingValue{username: username, groups: fmt.Sprint(sortedSet(groups))}
}

// effectiveMap is what a ConfigMap maps, by kind and key: roles by lower-cased ARN (or
// SSO pattern), users by ARN as written (case variants are distinct entries),
// accounts by ID.
type effectiveMap map[string]mappingValue

func effectiveOf(data map[string]string) effectiveMap {
	out := effectiveMap{}
	for _, m := range NewStore(Parse(data)).Active() {
		key := m.ARN
		switch m.Kind {
		case KindRole:
			key = strings.ToLower(m.ARN)
		case KindAccount:
			m.Groups = nil
		}
		out[m.Kind+"|"+key] = valueOf(m.Username, m.Groups)
	}
	return out
}

func (e effectiveMap) remove(arn string) {
	for k := range e {
		kind, key, _ := strings.Cut(k, "|")
		if (kind == KindAccount && key == arn) || (kind != KindAccount && strings.EqualFold(key, arn)) {
			delete(e, k)
		}
	}
}

func hadError(data map[string]string, key string, e KeyError) bool {
	for _, old := range Parse(map[string]string{key: data[key]}).Errors {
		if old.Message == e.Message {
			return true
		}
	}
	return false
}
