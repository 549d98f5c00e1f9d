package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DecodeAnswers parses and validates answers JSON. Every problem is reported,
// each with its field path, in a *ValidationError.
func (c *Catalog) DecodeAnswers(data []byte) (Answers, error) {
	root, ferr := parseTree(data)
	if ferr != nil {
		return Answers{}, &ValidationError{Errors: []FieldError{*ferr}}
	}
	b := binder{reported: map[string]bool{}}
	a := b.answers(root)
	errs := append(b.errs, c.validate(&a, b.reported)...)
	if len(errs) > 0 {
		return a, &ValidationError{Errors: capErrors(errs)}
	}
	return a, nil
}

// maxErrors keeps an error list readable and its size bounded: a planner
// fixes the first hundred problems before the rest matter.
const maxErrors = 100

func capErrors(errs []FieldError) []FieldError {
	if len(errs) <= maxErrors {
		return errs
	}
	more := len(errs) - maxErrors
	return append(errs[:maxErrors:maxErrors], FieldError{Field: rootPath, Message: fmt.Sprintf("…and %s more; fix the ones above first", Count(more, "problem", "problems"))})
}

// binder copies a parsed tree onto the Answers types, collecting type errors,
// unknown fields and duplicate keys. It remembers which paths it already
// complained about so that validation does not repeat itself.
type binder struct {
	errs     []FieldError
	reported map[string]bool
}

func (b *binder) fail(path, format string, args ...any) {
	b.errs = append(b.errs, FieldError{Field: path, Message: fmt.Sprintf(format, args...)})
	b.reported[path] = true
}

func (b *binder) wrongType(path string, n *node, want string) {
	b.fail(path, "must be %s, not %s", want, describeTyped(n))
}

func describeTyped(n *node) string {
	switch n.kind {
	case kindString, kindNumber, kindBool:
		return fmt.Sprintf("%s (%s)", n.kind, describe(n))
	}
	return n.kind.String()
}

// object checks that n is an object with only allowed, distinct keys.
func (b *binder) object(path string, n *node, allowed []string) map[string]*node {
	if n.kind != kindObject {
		b.wrongType(path, n, "an object")
		return nil
	}
	out := make(map[string]*node, len(n.keys))
	if n.count > len(n.keys) {
		b.fail(path, "has %d fields; no object in the answers has more than %d", n.count, len(allowed))
		return nil
	}
	for i, k := range n.keys {
		p := fieldPath(path, k)
		if !contains(allowed, k) {
			where := "here"
			if path != rootPath {
				where = "in " + path
			}
			b.fail(p, "unknown field %s; the fields allowed %s are: %s", quote(k), where, oneOf(allowed))
			continue
		}
		if _, dup := out[k]; dup {
			b.fail(p, "appears twice; give each field once")
			continue
		}
		out[k] = n.vals[i]
	}
	return out
}

func (b *binder) str(path string, n *node) string {
	if n == nil || n.kind == kindNull {
		return ""
	}
	if n.kind != kindString {
		b.wrongType(path, n, "a string")
		return ""
	}
	return n.str
}

// optBool maps true/false to a pointer; absent or null means "not sure".
func (b *binder) optBool(path string, n *node) *bool {
	if n == nil || n.kind == kindNull {
		return nil
	}
	if n.kind != kindBool {
		b.wrongType(path, n, "true or false")
		return nil
	}
	v := n.b
	return &v
}

func (b *binder) boolean(path string, n *node) bool {
	v := b.optBool(path, n)
	return v != nil && *v
}

func (b *binder) integer(path string, n *node) int { return b.whole(path, n, MaxDevices, "devices") }

// whole reads a whole number from 0 to max; unit names what it counts.
func (b *binder) whole(path string, n *node, max int, unit string) int {
	if n == nil || n.kind == kindNull {
		return 0
	}
	if n.kind != kindNumber {
		b.wrongType(path, n, "a whole number")
		return 0
	}
	lit := describe(n) // the literal, or its length when it is absurdly long
	if i, err := strconv.ParseInt(n.str, 10, 64); err == nil {
		return b.inRange(path, float64(i), lit, max, unit)
	}
	f, err := strconv.ParseFloat(n.str, 64)
	if err != nil || math.IsInf(f, 0) {
		b.fail(path, "%s is too large; enter at most %s", lit, Thousands(max))
		return 0
	}
	if f != math.Trunc(f) {
		b.fail(path, "%s is not a whole number; enter a whole number of %s", lit, unit)
		return 0
	}
	return b.inRange(path, f, lit, max, unit)
}

func (b *binder) inRange(path string, f float64, lit string, max int, unit string) int {
	switch {
	case f < 0:
		b.fail(path, "%s is negative; enter a whole number of %s, 0 or more", lit, unit)
		return 0
	case f > float64(max) && unit == "devices":
		b.fail(path, "%s is more than %s, the largest population this planner accepts; split it or check for a typo", lit, Thousands(max))
		return 0
	case f > float64(max):
		b.fail(path, "%s is more than %s %s; check for a typo", lit, Thousands(max), unit)
		return 0
	}
	return int(f)
}

func (b *binder) list(path string, n *node, max int, what string) []*node {
	if n == nil || n.kind == kindNull {
		return nil
	}
	if n.kind != kindArray {
		b.wrongType(path, n, "a list")
		return nil
	}
	if n.count > max {
		b.fail(path, "has %d %s; at most %d are allowed", n.count, what, max)
		return n.elems[:min(max, len(n.elems))]
	}
	return n.elems
}

var (
	answersFields      = []string{"schema", "organization", "tenant", "populations", "bulk_enrollment_by_staff", "baseline", "rollout", "tenant_check", "inventory"}
	checkFields        = []string{"schema", "read_at", "tenant", "findings", "expiries", "restrictions", "devices"}
	deviceCountFields  = []string{"platform", "ownership", "count"}
	restrictionFields  = []string{"blocked", "personal_blocked"}
	findingFields      = []string{"id", "status", "title", "detail", "permission"}
	expiryFields       = []string{"kind", "name", "date"}
	tenantFields       = []string{"mdm_authority", "licenses_assigned", "admin_role", "groups_ready", "entra_premium", "configmgr", "apple_mdm_push_certificate", "apple_business_manager", "managed_google_play", "cloud", "expiries"}
	tenantExpiryFields = []string{"what", "name", "expires"}
	populationFields   = []string{"id", "name", "platform", "ownership", "usage", "devices", "personal_use", "in_use", "managed_by", "currently_managed_by_other_mdm", "enroll", "method", "enrolled_by", "manufacturer"}
	rolloutFields      = []string{"pilot_group", "pilot_start", "waves", "pilot_devices", "lead_times"}
	waveFields         = []string{"name", "group", "start", "populations", "devices"}
	inventoryFields    = []string{"rows", "columns", "devices"}
	inventoryRowFields = []string{"row", "population"}
)

func (b *binder) answers(root *node) Answers {
	var a Answers
	m := b.object(rootPath, root, answersFields)
	if m == nil {
		return a
	}
	a.Schema = b.str("schema", m["schema"])
	if _, ok := m["schema"]; !ok {
		b.fail("schema", "is missing; set it to %s", quote(AnswersSchema))
	}
	a.Organization = b.str("organization", m["organization"])
	if t, ok := m["tenant"]; ok && t.kind != kindNull {
		a.Tenant = b.tenant("tenant", t)
	}
	for i, el := range b.list("populations", m["populations"], MaxPopulations, "populations") {
		a.Populations = append(a.Populations, b.population(indexPath("populations", i), el))
	}
	a.BulkEnrollmentByStaff = b.boolean("bulk_enrollment_by_staff", m["bulk_enrollment_by_staff"])
	for i, el := range b.list("baseline", m["baseline"], MaxBaseline, "items") {
		a.Baseline = append(a.Baseline, b.str(indexPath("baseline", i), el))
	}
	if r, ok := m["rollout"]; ok && r.kind != kindNull {
		a.Rollout = b.rollout(r)
	}
	if tc, ok := m["tenant_check"]; ok && tc.kind != kindNull {
		a.TenantCheck = b.tenantCheck("tenant_check", tc)
	}
	if inv, ok := m["inventory"]; ok && inv.kind != kindNull {
		a.Inventory = b.inventory("inventory", inv)
	}
	return a
}

// inventory reads the summary of an imported inventory (CONTRACT §8.5).
func (b *binder) inventory(path string, n *node) *Inventory {
	inv := &Inventory{Columns: map[string]string{}, Devices: []InventoryDevice{}}
	m := b.object(path, n, inventoryFields)
	if m == nil {
		return inv
	}
	inv.Rows = b.whole(path+".rows", m["rows"], MaxInventoryRows, "rows")
	if c, ok := m["columns"]; ok && c.kind != kindNull {
		if c.kind != kindObject {
			b.wrongType(path+".columns", c, "an object")
		} else {
			for i, k := range c.keys {
				inv.Columns[k] = b.str(fieldPath(path+".columns", k), c.vals[i])
			}
		}
	}
	for i, el := range b.list(path+".devices", m["devices"], MaxInventoryRows, "rows") {
		p := indexPath(path+".devices", i)
		dm := b.object(p, el, inventoryRowFields)
		if dm == nil {
			continue
		}
		inv.Devices = append(inv.Devices, InventoryDevice{Row: b.whole(p+".row", dm["row"], MaxInventoryRows, "rows"), Population: b.str(p+".population", dm["population"])})
	}
	return inv
}

func (b *binder) tenant(path string, n *node) Tenant {
	var t Tenant
	m := b.object(path, n, tenantFields)
	if m == nil {
		return t
	}
	f := func(name string) string { return path + "." + name }
	t.MDMAuthority = b.str(f("mdm_authority"), m["mdm_authority"])
	t.LicensesAssigned = b.optBool(f("licenses_assigned"), m["licenses_assigned"])
	t.AdminRole = b.str(f("admin_role"), m["admin_role"])
	t.GroupsReady = b.optBool(f("groups_ready"), m["groups_ready"])
	t.EntraPremium = b.optBool(f("entra_premium"), m["entra_premium"])
	t.ConfigMgr = b.optBool(f("configmgr"), m["configmgr"])
	t.AppleMDMPushCertificate = b.optBool(f("apple_mdm_push_certificate"), m["apple_mdm_push_certificate"])
	t.AppleBusinessManager = b.optBool(f("apple_business_manager"), m["apple_business_manager"])
	t.ManagedGooglePlay = b.optBool(f("managed_google_play"), m["managed_google_play"])
	t.Cloud = b.str(f("cloud"), m["cloud"])
	for i, el := range b.list(f("expiries"), m["expiries"], MaxExpiries, "expiries") {
		p := indexPath(f("expiries"), i)
		em := b.object(p, el, tenantExpiryFields)
		if em == nil {
			t.Expiries = append(t.Expiries, TenantExpiry{})
			continue
		}
		t.Expiries = append(t.Expiries, TenantExpiry{What: b.str(p+".what", em["what"]), Name: b.str(p+".name", em["name"]),
			Expires: strings.TrimSpace(b.str(p+".expires", em["expires"]))})
	}
	return t
}

// counts reads an object of whole numbers keyed by id (a wave's devices
// per population, lead times per prerequisite), refusing duplicate keys.
func (b *binder) counts(path string, n *node, maxKeys, max int, unit string) map[string]int {
	if n == nil || n.kind == kindNull {
		return nil
	}
	if n.kind != kindObject {
		b.wrongType(path, n, "an object")
		return nil
	}
	if n.count > maxKeys || n.count > len(n.keys) {
		b.fail(path, "has %d entries; at most %d are allowed", n.count, maxKeys)
		return nil
	}
	out := make(map[string]int, len(n.keys))
	for i, k := range n.keys {
		p := fieldPath(path, k)
		if _, dup := out[k]; dup {
			b.fail(p, "appears twice; give each id once")
			continue
		}
		out[k] = b.whole(p, n.vals[i], max, unit)
	}
	return out
}

// tenantCheck reads a tenant check (CONTRACT §7): on its own, as the
// wizard's upload, or inside answers as tenant_check.
func (b *binder) tenantCheck(path string, n *node) *TenantCheck {
	tc := &TenantCheck{Findings: []Finding{}}
	m := b.object(path, n, checkFields)
	if m == nil {
		return tc
	}
	f := func(name string) string { return fieldPath(path, name) }
	tc.Schema = b.str(f("schema"), m["schema"])
	tc.ReadAt = b.str(f("read_at"), m["read_at"])
	if t, ok := m["tenant"]; ok && t.kind != kindNull {
		tc.Tenant = b.tenant(f("tenant"), t)
	}
	for i, el := range b.list(f("findings"), m["findings"], MaxFindings, "findings") {
		p := indexPath(f("findings"), i)
		fm := b.object(p, el, findingFields)
		if fm == nil {
			continue
		}
		tc.Findings = append(tc.Findings, Finding{ID: b.str(p+".id", fm["id"]), Status: b.str(p+".status", fm["status"]),
			Title: b.str(p+".title", fm["title"]), Detail: b.str(p+".detail", fm["detail"]), Permission: b.str(p+".permission", fm["permission"])})
	}
	// A finding's texts of any length are summarised, never refused: a
	// refused check would hold up the wizard.
	SummariseFindings(tc.Findings)
	if rn, ok := m["restrictions"]; ok && rn.kind != kindNull {
		if rm := b.object(f("restrictions"), rn, restrictionFields); rm != nil {
			tc.Restrictions = &Restrictions{Blocked: []string{}, PersonalBlocked: []string{}}
			for i, el := range b.list(f("restrictions")+".blocked", rm["blocked"], len(Platforms), "platforms") {
				tc.Restrictions.Blocked = append(tc.Restrictions.Blocked, b.str(indexPath(f("restrictions")+".blocked", i), el))
			}
			for i, el := range b.list(f("restrictions")+".personal_blocked", rm["personal_blocked"], len(Platforms), "platforms") {
				tc.Restrictions.PersonalBlocked = append(tc.Restrictions.PersonalBlocked, b.str(indexPath(f("restrictions")+".personal_blocked", i), el))
			}
		}
	}
	for i, el := range b.list(f("expiries"), m["expiries"], MaxFindings, "expiries") {
		p := indexPath(f("expiries"), i)
		em := b.object(p, el, expiryFields)
		if em == nil {
			continue
		}
		tc.Expiries = append(tc.Expiries, Expiry{Kind: b.str(p+".kind", em["kind"]), Name: b.str(p+".name", em["name"]), Date: b.str(p+".date", em["date"])})
	}
	maxCounts := len(DevicePlatforms) * len(DeviceOwnerships)
	for i, el := range b.list(f("devices"), m["devices"], maxCounts, "device counts") {
		p := indexPath(f("devices"), i)
		dm := b.object(p, el, deviceCountFields)
		if dm == nil {
			continue
		}
		tc.Devices = append(tc.Devices, DeviceCount{Platform: b.str(p+".platform", dm["platform"]), Ownership: b.str(p+".ownership", dm["ownership"]),
			Count: b.whole(p+".count", dm["count"], MaxDevices, "managed devices")})
	}
	return tc
}

// DecodeTenantCheck parses and validates the output of check-tenant, as a
// consultant uploads it into the wizard. Its findings' titles are the
// product's own words where the id is known, and their details are marked
// as the file's (FromUploadedFile).
func DecodeTenantCheck(data []byte) (*TenantCheck, error) {
	root, ferr := parseTree(data)
	if ferr != nil {
		return nil, &ValidationError{Errors: []FieldError{*ferr}}
	}
	b := binder{reported: map[string]bool{}}
	tc := b.tenantCheck(rootPath, root)
	markUploaded(tc)
	v := validator{skip: b.reported}
	v.tenantCheck(rootPath, tc)
	if errs := append(b.errs, v.errs...); len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	return tc, nil
}

func (b *binder) population(path string, n *node) Population {
	var p Population
	m := b.object(path, n, populationFields)
	if m == nil {
		return p
	}
	p.ID = b.str(path+".id", m["id"])
	p.Name = b.str(path+".name", m["name"])
	p.Platform = b.str(path+".platform", m["platform"])
	p.Ownership = b.str(path+".ownership", m["ownership"])
	p.Usage = b.str(path+".usage", m["usage"])
	p.Devices = b.integer(path+".devices", m["devices"])
	p.PersonalUse = b.optBool(path+".personal_use", m["personal_use"])
	p.InUse = b.optBool(path+".in_use", m["in_use"])
	p.ManagedBy = b.str(path+".managed_by", m["managed_by"])
	p.CurrentlyManagedByOtherMDM = b.optBool(path+".currently_managed_by_other_mdm", m["currently_managed_by_other_mdm"])
	p.Enroll = b.optBool(path+".enroll", m["enroll"])
	p.Method = b.str(path+".method", m["method"])
	p.EnrolledBy = b.str(path+".enrolled_by", m["enrolled_by"])
	p.Manufacturer = b.str(path+".manufacturer", m["manufacturer"])
	return p
}

func (b *binder) rollout(n *node) Rollout {
	var r Rollout
	m := b.object("rollout", n, rolloutFields)
	if m == nil {
		return r
	}
	r.PilotGroup = b.str("rollout.pilot_group", m["pilot_group"])
	r.PilotStart = strings.TrimSpace(b.str("rollout.pilot_start", m["pilot_start"]))
	if pd, ok := m["pilot_devices"]; ok && pd.kind != kindNull {
		n := b.integer("rollout.pilot_devices", pd)
		r.PilotDevices = &n
	}
	r.LeadTimes = b.counts("rollout.lead_times", m["lead_times"], 64, MaxLeadDays, "days")
	for i, el := range b.list("rollout.waves", m["waves"], MaxWaves, "waves") {
		p := indexPath("rollout.waves", i)
		wm := b.object(p, el, waveFields)
		if wm == nil {
			r.Waves = append(r.Waves, Wave{})
			continue
		}
		w := Wave{
			Name:  b.str(p+".name", wm["name"]),
			Group: b.str(p+".group", wm["group"]),
			Start: strings.TrimSpace(b.str(p+".start", wm["start"])),
		}
		if pn, ok := wm["populations"]; ok && pn.kind != kindNull {
			w.Populations = []string{} // given, even if empty: an empty list is an error, not "every population"
			for j, el := range b.list(p+".populations", pn, MaxWaveMembers, "populations") {
				w.Populations = append(w.Populations, b.str(indexPath(p+".populations", j), el))
			}
		}
		w.Devices = b.counts(p+".devices", wm["devices"], MaxWaveMembers, MaxDevices, "devices")
		r.Waves = append(r.Waves, w)
	}
	return r
}
