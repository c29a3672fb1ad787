package awsauth

import (
	"cmp"
	"slices"
	"strings"
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
	// Fields that differ for Changed: username, groups, sso.
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

// Compare returns the semantic difference from old to new.
func Compare(oldData, newData map[string]string) *Diff {
	oldStore, newStore := NewStore(Parse(oldData)), NewStore(Parse(newData))
	d := &Diff{}
	oldBy, newBy := effective(oldStore, &d.OldShadowed), effective(newStore, &d.NewShadowed)
	for key, n := range newBy {
		o, ok := oldBy[key]
		if !ok {
			d.Changes = append(d.Changes, Change{Type: Added, Kind: n.Kind, ARN: n.ARN, New: n})
			continue
		}
		if fields := changedFields(o, n); len(fields) > 0 {
			d.Changes = append(d.Changes, Change{Type: Changed, Kind: n.Kind, ARN: n.ARN, Old: o, New: n, Fields: fields})
		}
	}
	for key, o := range oldBy {
		if _, ok := newBy[key]; !ok {
			d.Changes = append(d.Changes, Change{Type: Removed, Kind: o.Kind, ARN: o.ARN, Old: o})
		}
	}
	order := map[string]int{KindRole: 0, KindUser: 1, KindAccount: 2}
	slices.SortFunc(d.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(order[a.Kind], order[b.Kind]), cmp.Compare(strings.ToLower(a.ARN), strings.ToLower(b.ARN)), cmp.Compare(a.Type, b.Type))
	})
	d.OldIgnored, d.NewIgnored = ignored(oldData), ignored(newData)
	return d
}

// effective indexes the mappings that take effect by MatchKey; the others go to
// shadowed. Case-variant mapUsers entries are all effective (and ambiguous): the
// last one stands for the key, as the ambiguity is reported by validation.
func effective(s *Store, shadowed *[]Mapping) map[string]*Mapping {
	out := map[string]*Mapping{}
	for i := range s.Mappings {
		m := &s.Mappings[i]
		switch m.Status {
		case StatusActive:
			out[m.MatchKey()] = m
		case StatusAmbiguous:
			out[m.MatchKey()] = m
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
