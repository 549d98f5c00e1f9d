// A newer tenant check held against a saved plan: the tenant's expiries it
// replaces, and the devices it counted against the populations planned.

package plan

import (
	"cmp"
	"slices"
	"strings"
)

// expiryFindings name the finding that reads each kind of expiry: a kind
// whose finding was read (not unknown) is known afresh from the check.
var expiryFindings = map[string]string{
	WhatApplePush: "apple-mdm-push-certificate",
	WhatADEToken:  "apple-business-manager",
	WhatVPPToken:  "vpp-tokens",
}

// CheckExpiries are a check's expiries in the answers' words
// (tenant.expiries, CONTRACT §8.1): its tenant fragment's and its own
// expiries by kind, each once, by date.
func CheckExpiries(tc *TenantCheck) []TenantExpiry {
	if tc == nil {
		return nil
	}
	all := slices.Clone(tc.Tenant.Expiries)
	for _, e := range tc.Expiries {
		switch e.Kind {
		case ExpiryApplePush:
			all = append(all, TenantExpiry{What: WhatApplePush, Name: e.Name, Expires: e.Date})
		case ExpiryADEToken:
			all = append(all, TenantExpiry{What: WhatADEToken, Name: e.Name, Expires: e.Date})
		}
	}
	return uniqueExpiries(all)
}

// RecheckExpiries is the tenant's expiries once a newer check is applied:
// of each kind the check read, what it read replaces what was known (a
// renewed token's old date must not keep warning); kinds it could not read
// (a bulk token, a reading refused for want of a permission) keep what the
// planner typed. At most MaxExpiries, the soonest.
func RecheckExpiries(known []TenantExpiry, tc *TenantCheck) []TenantExpiry {
	if tc == nil {
		return known
	}
	read := CheckExpiries(tc)
	fresh := map[string]bool{}
	for _, e := range read {
		fresh[e.What] = true
	}
	for what, id := range expiryFindings {
		for _, f := range tc.Findings {
			if f.ID == id && f.Status != FindingUnknown {
				fresh[what] = true
			}
		}
	}
	var out []TenantExpiry
	for _, e := range known {
		if !fresh[e.What] {
			out = append(out, e)
		}
	}
	out = uniqueExpiries(append(out, read...))
	if len(out) > MaxExpiries {
		out = out[:MaxExpiries]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// uniqueExpiries sorts expiries by date and drops repeats; of one thing
// read once with its name and once without, the named one stays.
func uniqueExpiries(all []TenantExpiry) []TenantExpiry {
	for i := range all {
		all[i].Name = strings.TrimSpace(all[i].Name)
	}
	slices.SortStableFunc(all, func(x, y TenantExpiry) int {
		return cmp.Or(cmp.Compare(x.Expires, y.Expires), cmp.Compare(x.What, y.What), cmp.Compare(y.Name, x.Name))
	})
	out := all[:0:0]
	for _, e := range all {
		if slices.ContainsFunc(out, func(o TenantExpiry) bool {
			return o.What == e.What && o.Expires == e.Expires && (o.Name == e.Name || e.Name == "")
		}) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// ManagedGroup is what a check counted of one platform and ownership,
// against the populations of the plan that enroll such devices. Counts
// carry no names, so populations sharing a platform and an ownership are
// held against one count together.
type ManagedGroup struct {
	Platform     string
	PlatformName string // in words, as the plan names it
	Ownership    string
	Populations  []string // population ids, in the plan's order
	Names        []string // their names
	Planned      int      // their devices together
	Managed      int      // devices Intune manages of this platform and ownership
	// Unknown counts devices of this platform whose ownership Intune does
	// not know: some may belong here.
	Unknown int
}

// ManagedDevices holds a check's device counts against a plan.
type ManagedDevices struct {
	Groups []ManagedGroup // in the order of their first population
	// Outside are counts no population of the plan can be: another
	// platform or ownership, or "other" platforms.
	Outside []DeviceCount
}

// ManagedAgainstPlan matches device counts (CONTRACT §8.4) to the plan's
// populations that enroll devices, by platform and ownership.
func ManagedAgainstPlan(p *Plan, counts []DeviceCount) ManagedDevices {
	var md ManagedDevices
	index := map[[2]string]int{}
	for _, pop := range p.Populations {
		if !pop.Enroll {
			continue // app protection without enrollment: Intune manages no device of it
		}
		key := [2]string{pop.Platform, pop.Ownership}
		i, ok := index[key]
		if !ok {
			i = len(md.Groups)
			index[key] = i
			md.Groups = append(md.Groups, ManagedGroup{Platform: pop.Platform, PlatformName: pop.PlatformName, Ownership: pop.Ownership})
		}
		g := &md.Groups[i]
		g.Populations = append(g.Populations, pop.ID)
		g.Names = append(g.Names, pop.Name)
		g.Planned += pop.Devices
	}
	for _, c := range counts {
		if c.Count <= 0 {
			continue
		}
		if i, ok := index[[2]string{c.Platform, c.Ownership}]; ok {
			md.Groups[i].Managed += c.Count
			continue
		}
		placed := false
		if c.Ownership == "unknown" {
			for i := range md.Groups {
				if md.Groups[i].Platform == c.Platform {
					md.Groups[i].Unknown += c.Count
					placed = true
				}
			}
		}
		if !placed {
			md.Outside = append(md.Outside, c)
		}
	}
	return md
}
