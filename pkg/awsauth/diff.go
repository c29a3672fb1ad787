package awsauth

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

// Change types.
const (
	Added   = "Added"
	Removed = "Removed"
	Changed = "Changed"
)

// Change is one difference between the effective mappings of two ConfigMaps.
type Change struct {
	Type string
	Kind string
	// ARN as the newer side writes it (the older side's for Removed).
	ARN string
	Old *Mapping
	New *Mapping
	// Fields that differ for Changed: username, groups, sso, and variants when the set
	// of case-variant mapUsers entries (answered at random) changed.
	Fields []string
}

// Diff is the semantic difference between two ConfigMaps' data: what the
// authenticator would do differently, ignoring order, formatting, comments and
// dead entries, and the entries and keys that take no effect on either side.
type Diff struct {
	Changes []Change
	// Shadowed are entries that take no effect (a later duplicate wins, mapRoles
	// wins over mapUsers) or are ambiguous, per side.
	OldShadowed, NewShadowed []Mapping
	// Ignored are the data keys and entry fields the authenticator does not read,
	// and the keys or entries it drops as malformed, per side (findings AA03, AA06,
	// AA07, AA09, AA13).
	OldIgnored, NewIgnored []Finding
}

// Same reports whether the two sides map every principal identically.
func (d *Diff) Same() bool { return len(d.Changes) == 0 }

// Compare returns the semantic difference from old to new. Mappings are keyed as
// the authenticator compares ARNs (strings.EqualFold); mapUsers entries that differ
// only in case are one key whose value is the set of variants, since the
// authenticator answers with any of them.
func Compare(oldData, newData map[string]string) *Diff {
	oldStore, newStore := NewStore(Parse(oldData)), NewStore(Parse(newData))
	d := &Diff{}
	oldBy, newBy := effective(oldStore, &d.OldShadowed), effective(newStore, &d.NewShadowed)
	for key, n := range newBy {
		o, ok := oldBy[key]
		if !ok {
			d.Changes = append(d.Changes, Change{Type: Added, Kind: n.last().Kind, ARN: n.last().ARN, New: n.last()})
			continue
		}
		if fields := o.changedFields(n); len(fields) > 0 {
			d.Changes = append(d.Changes, Change{Type: Changed, Kind: n.last().Kind, ARN: n.last().ARN, Old: o.last(), New: n.last(), Fields: fields})
		}
	}
	for key, o := range oldBy {
		if _, ok := newBy[key]; !ok {
			d.Changes = append(d.Changes, Change{Type: Removed, Kind: o.last().Kind, ARN: o.last().ARN, Old: o.last()})
		}
	}
	order := map[string]int{KindRole: 0, KindUser: 1, KindAccount: 2}
	slices.SortFunc(d.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(order[a.Kind], order[b.Kind]), cmp.Compare(strings.ToLower(a.ARN), strings.ToLower(b.ARN)), cmp.Compare(a.Type, b.Type))
	})
	d.OldIgnored, d.NewIgnored = ignored(oldData), ignored(newData)
	return d
}

// variants are the mappings one key stands for: one, or several ambiguous ones.
type variants []*Mapping

func (v variants) last() *Mapping { return v[len(v)-1] }

// signatures are the variants as a sorted set of what each maps.
func (v variants) signatures() []string {
	out := make([]string, len(v))
	for i, m := range v {
		out[i] = iamarn.FoldKey(m.ARN) + "|" + m.Username + "|" + strings.Join(sortedSet(m.Groups), ",")
	}
	slices.Sort(out)
	return out
}

func (v variants) changedFields(n variants) []string {
	if slices.Equal(v.signatures(), n.signatures()) {
		return nil // the same mappings, perhaps in another order
	}
	fields := changedFields(v.last(), n.last())
	if len(v) > 1 || len(n) > 1 || len(fields) == 0 {
		fields = append(fields, "variants")
	}
	return fields
}

// effective indexes the mappings that take effect by kind and folded ARN; the others
// go to shadowed, and so do ambiguous ones (they take effect at random).
func effective(s *Store, shadowed *[]Mapping) map[string]variants {
	out := map[string]variants{}
	for i := range s.Mappings {
		m := &s.Mappings[i]
		key := m.Kind + "|" + iamarn.FoldKey(m.ARN)
		if m.Kind == KindAccount {
			key = m.MatchKey()
		}
		switch m.Status {
		case StatusActive:
			out[key] = append(out[key], m)
		case StatusAmbiguous:
			out[key] = append(out[key], m)
			*shadowed = append(*shadowed, *m)
		default:
			*shadowed = append(*shadowed, *m)
		}
	}
	return out
}

func changedFields(o, n *Mapping) []string {
	// ARNs match case-insensitively, so a change of case alone changes nothing.
	var f []string
	if o.Username != n.Username {
		f = append(f, "username")
	}
	if !slices.Equal(sortedSet(o.Groups), sortedSet(n.Groups)) {
		f = append(f, "groups")
	}
	if (o.SSO == nil) != (n.SSO == nil) || (o.SSO != nil && *o.SSO != *n.SSO) {
		f = append(f, "sso")
	}
	return f
}

// sortedSet: RBAC sees groups as a set, so order and repeats do not matter.
func sortedSet(gs []string) []string {
	out := slices.Clone(gs)
	slices.Sort(out)
	return slices.Compact(out)
}

func ignored(data map[string]string) []Finding {
	var out []Finding
	for _, f := range Validate(&Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: data}, Options{}) {
		switch f.Rule {
		case "AA03", "AA06", "AA07", "AA09":
			out = append(out, f)
		case "AA13":
			if f.Name == "unknown-field" {
				out = append(out, f)
			}
		}
	}
	return out
}

// Reconcile makes live mean what desired means (the same mappings, as the
// authenticator reads them) with the fewest line edits: each added, removed or changed
// mapping is one Edit, so every untouched byte of live stays. It checks its own result
// and fails rather than return data that still differs. It returns the new data and
// the notes of the edits.
func Reconcile(live, desired map[string]string) (map[string]string, []string, error) {
	d := Compare(live, desired)
	var edits []Edit
	for _, c := range d.Changes {
		switch c.Type {
		case Removed:
			edits = append(edits, Edit{Op: OpRemove, Kind: c.Kind, ARN: c.Old.ARN})
		case Added:
			arn := c.New.ARN
			e := Edit{Op: OpAdd, Kind: c.Kind, ARN: arn, Username: c.New.Username, Groups: c.New.Groups, SSO: c.New.SSO}
			if c.New.SSO != nil {
				e.ARN = ""
			}
			edits = append(edits, e)
		case Changed:
			edits = append(edits, Edit{Op: OpSet, Kind: c.Kind, ARN: c.Old.ARN, Username: c.New.Username, Groups: c.New.Groups})
		}
	}
	res, err := ApplyEdits(live, edits)
	if err != nil {
		return nil, nil, err
	}
	if after := Compare(res.Data, desired); !after.Same() {
		return nil, nil, fmt.Errorf("internal check failed, nothing was changed: the result still differs from the desired ConfigMap in %d mapping(s)", len(after.Changes))
	}
	return res.Data, res.Notes, nil
}
