package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/worklist"
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

// TestBrowserHospitalInventoryToWorklist: issue 18's acceptance from an
// inventory of the hospital fleet, in Chromium. A hospital has three
// exports (Intune, Workspace ONE, an asset register): the planner imports
// the first from the start page, splits the 800 ConfigMgr PCs by the start
// of their names (doctors' laptops and admin desktops), keeps the device
// list, then adds the other two files from step 2 (the asset register asks
// about its Ward column), and saves. Zero axe violations on the pages it
// passes; the worklist has exactly one row per device the three files
// placed, each in a group of the plan. It logs the actions and the time.
func TestBrowserHospitalInventoryToWorklist(t *testing.T) {
	exe := e2eRequire(t, "axe")
	e := newInventoryEnv(t)
	browser := newBrowser(t, exe)
	b := newTab(t, browser, e.p.base)
	files := []string{"hospital.csv", "hospital-mdm.csv", "hospital-unmanaged.csv"}

	// What the three files place, read as the wizard reads them.
	want := 0
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("..", "examples", "inventory", f))
		if err != nil {
			t.Fatal(err)
		}
		res, err := inventory.Read(bytes.NewReader(data), inventory.Options{Today: inventoryToday})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pops, _ := res.Answers()
		for _, p := range pops {
			want += p.Devices
		}
	}

	started := time.Now()
	actions := 0
	seen := map[string]bool{}
	axeOnce := func() {
		t.Helper()
		if p := b.path(); !seen[p] {
			seen[p] = true
			axeHere(t, b, p+" (hospital inventory)")
		}
	}
	click := func(sel, wantPath string) {
		t.Helper()
		actions++
		b.submit(sel, 200, wantPath)
	}
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
	upload := func(name string) {
		t.Helper()
		path, err := filepath.Abs(filepath.Join("..", "examples", "inventory", name))
		if err != nil {
			t.Fatal(err)
		}
		actions++ // choose the file
		b.do("choose "+name, chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"][name="inventory"]`), []string{path}))
		click(`form[action="/wizard/inventory"] button[type="submit"]`, inventoryGroupsPath)
	}
	keep := func() {
		t.Helper()
		if !evalIn[bool](b, `document.querySelector('input[name="keep"]').checked`) {
			actions++
			b.do("keep the device list", chromedp.Click(chromedp.CSS(`input[name="keep"]`)))
		}
	}

	if st := b.open("/"); st != 200 {
		t.Fatalf("start page: %d", st)
	}
	click(`form[action="/wizard/new"] button[name="start"][value="inventory"]`, inventoryPath)
	axeOnce()
	upload(files[0])
	axeOnce()
	// The 800 PCs with a user are the doctors' laptops and the admin
	// desktops: split them by the start of their names.
	i := evalIn[int](b, `[...document.querySelectorAll('input[name$=".name"]')].findIndex(e => e.value === "Windows PCs managed by Configuration Manager")`)
	if i < 0 {
		t.Fatalf("no group of the 800 PCs: %.800s", b.text())
	}
	actions++
	b.do("split by name", chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`select[name="groups[%d].split"]`, i)), inventory.ByNamePrefix))
	click(fmt.Sprintf(`button[name="action"][value="split-%d"]`, i), inventoryGroupsPath)
	if txt := b.text(); !strings.Contains(txt, "in 3 groups") {
		t.Errorf("after the split: %.600s", txt)
	}
	keep()
	click(`button[name="action"][value="apply"]`, "/wizard/organisation")
	actions++
	b.typeText("organization", "Lakeside General")
	next()

	for _, f := range files[1:] {
		if b.path() != "/wizard/devices" {
			t.Fatalf("expected step 2, at %s", b.where())
		}
		click(`a[href="/wizard/inventory"]`, inventoryPath)
		upload(f)
		if evalIn[bool](b, `!!document.querySelector('button[name="action"][value="columns"]:not([hidden])')`) {
			axeOnce()
			click(`button[name="action"][value="columns"]:not([hidden])`, inventoryGroupsPath) // the asked columns as proposed
		}
		actions++
		b.choose("mode", "add")
		keep()
		click(`button[name="action"][value="apply"]`, "/wizard/devices")
	}
	axeOnce()

	for range 10 {
		axeOnce()
		if b.path() != "/wizard/plan" {
			next()
			continue
		}
		click(`form[action="/wizard/save"] button[type="submit"]`, "/wizard/save")
		if b.value("share-url") == "" {
			t.Fatal("no share link after Save & share")
		}
		elapsed := time.Since(started).Round(time.Second)
		body := evalIn[string](b, `(() => { const x = new XMLHttpRequest(); x.open("GET", "/wizard/worklist.csv", false); x.send(); return x.status + "\n" + x.responseText })()`)
		status, csvText, _ := strings.Cut(body, "\n")
		if status != "200" {
			t.Fatalf("worklist: %s %.300s", status, csvText)
		}
		rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
		if err != nil || len(rows) < 1 {
			t.Fatalf("worklist CSV: %v", err)
		}
		if got := len(rows) - 1; got != want {
			t.Errorf("the worklist has %d rows; the three files placed %d devices", got, want)
		}
		group := slices.Index(rows[0], "Group")
		perGroup := map[string]int{}
		for _, r := range rows[1:] {
			perGroup[r[group]]++
			if r[group] == worklist.NotInPlan || r[group] == worklist.Retire || !strings.Contains(b.text(), r[group]) {
				t.Fatalf("worklist row in no group of the plan: %v", r)
			}
		}
		t.Logf("actions to a saved plan from the hospital's three inventory files: %d (%s in the browser); worklist rows: %d, per group: %v", actions, elapsed, len(rows)-1, perGroup)
		return
	}
	t.Fatalf("no saved plan; at %s: %.800s", b.where(), b.text())
}
