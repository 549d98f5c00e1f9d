// The warnings a population carries, and their order.

package plan

import (
	"cmp"
	"fmt"
	"slices"
)

// popWarnings adds what a population is warned of once its steps are known:
// leaving its MDM, its method's own warnings, and DEM capacity when staff
// enroll in bulk.
func (b *builder) popWarnings(ps *popState) {
	c, chosen := b.c, ps.method
	if leavesMDM(ps.f, chosen) {
		b.warn(ps, Warning{ID: c.Unenroll.Warning.ID, Severity: SevInfo, Text: c.Unenroll.Warning.Text, Sources: c.SourceURLs(c.Unenroll.Warning.Sources)})
	}
	for _, w := range chosen.Warnings {
		if b.applies(w.Platforms, w.When, ps.f) {
			b.warn(ps, b.warning(w))
		}
	}
	if b.a.BulkEnrollmentByStaff {
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

// demWarning says how many DEM accounts a population needs, or that DEM
// cannot enroll it.
func (b *builder) demWarning(ps *popState) {
	m, dem := ps.method, b.c.DEM
	if !m.DEM.Supported {
		b.warn(ps, Warning{ID: "dem.not-supported", Severity: SevInfo,
			Text:    fmt.Sprintf("IT staff cannot use a device enrollment manager account for %s. %s", m.Name, m.DEM.Note),
			Sources: b.c.SourceURLs(m.DEM.Sources)})
		return
	}
	per := dem.MaxDevices
	if m.DEM.MaxDevices > 0 && m.DEM.MaxDevices < per {
		per = m.DEM.MaxDevices
	}
	need := max(1, (ps.f.Devices+per-1)/per)
	text := fmt.Sprintf("%s For %s, one DEM account enrolls up to %s devices, so %s devices need %s.", dem.Text, m.Name, Thousands(per), Thousands(ps.f.Devices), Count(need, "DEM account", "DEM accounts"))
	sev := SevInfo
	if need > dem.MaxAccounts {
		sev = SevWarning
		text += fmt.Sprintf(" That is more than the %s a tenant can have: let users enroll part of these devices themselves.", Thousands(dem.MaxAccounts))
	}
	b.warn(ps, Warning{ID: "dem.capacity", Severity: sev, Text: text, Sources: b.c.SourceURLs(dem.Sources, m.DEM.Sources)})
}

var severityRank = map[string]int{SevBlocker: 0, SevWarning: 1, SevInfo: 2}

func sortWarnings(ws []Warning) {
	slices.SortStableFunc(ws, func(x, y Warning) int { return cmp.Compare(severityRank[x.Severity], severityRank[y.Severity]) })
}
