package web

// Real-browser tests of the wizard: Debian's Chromium driven through chromedp
// against an in-process server on SQLite. They walk the wizard with
// JavaScript on and off, open the share link in a fresh browser context,
// print the plan to PDF and read it back with pdftotext, run axe-core on every
// page in light and dark colour schemes and at 320 px, and write screenshots
// and a page-weight table under testresults/.
//
// Without chromium, axe-core (web/testdata/axe/node_modules) or poppler-utils
// they skip loudly; with ENROLLPLAN_E2E=1 (set by .ci/run) they fail instead.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/plan/plantest"
	"github.com/enrollplan/enrollplan/templates/pages"
)

const (
	e2eVar        = "ENROLLPLAN_E2E"
	axePath       = "testdata/axe/node_modules/axe-core/axe.min.js"
	resultsDir    = "../testresults" // repo-root testresults/, gitignored
	browserBudget = 4 * time.Minute  // one test's browser, whatever happens (generous: CI runs packages in parallel on 2 cores)
	actionBudget  = time.Minute      // one action (navigation, click, wait)
)

// ---- gate -------------------------------------------------------------------

// e2eRequire returns Chromium's path, or skips (fails under ENROLLPLAN_E2E=1)
// when it or another tool the test needs ("axe", "pdf") is missing.
func e2eRequire(t *testing.T, needs ...string) string {
	t.Helper()
	var missing []string
	exe := ""
	for _, c := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(c); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		missing = append(missing, "chromium (apt-get install chromium)")
	}
	for _, n := range needs {
		switch n {
		case "axe":
			if _, err := os.Stat(axePath); err != nil {
				missing = append(missing, "axe-core (npm ci --prefix web/testdata/axe)")
			}
		case "pdf":
			for _, tool := range []string{"pdftotext", "pdfinfo"} {
				if _, err := exec.LookPath(tool); err != nil {
					missing = append(missing, tool+" (apt-get install poppler-utils)")
				}
			}
		}
	}
	if len(missing) > 0 {
		msg := "missing " + strings.Join(missing, ", ")
		if os.Getenv(e2eVar) == "1" {
			t.Fatalf("%s=1 but the browser test cannot run: %s", e2eVar, msg)
		}
		bar := strings.Repeat("!", 78)
		t.Skipf("\n%s\n!!! BROWSER TEST SKIPPED: %s\n!!! Install them (.ci/run does) or set %s=1 to make this a failure.\n%s", bar, msg, e2eVar, bar)
	}
	return exe
}

// ---- browser and tabs --------------------------------------------------------

// newBrowser starts Chromium with a fresh profile and returns its first tab.
func newBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	profile, err := os.MkdirTemp("", "enrollplan-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	root, cancelRoot := context.WithTimeout(context.Background(), browserBudget)
	alloc, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers have a tiny /dev/shm
		chromedp.Flag("hide-scrollbars", true),       // 1280 and 320 px mean the page's width, in screenshots too
		chromedp.UserDataDir(profile),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelRoot()
		os.RemoveAll(profile)
	})
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	t.Logf("chromium started in %s", time.Since(start).Round(time.Millisecond))
	return ctx
}

// tab is one browser tab pointed at the test server.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newTab(t *testing.T, ctx context.Context, base string) *tab {
	b := &tab{t: t, ctx: ctx, base: base}
	b.viewport(1280)
	b.scheme("light")
	return b
}

// freshTab opens a tab in a new browser context: no cookies, no cache.
func freshTab(t *testing.T, browser context.Context, base string) *tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run opens the tab and ties it to the context it gets: give it
	// the tab's own context, not a per-action timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	return newTab(t, ctx, base)
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v (page %s)", what, err, b.where())
	}
}

func evalIn[T any](b *tab, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("evaluate %.80q: %v (page %s)", expr, err, b.where())
	}
	return v
}

// where is the current address, for messages.
func (b *tab) where() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(loc, b.base)
}

func (b *tab) path() string {
	u, err := url.Parse(b.where())
	if err != nil {
		return b.where()
	}
	return u.Path
}

// open navigates and returns the HTTP status of the document.
func (b *tab) open(addr string) int {
	b.t.Helper()
	if strings.HasPrefix(addr, "/") {
		addr = b.base + addr
	}
	ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(addr))
	if err != nil {
		b.t.Fatalf("open %s: %v", addr, err)
	}
	return int(res.Status)
}

// submit clicks a button that navigates, waits for the new document and
// checks its status and path.
func (b *tab) submit(sel string, wantStatus int, wantPath string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s: %v (page %s)", sel, err, b.where())
	}
	if int(res.Status) != wantStatus || b.path() != wantPath {
		b.t.Fatalf("click %s: got %d at %s, want %d at %s; page text:\n%.1500s", sel, res.Status, b.where(), wantStatus, wantPath, b.text())
	}
}

func (b *tab) text() string { return evalIn[string](b, `document.body ? document.body.innerText : ""`) }

func field(name string) string { return fmt.Sprintf(`[name=%q]`, name) }

func option(name, value string) string { return fmt.Sprintf(`input[name=%q][value=%q]`, name, value) }

// typeText types into an empty text field, key by key, as a person would.
func (b *tab) typeText(name, value string) {
	b.t.Helper()
	b.do("type into "+name, chromedp.SendKeys(chromedp.CSS(field(name)), value))
}

// setValue sets a field directly (date inputs, selects) and fires the events
// a person's change would.
func (b *tab) setValue(name, value string) {
	b.t.Helper()
	b.do("set "+name, chromedp.SetValue(chromedp.CSS(field(name)), value))
	evalIn[chromedp.Void](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); for (const t of ["input", "change"]) e.dispatchEvent(new Event(t, {bubbles: true})); })()`, field(name)))
}

// choose clicks a radio button or ticks a checkbox, and checks that it took.
func (b *tab) choose(name, value string) {
	b.t.Helper()
	sel := option(name, value)
	if evalIn[bool](b, fmt.Sprintf(`document.querySelector(%q).checked`, sel)) {
		return
	}
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
	if !evalIn[bool](b, fmt.Sprintf(`document.querySelector(%q).checked`, sel)) {
		b.t.Fatalf("%s is not checked after a click", sel)
	}
}

func (b *tab) viewport(width int64) {
	b.t.Helper()
	b.do("viewport", chromedp.EmulateViewport(width, 900))
}

// scheme emulates prefers-color-scheme: "light" or "dark".
func (b *tab) scheme(s string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
	defer cancel()
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}}})
	if err != nil {
		b.t.Fatalf("colour scheme %s: %v", s, err)
	}
}

func (b *tab) disableJavaScript() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		b.t.Fatal(err)
	}
}

// ---- the walk ----------------------------------------------------------------

// northwind is the 9-population, 1,490-device fleet of examples/northwind.json,
// which the walks enter into the wizard by hand.
var northwind = sync.OnceValue(func() plan.Answers {
	data, err := os.ReadFile("../examples/northwind.json")
	if err != nil {
		panic(err)
	}
	var a plan.Answers
	if err := json.Unmarshal(data, &a); err != nil {
		panic(err)
	}
	return a
})

func populationNames() []string {
	var names []string
	for _, p := range northwind().Populations {
		names = append(names, p.Name)
	}
	return names
}

type walkOpts struct {
	errors bool              // submit steps 1, 2, 4 and 5 once with mistakes first (step 3 asks nothing: its choices are opened instead)
	visit  func(page string) // called on every page reached, e.g. "step2-devices"
	// noScript says the tab runs without JavaScript: a new row of step 2
	// asks every question until the server has seen its answers.
	noScript bool
}

type walkResult struct {
	share, edit, id string
	addPosted       bool // "Add another population" reloaded the page (no client-side rows)
	timings         []stepTime
}

type stepTime struct {
	step string
	d    time.Duration
}

const continueBtn = `.actions button[name="action"][value="continue"]`

// yesNoUnsure is how step 1 asks a tenant question.
func yesNoUnsure(v *bool) string {
	switch {
	case v == nil:
		return "unsure"
	case *v:
		return "yes"
	}
	return "no"
}

// typeDate fills a date's three boxes.
func (b *tab) typeDate(name string, d time.Time) {
	b.t.Helper()
	b.typeText(name+".day", strconv.Itoa(d.Day()))
	b.typeText(name+".month", strconv.Itoa(int(d.Month())))
	b.typeText(name+".year", strconv.Itoa(d.Year()))
}

// setChecked ticks or unticks a checkbox by clicking it, as a person would.
func (b *tab) setChecked(name, value string, want bool) {
	b.t.Helper()
	sel := option(name, value)
	if evalIn[bool](b, fmt.Sprintf(`document.querySelector(%q).checked`, sel)) == want {
		return
	}
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// addRow presses a row list's "Add another" and waits for the new row's
// first field; it reports whether the press posted the page.
func (b *tab) addRow(list, firstField string) (posted bool) {
	b.t.Helper()
	evalIn[chromedp.Void](b, `window.__e2eSamePage = true`)
	b.do("add another "+list, chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[name="action"][value="add"][data-add=%q]`, list))),
		chromedp.WaitVisible(chromedp.CSS(field(firstField))))
	return !evalIn[bool](b, `window.__e2eSamePage === true`)
}

// walkWizard enters the Northwind fleet from the start page to a saved
// plan, as a planner would.
func walkWizard(b *tab, o walkOpts) walkResult {
	b.t.Helper()
	a := northwind()
	js := !o.noScript
	visit := func(page string) {
		if o.visit != nil {
			o.visit(page)
		}
	}
	var res walkResult
	mark := time.Now()
	lap := func(step string) {
		res.timings = append(res.timings, stepTime{step, time.Since(mark)})
		mark = time.Now()
	}
	errorsShown := func(page string) {
		b.t.Helper()
		if title := evalIn[string](b, `document.title`); !strings.HasPrefix(title, "Error: ") {
			b.t.Errorf("%s: title %q does not start with Error:", page, title)
		}
		b.do(page+": error summary", chromedp.WaitVisible(chromedp.CSS(".error-summary")))
		visit(page)
	}

	if st := b.open("/"); st != 200 {
		b.t.Fatalf("start page: %d", st)
	}
	visit("start")
	if got := evalIn[string](b, `document.querySelector('form[action="/wizard/new"] button').textContent.trim()`); got != "Start a new plan" {
		b.t.Errorf("start button reads %q", got)
	}
	b.submit(`form[action="/wizard/new"] button`, 200, "/wizard/organisation")
	lap("start → step 1")

	// Step 1: organisation and tenant.
	if !strings.Contains(b.text(), "Step 1 of 6") {
		b.t.Errorf("step 1 lacks its progress text")
	}
	if o.errors {
		b.submit(continueBtn, 422, "/wizard/organisation")
		errorsShown("step1-organisation-errors")
	}
	b.typeText("organization", a.Organization)
	b.choose("tenant.mdm_authority", a.Tenant.MDMAuthority)
	b.choose("tenant.admin_role", a.Tenant.AdminRole)
	tn := a.Tenant
	for f, v := range map[string]*bool{"tenant.licenses_assigned": tn.LicensesAssigned, "tenant.groups_ready": tn.GroupsReady, "tenant.entra_premium": tn.EntraPremium,
		"tenant.configmgr": tn.ConfigMgr, "tenant.apple_mdm_push_certificate": tn.AppleMDMPushCertificate, "tenant.apple_business_manager": tn.AppleBusinessManager,
		"tenant.managed_google_play": tn.ManagedGooglePlay} {
		b.choose(f, yesNoUnsure(v))
	}
	visit("step1-organisation")
	b.submit(continueBtn, 200, "/wizard/devices")
	lap("step 1 organisation")

	// Step 2: nine populations, rows added with "Add another population".
	if o.errors {
		b.submit(continueBtn, 422, "/wizard/devices")
		errorsShown("step2-devices-errors")
	}
	for i, p := range a.Populations {
		path := func(f string) string { return fmt.Sprintf("populations[%d].%s", i, f) }
		if i > 0 && b.addRow("populations", path("name")) {
			res.addPosted = true
		}
		b.typeText(path("name"), p.Name)
		b.setValue(path("platform"), p.Platform)
		b.choose(path("ownership"), p.Ownership)
		b.choose(path("usage"), p.EffectiveUsage())
		b.typeText(path("devices"), strconv.Itoa(p.Devices))
		// The follow-up questions: a planner answers those the row asks.
		// With JavaScript the page asks exactly what the rules ask of this
		// kind of group (pages.FollowUps); without it, a new row asks
		// everything until the server sees its answers.
		enroll := map[bool]string{true: "enroll", false: "app"}[p.Enrolls()]
		kind := func(f string) string {
			return map[string]string{"platform": p.Platform, "ownership": p.Ownership, "usage": p.EffectiveUsage(), "enroll": enroll}[f]
		}
		answers := map[string]string{"enroll": enroll, "managed_by": p.ManagedBy, "enrolled_by": p.EffectiveEnrolledBy(false)}
		if p.PersonalUse != nil {
			answers["personal_use"] = yesNoUnsure(p.PersonalUse)
		}
		if p.InUse != nil {
			answers["in_use"] = map[bool]string{true: "in-use", false: "new"}[*p.InUse]
		}
		for _, q := range pages.FollowUps {
			v, given := answers[q.Field]
			if q.Field == "manufacturer" || !given || v == "" {
				continue
			}
			sel := option(path(q.Field), v)
			asked := b.shown(sel) && !evalIn[bool](b, fmt.Sprintf(`document.querySelector(%q).disabled`, sel))
			if js && asked != q.When.Holds(kind) {
				b.t.Errorf("%s: %s asked %v, want %v", p.Name, q.Field, asked, !asked)
			}
			if asked {
				b.choose(path(q.Field), v)
			}
		}
	}
	visit("step2-devices")
	b.submit(continueBtn, 200, "/wizard/review")
	lap("step 2 devices (9 populations)")

	// Step 3: review the methods and resets; the recommendations stand.
	enrolling := 0
	for _, p := range a.Populations {
		if p.Enrolls() {
			enrolling++
		}
	}
	if n := evalIn[int](b, `document.querySelectorAll('form input[type=radio][name$=".method"]:checked').length`); n != enrolling {
		b.t.Errorf("step 3: %d methods preselected, want %d", n, enrolling)
	}
	if n := evalIn[int](b, `[...document.querySelectorAll('input[name$=".method"]')].filter(e => e.checkVisibility()).length`); n != 0 {
		b.t.Errorf("step 3 shows %d method choices before the planner asks to change one", n)
	}
	if o.errors {
		// Nothing on the review is wrong unless the planner opens a choice:
		// open them all, to check the page that way too.
		evalIn[chromedp.Void](b, `document.querySelectorAll('details.change').forEach(d => { d.open = true })`)
		visit("step3-review-open")
		evalIn[chromedp.Void](b, `document.querySelectorAll('details.change').forEach(d => { d.open = false })`)
	}
	visit("step3-review")
	b.submit(continueBtn, 200, "/wizard/prerequisites")
	lap("step 3 review")

	// Step 4: the baseline (who enrolls is step 2's, per population).
	if o.errors {
		// Too long a line, and a long id-shaped one that the error quotes
		// back (it must wrap at 320 px, not push the page sideways).
		evalIn[chromedp.Void](b, `document.querySelector('[name="baseline_custom"]').value = "word ".repeat(41) + "\n" + "x".repeat(120)`)
		b.submit(continueBtn, 422, "/wizard/prerequisites")
		errorsShown("step4-prerequisites-errors")
		evalIn[chromedp.Void](b, `document.querySelector('[name="baseline_custom"]').value = ""`)
	}
	var custom []string
	for _, item := range a.Baseline {
		if slices.Contains(plan.BaselineIDs, item) {
			b.choose("baseline", item)
		} else {
			custom = append(custom, item)
		}
	}
	b.typeText("baseline_custom", strings.Join(custom, "\n"))
	visit("step4-prerequisites")
	b.submit(continueBtn, 200, "/wizard/rollout")
	lap("step 4 prerequisites")

	// Step 5: the pilot and three waves, each with its populations. Dates
	// are weeks from today, so that the walk never meets a past date.
	start := time.Now().AddDate(0, 0, 40)
	b.typeText("rollout.pilot_group", a.Rollout.PilotGroup)
	b.typeDate("rollout.pilot_start", start)
	// The wizard names its populations itself; map the example's ids to them by name.
	nameOf := map[string]string{}
	for i, id := range plan.PopulationIDs(a.Populations) {
		nameOf[id] = a.Populations[i].Name
	}
	for i, w := range a.Rollout.Waves {
		path := func(f string) string { return fmt.Sprintf("rollout.waves[%d].%s", i, f) }
		if i > 0 {
			b.addRow("rollout.waves", path("name"))
		}
		evalIn[chromedp.Void](b, fmt.Sprintf(`document.querySelector(%q).value = ""`, field(path("name"))))
		b.typeText(path("name"), w.Name)
		b.typeDate(path("start"), start.AddDate(0, 0, 14*(i+1)))
		if o.errors && i == 0 { // a dated wave without a group
			b.submit(continueBtn, 422, "/wizard/rollout")
			errorsShown("step5-rollout-errors")
		}
		b.typeText(path("group"), w.Group)
		boxes := evalIn[[][2]string](b, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(c => [c.value, c.labels[0].textContent.trim()])`, field(path("populations"))))
		if len(boxes) != len(a.Populations) {
			b.t.Fatalf("wave %d offers %d populations, want %d", i+1, len(boxes), len(a.Populations))
		}
		for _, box := range boxes {
			in := slices.ContainsFunc(w.Populations, func(id string) bool { return strings.HasPrefix(box[1], nameOf[id]) })
			b.setChecked(path("populations"), box[0], in)
		}
	}
	visit("step5-rollout")
	b.submit(continueBtn, 200, "/wizard/plan")
	lap("step 5 rollout")

	// Step 6: the plan; save and share.
	if txt := b.text(); !strings.Contains(txt, "Step 6 of 6") || !strings.Contains(txt, a.Organization) {
		b.t.Errorf("step 6 lacks its progress text or the organisation")
	}
	visit("step6-plan")
	save := `form[action="/wizard/save"] button[type="submit"]`
	if got := evalIn[string](b, fmt.Sprintf(`document.querySelector(%q).textContent.trim()`, save)); got != "Save & share" {
		b.t.Errorf("save button reads %q, want Save & share", got)
	}
	b.submit(save, 200, "/wizard/save")
	res.share = b.value("share-url")
	res.edit = b.value("edit-url")
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(b.base) + `/p/([A-Za-z0-9_-]{22,})$`).FindStringSubmatch(res.share)
	if m == nil || !strings.HasPrefix(res.edit, res.share+"/edit") {
		b.t.Fatalf("saved page: share link %q, edit link %q", res.share, res.edit)
	}
	res.id = m[1]
	visit("plan-saved")
	lap("step 6 save & share")
	return res
}

// value reads a form field's value without running page JavaScript.
func (b *tab) value(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
	defer cancel()
	attrs, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("read #%s: %v (page %s)", id, err, b.where())
	}
	return attrs["value"]
}

func logTimings(t *testing.T, label string, r walkResult) {
	var sb strings.Builder
	var total time.Duration
	for _, s := range r.timings {
		total += s.d
		fmt.Fprintf(&sb, "\n  %-32s %6d ms", s.step, s.d.Milliseconds())
	}
	t.Logf("walk with %s: %d ms to a saved plan%s", label, total.Milliseconds(), sb.String())
}

// ---- tests ---------------------------------------------------------------------

func TestBrowserWalkJavaScriptOn(t *testing.T) {
	exe := e2eRequire(t)
	e := newEnv(t, 0)
	browser := newBrowser(t, exe)
	b := newTab(t, browser, e.srv.URL)
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	scan := plantest.NewScanner(cat)
	jargon := func(where, text string) {
		if words := scan.Jargon(text); len(words) > 0 {
			t.Errorf("%s shows internal words: %v", where, words)
		}
	}

	// Every page of the walk, with and without mistakes, reads in customer language.
	r := walkWizard(b, walkOpts{errors: true, visit: func(page string) { jargon(page, b.text()) }})
	logTimings(t, "JavaScript on", r)
	if r.addPosted {
		t.Log("“Add another population” posted and re-rendered the page (no client-side rows)")
	} else {
		t.Log("“Add another population” added the rows client-side, without navigating")
	}
	t.Logf("share link %s\nedit link  %s", r.share, r.edit)
	t.Run("SamePlanAsTheExample", func(t *testing.T) { samePlanAsExample(t, r) })
	t.Run("NoJargonOnSharePagesAndExports", func(t *testing.T) {
		f := freshTab(t, browser, e.srv.URL)
		for _, page := range []string{r.share, r.share + "/print", "/wizard/print"} {
			if page == "/wizard/print" {
				f = b
			}
			if st := f.open(page); st != 200 {
				t.Fatalf("%s: %d", page, st)
			}
			jargon(page, f.text())
		}
		for _, ext := range []string{".md", ".csv"} {
			res, err := http.Get(r.share + ext)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			see := map[string]func(string) string{".md": plantest.VisibleMarkdown, ".csv": plantest.VisibleCSV}[ext]
			jargon(r.share+ext, see(string(body)))
		}
	})

	t.Run("ShareLinkInFreshContext", func(t *testing.T) {
		f := freshTab(t, browser, e.srv.URL)
		checkSharePage(t, f, r)
	})
	t.Run("EditLinkInFreshContext", func(t *testing.T) {
		f := freshTab(t, browser, e.srv.URL)
		if st := f.open("/wizard/plan"); st != 200 || f.path() != "/wizard/organisation" {
			t.Fatalf("a fresh context reached the planner's draft: %d at %s", st, f.where())
		}
		// The edit link asks first; its script takes the key from the fragment.
		if st := f.open(r.edit); st != 200 || f.path() != "/p/"+r.id+"/edit" {
			t.Fatalf("edit link: %d at %s", st, f.where())
		}
		if strings.Contains(evalIn[string](f, `location.href`), "key=") {
			t.Error("the edit key stays in the address bar")
		}
		f.submit(`form.edit-form button[type="submit"]`, 200, "/wizard/plan")
		if txt := f.text(); !strings.Contains(txt, "Editing saved plan revision 1") || !strings.Contains(txt, northwind().Organization) || strings.Contains(txt, "#key=") {
			t.Errorf("edit draft page:\n%.1500s", txt)
		}
		if got := evalIn[string](f, `document.querySelector('form[action="/wizard/save"] button').textContent.trim()`); got != "Save a new revision" {
			t.Errorf("save button of an edited plan reads %q", got)
		}
	})
}

// samePlanAsExample: the plan the wizard saved decides as the example's
// answers do, population by population (method, reset, wave).
func samePlanAsExample(t *testing.T, r walkResult) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	want, err := cat.Build(northwind())
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(r.share + ".json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got plan.Plan
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Populations) != len(want.Populations) {
		t.Fatalf("%d populations saved, want %d", len(got.Populations), len(want.Populations))
	}
	for i, w := range want.Populations {
		g := got.Populations[i]
		if g.Name != w.Name || g.Method.ID != w.Method.ID || g.FactoryReset.Required != w.FactoryReset.Required || g.InUse != w.InUse || g.ManagedBy != w.ManagedBy {
			t.Errorf("population %d: saved %s/%s/reset %v/in use %v/%s, example %s/%s/reset %v/in use %v/%s", i,
				g.Name, g.Method.ID, g.FactoryReset.Required, g.InUse, g.ManagedBy, w.Name, w.Method.ID, w.FactoryReset.Required, w.InUse, w.ManagedBy)
		}
	}
	for i, w := range want.Rollout.Waves {
		if g := got.Rollout.Waves[i]; g.Devices != w.Devices || len(g.Populations) != len(w.Populations) {
			t.Errorf("wave %d: %d devices in %d populations, example %d in %d", i+1, g.Devices, len(g.Populations), w.Devices, len(w.Populations))
		}
	}
	if len(got.Summary.Blockers) != len(want.Summary.Blockers) {
		t.Errorf("%d blockers, example %d", len(got.Summary.Blockers), len(want.Summary.Blockers))
	}
}

// checkSharePage opens the share link in a tab that has no cookies.
func checkSharePage(t *testing.T, f *tab, r walkResult) {
	t.Helper()
	if st := f.open("/wizard/plan"); f.path() == "/wizard/plan" {
		t.Fatalf("the fresh context shares the planner's draft (%d)", st)
	}
	if st := f.open(r.share); st != 200 {
		t.Fatalf("share page: %d", st)
	}
	txt := f.text()
	for _, want := range append(populationNames(), northwind().Organization, "Intune Pilot") {
		if !strings.Contains(txt, want) {
			t.Errorf("share page lacks %q", want)
		}
	}
	links := evalIn[[]string](f, `[...document.querySelectorAll('a[href]')].map(a => a.href)`)
	for _, ext := range []string{"md", "csv", "json"} {
		want := r.share + "." + ext
		if !slices.Contains(links, want) {
			t.Errorf("share page has no link to %s (links: %v)", want, links)
			continue
		}
		res, err := http.Get(want)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), northwind().Populations[2].Name) {
			t.Errorf("%s: %d %s\n%.300s", want, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if ext == "json" && !json.Valid(body) {
			t.Errorf("%s is not JSON", want)
		}
		if ext != "csv" && !strings.Contains(string(body), northwind().Organization) {
			t.Errorf("%s lacks the organisation", want)
		}
	}
}

func TestBrowserWalkJavaScriptOff(t *testing.T) {
	exe := e2eRequire(t)
	e := newEnv(t, 0)
	browser := newBrowser(t, exe)
	b := newTab(t, browser, e.srv.URL)
	b.disableJavaScript()

	r := walkWizard(b, walkOpts{noScript: true})
	logTimings(t, "JavaScript off", r)
	if !r.addPosted {
		t.Error("with JavaScript off, “Add another population” did not post and re-render")
	}
	t.Run("SamePlanAsTheExample", func(t *testing.T) { samePlanAsExample(t, r) })
	res, err := http.Get(r.share + ".json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, n := range populationNames() {
		if !strings.Contains(string(body), n) {
			t.Errorf("saved plan lacks %q", n)
		}
	}
}

// ---- print to PDF ------------------------------------------------------------

func TestBrowserPrintPDF(t *testing.T) {
	exe := e2eRequire(t, "pdf")
	e := newEnv(t, 0)
	browser := newBrowser(t, exe)
	b := newTab(t, browser, e.srv.URL)
	r := walkWizard(b, walkOpts{})
	if err := os.MkdirAll(resultsDir, 0o755); err != nil {
		t.Fatal(err)
	}

	if st := b.open("/wizard/print"); st != 200 {
		t.Fatalf("/wizard/print: %d", st)
	}
	printAndCheck(t, b, "print-wizard-a4", chromedp.PaperA4)

	f := freshTab(t, browser, e.srv.URL)
	if st := f.open(r.share + "/print"); st != 200 {
		t.Fatalf("/p/{id}/print: %d", st)
	}
	printAndCheck(t, f, "print-share-a4", chromedp.PaperA4)
	printAndCheck(t, f, "print-share-letter", chromedp.PaperLetter)
}

func printAndCheck(t *testing.T, b *tab, name string, paper chromedp.PaperSize) {
	t.Helper()
	if strings.Contains(b.text(), "Save & share") {
		t.Errorf("%s: the print view shows the wizard's chrome", name)
	}
	ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
	defer cancel()
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(paper), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatalf("%s: print to PDF: %v", name, err)
	}
	file := filepath.Join(resultsDir, name+".pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	pages := pdfPages(t, file)
	if w, h := pdfPageSize(t, file); abs(w-paper.Width*72) > 1 || abs(h-paper.Height*72) > 1 {
		t.Errorf("%s: page size %.1f×%.1f pt, want %.1f×%.1f", name, w, h, paper.Width*72, paper.Height*72)
	}
	names := populationNames()
	org := northwind().Organization
	starts, report := analysePDF(pages, org, names)
	if err := os.WriteFile(filepath.Join(resultsDir, name+".txt"), []byte(strings.Join(pages, "\f")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s (%.2f×%.2f in): %d pages, %d bytes, %s\n%s", file, paper.Width, paper.Height, len(pages), len(pdf), name, report)

	// Page one is the plan: the groups, the blockers, what to do first, the timeline.
	if len(pages) == 0 {
		t.Fatalf("%s: no pages", name)
	}
	for _, want := range []string{org, "Device groups", "What blocks enrollment", "Do these first", "Timeline", "Wave 3"} {
		if !strings.Contains(pages[0], want) {
			t.Errorf("%s: page 1 lacks %q", name, want)
		}
	}
	if paper == chromedp.PaperA4 && len(pages) > 20 {
		t.Errorf("%s: %d A4 pages for the 9-population fleet; the goal is at most 20", name, len(pages))
	}
	// Sources are numbered endnotes; the printed copy carries their addresses.
	if all := strings.Join(pages, "\n"); !strings.Contains(all, "intune/device-enrollment/") || !strings.Contains(all, "Addresses without a host are on learn.microsoft.com") {
		t.Errorf("%s: the printed plan does not list its sources with their addresses", name)
	}
	if all := strings.Join(pages, "\n"); !regexp.MustCompile(`Page \d+ of \d+`).MatchString(all) {
		t.Errorf("%s: the printed pages are not numbered", name)
	}
	prev := 1
	for i, n := range names {
		switch p := starts[i]; {
		case p == 0:
			t.Errorf("%s: no page starts the section of %q", name, n)
		case p == 1:
			t.Errorf("%s: the cover page holds the section of %q", name, n)
		case p <= prev:
			t.Errorf("%s: %q starts on page %d, not after the previous population (page %d): two populations share a page or are out of order", name, n, p, prev)
		default:
			if first := firstLine(pages[p-1]); first != n {
				t.Errorf("%s: %q does not start page %d; its first line is %q", name, n, p, first)
			}
			prev = p
		}
	}
}

// pdfPages is the text of each page, per page with pdftotext -layout -f N -l N.
func pdfPages(t *testing.T, file string) []string {
	t.Helper()
	out, err := exec.Command("pdfinfo", file).Output()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v", file, err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo %s: no page count:\n%s", file, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	pages := make([]string, n)
	for i := range n {
		p := strconv.Itoa(i + 1)
		txt, err := exec.Command("pdftotext", "-layout", "-f", p, "-l", p, file, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext page %s of %s: %v", p, file, err)
		}
		pages[i] = strings.TrimRight(string(txt), "\f\n ")
	}
	return pages
}

// pdfPageSize is the first page's size in points, from pdfinfo.
func pdfPageSize(t *testing.T, file string) (w, h float64) {
	t.Helper()
	out, err := exec.Command("pdfinfo", file).Output()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v", file, err)
	}
	m := regexp.MustCompile(`(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo %s: no page size:\n%s", file, out)
	}
	w, _ = strconv.ParseFloat(string(m[1]), 64)
	h, _ = strconv.ParseFloat(string(m[2]), 64)
	return w, h
}

func abs(f float64) float64 { return max(f, -f) }

// analysePDF finds the page where each population's section starts: a line
// that is exactly its heading, followed by the line "… · N devices". The
// cover's summary table names the populations too, but in table rows.
func analysePDF(pages []string, org string, names []string) (starts []int, report string) {
	starts = make([]int, len(names))
	var sb strings.Builder
	for pi, page := range pages {
		lines := strings.Split(page, "\n")
		var here []string
		for li, l := range lines {
			l = strings.TrimSpace(l)
			for ni, n := range names {
				if l != n || !strings.Contains(nextLine(lines, li), " devices") {
					continue
				}
				here = append(here, n)
				if starts[ni] == 0 {
					starts[ni] = pi + 1
				}
			}
		}
		fmt.Fprintf(&sb, "  page %2d: first line %-40q", pi+1, firstLine(page))
		if pi == 0 && strings.Contains(page, org) {
			sb.WriteString(" [cover: " + org + "]")
		}
		if len(here) > 0 {
			fmt.Fprintf(&sb, " starts %q", here)
		}
		sb.WriteString("\n")
	}
	return starts, strings.TrimRight(sb.String(), "\n")
}

func nextLine(lines []string, i int) string {
	for _, l := range lines[i+1:] {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

func firstLine(page string) string {
	for l := range strings.SplitSeq(page, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// ---- accessibility -------------------------------------------------------------

var axeSource = sync.OnceValues(func() ([]byte, error) { return os.ReadFile(axePath) })

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target string `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axe runs axe-core's WCAG 2.0/2.1 A and AA rules on the current page,
// injected from disk, and returns one line per violation.
func (b *tab) axe() []string {
	b.t.Helper()
	if !evalIn[bool](b, `typeof window.axe === "object"`) {
		src, err := axeSource()
		if err != nil {
			b.t.Fatal(err)
		}
		evalIn[chromedp.Void](b, string(src))
	}
	vs := evalIn[[]axeViolation](b, `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.map(n => ({target: JSON.stringify(n.target), html: n.html.slice(0, 160)}))})))`, chromedp.EvalAwaitPromise)
	var out []string
	for _, v := range vs {
		first := ""
		if len(v.Nodes) > 0 {
			first = v.Nodes[0].Target + " " + v.Nodes[0].HTML
		}
		out = append(out, fmt.Sprintf("%s (%s, %d nodes): %s; first: %s", v.ID, v.Impact, len(v.Nodes), v.Help, first))
	}
	return out
}

func TestBrowserAxe(t *testing.T) {
	exe := e2eRequire(t, "axe")
	e := newEnv(t, 0)
	browser := newBrowser(t, exe)
	b := newTab(t, browser, e.srv.URL)
	checked := 0
	check := func(b *tab, page string, narrow bool) {
		t.Helper()
		for _, s := range []string{"light", "dark"} {
			b.scheme(s)
			for _, v := range b.axe() {
				t.Errorf("axe %s [%s]: %s", page, s, v)
			}
			checked++
		}
		b.scheme("light")
		// Reflow (WCAG 1.4.10): no sideways scrolling at 320 px, on every page.
		b.viewport(320)
		if w := evalIn[int](b, `document.documentElement.scrollWidth`); w > 321 {
			t.Errorf("%s scrolls sideways at 320 px: scrollWidth %d; outermost overflowing elements: %s", page, w, strings.Join(evalIn[[]string](b, overflowJS), "; "))
		}
		if narrow {
			for _, v := range b.axe() {
				t.Errorf("axe %s [320 px]: %s", page, v)
			}
			checked++
		}
		b.viewport(1280)
	}
	// The harness itself: dark emulation takes, and axe finds a planted fault.
	if st := b.open("/"); st != 200 {
		t.Fatalf("start page: %d", st)
	}
	b.scheme("dark")
	if !evalIn[bool](b, `matchMedia("(prefers-color-scheme: dark)").matches`) {
		t.Fatal("prefers-color-scheme: dark is not emulated")
	}
	b.scheme("light")
	evalIn[chromedp.Void](b, `document.querySelector("main").append(Object.assign(document.createElement("img"), {src: "data:image/gif;base64,R0lGODlhAQABAAAAACw="}))`)
	if vs := b.axe(); len(vs) != 1 || !strings.HasPrefix(vs[0], "image-alt ") {
		t.Fatalf("axe did not find exactly the planted image without alt text: %q", vs)
	}

	r := walkWizard(b, walkOpts{errors: true, visit: func(page string) {
		narrow := strings.HasPrefix(page, "step1-") || strings.HasPrefix(page, "step2-") || strings.HasPrefix(page, "step3-") || strings.HasPrefix(page, "step6-") || page == "plan-saved"
		check(b, page, narrow)
	}})
	if st := b.open("/wizard/print"); st != 200 {
		t.Fatalf("print view: %d", st)
	}
	check(b, "print-wizard", false)

	f := freshTab(t, browser, e.srv.URL)
	if st := f.open(r.share); st != 200 {
		t.Fatalf("share page: %d", st)
	}
	check(f, "share", true)
	if st := f.open(r.share + "/print"); st != 200 {
		t.Fatalf("share print view: %d", st)
	}
	check(f, "print-share", false)
	t.Logf("axe-core %s ran %d times (wcag2a, wcag2aa, wcag21a, wcag21aa)", axeVersion(), checked)
}

// overflowJS lists the outermost elements that stick out of the viewport on
// the right, to say what makes a page scroll sideways.
const overflowJS = `(() => { const W = innerWidth + 1, out = [];
	for (const e of document.body.querySelectorAll("*")) {
		const r = e.getBoundingClientRect(), p = e.parentElement.getBoundingClientRect();
		if (r.right > W && p.right <= W && out.length < 4)
			out.push("<" + e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
				"> " + Math.round(r.width) + " px wide: " + JSON.stringify((e.innerText || "").trim().slice(0, 60)));
	}
	return out; })()`

func axeVersion() string {
	data, err := os.ReadFile("testdata/axe/package.json")
	if err != nil {
		return "?"
	}
	var p struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	json.Unmarshal(data, &p)
	return p.Dependencies["axe-core"]
}

// ---- screenshots and page weight --------------------------------------------------

// fullPagePNG is chromedp.FullScreenshot(100) with the browser's fast PNG
// encoder: the plan pages are long, and the default encoder takes seconds.
// viewportPNG is what the first screen shows.
func viewportPNG(ctx context.Context, t *chromedp.Target) ([]byte, error) {
	r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
	if err != nil {
		return nil, err
	}
	return r.Data, nil
}

func fullPagePNG(ctx context.Context, t *chromedp.Target) ([]byte, error) {
	yes := true
	r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatPng, FromSurface: &yes, CaptureBeyondViewport: &yes, OptimizeForSpeed: &yes})
	if err != nil {
		return nil, err
	}
	return r.Data, nil
}

func TestBrowserScreenshots(t *testing.T) {
	exe := e2eRequire(t)
	e := newEnv(t, 0)
	browser := newBrowser(t, exe)
	b := newTab(t, browser, e.srv.URL)
	dir := filepath.Join(resultsDir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	for _, f := range old {
		if !strings.HasPrefix(filepath.Base(f), "step5-split-") { // TestBrowserRolloutSplitPopulation's
			os.Remove(f)
		}
	}
	var shots []string
	shoot := func(b *tab, page string, width int64, scheme string) {
		t.Helper()
		b.viewport(width)
		b.scheme(scheme)
		ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
		defer cancel()
		start := time.Now()
		png, err := chromedp.Run(ctx, fullPagePNG)
		if err != nil {
			t.Fatalf("screenshot %s: %v", page, err)
		}
		name := fmt.Sprintf("%s-%d-%s.png", page, width, scheme)
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
		shots = append(shots, fmt.Sprintf("%-40s %8d bytes %5d ms", name, len(png), time.Since(start).Milliseconds()))
	}
	// Every page at 1280 px; dark for steps 1 and 7; 320 px for all but
	// step 7, whose plan the saved plan page shows again (long pages take
	// seconds each).
	all := func(b *tab, page string) {
		shoot(b, page, 1280, "light")
		if strings.HasPrefix(page, "step1-") || strings.HasPrefix(page, "step6-") {
			shoot(b, page, 1280, "dark")
		}
		if !strings.HasPrefix(page, "step6-") {
			shoot(b, page, 320, "light")
		}
		// The pages a customer is handed: the plan's first page, the rollout,
		// the share page, at phone width too, and what the first screen shows.
		if page == "step5-rollout" || page == "plan-saved" || page == "share" {
			shoot(b, page, 375, "light")
			for _, w := range []int64{375, 1280} {
				b.viewport(w)
				ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
				png, err := chromedp.Run(ctx, viewportPNG)
				cancel()
				if err != nil {
					t.Fatalf("screenshot %s top: %v", page, err)
				}
				name := fmt.Sprintf("%s-%d-top.png", page, w)
				if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
					t.Fatal(err)
				}
				shots = append(shots, name)
			}
		}
		b.viewport(1280)
		b.scheme("light")
	}
	r := walkWizard(b, walkOpts{visit: func(page string) { all(b, page) }})
	f := freshTab(t, browser, e.srv.URL)
	if st := f.open(r.share); st != 200 {
		t.Fatalf("share page: %d", st)
	}
	all(f, "share")
	t.Logf("%d screenshots in testresults/screenshots:\n  %s", len(shots), strings.Join(shots, "\n  "))
}

// pageFiles is what a page weighs: the HTML served and the files it links.
type pageFiles struct {
	HTML    int      `json:"html"` // bytes of the response body
	Outer   string   `json:"outer"`
	Styles  []string `json:"styles"`
	Scripts []string `json:"scripts"`
}

func TestBrowserPageWeight(t *testing.T) {
	exe := e2eRequire(t)
	e := newEnv(t, 0)
	browser := newBrowser(t, exe)
	b := newTab(t, browser, e.srv.URL)
	if err := os.MkdirAll(resultsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	assets := map[string][]byte{}
	fetch := func(u string) []byte {
		if data, ok := assets[u]; ok {
			return data
		}
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", u, res.StatusCode)
		}
		assets[u] = data
		return data
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-28s %9s %9s %9s %9s %10s\n", "page", "html B", "css B", "js B", "total B", "total gz B")
	walkWizard(b, walkOpts{visit: func(page string) {
		pw := evalIn[pageFiles](b, `(() => { const n = performance.getEntriesByType('navigation')[0];
			return {html: n ? n.decodedBodySize : 0, outer: '<!DOCTYPE html>' + document.documentElement.outerHTML,
				styles: [...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href),
				scripts: [...document.querySelectorAll('script[src]')].map(s => s.src)}; })()`)
		html := pw.HTML
		if html == 0 {
			html = len(pw.Outer)
		}
		all := []byte(pw.Outer)
		css, js := 0, 0
		for _, u := range pw.Styles {
			d := fetch(u)
			css += len(d)
			all = append(all, d...)
		}
		for _, u := range pw.Scripts {
			d := fetch(u)
			js += len(d)
			all = append(all, d...)
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(all)
		zw.Close()
		fmt.Fprintf(&sb, "%-28s %9d %9d %9d %9d %10d\n", page, html, css, js, html+css+js, gz.Len())
	}})
	table := sb.String()
	t.Logf("page weight (html = bytes served; css/js = the files each page links; gz = all of it gzipped):\n%s", table)
	if err := os.WriteFile(filepath.Join(resultsDir, "page-weight.txt"), []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
}
