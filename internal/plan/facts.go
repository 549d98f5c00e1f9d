// The facts the rules read of a population, and the conditions that read them.

package plan

import (
	"slices"
	"strings"
	"unicode"
)

// facts are what the rules see of a population: its answers, with in_use
// and managed_by settled to the planner's answer or the safer reading.
type facts struct {
	Population
	inUse      bool
	managedBy  string
	enrolledBy string // EffectiveEnrolledBy: who starts enrollment
}

// Safer readings of unknown answers: devices already in use (nothing is
// planned that relies on a new device's setup screens, and no method is
// picked that would wipe a device in use when one that doesn't exists), and
// no MDM today (the planner is told what changes if another MDM or
// Configuration Manager manages them).
const (
	saferInUse     = true
	saferManagedBy = ManagedNone
)

func (b *builder) facts(in Population) facts {
	f := facts{Population: in, inUse: saferInUse, managedBy: in.KnownManagedBy(), enrolledBy: in.EffectiveEnrolledBy(b.a.BulkEnrollmentByStaff)}
	if in.InUse != nil {
		f.inUse = *in.InUse
	}
	if f.managedBy == "" && in.Platform == "windows" && in.CurrentlyManagedByOtherMDM != nil && isNo(b.a.Tenant.ConfigMgr) {
		f.managedBy = ManagedNone // not another MDM, and the tenant has no Configuration Manager
	}
	if f.managedBy == "" {
		f.managedBy = saferManagedBy
	}
	return f
}

func isNo(v *bool) bool { return v != nil && !*v }

// applies reports whether an item scoped to platforms (none: all of its
// method's) and a condition applies to a population.
func (b *builder) applies(platforms []string, w *Cond, f facts) bool {
	return (len(platforms) == 0 || contains(platforms, f.Platform)) && b.match(w, f)
}

// match reports whether a condition holds for a population.
func (b *builder) match(w *Cond, f facts) bool {
	if w == nil {
		return true
	}
	if len(w.Ownership) > 0 && !contains(w.Ownership, f.Ownership) {
		return false
	}
	if len(w.Usage) > 0 && !contains(w.Usage, f.EffectiveUsage()) {
		return false
	}
	if w.PersonalUse != nil && (f.PersonalUse != nil && *f.PersonalUse) != *w.PersonalUse {
		return false
	}
	if w.InUse != nil && f.inUse != *w.InUse {
		return false
	}
	if len(w.ManagedBy) > 0 && !contains(w.ManagedBy, f.managedBy) {
		return false
	}
	if len(w.EnrolledBy) > 0 && !contains(w.EnrolledBy, f.enrolledBy) {
		return false
	}
	if len(w.Manufacturer) > 0 && !slices.ContainsFunc(w.Manufacturer, func(m string) bool { return makerMatches(m, f.Manufacturer) }) {
		return false
	}
	if w.DevicesOver > 0 && f.Devices <= w.DevicesOver {
		return false
	}
	if len(w.Cloud) > 0 && !contains(w.Cloud, b.cloud) {
		return false
	}
	for field, want := range w.Tenant {
		if !contains(want, yesNo(tenantBool(b.a.Tenant, field))) {
			return false
		}
	}
	return true
}

// tenantBool reads a yes/no tenant answer by its JSON name.
func tenantBool(t Tenant, field string) *bool {
	switch field {
	case "licenses_assigned":
		return t.LicensesAssigned
	case "groups_ready":
		return t.GroupsReady
	case "entra_premium":
		return t.EntraPremium
	case "configmgr":
		return t.ConfigMgr
	case "apple_mdm_push_certificate":
		return t.AppleMDMPushCertificate
	case "apple_business_manager":
		return t.AppleBusinessManager
	case "managed_google_play":
		return t.ManagedGooglePlay
	}
	return nil
}

func yesNo(v *bool) string {
	switch {
	case v == nil:
		return "unknown"
	case *v:
		return "yes"
	}
	return "no"
}

// makerMatches reports whether a condition's maker value matches the maker a
// population names: "" matches no maker named; otherwise the maker's words
// must start with the value's words, ignoring case and punctuation, so that
// "samsung" matches "Samsung Electronics" but not "Samsungite".
func makerMatches(want, maker string) bool {
	w, m := makerWords(want), makerWords(maker)
	if len(w) == 0 {
		return len(m) == 0
	}
	return len(m) >= len(w) && slices.Equal(w, m[:len(w)])
}

// makerWords are a maker's name in lower-case words of letters and digits.
func makerWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
