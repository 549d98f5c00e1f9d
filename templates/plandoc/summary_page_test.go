package plandoc

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// TestSummaryPageDates: page one of the printed plan shows each first
// action's due date with its lead time and whom it unblocks, what is too
// late as a highlighted block, and an expiry on the timeline between the
// pilot and the first wave; a tenant check without a time is named
// without "on ".
func TestSummaryPageDates(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../examples/northwind.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := cat.DecodeAnswers(data)
	if err != nil {
		t.Fatal(err)
	}
	a.Tenant.Expiries = []plan.TenantExpiry{{What: plan.WhatADEToken, Name: "Northwind ABM", Expires: "2027-01-12"}}
	a.TenantCheck = &plan.TenantCheck{Schema: plan.TenantCheckSchema, Tenant: a.Tenant, Findings: []plan.Finding{}}
	p, err := cat.BuildWith(a, plan.BuildOptions{Today: "2027-01-08"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Document(p, Options{Date: "2027-01-08"}).Render(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	page1, _, ok := strings.Cut(out.String(), `<nav class="sheet contents"`)
	if !ok {
		t.Fatal("no contents after page one")
	}
	for _, want := range []string{
		`<span class="due">Due 9 Jan 2027 (takes 1 day, a planning estimate); unblocks Sales iPhones and Design Macs.</span>`,
		`<p class="sev-blocker late"><strong>Too late for the pilot on 11 Jan 2027: Move from the current MDM planned needs 5 days; 3 are left.</strong></p>`,
		`<li class="mark"><strong>12 Jan 2027</strong>: The Automated Device Enrollment token “Northwind ABM” expires.</li>`,
		`<h2>Read from the tenant</h2>`,
	} {
		if !strings.Contains(page1, want) {
			t.Errorf("page one lacks %s", want)
		}
	}
	pilot := strings.Index(page1, "<strong>Pilot</strong>")
	mark := strings.Index(page1, `<li class="mark">`)
	wave1 := strings.Index(page1, "<strong>Wave 1</strong>")
	if pilot < 0 || mark < pilot || wave1 < mark {
		t.Errorf("the expiry is not between the pilot and wave 1 on the timeline (%d, %d, %d)", pilot, mark, wave1)
	}
	if strings.Contains(page1, "tenant on <") || strings.Contains(page1, " on .") {
		t.Error("a check without a time leaves an empty date")
	}
}
