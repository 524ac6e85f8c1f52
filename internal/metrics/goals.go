package metrics

import (
	"fmt"
	"slices"
	"strings"
)

// Lookup finds a metric by name in the catalogue, the parametric
// stage_conversion:<stage> metrics and env's tenant metrics.
func Lookup(env *Env, name string) (*Metric, error) { return lookup(env, name) }

// Credit says which business roles can earn credit for a metric: Fixed are
// the roles its aggregates always credit whatever the query's role (author
// for follow-ups and next actions, owner for leads, quotes and pool
// events), FollowsQuery is true when at least one aggregate credits the
// query's role (any business role can then earn credit), AnyRole when one
// counts every role.
type Credit struct {
	Fixed        []string
	FollowsQuery bool
	AnyRole      bool
}

// CreditOf returns who can earn credit for metric name. A goal rule on a
// metric whose every aggregate has a fixed role can only name that role's
// credit (see service/goals.go).
func CreditOf(env *Env, name string) (Credit, error) {
	var c Credit
	p := &plan{keys: map[string]int{}}
	if _, err := p.resolve(env, name, 0, nil); err != nil {
		return c, err
	}
	for _, a := range p.leaves {
		switch a.Role {
		case "":
			c.FollowsQuery = true
		case "*":
			c.AnyRole = true
		default:
			if !slices.Contains(c.Fixed, a.Role) {
				c.Fixed = append(c.Fixed, a.Role)
			}
		}
	}
	slices.Sort(c.Fixed)
	return c, nil
}

// Accepts reports whether a goal counting metric with role's credit counts
// anything role earned; if not, the error says why.
func (c Credit) Accepts(metric, role string) error {
	if c.FollowsQuery || c.AnyRole {
		return nil
	}
	// Every aggregate credits fixed roles. "owner" names the person the
	// metric credits by its own definition (the author of a follow-up, the
	// owner of a lead): the default credit.
	if role == "owner" || slices.Contains(c.Fixed, role) {
		return nil
	}
	return fmt.Errorf("%s is credited to the %s only, not to %s; use the owner role (the person the metric credits)", metric, strings.Join(c.Fixed, ", "), role)
}
