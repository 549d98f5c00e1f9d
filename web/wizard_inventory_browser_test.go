package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserInventoryToSavedPlan: from the start page, a planner imports
// the hospital's Intune export, renames a group, uses the groups and goes
// on to a saved plan, in Chromium, with zero axe violations on the import
// and grouping pages (light, dark, 320 px). It counts the planner's actions
// (clicks, fields filled, files chosen) and, when ENROLLPLAN_SCREENSHOTS
// names a directory, saves full-page screenshots of both pages at 1280 and
// 375 px there.
func TestBrowserInventoryToSavedPlan(t *testing.T) {
	exe := e2eRequire(t, "axe")
	e := newInventoryEnv(t)
	browser := newBrowser(t, exe)
	b := newTab(t, browser, e.p.base)
	hospital, err := filepath.Abs("../examples/inventory/hospital.csv")
	if err != nil {
		t.Fatal(err)
	}
	actions := 0
	click := func(sel, wantPath string) {
		t.Helper()
		actions++
		b.submit(sel, 200, wantPath)
	}
	next := func(sel string) { // a Continue: to whichever step comes next
		t.Helper()
		actions++
		ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
		defer cancel()
		res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
		if err != nil || res.Status != 200 {
			t.Fatalf("continue: %v at %s: %.1500s", err, b.where(), b.text())
		}
	}
	shots := os.Getenv("ENROLLPLAN_SCREENSHOTS")
	shoot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		for _, w := range []int64{1280, 375} {
			b.viewport(w)
			ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			cancel()
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(shots, name+"-"+map[int64]string{1280: "1280", 375: "375"}[w]+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b.viewport(1280)
	}

	if st := b.open("/"); st != 200 {
		t.Fatalf("start page: %d", st)
	}
	click(`form[action="/wizard/new"] button[name="start"][value="inventory"]`, inventoryPath)
	axeHere(t, b, "inventory import")
	shoot("inventory-import")
	if checked := evalIn[bool](b, `document.querySelector('input[name="keep"]').checked`); checked {
		t.Error("keep the device list is ticked by default")
	}

	actions++ // choose the file
	b.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"][name="inventory"]`), []string{hospital}))
	click(`form[action="/wizard/inventory"] button[type="submit"]`, inventoryGroupsPath)
	if txt := b.text(); !strings.Contains(txt, "1,400 devices in 2 groups; 20 stale; 3 left out") {
		t.Errorf("grouping page: %.600s", txt)
	}
	axeHere(t, b, "inventory groups")
	shoot("inventory-groups")

	// The 600 shared PCs are the nursing stations' PCs.
	shared := evalIn[string](b, `[...document.querySelectorAll('input[name$=".name"]')].find(e => e.value === "Shared Windows PCs managed by Configuration Manager").name`)
	evalIn[chromedp.Void](b, `document.querySelector('[name="`+shared+`"]').value = ""`)
	actions++
	b.typeText(shared, "Nursing station PCs")
	click(`button[name="action"][value="apply"]`, "/wizard/organisation") // step 1 first: the plan is for whom?
	if txt := b.text(); !strings.Contains(txt, "2 groups from your inventory (1,400 devices) are in step 2") {
		t.Errorf("step 1 flash: %.600s", txt)
	}

	// On to the plan: the planner answers what each step asks and no more.
	for range 12 {
		switch path := b.path(); path {
		case "/wizard/organisation":
			actions++
			b.typeText("organization", "Lakeside General")
			next(continueBtn)
		case "/wizard/plan":
			click(`form[action="/wizard/save"] button[type="submit"]`, "/wizard/save")
			if b.value("share-url") == "" {
				t.Fatal("no share link after Save & share")
			}
			if txt := b.text(); !strings.Contains(txt, "Nursing station PCs") || !strings.Contains(txt, "Lakeside General") {
				t.Errorf("the saved plan lacks the renamed group or the organisation: %.800s", txt)
			}
			t.Logf("actions to a saved plan from the inventory: %d", actions)
			return
		default:
			next(continueBtn)
		}
	}
	t.Fatalf("no saved plan; at %s: %.800s", b.where(), b.text())
}
