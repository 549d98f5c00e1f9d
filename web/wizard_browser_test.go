package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// handOver gives a browser tab the planner's draft cookie, so that a test
// answers the early steps over HTTP and the browser goes on from there.
func handOver(t *testing.T, p *planner, b *tab) {
	t.Helper()
	u, _ := url.Parse(p.base)
	for _, c := range p.c.Jar.Cookies(u) {
		ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: p.base + "/"})
		cancel()
		if err != nil {
			t.Fatalf("cookie: %v", err)
		}
	}
}

// axeHere runs axe in light and dark and at 320 px, and checks that the
// page does not scroll sideways there.
func axeHere(t *testing.T, b *tab, page string) {
	t.Helper()
	for _, s := range []string{"light", "dark"} {
		b.scheme(s)
		for _, v := range b.axe() {
			t.Errorf("axe %s [%s]: %s", page, s, v)
		}
	}
	b.scheme("light")
	b.viewport(320)
	if w := evalIn[int](b, `document.documentElement.scrollWidth`); w > 321 {
		t.Errorf("%s scrolls sideways at 320 px: scrollWidth %d: %s", page, w, strings.Join(evalIn[[]string](b, overflowJS), "; "))
	}
	for _, v := range b.axe() {
		t.Errorf("axe %s [320 px]: %s", page, v)
	}
	b.viewport(1280)
}

// axeNoScript runs axeHere on a page loaded without JavaScript: axe needs
// script execution, which is turned on for the check only (app.js has not
// run and does not), then off again.
func axeNoScript(t *testing.T, b *tab, page string) {
	t.Helper()
	setScripts := func(off bool) {
		ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
		defer cancel()
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off}); err != nil {
			t.Fatal(err)
		}
	}
	setScripts(false)
	axeHere(t, b, page)
	setScripts(true)
}

func (b *tab) activeID() string {
	return evalIn[string](b, `document.activeElement ? document.activeElement.id : ""`)
}

func (b *tab) shown(sel string) bool {
	return evalIn[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.offsetParent !== null })()`, sel))
}

// TestBrowserWizardRowsAndDates: the row lists, the personal-use question,
// the waves' device counts and the date boxes in Chromium, with JavaScript
// on and off, with zero axe violations on the states they create.
func TestBrowserWizardRowsAndDates(t *testing.T) {
	exe := e2eRequire(t, "axe")
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	browser := newBrowser(t, exe)

	t.Run("JavaScript on", func(t *testing.T) {
		b := newTab(t, browser, p.base)
		handOver(t, p, b)
		if st := b.open("/wizard/devices"); st != 200 {
			t.Fatalf("step 2: %d", st)
		}
		// The first row starts blank: it asks every question until its
		// answers say which it needs.
		pu := func(i int) string { return fmt.Sprintf(`input[name="populations[%d].personal_use"]`, i) }
		asked := func(sel string) bool {
			return b.shown(sel) && !evalIn[bool](b, fmt.Sprintf(`document.querySelector(%q).disabled`, sel))
		}
		if !asked(pu(0)) {
			t.Error("personal use not asked of a row not chosen yet")
		}
		b.typeText("populations[0].name", "Field phones")
		b.setValue("populations[0].platform", "ios")
		if asked(pu(0)) {
			t.Error("personal use asked of iPhones")
		}
		b.setValue("populations[0].platform", "android")
		b.choose("populations[0].ownership", "corporate")
		b.choose("populations[0].usage", "user")
		b.typeText("populations[0].devices", "120")
		if !b.shown(`input[name="populations[0].personal_use"]`) {
			t.Fatal("personal use not asked of corporate Android with one user")
		}
		b.choose("populations[0].personal_use", "yes")
		b.choose("populations[0].usage", "shared")
		if b.shown(pu(0)) || !evalIn[bool](b, `document.querySelector('input[name="populations[0].personal_use"]').disabled`) {
			t.Error("personal use still asked of shared devices")
		}
		b.choose("populations[0].usage", "user")
		// Add another, in place: the new row has no question until it is Android.
		evalIn[chromedp.Void](b, `window.__samePage = true`)
		b.do("add", chromedp.Click(chromedp.CSS(`button[data-add="populations"]`)), chromedp.WaitVisible(chromedp.CSS(field("populations[1].name"))))
		if !evalIn[bool](b, `window.__samePage === true`) {
			t.Error("Add another posted with JavaScript on")
		}
		if b.activeID() != "f-populations-1-name" {
			t.Errorf("focus after add: %q", b.activeID())
		}
		if !asked(pu(1)) || evalIn[bool](b, `document.querySelector('input[name="populations[1].personal_use"]:checked') !== null`) {
			t.Error("the new row does not ask about personal use afresh, like every question of a row not chosen yet")
		}
		b.typeText("populations[1].name", "Sales iPhones")
		b.setValue("populations[1].platform", "ios")
		b.choose("populations[1].ownership", "corporate")
		b.choose("populations[1].usage", "user")
		b.typeText("populations[1].devices", "seven hundred")
		b.submit(continueBtn, 422, "/wizard/devices")
		if got := evalIn[string](b, `document.querySelector('[name="populations[1].devices"]').value`); got != "seven hundred" {
			t.Errorf("devices after the error: %q", got)
		}
		if b.activeID() != "" && !strings.Contains(evalIn[string](b, `document.activeElement.className`), "error-summary") {
			t.Errorf("focus after an error: %q", b.activeID())
		}
		// Rendered by the server for an iPhone row, the question is hidden
		// and sends nothing; the row turning into corporate Android asks it.
		if asked(pu(1)) {
			t.Error("the server asks an iPhone row about personal use")
		}
		b.setValue("populations[1].platform", "android")
		if !b.shown(`input[name="populations[1].personal_use"][value="yes"]`) || !b.shown(`label[for="f-populations-1-personal-use"]`) {
			t.Error("personal use not brought in for a row that became corporate Android")
		}
		b.setValue("populations[1].platform", "ios")
		if b.shown(`input[name="populations[1].personal_use"]`) {
			t.Error("personal use still shown for an iPhone row")
		}
		b.do("summary link", chromedp.Click(chromedp.CSS(`.error-summary a[href="#f-populations-1-devices"]`)))
		if b.activeID() != "f-populations-1-devices" {
			t.Errorf("the summary link focuses %q", b.activeID())
		}
		axeHere(t, b, "step 2 with errors")
		evalIn[chromedp.Void](b, `document.querySelector('[name="populations[1].devices"]').value = ""`)
		b.typeText("populations[1].devices", "700")
		b.submit(continueBtn, 200, "/wizard/review")
		b.submit(continueBtn, 200, "/wizard/prerequisites")
		b.submit(continueBtn, 200, "/wizard/rollout")

		// Step 5: wave 1 starts with nothing ticked; the count follows the
		// ticks, less the devices the pilot takes (6 of 120, 10 of 700).
		if n := evalIn[int](b, `document.querySelectorAll('input[name$=".populations"]:checked').length`); n != 0 {
			t.Errorf("%d populations ticked on the first visit", n)
		}
		if got := evalIn[string](b, `document.querySelector("[data-wave-devices]").textContent`); got != "Devices in this wave: 0" {
			t.Errorf("wave 1: %q", got)
		}
		b.setChecked("rollout.waves[0].populations", "field-phones", true)
		b.setChecked("rollout.waves[0].populations", "sales-iphones", true)
		if got := evalIn[string](b, `document.querySelector("[data-wave-devices]").textContent`); got != "Devices in this wave: 804" {
			t.Errorf("wave 1 with both ticked: %q", got)
		}
		b.setChecked("rollout.waves[0].populations", "sales-iphones", false)
		if got := evalIn[string](b, `document.querySelector("[data-wave-devices]").textContent`); got != "Devices in this wave: 114" {
			t.Errorf("wave 1 after unticking: %q", got)
		}
		b.do("add wave", chromedp.Click(chromedp.CSS(`button[data-add="rollout.waves"]`)), chromedp.WaitVisible(chromedp.CSS(field("rollout.waves[1].group"))))
		// A wave added with JavaScript also starts with nothing ticked.
		if n := evalIn[int](b, `document.querySelectorAll('input[name="rollout.waves[1].populations"]:checked').length`); n != 0 {
			t.Errorf("%d populations ticked in a wave just added", n)
		}
		b.setChecked("rollout.waves[1].populations", "sales-iphones", true)
		if got := evalIn[string](b, `[...document.querySelectorAll(".row-actions button")].map(b => b.textContent).join("|")`); got != "Move wave 1 down|Remove wave 1|Move wave 2 up|Remove wave 2" {
			t.Errorf("row buttons after add: %q", got)
		}
		b.typeText("rollout.pilot_group", "Intune Pilot")
		for f, v := range map[string]string{"rollout.pilot_start.day": "1", "rollout.pilot_start.month": "12", "rollout.pilot_start.year": "2026",
			"rollout.waves[0].group": "Field", "rollout.waves[0].start.day": "11", "rollout.waves[0].start.month": "1", "rollout.waves[0].start.year": "2027",
			"rollout.waves[1].group": "Sales", "rollout.waves[1].start.day": "1", "rollout.waves[1].start.month": "2", "rollout.waves[1].start.year": "2027"} {
			b.typeText(f, v)
		}
		b.submit(continueBtn, 200, "/wizard/rollout") // the pilot date is in the past: shown once
		if !strings.Contains(b.text(), "Check before you continue") || !strings.Contains(evalIn[string](b, `document.activeElement.className`), "warning-summary") {
			t.Error("warnings not shown, or not focused")
		}
		axeHere(t, b, "step 5 with warnings")
		evalIn[chromedp.Void](b, `document.querySelector('[name="rollout.waves[0].start.year"]').value = ""`)
		b.submit(continueBtn, 422, "/wizard/rollout") // wave 1 has no year
		b.do("summary link", chromedp.Click(chromedp.CSS(`.error-summary a[href="#f-rollout-waves-0-start-year"]`)))
		if b.activeID() != "f-rollout-waves-0-start-year" {
			t.Errorf("the summary link focuses %q", b.activeID())
		}
		axeHere(t, b, "step 5 with errors")
		b.typeText("rollout.waves[0].start.year", "2027")
		b.submit(continueBtn, 200, "/wizard/plan") // the warnings were on the page: no second stop
	})

	t.Run("JavaScript off", func(t *testing.T) {
		b := freshTab(t, browser, p.base)
		b.disableJavaScript()
		handOver(t, p, b)
		if st := b.open("/wizard/rollout"); st != 200 {
			t.Fatalf("step 5: %d", st)
		}
		b.submit(`button[name="action"][value="add"]`, 200, "/wizard/rollout")
		if b.activeID() != "f-rollout-waves-2-name" {
			t.Errorf("focus after add: %q", b.activeID())
		}
		b.submit(`#f-rollout-waves-2-up`, 200, "/wizard/rollout")
		if b.activeID() != "f-rollout-waves-1-up" || evalIn[string](b, `document.querySelector('[name="rollout.waves[1].name"]').value`) != "Wave 2" {
			t.Errorf("after moving up: focus %q", b.activeID())
		}
		axeNoScript(t, b, "step 5 after a move")
		b.submit(`#f-rollout-waves-0-remove`, 200, "/wizard/rollout")
		if b.activeID() != "removed-row-undo" || !strings.Contains(b.text(), "Wave 1 was removed.") {
			t.Errorf("after remove: focus %q", b.activeID())
		}
		axeNoScript(t, b, "step 5 after a removal")
		b.submit(`#removed-row-undo`, 200, "/wizard/rollout")
		if b.activeID() != "f-rollout-waves-0-name" || evalIn[string](b, `document.querySelector('[name="rollout.waves[0].group"]').value`) != "Field" {
			t.Errorf("after undo: focus %q", b.activeID())
		}
		if st := b.open("/wizard/devices"); st != 200 {
			t.Fatalf("step 2: %d", st)
		}
		if n := evalIn[int](b, `document.querySelectorAll('input[name$=".personal_use"]:enabled').length`); n != 2 {
			t.Errorf("without JavaScript, personal use asked %d times, want 2 (the Android row's yes and no)", n)
		}
		axeNoScript(t, b, "step 2 without JavaScript")
	})
}

// TestBrowserRolloutSplitPopulation: step 5 (rollout) in Chromium with a population
// split over two waves: ticked in both, each wave asks for its count; a
// count that tips the population over its devices is an error beside that
// box; fixed, the plan follows. With JavaScript on and off, zero axe
// violations, and screenshots of the error at 1280 and 375 px
// (testresults/screenshots/step5-split-*.png).
func TestBrowserRolloutSplitPopulation(t *testing.T) {
	exe := e2eRequire(t, "axe")
	browser := newBrowser(t, exe)
	for _, js := range []bool{true, false} {
		t.Run(map[bool]string{true: "JavaScript on", false: "JavaScript off"}[js], func(t *testing.T) {
			// Steps 1 to 5 and a first rollout over HTTP: Sales iPhones (250)
			// in wave 1, Office laptops (600) in wave 2.
			p := newClockedPlanner(t)
			walkTo(t, p, stepRollout)
			f := rolloutForm()
			f.Set("rollout.waves[1].start.day", "1 February 2027") // pasted: the boxes read 1 Feb 2027
			f.Del("rollout.waves[1].start.month")
			expectRedirect(t, p.post("/wizard/rollout", f), "/wizard/plan")
			b := freshTab(t, browser, p.base)
			if !js {
				b.disableJavaScript()
			}
			handOver(t, p, b)
			if st := b.open("/wizard/rollout"); st != 200 {
				t.Fatalf("step 5: %d", st)
			}
			// Office laptops in wave 1 too: both waves ask how many.
			b.setChecked("rollout.waves[0].populations", "office-laptops", true)
			b.submit(continueBtn, 422, "/wizard/rollout")
			for i := range 2 {
				label := evalIn[string](b, fmt.Sprintf(`(document.querySelector('label[for="f-rollout-waves-%d-devices-office-laptops"]') || {}).textContent || ""`, i))
				if label != "How many of the 600 Office laptops in this wave?" {
					t.Errorf("wave %d count box: %q", i+1, label)
				}
			}
			b.typeText("rollout.waves[0].devices.office-laptops", "300")
			b.typeText("rollout.waves[1].devices.office-laptops", "310")
			b.submit(continueBtn, 422, "/wizard/rollout")
			const over = "Wave 1's 300 and Wave 2's 310 make 610 of the 600 Office laptops: lower a count so that they add up to 600 at most"
			if got := evalIn[string](b, `(document.getElementById("f-rollout-waves-1-devices-office-laptops-error") || {}).textContent || ""`); !strings.Contains(got, over) {
				t.Errorf("error beside wave 2's count: %q", got)
			}
			if b.shown("#f-rollout-waves-0-devices-office-laptops-error") {
				t.Error("wave 1's count is marked too")
			}
			b.do("summary link", chromedp.Click(chromedp.CSS(`.error-summary a[href="#f-rollout-waves-1-devices-office-laptops"]`)))
			if b.activeID() != "f-rollout-waves-1-devices-office-laptops" {
				t.Errorf("the summary link focuses %q", b.activeID())
			}
			if strings.Contains(b.text(), "Not in any wave") {
				t.Error("the page says something is in no wave")
			}
			if js {
				axeHere(t, b, "step 5 with a split population and an error")
				shootRollout(t, b, "step5-split")
			} else {
				axeNoScript(t, b, "step 5 with a split population and an error, without JavaScript")
			}
			evalIn[chromedp.Void](b, `document.querySelector('[name="rollout.waves[1].devices.office-laptops"]').value = ""`)
			b.typeText("rollout.waves[1].devices.office-laptops", "290")
			b.submit(continueBtn, 200, "/wizard/plan")
			if txt := b.text(); !strings.Contains(txt, "Step 6 of 6") || strings.Contains(txt, "Not in any wave") {
				t.Errorf("the plan after the split:\n%.1500s", txt)
			}
			// Back on step 6, the counts are there as typed.
			if st := b.open("/wizard/rollout"); st != 200 {
				t.Fatalf("step 5 again: %d", st)
			}
			for i, want := range []string{"300", "290"} {
				if got := evalIn[string](b, fmt.Sprintf(`document.querySelector('[name="rollout.waves[%d].devices.office-laptops"]').value`, i)); got != want {
					t.Errorf("wave %d count: %q, want %s", i+1, got, want)
				}
			}
		})
	}
}

// shootRollout saves the page at 1280 and 375 px as name-1280.png and
// name-375.png beside the other screenshots.
func shootRollout(t *testing.T, b *tab, name string) {
	t.Helper()
	dir := filepath.Join(resultsDir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, w := range []int64{1280, 375} {
		b.viewport(w)
		ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
		png, err := chromedp.Run(ctx, fullPagePNG)
		cancel()
		if err != nil {
			t.Fatalf("screenshot %s at %d px: %v", name, w, err)
		}
		file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", file)
	}
	b.viewport(1280)
}
