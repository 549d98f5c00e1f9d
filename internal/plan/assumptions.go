// What-if runs for unknown answers: which reading the plan assumed and what
// the others would change.

package plan

import (
	"fmt"
	"slices"
	"strings"
)

// assumptions says, for each unknown answer whose other readings would
// change this population's method, reset or steps, which reading the plan
// used and what the others would change.
func (b *builder) assumptions(ps *popState) []Assumption {
	in := ps.f.Population
	var out []Assumption
	try := func(f facts) *popState {
		alt := b.newPop(ps.out.ID, in, f)
		alt.probe = true
		b.population(alt)
		return alt
	}
	if in.InUse == nil {
		f := ps.f
		f.inUse = !saferInUse
		if d := describeDiff(ps, try(f)); d != "" {
			out = append(out, Assumption{Population: ps.out.ID, Field: "in_use",
				Text: "Assumed these devices are already in use, the safer reading. If they are new and not yet handed out, " + d})
		}
	}
	if in.KnownManagedBy() == "" && ps.f.managedBy == saferManagedBy {
		var ds []string
		for _, alt := range []struct{ value, who string }{{ManagedOtherMDM, "another MDM"}, {ManagedConfigMgr, "Configuration Manager"}} {
			if alt.value == ManagedConfigMgr && in.Platform != "windows" {
				continue
			}
			f := ps.f
			f.managedBy = alt.value
			if d := describeDiff(ps, try(f)); d != "" {
				ds = append(ds, "If "+alt.who+" manages them today, "+d)
			}
		}
		if len(ds) > 0 {
			out = append(out, Assumption{Population: ps.out.ID, Field: "managed_by",
				Text: "Assumed no MDM and no Configuration Manager manages these devices today. " + strings.Join(ds, " ")})
		}
	}
	return out
}

// describeDiff says in words how plan y differs from plan x for the same
// population, or "" when method, reset and steps are the same.
func describeDiff(x, y *popState) string {
	var parts []string
	if x.out.Method.ID != y.out.Method.ID {
		parts = append(parts, fmt.Sprintf("the method would be %s instead of %s", y.out.Method.Name, x.out.Method.Name))
	}
	if xr, yr := x.out.FactoryReset.Required && x.f.inUse, y.out.FactoryReset.Required && y.f.inUse; xr != yr {
		if yr {
			parts = append(parts, "the devices would have to be factory reset")
		} else {
			parts = append(parts, "no factory reset would be needed")
		}
	}
	if x.out.Method.ID == y.out.Method.ID {
		added, dropped := stepDiff(x.out.Steps, y.out.Steps)
		if len(added) > 0 {
			parts = append(parts, "the plan would add: "+quoteSome(added, "more step", "more steps"))
		}
		if len(dropped) > 0 {
			parts = append(parts, "the plan would leave out: "+quoteSome(dropped, "more step", "more steps"))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "."
}

func stepDiff(x, y []Step) (added, dropped []string) {
	has := func(list []Step, id string) bool {
		return slices.ContainsFunc(list, func(s Step) bool { return s.ID == id })
	}
	for _, s := range y {
		if !has(x, s.ID) {
			added = append(added, s.Title)
		}
	}
	for _, s := range x {
		if !has(y, s.ID) {
			dropped = append(dropped, s.Title)
		}
	}
	return added, dropped
}
