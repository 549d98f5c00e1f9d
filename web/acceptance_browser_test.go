package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserHospitalTemplateToSavedPlan: issue 18's acceptance from the
// start page's hospital fleet, in Chromium: the template fills step 2 with
// the hospital's eight groups, the planner names the organisation, reviews
// and saves; zero axe violations on the pages a template leads through. It
// counts the planner's actions (clicks and fields filled) and logs them
// with the time the walk took.
func TestBrowserHospitalTemplateToSavedPlan(t *testing.T) {
	exe := e2eRequire(t, "axe")
	e := newInventoryEnv(t)
	browser := newBrowser(t, exe)
	b := newTab(t, browser, e.p.base)
	started := time.Now()
	actions := 0
	next := func() {
		t.Helper()
		actions++
		ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
		defer cancel()
		res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(continueBtn)))
		if err != nil || res.Status != 200 {
			t.Fatalf("continue: %v at %s: %.1500s", err, b.where(), b.text())
		}
	}

	if st := b.open("/"); st != 200 {
		t.Fatalf("start page: %d", st)
	}
	actions++
	b.submit(`form[action="/wizard/new"] button[name="template"][value="hospital"]`, 200, "/wizard/organisation")
	if txt := b.text(); !strings.Contains(txt, "8 groups") {
		t.Errorf("step 1 does not say the template filled step 2 with the hospital's 8 groups: %.600s", txt)
	}
	axeHere(t, b, "step 1 from the hospital template")
	seen := map[string]bool{}
	for range 12 {
		path := b.path()
		if !seen[path] {
			seen[path] = true
			axeHere(t, b, path+" from the hospital template")
		}
		switch path {
		case "/wizard/organisation":
			actions++
			b.typeText("organization", "Lakeside General")
			next()
		case "/wizard/devices":
			txt := b.text()
			for _, g := range []string{"Nursing station PCs", "Clinician iPhones", "Ward iPads", "Doctors' laptops", "Administration desktops", "Patient check-in kiosks", "Porter and facilities phones", "Staff's own phones"} {
				if !strings.Contains(txt, g) {
					t.Errorf("step 2 lacks the template's group %q", g)
				}
			}
			next()
		case "/wizard/plan":
			actions++
			b.submit(`form[action="/wizard/save"] button[type="submit"]`, 200, "/wizard/save")
			if b.value("share-url") == "" {
				t.Fatal("no share link after Save & share")
			}
			txt := b.text()
			for _, want := range []string{"Lakeside General", "Nursing station PCs", "Shared iPad", "Zebra"} {
				if !strings.Contains(txt, want) {
					t.Errorf("the saved plan lacks %q", want)
				}
			}
			t.Logf("actions to a saved plan from the hospital template: %d (%s in the browser)", actions, time.Since(started).Round(time.Second))
			return
		default:
			next()
		}
	}
	t.Fatalf("no saved plan; at %s: %.800s", b.where(), b.text())
}
