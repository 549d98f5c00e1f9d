package plan

import (
	"reflect"
	"testing"
)

// TestRecheckExpiriesReplaceWhatWasRead: a newer check replaces the ADE
// token's old date (renewed since) and adds what it read, while a bulk
// token it cannot read, and a VPP token whose reading was refused, keep
// what the planner typed.
func TestRecheckExpiriesReplaceWhatWasRead(t *testing.T) {
	known := []TenantExpiry{
		{What: WhatADEToken, Name: "Contoso ABM", Expires: "2027-01-20"},
		{What: WhatBulkToken, Name: "Kiosk package", Expires: "2027-04-01"},
		{What: WhatVPPToken, Name: "Contoso VPP", Expires: "2027-05-01"},
	}
	tc := &TenantCheck{
		Findings: []Finding{
			{ID: "apple-business-manager", Status: FindingOK},
			{ID: "vpp-tokens", Status: FindingUnknown},
		},
		Expiries: []Expiry{{Kind: ExpiryADEToken, Name: "Contoso ABM", Date: "2028-01-20"}, {Kind: ExpiryApplePush, Name: "mdm@contoso.com", Date: "2027-02-15"}},
		Tenant:   Tenant{Expiries: []TenantExpiry{{What: WhatApplePush, Name: "mdm@contoso.com", Expires: "2027-02-15"}}},
	}
	got := RecheckExpiries(known, tc)
	want := []TenantExpiry{
		{What: WhatApplePush, Name: "mdm@contoso.com", Expires: "2027-02-15"},
		{What: WhatBulkToken, Name: "Kiosk package", Expires: "2027-04-01"},
		{What: WhatVPPToken, Name: "Contoso VPP", Expires: "2027-05-01"},
		{What: WhatADEToken, Name: "Contoso ABM", Expires: "2028-01-20"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("expiries after the check:\n got %+v\nwant %+v", got, want)
	}
}

// TestManagedAgainstPlan: populations of one platform and ownership share
// a count; devices of unknown ownership are told beside each group of
// their platform; counts no population can be are listed apart, and an
// app-protection population is held against no count.
func TestManagedAgainstPlan(t *testing.T) {
	p := &Plan{Populations: []PopulationPlan{
		{ID: "sales-iphones", Name: "Sales iPhones", Platform: "ios", Ownership: OwnCorporate, Devices: 250, Enroll: true},
		{ID: "laptops", Name: "Laptops", Platform: "windows", Ownership: OwnCorporate, Devices: 600, Enroll: true},
		{ID: "field-iphones", Name: "Field iPhones", Platform: "ios", Ownership: OwnCorporate, Devices: 150, Enroll: true},
		{ID: "byod", Name: "Personal phones", Platform: "ios", Ownership: OwnPersonal, Devices: 400, Enroll: false},
	}}
	md := ManagedAgainstPlan(p, []DeviceCount{
		{Platform: "ios", Ownership: OwnCorporate, Count: 180},
		{Platform: "ios", Ownership: "unknown", Count: 4},
		{Platform: "ios", Ownership: OwnPersonal, Count: 30},
		{Platform: "macos", Ownership: OwnCorporate, Count: 3},
	})
	if len(md.Groups) != 2 {
		t.Fatalf("groups: %+v", md.Groups)
	}
	ios := md.Groups[0]
	if !reflect.DeepEqual(ios.Populations, []string{"sales-iphones", "field-iphones"}) || ios.Planned != 400 || ios.Managed != 180 || ios.Unknown != 4 {
		t.Errorf("iOS corporate: %+v", ios)
	}
	if w := md.Groups[1]; w.Platform != "windows" || w.Managed != 0 || w.Planned != 600 {
		t.Errorf("Windows: %+v", w)
	}
	want := []DeviceCount{{Platform: "ios", Ownership: OwnPersonal, Count: 30}, {Platform: "macos", Ownership: OwnCorporate, Count: 3}}
	if !reflect.DeepEqual(md.Outside, want) {
		t.Errorf("outside the plan: %+v", md.Outside)
	}
}
