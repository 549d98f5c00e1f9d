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
// answers that overrule a reading (the plan says so), the prerequisites
// whose status was read, and expiries that fall before the last wave.
func (b *builder) tenantReading(p *Plan) *TenantReading {
	tc := b.a.TenantCheck
	if tc == nil {
		return nil
	}
	r := &TenantReading{ReadAt: tc.ReadAt, Findings: tc.Findings, Overruled: []Overrule{}}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	when := LongDate(strings.SplitN(tc.ReadAt, "T", 2)[0])
	for i := range p.Prerequisites {
		pr := &p.Prerequisites[i]
		sf := b.c.prereqs[pr.ID].StatusFrom
		if sf == nil {
			continue
		}
		read := tenantValue(tc.Tenant, sf.Field)
		if read == "" || read == "unknown" {
			continue
		}
		answered := tenantValue(b.a.Tenant, sf.Field)
		if answered == read {
			pr.ReadAt = tc.ReadAt
			pr.Detail = fmt.Sprintf("Read from the tenant on %s. ", when) + pr.Detail
			continue
		}
		text := fmt.Sprintf("The tenant check on %s read “%s” as %s; the answers say %s, and the plan follows the answers.", when, pr.Title, readWord(read), readWord(answered))
		r.Overruled = append(r.Overruled, Overrule{Field: sf.Field, Read: read, Answered: answered, Text: text})
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
				text = fmt.Sprintf(def.Blocked, pop.PlatformName, when)
			case pop.Ownership == OwnPersonal && slices.Contains(rs.PersonalBlocked, pop.Platform):
				text = fmt.Sprintf(def.Personal, pop.PlatformName, when)
			}
			if text != "" {
				pop.Warnings = append(pop.Warnings, Warning{ID: "tenant.restricted", Severity: SevWarning, Text: text, Sources: b.c.SourceURLs(def.Sources)})
				sortWarnings(pop.Warnings)
			}
		}
	}
	last := p.Rollout.LastStart
	for _, e := range tc.Expiries {
		if last == "" || e.Date >= last {
			continue
		}
		prereq, what := "apple-mdm-push-certificate", "The Apple MDM push certificate"
		if e.Kind == ExpiryADEToken {
			prereq, what = "apple-business-manager", "The Automated Device Enrollment token"
			if e.Name != "" {
				what += " " + quote(e.Name)
			}
		}
		def := b.c.prereqs[prereq]
		p.Rollout.Warnings = append(p.Rollout.Warnings, Warning{ID: "expiry." + e.Kind, Severity: SevWarning,
			Text: fmt.Sprintf("%s expires on %s, before the rollout's last start on %s. Renew it before then, with the same Apple account, or the devices that depend on it stop checking in.",
				what, LongDate(e.Date), LongDate(last)),
			Sources: b.c.SourceURLs(def.Sources)})
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
