// What a tenant check read, carried into the plan.

package plan

import (
	"fmt"
	"slices"
	"strings"
)

// tenantValue reads one tenant answer as the word a status derives from.
func tenantValue(t Tenant, field string) string {
	switch field {
	case "mdm_authority":
		return t.MDMAuthority
	case "admin_role":
		return t.AdminRole
	}
	return yesNo(tenantBool(t, field))
}

// tenantReading carries a tenant check into the plan: its findings, the
// answers that overrule a reading (the plan says so) and the prerequisites
// whose status was read. Its expiries join the answers' (expiries.go).
func (b *builder) tenantReading(p *Plan) *TenantReading {
	tc := b.a.TenantCheck
	if tc == nil {
		return nil
	}
	r := &TenantReading{ReadAt: tc.ReadAt, Findings: append([]Finding{}, tc.Findings...), Overruled: []Overrule{}}
	SummariseFindings(r.Findings) // answers are not refused for a long finding, so the plan keeps it short
	// A check without a time says so in other words, never "on ." (an
	// uploaded check may lack read_at).
	read, checkOn := "Read from the tenant. ", "The tenant check"
	if day := strings.SplitN(tc.ReadAt, "T", 2)[0]; day != "" {
		read, checkOn = fmt.Sprintf("Read from the tenant on %s. ", LongDate(day)), "The tenant check on "+LongDate(day)
	}
	for i := range p.Prerequisites {
		pr := &p.Prerequisites[i]
		sf := b.c.prereqs[pr.ID].StatusFrom
		if sf == nil {
			continue
		}
		got := tenantValue(tc.Tenant, sf.Field)
		if got == "" || got == "unknown" {
			continue
		}
		answered := tenantValue(b.a.Tenant, sf.Field)
		if answered == got {
			pr.ReadAt = tc.ReadAt
			pr.Detail = read + pr.Detail
			continue
		}
		text := fmt.Sprintf("%s read “%s” as %s; the answers say %s, and the plan follows the answers.", checkOn, pr.Title, readWord(got), readWord(answered))
		r.Overruled = append(r.Overruled, Overrule{Field: sf.Field, Read: got, Answered: answered, Text: text})
		pr.Detail = text + " " + pr.Detail
	}
	if rs := tc.Restrictions; rs != nil {
		def := b.c.Restricted
		for i := range p.Populations {
			pop := &p.Populations[i]
			if !pop.Enroll {
				continue // app protection does not enroll the device
			}
			text := ""
			switch {
			case slices.Contains(rs.Blocked, pop.Platform):
				text = fmt.Sprintf(def.Blocked, pop.PlatformName, checkOn)
			case pop.Ownership == OwnPersonal && slices.Contains(rs.PersonalBlocked, pop.Platform):
				text = fmt.Sprintf(def.Personal, pop.PlatformName, checkOn)
			}
			if text != "" {
				pop.Warnings = append(pop.Warnings, Warning{ID: "tenant.restricted", Severity: SevWarning, Text: text, Sources: b.c.SourceURLs(def.Sources)})
				sortWarnings(pop.Warnings)
			}
		}
	}
	return r
}

// readWord says a tenant reading in words.
func readWord(v string) string {
	switch v {
	case "yes":
		return "in place"
	case "no":
		return "not in place"
	case "", "unknown":
		return "not known"
	}
	return v
}
