package web

import (
	"context"
	"fmt"
	"net/url"
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
		// The first row starts blank: the question waits for its answers.
		if b.shown("[data-personal-use]") {
			t.Error("personal use asked of a row not chosen yet")
		}
		b.typeText("populations[0].name", "Field phones")
		b.setValue("populations[0].platform", "android")
		b.choose("populations[0].ownership", "corporate")
		b.choose("populations[0].usage", "user")
		b.typeText("populations[0].devices", "120")
		if !b.shown(`input[name="populations[0].personal_use"]`) {
			t.Fatal("personal use not asked of corporate Android with one user")
		}
		b.choose("populations[0].personal_use", "yes")
		b.choose("populations[0].usage", "shared")
		if b.shown("[data-personal-use]") || !evalIn[bool](b, `document.querySelector('input[name="populations[0].personal_use"]').disabled`) {
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
		if b.shown(`input[name="populations[1].personal_use"]`) {
			t.Error("the new row asks about personal use")
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
		// Rendered by the server for an iPhone row, the question is not on
		// the page; the row turning into corporate Android brings it in.
		if evalIn[int](b, `document.querySelectorAll('input[name="populations[1].personal_use"]').length`) != 0 {
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
		b.submit(continueBtn, 200, "/wizard/method")
		b.submit(continueBtn, 200, "/wizard/reset")
		b.submit(continueBtn, 200, "/wizard/prerequisites")
		b.choose("bulk_enrollment_by_staff", "no")
		b.submit(continueBtn, 200, "/wizard/rollout")

		// Step 6: the count follows the ticks; an added wave takes the rest.
		if got := evalIn[string](b, `document.querySelector("[data-wave-devices]").textContent`); got != "Devices in this wave: 820" {
			t.Errorf("wave 1: %q", got)
		}
		b.do("untick", chromedp.Click(chromedp.CSS(`input[name="rollout.waves[0].populations"][value="sales-iphones"]`)))
		if got := evalIn[string](b, `document.querySelector("[data-wave-devices]").textContent`); got != "Devices in this wave: 120" {
			t.Errorf("wave 1 after unticking: %q", got)
		}
		b.do("add wave", chromedp.Click(chromedp.CSS(`button[data-add="rollout.waves"]`)), chromedp.WaitVisible(chromedp.CSS(field("rollout.waves[1].group"))))
		if !evalIn[bool](b, `document.querySelector('input[name="rollout.waves[1].populations"][value="sales-iphones"]').checked`) ||
			evalIn[bool](b, `document.querySelector('input[name="rollout.waves[1].populations"][value="field-phones"]').checked`) {
			t.Error("the added wave does not take the populations in no wave")
		}
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
		axeHere(t, b, "step 6 with warnings")
		evalIn[chromedp.Void](b, `document.querySelector('[name="rollout.waves[0].start.year"]').value = ""`)
		b.submit(continueBtn, 422, "/wizard/rollout") // wave 1 has no year
		b.do("summary link", chromedp.Click(chromedp.CSS(`.error-summary a[href="#f-rollout-waves-0-start-year"]`)))
		if b.activeID() != "f-rollout-waves-0-start-year" {
			t.Errorf("the summary link focuses %q", b.activeID())
		}
		axeHere(t, b, "step 6 with errors")
		b.typeText("rollout.waves[0].start.year", "2027")
		b.submit(continueBtn, 200, "/wizard/plan") // the warnings were on the page: no second stop
	})

	t.Run("JavaScript off", func(t *testing.T) {
		b := freshTab(t, browser, p.base)
		b.disableJavaScript()
		handOver(t, p, b)
		if st := b.open("/wizard/rollout"); st != 200 {
			t.Fatalf("step 6: %d", st)
		}
		b.submit(`button[name="action"][value="add"]`, 200, "/wizard/rollout")
		if b.activeID() != "f-rollout-waves-2-name" {
			t.Errorf("focus after add: %q", b.activeID())
		}
		b.submit(`#f-rollout-waves-2-up`, 200, "/wizard/rollout")
		if b.activeID() != "f-rollout-waves-1-up" || evalIn[string](b, `document.querySelector('[name="rollout.waves[1].name"]').value`) != "Wave 2" {
			t.Errorf("after moving up: focus %q", b.activeID())
		}
		axeNoScript(t, b, "step 6 after a move")
		b.submit(`#f-rollout-waves-0-remove`, 200, "/wizard/rollout")
		if b.activeID() != "removed-row-undo" || !strings.Contains(b.text(), "Wave 1 was removed.") {
			t.Errorf("after remove: focus %q", b.activeID())
		}
		axeNoScript(t, b, "step 6 after a removal")
		b.submit(`#removed-row-undo`, 200, "/wizard/rollout")
		if b.activeID() != "f-rollout-waves-0-name" || evalIn[string](b, `document.querySelector('[name="rollout.waves[0].group"]').value`) != "Field" {
			t.Errorf("after undo: focus %q", b.activeID())
		}
		if st := b.open("/wizard/devices"); st != 200 {
			t.Fatalf("step 2: %d", st)
		}
		if n := evalIn[int](b, `document.querySelectorAll('input[name$=".personal_use"]').length`); n != 2 {
			t.Errorf("without JavaScript, personal use asked %d times, want 2 (the Android row's yes and no)", n)
		}
		axeNoScript(t, b, "step 2 without JavaScript")
	})
}
