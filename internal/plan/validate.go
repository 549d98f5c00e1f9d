package plan

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)
	baselineIDShape = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// Validate checks answers built in code (the wizard builds them from form
// fields) with the same rules DecodeAnswers applies.
func (c *Catalog) Validate(a *Answers) error {
	if errs := c.validate(a, nil); len(errs) > 0 {
		return &ValidationError{Errors: errs}
	}
	return nil
}

// validate applies the rules that need values rather than types. Paths in
// skip already have a type error and are not reported again.
func (c *Catalog) validate(a *Answers, skip map[string]bool) []FieldError {
	v := validator{skip: skip}
	switch {
	case a.Schema == "":
		v.fail("schema", "is missing; set it to %s", quote(AnswersSchema))
	case a.Schema != AnswersSchema:
		v.fail("schema", "%s is not a format this version reads; use %s", quote(a.Schema), quote(AnswersSchema))
	}
	if strings.TrimSpace(a.Organization) == "" {
		v.fail("organization", "is missing; name the organisation the plan is for")
	}
	v.text("organization", a.Organization)
	v.enum("tenant.mdm_authority", a.Tenant.MDMAuthority, MDMAuthorities, "an MDM authority", true)
	v.enum("tenant.admin_role", a.Tenant.AdminRole, AdminRoles, "an admin role", true)
	v.enum("tenant.cloud", a.Tenant.Cloud, Clouds, "a Microsoft cloud", true)

	if len(a.Populations) == 0 {
		v.fail("populations", "is empty; add at least one group of devices")
	}
	seen := map[string]int{}
	for i := range a.Populations {
		c.validatePopulation(&v, i, &a.Populations[i], seen)
	}
	seenBaseline := map[string]int{}
	for i, item := range a.Baseline {
		p := indexPath("baseline", i)
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			v.fail(p, "is empty; remove it or name a policy")
		case !contains(BaselineIDs, item) && baselineIDShape.MatchString(item):
			v.fail(p, "%s is not a baseline policy id (%s); write other policies as words, for example %s", quote(item), oneOf(BaselineIDs), quote("Defender for Endpoint onboarding"))
		default:
			if j, dup := seenBaseline[strings.ToLower(item)]; dup {
				v.fail(p, "%s is listed twice (also as item %d); give each policy once", quote(item), j+1)
			}
			seenBaseline[strings.ToLower(item)] = i
		}
		v.text(p, item)
	}
	v.text("rollout.pilot_group", a.Rollout.PilotGroup)
	var prev time.Time
	prevIndex, prevPath := -1, ""
	if a.Rollout.PilotStart != "" {
		if d, err := time.Parse(time.DateOnly, a.Rollout.PilotStart); err != nil {
			v.fail("rollout.pilot_start", "%s is not a date; write it as YYYY-MM-DD, for example 2027-01-04", quote(a.Rollout.PilotStart))
		} else {
			prev, prevIndex, prevPath = d, 0, "the pilot"
		}
	}
	if a.TenantCheck != nil {
		v.tenantCheck("tenant_check", a.TenantCheck)
	}
	ids := assignIDs(a.Populations)
	for i, w := range a.Rollout.Waves {
		p := indexPath("rollout.waves", i)
		if strings.TrimSpace(w.Name) == "" {
			v.fail(p+".name", "is missing; name the wave, for example %s", quote(fmt.Sprintf("Wave %d", i+1)))
		}
		v.text(p+".name", w.Name)
		if strings.TrimSpace(w.Group) == "" {
			v.fail(p+".group", "is missing; name the group of users or devices this wave adds")
		}
		v.text(p+".group", w.Group)
		v.waveMembers(p+".populations", w.Populations, ids)
		if w.Start == "" {
			continue
		}
		d, err := time.Parse(time.DateOnly, w.Start)
		if err != nil {
			v.fail(p+".start", "%s is not a date; write it as YYYY-MM-DD, for example 2027-01-11", quote(w.Start))
			continue
		}
		if prevIndex >= 0 && d.Before(prev) {
			v.fail(p+".start", "%s is before %s (%s); the pilot comes first and the waves follow in date order", w.Start, prevPath, prev.Format(time.DateOnly))
		}
		prev, prevIndex, prevPath = d, i, fmt.Sprintf("the wave before it (%s)", quote(strings.TrimSpace(w.Name)))
	}
	c.validateRolloutCounts(&v, a, ids)
	v.expiries("tenant.expiries", a.Tenant.Expiries)
	if a.Inventory != nil {
		v.inventory("inventory", a.Inventory, ids)
	}
	return v.errs
}

// inventory checks the summary of an imported inventory: bounded, each row
// placed once, in a population the answers have.
func (v *validator) inventory(path string, inv *Inventory, ids []string) {
	if inv.Rows < 0 || inv.Rows > MaxInventoryRows {
		v.fail(path+".rows", "%d is not a number of rows from 0 to %s", inv.Rows, Thousands(MaxInventoryRows))
	}
	if len(inv.Devices) > MaxInventoryRows {
		v.fail(path+".devices", "lists %s devices; an inventory holds at most %s", Thousands(len(inv.Devices)), Thousands(MaxInventoryRows))
		return
	}
	for field, heading := range inv.Columns {
		if !contains(InventoryFields, field) {
			v.fail(path+".columns", "%s is not a column the import knows (%s)", quote(field), oneOf(InventoryFields))
		}
		v.text(path+".columns."+field, heading)
	}
	known := make(map[string]bool, len(ids))
	for _, id := range ids {
		known[id] = true
	}
	seen := make(map[int]bool, len(inv.Devices))
	for i, d := range inv.Devices {
		p := indexPath(path+".devices", i)
		switch {
		case d.Row < 1 || d.Row > inv.Rows:
			v.fail(p+".row", "%d is not a row of the inventory (1 to %d)", d.Row, inv.Rows)
		case seen[d.Row]:
			v.fail(p+".row", "row %d is placed twice; place each row in one population", d.Row)
		case !known[d.Population]:
			v.fail(p+".population", "%s is not the id of a population in these answers", quote(d.Population))
		}
		if len(v.errs) > 20 {
			return // one bad file gives a few errors, not a hundred thousand
		}
		seen[d.Row] = true
	}
}

// validateRolloutCounts checks the pilot size, each wave's device counts and
// the lead times, then that the counts fit each population (CONTRACT §8.1).
func (c *Catalog) validateRolloutCounts(v *validator, a *Answers, ids []string) {
	before := len(v.errs)
	if pd := a.Rollout.PilotDevices; pd != nil && *pd < 1 {
		v.fail("rollout.pilot_devices", "is %d; the pilot needs at least 1 device of each population (leave it out and the plan proposes a number)", *pd)
	}
	for i, w := range a.Rollout.Waves {
		p := indexPath("rollout.waves", i) + ".devices"
		for _, id := range sortedKeys(w.Devices) {
			switch {
			case !contains(ids, id):
				v.fail(fieldPath(p, id), "%s is not the id of a population; use one of: %s", quote(id), oneOf(ids))
			case w.Populations != nil && !contains(w.Populations, id):
				v.fail(fieldPath(p, id), "%s is not in this wave; tick it in the wave's populations or remove its count", quote(id))
			}
		}
	}
	for _, id := range sortedKeys(a.Rollout.LeadTimes) {
		if _, ok := c.prereqs[id]; !ok {
			v.fail(fieldPath("rollout.lead_times", id), "%s is not a prerequisite id; use one of: %s", quote(id), oneOf(c.PrerequisiteIDs()))
		}
	}
	if len(v.errs) > before {
		return // the counts cannot be added up until their ids are right
	}
	al := Allocate(a, ids)
	for _, e := range al.errs {
		v.fail(e.Field, "%s", e.Message)
	}
}

// expiries checks the tenant's expiry dates a planner typed.
func (v *validator) expiries(path string, es []TenantExpiry) {
	for i, e := range es {
		p := indexPath(path, i)
		v.enum(p+".what", e.What, ExpiryWhats, "something that expires", false)
		if _, err := time.Parse(time.DateOnly, e.Expires); err != nil {
			v.fail(p+".expires", "%s is not a date; write it as YYYY-MM-DD, for example 2027-03-31", quote(e.Expires))
		}
		v.text(p+".name", e.Name)
	}
}

// waveMembers checks a wave's population ids against the plan's populations
// (given ids, or the ones the engine makes when an id is absent).
func (v *validator) waveMembers(path string, members, ids []string) {
	if members == nil {
		return
	}
	if len(members) == 0 {
		v.fail(path, "is empty; list the populations this wave covers, or leave it out for every population")
	}
	seen := map[string]bool{}
	for j, id := range members {
		p := indexPath(path, j)
		switch {
		case !contains(ids, id):
			v.fail(p, "%s is not the id of a population; use one of: %s", quote(id), oneOf(ids))
		case seen[id]:
			v.fail(p, "%s is listed twice in this wave", quote(id))
		}
		seen[id] = true
	}
}

func (c *Catalog) validatePopulation(v *validator, i int, p *Population, seen map[string]int) {
	path := indexPath("populations", i)
	if p.ID != "" {
		if !idPattern.MatchString(p.ID) {
			v.fail(path+".id", "%s is not a valid id; use 1 to 40 lower-case letters, digits and hyphens, for example %s", quote(p.ID), quote("sales-iphones"))
		} else if j, dup := seen[p.ID]; dup {
			v.fail(path+".id", "%s is already the id of population %d; ids must be unique", quote(p.ID), j+1)
		} else {
			seen[p.ID] = i
		}
	}
	v.text(path+".name", p.Name)
	platformOK := v.enum(path+".platform", p.Platform, Platforms, "a platform", false)
	v.enum(path+".ownership", p.Ownership, Ownerships, "an ownership", false)
	usageOK := v.enum(path+".usage", p.Usage, Usages, "a usage", true)
	if usageOK && p.Ownership == OwnPersonal && p.EffectiveUsage() != UsageUser {
		v.fail(path+".usage", "%s does not fit personal devices: a personal device has one user; use %s, or mark the population corporate", quote(p.Usage), quote(UsageUser))
	}
	if v.enum(path+".managed_by", p.ManagedBy, ManagedByValues, "what manages the devices today", true) && p.ManagedBy != "" {
		if old := p.CurrentlyManagedByOtherMDM; old != nil && *old != (p.ManagedBy == ManagedOtherMDM) {
			v.fail(path+".currently_managed_by_other_mdm", "%v disagrees with managed_by %s; give only managed_by (currently_managed_by_other_mdm is its older spelling)", *old, quote(p.ManagedBy))
		}
		if p.ManagedBy == ManagedConfigMgr && platformOK && p.Platform != "windows" {
			v.fail(path+".managed_by", "%s applies to Windows PCs only: Configuration Manager co-management is for Windows; use %s or %s", quote(ManagedConfigMgr), quote(ManagedNone), quote(ManagedOtherMDM))
		}
	}
	if p.PersonalUse != nil && !(p.Platform == "android" && p.Ownership == OwnCorporate && p.EffectiveUsage() == UsageUser) {
		v.fail(path+".personal_use", "only applies to corporate Android devices with one user (it chooses between a work profile and fully managed); remove it here")
	}
	if v.enum(path+".enrolled_by", p.EnrolledBy, EnrolledByValues, "who enrolls the devices", true) && p.EnrolledBy == EnrolledByIT && (!p.Enrolls() || p.Method == MethodMAMWE) {
		v.fail(path+".enrolled_by", "%s (IT staff enroll the devices) does not fit app protection without enrollment, where nothing is enrolled and each user signs in to the apps; use %s or remove enrolled_by", quote(EnrolledByIT), quote(EnrolledByUser))
	}
	v.manufacturer(path+".manufacturer", p.Manufacturer)
	mam := c.methods[MethodMAMWE]
	if !p.Enrolls() {
		if platformOK && mam != nil && !contains(mam.Platforms, p.Platform) {
			v.fail(path+".enroll", "false asks for app protection without enrollment, which Intune offers on %s only; %s devices must enroll", oneOf(mam.Platforms), p.Platform)
		}
		if usageOK && p.EffectiveUsage() != UsageUser {
			v.fail(path+".enroll", "false (app protection without enrollment) needs one signed-in user per device; %s devices must enroll", p.EffectiveUsage())
		}
	}
	if p.Method == "" || !platformOK {
		return
	}
	m := c.methods[p.Method]
	allowed := c.methodIDsFor(p.Platform)
	switch {
	case m == nil:
		v.fail(path+".method", "%s is not a method; methods for %s: %s (or leave it empty for a recommendation)", quote(p.Method), p.Platform, oneOf(allowed))
	case !contains(m.Platforms, p.Platform):
		v.fail(path+".method", "%s is a method for %s, not %s; methods for %s: %s", quote(p.Method), oneOf(m.Platforms), p.Platform, p.Platform, oneOf(allowed))
	case !p.Enrolls() && m.Enrolls:
		v.fail(path+".method", "%s enrolls devices, but enroll is false (app protection without enrollment); use %s or remove enroll", quote(p.Method), quote(MethodMAMWE))
	}
}

// manufacturer checks a maker's name (CONTRACT §8.1): free text of at
// most MaxManufacturer characters, on one line.
func (v *validator) manufacturer(path, s string) {
	switch n := utf8.RuneCountInString(s); {
	case s == "":
	case strings.TrimSpace(s) == "":
		v.fail(path, "is blank; name the maker, for example %s, or leave it out", quote("Zebra"))
	case n > MaxManufacturer:
		v.fail(path, "is %d characters long; a maker's name is at most %d, for example %s", n, MaxManufacturer, quote("Samsung"))
	case strings.ContainsFunc(s, unicode.IsControl):
		v.fail(path, "holds a line break or another control character; write the maker's name on one line")
	}
}

// tenantCheck checks a tenant check's values (CONTRACT §7).
func (v *validator) tenantCheck(path string, tc *TenantCheck) {
	f := func(name string) string { return fieldPath(path, name) }
	switch {
	case tc.Schema == "":
		v.fail(f("schema"), "is missing; a tenant check says %s", quote(TenantCheckSchema))
	case tc.Schema != TenantCheckSchema:
		v.fail(f("schema"), "%s is not a tenant check this version reads; it expects %s (the output of enrollplan check-tenant)", quote(tc.Schema), quote(TenantCheckSchema))
	}
	if tc.ReadAt != "" {
		if _, err := time.Parse(time.RFC3339, tc.ReadAt); err != nil {
			v.fail(f("read_at"), "%s is not a time; it is written as 2027-01-11T09:30:00Z", quote(tc.ReadAt))
		}
	}
	tp := f("tenant")
	v.enum(tp+".mdm_authority", tc.Tenant.MDMAuthority, MDMAuthorities, "an MDM authority", true)
	v.enum(tp+".admin_role", tc.Tenant.AdminRole, AdminRoles, "an admin role", true)
	v.enum(tp+".cloud", tc.Tenant.Cloud, Clouds, "a Microsoft cloud", true)
	for i, fd := range tc.Findings {
		p := indexPath(f("findings"), i)
		v.enum(p+".status", fd.Status, []string{FindingOK, FindingWarning, FindingMissing, FindingUnknown}, "a finding status", false)
		if fd.ID == "" || fd.Title == "" {
			v.fail(p, "needs an id and a title")
		}
		// Texts over MaxFindingText are summarised where a check is read
		// and where the plan shows it, never refused.
	}
	if r := tc.Restrictions; r != nil {
		for name, list := range map[string][]string{"blocked": r.Blocked, "personal_blocked": r.PersonalBlocked} {
			for i, p := range list {
				v.enum(indexPath(f("restrictions")+"."+name, i), p, Platforms, "a platform", false)
			}
		}
	}
	seen := map[[2]string]bool{}
	for i, d := range tc.Devices {
		p := indexPath(f("devices"), i)
		okP := v.enum(p+".platform", d.Platform, DevicePlatforms, "a platform", false)
		okO := v.enum(p+".ownership", d.Ownership, DeviceOwnerships, "an ownership", false)
		if d.Count < 0 {
			v.fail(p+".count", "is negative; a count is 0 or more")
		}
		if key := [2]string{d.Platform, d.Ownership}; okP && okO && seen[key] {
			v.fail(p, "counts %s %s devices a second time; give each platform and ownership once", d.Ownership, d.Platform)
		} else {
			seen[key] = true
		}
	}
	for i, e := range tc.Expiries {
		p := indexPath(f("expiries"), i)
		v.enum(p+".kind", e.Kind, []string{ExpiryApplePush, ExpiryADEToken}, "an expiry kind", false)
		if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
			v.fail(p+".date", "%s is not a date; write it as YYYY-MM-DD", quote(e.Date))
		}
		v.text(p+".name", e.Name)
	}
}

type validator struct {
	errs []FieldError
	skip map[string]bool
}

func (v *validator) fail(path, format string, args ...any) {
	if v.skip[path] {
		return
	}
	v.errs = append(v.errs, FieldError{Field: path, Message: fmt.Sprintf(format, args...)})
}

// enum reports a value outside allowed (or a missing one unless optional)
// and says whether the value is usable.
func (v *validator) enum(path, value string, allowed []string, what string, optional bool) bool {
	if v.skip[path] {
		return false
	}
	if value == "" {
		if !optional {
			v.fail(path, "is missing; use one of: %s", oneOf(allowed))
		}
		return optional
	}
	if !contains(allowed, value) {
		v.fail(path, "%s is not %s; use one of: %s", quote(value), what, oneOf(allowed))
		return false
	}
	return true
}

func (v *validator) text(path, s string) {
	if n := utf8.RuneCountInString(s); n > MaxText {
		v.fail(path, "is %d characters long; keep it to %d", n, MaxText)
	}
}
