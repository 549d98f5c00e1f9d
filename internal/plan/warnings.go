// The warnings a population carries, and their order.

package plan

import (
	"cmp"
	"slices"
)

// popWarnings adds what a population is warned of once its steps are known:
// leaving its MDM, its method's own warnings, and DEM accounts when IT
// staff enroll it.
func (b *builder) popWarnings(ps *popState) {
	c, chosen := b.c, ps.method
	if leavesMDM(ps.f, chosen) {
		b.warn(ps, Warning{ID: c.Unenroll.Warning.ID, Severity: SevInfo, Text: c.Unenroll.Warning.Text, Sources: c.SourceURLs(c.Unenroll.Warning.Sources)})
		for _, w := range c.Unenroll.Warnings {
			if b.applies(w.Platforms, w.When, ps.f) {
				b.warn(ps, b.warning(w))
			}
		}
	}
	for _, w := range chosen.Warnings {
		if b.applies(w.Platforms, w.When, ps.f) {
			b.warn(ps, b.warning(w))
		}
	}
	if ps.f.enrolledBy == EnrolledByIT {
		b.demWarning(ps)
	}
}

func (b *builder) warning(w WarningDef) Warning {
	return Warning{ID: w.ID, Severity: w.Severity, Text: w.Text, Sources: b.c.SourceURLs(w.Sources)}
}

func (b *builder) warn(ps *popState, w Warning) {
	for _, have := range ps.out.Warnings {
		if have.ID == w.ID {
			return
		}
	}
	ps.out.Warnings = append(ps.out.Warnings, w)
}

var severityRank = map[string]int{SevBlocker: 0, SevWarning: 1, SevInfo: 2}

func sortWarnings(ws []Warning) {
	slices.SortStableFunc(ws, func(x, y Warning) int { return cmp.Compare(severityRank[x.Severity], severityRank[y.Severity]) })
}
