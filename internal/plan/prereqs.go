// The prerequisites of the plan: what each population needs, in checklist
// order, with a status read from the tenant answers.

package plan

import (
	"fmt"
	"slices"
	"strings"
)

// needs lists the prerequisites a population needs: those every plan needs,
// its method's, leaving its MDM, and the DEM account when IT staff enroll it
// with a method that can use one.
func (b *builder) needs(ps *popState) {
	c, chosen := b.c, ps.method
	for _, pr := range c.Prerequisites {
		if pr.Always {
			ps.needs[pr.ID] = true
		}
	}
	for _, id := range chosen.Prerequisites {
		ps.needs[id] = true
	}
	if leavesMDM(ps.f, chosen) {
		ps.needs["unenroll-existing-mdm"] = true
	}
	if usesDEM(ps) {
		ps.needs["dem-account"] = true
	}
	for _, pr := range c.Prerequisites {
		if ps.needs[pr.ID] {
			ps.out.Prerequisites = append(ps.out.Prerequisites, pr.ID)
		}
	}
}

// status derives a prerequisite's status from the tenant answers.
func (b *builder) status(pr *PrereqDef) string {
	sf := pr.StatusFrom
	if sf == nil {
		return StatusTodo
	}
	var v string
	switch sf.Field {
	case "mdm_authority":
		v = b.a.Tenant.MDMAuthority
	case "admin_role":
		v = b.a.Tenant.AdminRole
	default:
		switch yesNo(tenantBool(b.a.Tenant, sf.Field)) {
		case "yes":
			return StatusDone
		case "no":
			return StatusTodo
		}
		return StatusUnknown
	}
	switch {
	case contains(sf.Done, v):
		return StatusDone
	case contains(sf.Todo, v):
		return StatusTodo
	}
	return StatusUnknown
}

// prerequisites aggregates what the populations need, in checklist order.
func (b *builder) prerequisites() []Prerequisite {
	var out []Prerequisite
	for _, def := range b.c.Prerequisites {
		pr := Prerequisite{ID: def.ID, Title: def.Title, Task: def.Task, Detail: def.Detail, Owner: def.Owner, Status: b.status(def), Sources: b.c.SourceURLs(def.Sources)}
		for _, ps := range b.pops {
			if ps.needs[def.ID] {
				pr.AppliesTo = append(pr.AppliesTo, ps.out.ID)
			}
		}
		// CONTRACT §5: with bulk enrollment by staff the DEM account stays in
		// the plan even when no method of the fleet can use one.
		keepDEM := def.ID == "dem-account" && b.a.BulkEnrollmentByStaff
		if len(pr.AppliesTo) == 0 && !keepDEM {
			continue
		}
		if pr.AppliesTo == nil {
			pr.AppliesTo = []string{}
		}
		if def.Blocking && pr.Status != StatusDone {
			pr.Blocks = pr.AppliesTo
		} else {
			pr.Blocks = []string{}
		}
		switch def.ID {
		case "supported-os":
			// By method, not population name: details are catalog prose and
			// must not carry planner-typed text into renderers.
			var lines []string
			for _, ps := range b.pops {
				line := fmt.Sprintf("%s: %s.", ps.method.Name, strings.TrimSuffix(ps.method.minOS(ps.f.Platform).Text, "."))
				if !slices.Contains(lines, line) {
					lines = append(lines, line)
				}
			}
			pr.Minimums = lines
			pr.Detail += minimumsIntro + strings.Join(lines, " ")
			pr.Sources = b.c.SourceURLs(def.Sources, b.minOSSources())
		case "dem-account":
			pr.Detail = b.c.DEM.Text + " " + pr.Detail
			if len(pr.AppliesTo) == 0 {
				pr.Detail += " " + b.demlessNotes()
			} else {
				pr.Detail += b.demDetail(b.demTotals())
				pr.Sources = b.c.SourceURLs(def.Sources, b.c.DEM.Sources, b.c.DEM.EntraLimit.Sources)
			}
		}
		out = append(out, pr)
	}
	return out
}

const minimumsIntro = " Minimums for this plan: "

// demlessNotes says, method by method, how the methods of the groups IT
// staff enroll do it without a device enrollment manager, or that IT staff
// enroll none of the groups (the older bulk_enrollment_by_staff never
// applies to personal devices).
func (b *builder) demlessNotes() string {
	var notes []string
	for _, ps := range b.pops {
		if ps.f.enrolledBy != EnrolledByIT {
			continue
		}
		n := ps.method.Name + ": " + strings.TrimSuffix(ps.method.DEM.Note, ".") + "."
		if !slices.Contains(notes, n) {
			notes = append(notes, n)
		}
	}
	if len(notes) == 0 {
		return "IT staff enroll none of this plan's groups: enrollment by staff is for organisation-owned devices that enroll, not personal devices or app protection."
	}
	return "None of this plan's methods can use one; they enroll in bulk without it: " + strings.Join(notes, " ")
}

func (b *builder) minOSSources() []string {
	var ids []string
	for _, ps := range b.pops {
		ids = append(ids, ps.method.minOS(ps.f.Platform).Sources...)
	}
	return ids
}

// prereqWarnings turns unmet blocking prerequisites into warnings: a missing
// one is a blocker, an unconfirmed one a warning.
func (b *builder) prereqWarnings(ps *popState, status map[string]string) {
	for _, id := range ps.out.Prerequisites {
		def := b.c.prereqs[id]
		if !def.Blocking {
			continue
		}
		switch status[id] {
		case StatusTodo:
			b.warn(ps, Warning{ID: "blocked-by-" + id, Severity: SevBlocker,
				Text:    fmt.Sprintf("Not in place: %s. %s cannot enroll these devices until it is. To do: %s.", def.Title, ps.method.Name, def.Task),
				Sources: b.c.SourceURLs(def.Sources)})
		case StatusUnknown:
			b.warn(ps, Warning{ID: "unconfirmed-" + id, Severity: SevWarning,
				Text:    fmt.Sprintf("Not known yet whether this is in place: %s. %s needs it, so check it before the pilot. If it is missing: %s.", def.Title, ps.method.Name, def.Task),
				Sources: b.c.SourceURLs(def.Sources)})
		}
	}
}
