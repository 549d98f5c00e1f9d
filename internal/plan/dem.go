// Device enrollment manager (DEM) accounts: which populations use one, how
// many each needs, and how many the plan needs against the tenant's limit.

package plan

import (
	"fmt"
	"slices"
	"strings"
)

// usesDEM reports whether a population enrolls through DEM accounts: IT
// staff enroll it (CONTRACT §8.1 enrolled_by) with a method that can use
// one.
func usesDEM(ps *popState) bool {
	return ps.f.enrolledBy == EnrolledByIT && ps.method.DEM.Supported
}

// demPerAccount is how many of a population's devices one DEM account
// enrolls: the account's limit, or the method's when lower (10 Android
// personally owned work-profile devices).
func (b *builder) demPerAccount(m *MethodDef) int {
	per := b.c.DEM.MaxDevices
	if m.DEM.MaxDevices > 0 && m.DEM.MaxDevices < per {
		per = m.DEM.MaxDevices
	}
	return per
}

// demWarning says, for a population IT staff enroll, how many DEM accounts
// it needs, or that its method enrolls in bulk without one.
func (b *builder) demWarning(ps *popState) {
	m, dem := ps.method, b.c.DEM
	if !m.DEM.Supported {
		b.warn(ps, Warning{ID: "dem.not-supported", Severity: SevInfo,
			Text:    fmt.Sprintf("IT staff cannot use a device enrollment manager account for %s. %s", m.Name, m.DEM.Note),
			Sources: b.c.SourceURLs(m.DEM.Sources)})
		return
	}
	per := b.demPerAccount(m)
	need := max(1, ceilDiv(ps.f.Devices, per))
	ps.out.DEMAccounts = need
	text := fmt.Sprintf("%s For %s, one DEM account enrolls up to %s devices, so %s devices need %s.", dem.Text, m.Name, Thousands(per), Thousands(ps.f.Devices), Count(need, "DEM account", "DEM accounts"))
	sev := SevInfo
	if need > dem.MaxAccounts {
		sev = SevWarning
		text += fmt.Sprintf(" That is more than the %s a tenant can have: let users enroll part of these devices themselves.", Thousands(dem.MaxAccounts))
	}
	b.warn(ps, Warning{ID: "dem.capacity", Severity: sev, Text: text, Sources: b.c.SourceURLs(dem.Sources, m.DEM.Sources)})
}

func ceilDiv(n, d int) int { return (n + d - 1) / d }

// demTotal is what the plan's populations need in DEM accounts: counted
// group by group, and at least, when accounts enroll devices of several
// groups.
type demTotal struct {
	total, pooled int
	parts         []string // "3 for the 2,400 devices of <method>", by method
}

func (b *builder) demTotals() demTotal {
	var t demTotal
	type byMethod struct {
		m                *MethodDef
		devices, account int
	}
	var ms []*byMethod
	perCap := map[int]int{} // devices under each per-account cap
	devices := 0
	for _, ps := range b.pops {
		if !usesDEM(ps) {
			continue
		}
		t.total += ps.out.DEMAccounts
		devices += ps.f.Devices
		perCap[b.demPerAccount(ps.method)] += ps.f.Devices
		i := slices.IndexFunc(ms, func(x *byMethod) bool { return x.m == ps.method })
		if i < 0 {
			ms = append(ms, &byMethod{m: ps.method})
			i = len(ms) - 1
		}
		ms[i].devices += ps.f.Devices
		ms[i].account += ps.out.DEMAccounts
	}
	for _, x := range ms {
		t.parts = append(t.parts, fmt.Sprintf("%s for the %s of %s", Thousands(x.account), Count(x.devices, "device", "devices"), x.m.Name))
	}
	// Shared between groups, accounts must hold every device (up to the
	// account's own limit each) and, for each lower per-method cap, every
	// device under that cap or a lower one.
	t.pooled = ceilDiv(devices, b.c.DEM.MaxDevices)
	caps := make([]int, 0, len(perCap))
	for c := range perCap {
		caps = append(caps, c)
	}
	slices.Sort(caps)
	under := 0
	for _, c := range caps {
		under += perCap[c]
		t.pooled = max(t.pooled, ceilDiv(under, c))
	}
	return t
}

// demDetail is what the dem-account prerequisite adds when some population
// uses DEM accounts: what Microsoft Entra's device limit must allow, and the
// accounts the plan needs in all.
func (b *builder) demDetail(t demTotal) string {
	dem := b.c.DEM
	s := " " + dem.EntraLimit.Text + fmt.Sprintf(" Counted group by group, this plan needs %s: %s.", Count(t.total, "DEM account", "DEM accounts"), strings.Join(t.parts, "; "))
	if t.total > dem.MaxAccounts {
		s += " " + b.demOverLimit(t)
	}
	return s
}

// demOverLimit says that the plan's DEM accounts pass the tenant's limit,
// and whether sharing accounts between groups keeps within it.
func (b *builder) demOverLimit(t demTotal) string {
	s := fmt.Sprintf("All groups together need %s DEM accounts, more than the %s a tenant can have.", Thousands(t.total), Thousands(b.c.DEM.MaxAccounts))
	if t.pooled <= b.c.DEM.MaxAccounts {
		return s + fmt.Sprintf(" An account can enroll devices of several groups, up to its limit in all: shared between groups, %s would do.", Count(t.pooled, "account", "accounts"))
	}
	return s + " Let users enroll some groups themselves, or enroll them with a method that needs no DEM account."
}

// demTotalWarnings warns every population that uses DEM accounts when the
// plan's groups together need more than the tenant can have.
func (b *builder) demTotalWarnings(t demTotal) {
	if t.total <= b.c.DEM.MaxAccounts {
		return
	}
	for _, ps := range b.pops {
		if usesDEM(ps) {
			b.warn(ps, Warning{ID: "dem.tenant-limit", Severity: SevWarning, Text: b.demOverLimit(t), Sources: b.c.SourceURLs(b.c.DEM.Sources)})
		}
	}
}
