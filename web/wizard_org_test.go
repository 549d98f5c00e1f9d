package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// TestOrgExpiries: step 1 asks what in the tenant expires, in optional rows
// (what, name, date); a filled row reaches tenant.expiries, a blank one is
// none, and a row typed in part says what it lacks, beside the field.
func TestOrgExpiries(t *testing.T) {
	p := newClockedPlanner(t)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	r := p.get("/wizard/organisation")
	text := visibleText(r.body)
	if !strings.Contains(text, "What in your tenant expires?") || !strings.Contains(r.body, `name="tenant.expiries[0].what"`) || strings.Contains(r.body, `name="tenant.expiries[1].what"`) {
		t.Fatal("step 1 does not offer one row for what expires")
	}
	for _, label := range []string{"Apple MDM push certificate", "Automated Device Enrollment (ADE) token", "Apps and books (VPP) token", "Bulk enrollment token"} {
		if !strings.Contains(text, label) {
			t.Errorf("no choice %q", label)
		}
	}

	// Typed in part and too long: errors beside the fields, as typed.
	f := orgForm()
	f.Set("tenant.expiries[0].name", strings.Repeat("n", 81))
	f.Set("tenant.expiries[0].expires.day", "04/01/2027")
	f.Set("tenant.expiries[1].what", plan.WhatVPPToken)
	r = p.post("/wizard/organisation", f)
	if r.status != 422 {
		t.Fatalf("a row typed in part: %d", r.status)
	}
	summary := visibleText(between(r.body, `<h2 id="error-summary-title">`, "</div>"))
	for _, want := range []string{"Expiry 1: choose what expires", "Expiry 1: keep the name to 80 characters or fewer; it has 81",
		"Expiry 1: “04/01/2027” could be 4 January or 1 April: write the month as a word", "Expiry 2: enter the day it expires, for example 31 March 2027"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	for _, id := range []string{"f-tenant-expiries-0-what", "f-tenant-expiries-0-name", "f-tenant-expiries-0-expires", "f-tenant-expiries-1-expires"} {
		if !strings.Contains(r.body, `href="#`+id+`"`) || !strings.Contains(r.body, `id="`+id+`-error"`) {
			t.Errorf("no error linked to and beside %s", id)
		}
	}
	if !strings.Contains(r.body, `name="tenant.expiries[0].expires.day" value="04/01/2027"`) || !strings.Contains(r.body, `<option value="vpp-token" selected`) {
		t.Error("the rows lost what was typed")
	}

	// Add another expiry: the page again with a row more, nothing checked.
	f = orgForm()
	f.Set("tenant.expiries[0].what", plan.WhatADEToken)
	f.Set("action", "add-expiry")
	r = p.post("/wizard/organisation", f)
	if r.status != 200 || !strings.Contains(r.body, `name="tenant.expiries[1].what"`) || strings.Contains(r.body, "error-summary") ||
		!strings.Contains(r.body, `<option value="ade-token" selected`) {
		t.Fatalf("add another expiry: %d", r.status)
	}

	// Filled in, with a pasted date and a blank row: saved as one expiry.
	f = orgForm()
	f.Set("tenant.expiries[0].what", plan.WhatADEToken)
	f.Set("tenant.expiries[0].name", " Contoso ADE ")
	f.Set("tenant.expiries[0].expires.day", "31 March 2027")
	f.Set("tenant.expiries[1].what", "")
	expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
	r = p.get("/wizard/organisation")
	for _, want := range []string{`<option value="ade-token" selected`, `name="tenant.expiries[0].name" value="Contoso ADE"`,
		`name="tenant.expiries[0].expires.day" value="31"`, `name="tenant.expiries[0].expires.month" value="Mar"`, `name="tenant.expiries[0].expires.year" value="2027"`,
		`name="tenant.expiries[1].what"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("step 1 again lacks %s", want)
		}
	}
	expectRedirect(t, p.post("/wizard/devices", devicesForm("continue")), "/wizard/review")
	expectRedirect(t, p.post("/wizard/review", url.Values{"populations[0].method": {"ios-ade"}, "populations[1].method": {"windows-autopilot"}}), "/wizard/prerequisites")
	expectRedirect(t, p.post("/wizard/prerequisites", url.Values{"bulk_enrollment_by_staff": {"no"}}), "/wizard/rollout")
	expectRedirect(t, p.post("/wizard/rollout", rolloutForm()), "/wizard/plan")
	a := savedAnswers(t, p)
	if e := a.Tenant.Expiries; len(e) != 1 || e[0] != (plan.TenantExpiry{What: plan.WhatADEToken, Name: "Contoso ADE", Expires: "2027-03-31"}) {
		t.Errorf("expiries saved: %+v", e)
	}
	// Emptied, the row is gone from the answers.
	expectRedirect(t, p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	if r := p.get("/wizard/organisation"); strings.Contains(r.body, "Contoso ADE") || strings.Contains(r.body, `name="tenant.expiries[1].what"`) {
		t.Error("an emptied row stays")
	}
}
