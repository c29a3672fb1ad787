package identity

import (
	"regexp"
	"slices"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

// Index answers "which principals reach this subject" and "which username templates
// render to this user" without scanning every principal: fixed usernames and groups
// are hash lookups, and templates are bucketed by their literal prefix and suffix, so
// that a user name is compared only with the templates that can render to it. It is
// built once per answer; its cost is linear in principals, and each lookup in the
// size of what it returns.
type Index struct {
	principals []Principal
	byUsername map[string][]int
	byGroup    map[string][]int
	all        []int
	// templates of active role and user principals (not account mappings), keyed by
	// literal prefix and suffix; shapes are the distinct (prefix, suffix) lengths.
	templates map[affix][]template
	shapes    []shape
}

type affix struct{ prefix, suffix string }

type shape struct{ prefix, suffix, min int }

type template struct {
	principal int
	re        *regexp.Regexp
}

// NewIndex indexes principals (in the order given, which lookups keep).
func NewIndex(principals []Principal) *Index {
	ix := &Index{principals: principals, byUsername: map[string][]int{}, byGroup: map[string][]int{},
		templates: map[affix][]template{}, all: make([]int, len(principals))}
	shapeAt := map[[2]int]int{}
	for i := range principals {
		p := &principals[i]
		ix.all[i] = i
		for j, g := range p.Groups {
			if !slices.Contains(p.Groups[:j], g) {
				ix.byGroup[g] = append(ix.byGroup[g], i)
			}
		}
		if !p.Templated() {
			ix.byUsername[p.Username] = append(ix.byUsername[p.Username], i)
			continue
		}
		if p.Type == awsauth.KindAccount || p.Status != StatusActive {
			continue
		}
		// "{{" without a token renders to itself: the whole name is its prefix.
		a, min := affix{prefix: p.Username}, len(p.Username)
		if locs := iamarn.RenderedTokens(p.Username); len(locs) > 0 {
			a = affix{prefix: p.Username[:locs[0][0]], suffix: p.Username[locs[len(locs)-1][1]:]}
			for _, l := range locs {
				min -= l[1] - l[0] - 1 // each token renders to at least one character
			}
		}
		k := [2]int{len(a.prefix), len(a.suffix)}
		if j, ok := shapeAt[k]; !ok {
			shapeAt[k] = len(ix.shapes)
			ix.shapes = append(ix.shapes, shape{prefix: k[0], suffix: k[1], min: min})
		} else if min < ix.shapes[j].min {
			ix.shapes[j].min = min
		}
		ix.templates[a] = append(ix.templates[a], template{principal: i, re: templateRegexp(p.Username)})
	}
	return ix
}

// Principal returns principal i.
func (ix *Index) Principal(i int) *Principal { return &ix.principals[i] }

// Len is the number of principals.
func (ix *Index) Len() int { return len(ix.principals) }

// Reaching returns, in index order, the principals whose identity is, or is a member
// of, subject s (see Principal.Reaches). The slice is shared: do not modify it.
func (ix *Index) Reaching(s Subject) []int {
	switch s.Kind {
	case "Group":
		if s.Name == AuthenticatedGroup {
			return ix.all
		}
		return ix.byGroup[s.Name]
	case "User":
		return ix.byUsername[s.Name]
	case "ServiceAccount":
		return ix.byUsername["system:serviceaccount:"+s.Namespace+":"+s.Name]
	}
	return nil
}

// RenderingsOf returns, in index order, the active role and user principals whose
// username template renders to user for some session (see Principal.RenderedForm).
func (ix *Index) RenderingsOf(user string) []int {
	var out []int
	for _, sh := range ix.shapes {
		if len(user) < sh.min {
			continue
		}
		for _, t := range ix.templates[affix{prefix: user[:sh.prefix], suffix: user[len(user)-sh.suffix:]}] {
			if t.re.MatchString(user) {
				out = append(out, t.principal)
			}
		}
	}
	if len(out) > 1 {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}
