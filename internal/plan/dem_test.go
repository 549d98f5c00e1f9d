package plan

import (
	"slices"
	"strings"
	"testing"
)

// The pages these facts come from, as checked on 2026-12-07.
const (
	pageDEM    = "https://learn.microsoft.com/intune/device-enrollment/setup-enrollment-manager" // ms.date 2025-06-18
	pageLimits = "https://learn.microsoft.com/intune/device-enrollment/limits-intune-entra"      // ms.date 2024-10-14
)

func prereq(p *Plan, id string) *Prerequisite {
	for i := range p.Prerequisites {
		if p.Prerequisites[i].ID == id {
			return &p.Prerequisites[i]
		}
	}
	return nil
}

// TestEnrolledByFacts: who enrolls each group (CONTRACT §8.1), one row per
// rule: the answer, the defaults, and the older tenant-wide spelling.
func TestEnrolledByFacts(t *testing.T) {
	c := testCatalog(t)
	cases := []struct {
		name string
		bulk bool
		pop  Population
		want string
	}{
		{"absent: the user", false, Population{Platform: "windows", Ownership: OwnCorporate, Devices: 10}, EnrolledByUser},
		{"absent, dedicated devices: IT staff", false, Population{Platform: "android", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 10}, EnrolledByIT},
		{"the answer wins over the default", false, Population{Platform: "windows", Ownership: OwnCorporate, Usage: UsageShared, Devices: 10, EnrolledBy: EnrolledByIT}, EnrolledByIT},
		{"bulk_enrollment_by_staff: IT staff for corporate devices", true, Population{Platform: "macos", Ownership: OwnCorporate, Devices: 10}, EnrolledByIT},
		{"bulk_enrollment_by_staff: never personal devices", true, Population{Platform: "android", Ownership: OwnPersonal, Devices: 150}, EnrolledByUser},
		{"bulk_enrollment_by_staff: never app protection, which enrolls nothing", true, Population{Platform: "ios", Ownership: OwnCorporate, Devices: 10, Enroll: no()}, EnrolledByUser},
		{"bulk_enrollment_by_staff: the group's own answer wins", true, Population{Platform: "windows", Ownership: OwnCorporate, Devices: 10, EnrolledBy: EnrolledByUser}, EnrolledByUser},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.Build(answersFor(fullTenant(), tc.bulk, tc.pop))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Populations[0].EnrolledBy; got != tc.want {
				t.Fatalf("enrolled_by = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDEMFacts has one row per fact about device enrollment manager
// accounts, each from setup-enrollment-manager (ms.date 2025-06-18) unless
// it says otherwise, and the contract's rule that only groups IT staff
// enroll, with a method that can use one, get them.
func TestDEMFacts(t *testing.T) {
	c := testCatalog(t)
	it := func(p Population) Population { p.EnrolledBy = EnrolledByIT; return p }
	cases := []struct {
		name  string
		bulk  bool
		pops  []Population
		check func(t *testing.T, p *Plan)
	}{
		{"E-DEM 2025-06-18: one DEM account enrolls up to 1,000 devices, so 2,500 PCs need 3", false,
			[]Population{it(Population{Platform: "windows", Ownership: OwnCorporate, Devices: 2500, Method: "windows-auto-enrollment"})},
			func(t *testing.T, p *Plan) {
				if got := p.Populations[0].DEMAccounts; got != 3 {
					t.Errorf("dem_accounts = %d, want 3", got)
				}
				if pr := prereq(p, "dem-account"); pr == nil || !strings.Contains(pr.Detail, "up to 1,000 devices") || !strings.Contains(pr.Detail, "this plan needs 3 DEM accounts") {
					t.Errorf("dem-account must state 1,000 devices and the 3 accounts: %+v", pr)
				}
			}},
		{"E-DEM 2025-06-18: at most 10 personally owned work-profile devices, so 150 contractors' phones need 15", false,
			[]Population{it(Population{Platform: "android", Ownership: OwnPersonal, Devices: 150})},
			func(t *testing.T, p *Plan) {
				if got := p.Populations[0].DEMAccounts; got != 15 {
					t.Errorf("dem_accounts = %d, want 15", got)
				}
				if !strings.Contains(warningText(p.Populations[0]), "one DEM account enrolls up to 10 devices, so 150 devices need 15 DEM accounts") {
					t.Errorf("the warning must count 15 accounts:\n%s", warningText(p.Populations[0]))
				}
			}},
		{"E-DEM 2025-06-18: a Microsoft Entra device limit below 1,000 stops a DEM account; where to set it from limits-intune-entra 2024-10-14", false,
			[]Population{it(Population{Platform: "macos", Ownership: OwnCorporate, Devices: 40, Method: "macos-device-enrollment"})},
			func(t *testing.T, p *Plan) {
				pr := prereq(p, "dem-account")
				if pr == nil || !strings.Contains(pr.Detail, "Maximum number of devices per user below 1,000") || !strings.Contains(pr.Detail, "Identity > Devices > Device settings") {
					t.Fatalf("dem-account must carry the Entra device limit: %+v", pr)
				}
				if !slices.Contains(pr.Sources, pageDEM) || !slices.Contains(pr.Sources, pageLimits) {
					t.Errorf("dem-account must cite %s and %s: %v", pageDEM, pageLimits, pr.Sources)
				}
			}},
		{"E-DEM 2025-06-18: 150 DEM accounts per tenant, counted over all groups", false,
			[]Population{
				it(Population{ID: "north", Platform: "windows", Ownership: OwnCorporate, Devices: 80_000, Method: "windows-auto-enrollment"}),
				it(Population{ID: "south", Platform: "windows", Ownership: OwnCorporate, Devices: 80_000, Method: "windows-auto-enrollment"}),
			},
			func(t *testing.T, p *Plan) {
				for _, pop := range p.Populations {
					if pop.DEMAccounts != 80 {
						t.Errorf("%s: dem_accounts = %d, want 80", pop.ID, pop.DEMAccounts)
					}
					if !hasWarning(pop, "dem.tenant-limit", SevWarning) || !strings.Contains(warningText(pop), "need 160 DEM accounts, more than the 150 a tenant can have") {
						t.Errorf("%s: 80 + 80 accounts pass the tenant's 150:\n%s", pop.ID, warningText(pop))
					}
					if hasWarning(pop, "dem.capacity", SevWarning) {
						t.Errorf("%s: 80 accounts alone are within the limit; only the total is a warning", pop.ID)
					}
				}
				if pr := prereq(p, "dem-account"); pr == nil || !strings.Contains(pr.Detail, "160 for the 160,000 devices of") {
					t.Errorf("dem-account must add the groups up: %+v", pr)
				}
			}},
		{"E-DEM 2025-06-18: over 150 counted group by group, within 150 when groups share accounts", false,
			[]Population{
				it(Population{ID: "a", Platform: "windows", Ownership: OwnCorporate, Devices: 37_001, Method: "windows-auto-enrollment"}),
				it(Population{ID: "b", Platform: "windows", Ownership: OwnCorporate, Devices: 37_001, Method: "windows-auto-enrollment"}),
				it(Population{ID: "c", Platform: "windows", Ownership: OwnCorporate, Usage: UsageShared, Devices: 37_001, Method: "windows-bulk"}),
				it(Population{ID: "d", Platform: "windows", Ownership: OwnCorporate, Usage: UsageShared, Devices: 37_001, Method: "windows-bulk"}),
			},
			func(t *testing.T, p *Plan) {
				if !strings.Contains(warningText(p.Populations[0]), "need 152 DEM accounts") || !strings.Contains(warningText(p.Populations[0]), "shared between groups, 149 accounts would do") {
					t.Errorf("4 × 38 = 152, and 148,004 devices fit 149 shared accounts:\n%s", warningText(p.Populations[0]))
				}
			}},
		{"CONTRACT §8.1: bulk_enrollment_by_staff proposes no DEM account for personal phones", true,
			[]Population{
				{ID: "contractors", Platform: "android", Ownership: OwnPersonal, Devices: 150},
				{ID: "office", Platform: "windows", Ownership: OwnCorporate, Devices: 50, Method: "windows-auto-enrollment"},
			},
			func(t *testing.T, p *Plan) {
				if p.Populations[0].DEMAccounts != 0 || hasWarning(p.Populations[0], "dem.capacity", "") || hasWarning(p.Populations[0], "dem.not-supported", "") {
					t.Errorf("personal phones get nothing about DEM: %+v", p.Populations[0].Warnings)
				}
				if pr := prereq(p, "dem-account"); pr == nil || !slices.Equal(pr.AppliesTo, []string{"office"}) {
					t.Errorf("dem-account applies to the corporate PCs only: %+v", pr)
				}
			}},
		{"E-DEM 2025-06-18: no DEM for ADE; IT staff enroll through the method's own tool", false,
			[]Population{it(Population{ID: "ipads", Platform: "ios", Ownership: OwnCorporate, Usage: UsageShared, Devices: 300})},
			func(t *testing.T, p *Plan) {
				if prereq(p, "dem-account") != nil || p.Populations[0].DEMAccounts != 0 {
					t.Errorf("no DEM account for ADE: %+v", p.Prerequisites)
				}
				if !hasWarning(p.Populations[0], "dem.not-supported", SevInfo) {
					t.Errorf("the group is told how staff enroll without a DEM:\n%s", warningText(p.Populations[0]))
				}
			}},
		{"CONTRACT §5: with bulk_enrollment_by_staff the DEM prerequisite stays, applying to no group, when no method can use one", true,
			[]Population{{ID: "ipads", Platform: "ios", Ownership: OwnCorporate, Devices: 30}},
			func(t *testing.T, p *Plan) {
				pr := prereq(p, "dem-account")
				if pr == nil || len(pr.AppliesTo) != 0 || !strings.Contains(pr.Detail, "they enroll in bulk without it") || !strings.Contains(pr.Detail, "ADE") {
					t.Errorf("dem-account must stay and say how ADE enrolls in bulk: %+v", pr)
				}
			}},
		{"CONTRACT §8.1: users who enroll their own devices need no DEM account", false,
			[]Population{{Platform: "windows", Ownership: OwnCorporate, Devices: 5000, Method: "windows-auto-enrollment"}},
			func(t *testing.T, p *Plan) {
				if prereq(p, "dem-account") != nil || hasWarning(p.Populations[0], "dem.capacity", "") {
					t.Errorf("no DEM for users who enroll themselves: %+v", p.Prerequisites)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.Build(answersFor(fullTenant(), tc.bulk, tc.pops...))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p)
		})
	}
}

// TestCondWhoAndMaker: catalog items scoped by who enrolls and by maker.
func TestCondWhoAndMaker(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), false)
	b := newBuilder(c, &a, BuildOptions{})
	cases := []struct {
		name string
		cond Cond
		pop  Population
		want bool
	}{
		{"enrolled_by it matches dedicated devices by default", Cond{EnrolledBy: []string{EnrolledByIT}}, Population{Platform: "android", Ownership: OwnCorporate, Usage: UsageDedicated}, true},
		{"enrolled_by it does not match a user's own enrollment", Cond{EnrolledBy: []string{EnrolledByIT}}, Population{Platform: "android", Ownership: OwnCorporate}, false},
		{"enrolled_by user matches the default", Cond{EnrolledBy: []string{EnrolledByUser}}, Population{Platform: "android", Ownership: OwnCorporate}, true},
		{"a maker in any case", Cond{Manufacturer: []string{"zebra"}}, Population{Platform: "android", Ownership: OwnCorporate, Manufacturer: "ZEBRA"}, true},
		{"a maker's longer name", Cond{Manufacturer: []string{"samsung"}}, Population{Platform: "android", Ownership: OwnCorporate, Manufacturer: " Samsung Electronics Co., Ltd. "}, true},
		{"not another maker", Cond{Manufacturer: []string{"samsung"}}, Population{Platform: "android", Ownership: OwnCorporate, Manufacturer: "Zebra"}, false},
		{"not a name that only starts alike", Cond{Manufacturer: []string{"samsung"}}, Population{Platform: "android", Ownership: OwnCorporate, Manufacturer: "Samsungite"}, false},
		{"not a maker when none is named", Cond{Manufacturer: []string{"samsung"}}, Population{Platform: "android", Ownership: OwnCorporate}, false},
		{"\"\" matches no maker named", Cond{Manufacturer: []string{""}}, Population{Platform: "android", Ownership: OwnCorporate}, true},
		{"\"\" does not match a named maker", Cond{Manufacturer: []string{""}}, Population{Platform: "android", Ownership: OwnCorporate, Manufacturer: "Zebra"}, false},
		{"one of several makers", Cond{Manufacturer: []string{"honeywell", "zebra technologies"}}, Population{Platform: "android", Ownership: OwnCorporate, Manufacturer: "Zebra Technologies"}, true},
		{"a two-word maker needs both words", Cond{Manufacturer: []string{"zebra technologies"}}, Population{Platform: "android", Ownership: OwnCorporate, Manufacturer: "Zebra"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := b.match(&tc.cond, b.facts(tc.pop)); got != tc.want {
				t.Fatalf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestManufacturerShown: the maker the answers name is in the plan and in
// its words, escaped where Markdown would read it.
func TestManufacturerShown(t *testing.T) {
	c := testCatalog(t)
	p, err := c.Build(answersFor(fullTenant(), false, Population{Name: "Scanners", Platform: "android", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 40, Manufacturer: "Zebra *Tech*"}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Populations[0].Manufacturer != "Zebra *Tech*" {
		t.Fatalf("manufacturer = %q", p.Populations[0].Manufacturer)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), `made by Zebra \*Tech\* · enrolled by IT staff`) {
		t.Errorf("the facts line must name the maker, escaped, and who enrolls:\n%s", md.String())
	}
}
