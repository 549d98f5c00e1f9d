package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// askedOn says whether a step 2 question is shown on a page without
// JavaScript: its box is not hidden and its inputs are not disabled.
func askedOn(t *testing.T, page, name string) bool {
	t.Helper()
	i := strings.Index(page, `name="`+name+`"`)
	if i < 0 {
		t.Fatalf("no field %s on the page", name)
	}
	box := page[strings.LastIndex(page[:i], "<div data-when="):]
	box = box[:strings.Index(box, ">")]
	input := page[strings.LastIndex(page[:i], "<input"):]
	input = input[:strings.Index(input, ">")]
	hidden := regexp.MustCompile(`\shidden\b`).MatchString(box)
	disabled := regexp.MustCompile(`\sdisabled\b`).MatchString(input)
	if hidden != disabled {
		t.Errorf("%s: hidden %v but disabled %v; a hidden question must send nothing", name, hidden, disabled)
	}
	return !hidden
}

// planPopulations reads the draft's plan as JSON, by population id.
func planPopulations(t *testing.T, p *planner) map[string]plan.PopulationPlan {
	t.Helper()
	r := p.get("/wizard/plan.json")
	if r.status != 200 {
		t.Fatalf("plan.json: %d", r.status)
	}
	var pl plan.Plan
	if err := json.Unmarshal([]byte(r.body), &pl); err != nil {
		t.Fatal(err)
	}
	out := map[string]plan.PopulationPlan{}
	for _, pop := range pl.Populations {
		out[pop.ID] = pop
	}
	out[""] = plan.PopulationPlan{Prerequisites: prereqIDs(pl)}
	return out
}

func stepIDs(steps []plan.Step) []string {
	var ids []string
	for _, s := range steps {
		ids = append(ids, s.ID)
	}
	return ids
}

// asksEnrolledBy reports whether step 2 asks who enrolls a population of
// this kind that enrolls.
func asksEnrolledBy(p plan.Population) bool {
	return pages.AskEnrolledBy.Holds(func(f string) string {
		return map[string]string{"platform": p.Platform, "ownership": p.Ownership, "usage": p.EffectiveUsage(), "enroll": "enroll"}[f]
	})
}

func prereqIDs(pl plan.Plan) []string {
	var ids []string
	for _, pr := range pl.Prerequisites {
		ids = append(ids, pr.ID)
	}
	return ids
}

// TestDevicesWhoEnrollsAndMaker: step 2 asks who enrolls organisation-owned
// devices with users (not personal devices or kiosks) and the maker of
// Android and Windows devices, without JavaScript; the answers reach the
// plan, and a maker's name over 40 characters is an error beside its field.
func TestDevicesWhoEnrollsAndMaker(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	f := devicesForm("add")
	f.Add("populations[2].name", "Contractors' phones")
	f.Add("populations[2].platform", "android")
	f.Add("populations[2].ownership", "personal")
	f.Add("populations[2].usage", "user")
	f.Add("populations[2].devices", "150")
	f.Add("populations[3].name", "Check-in tablets")
	f.Add("populations[3].platform", "android")
	f.Add("populations[3].ownership", "corporate")
	f.Add("populations[3].usage", "dedicated")
	f.Add("populations[3].devices", "40")
	expectRedirect(t, p.post("/wizard/devices", f), "/wizard/devices?added=4#f-populations-4-name")
	page := templateRe.ReplaceAllString(p.get("/wizard/devices").body, "")
	for _, c := range []struct {
		name string
		want bool
	}{
		{"populations[0].enrolled_by", true},   // corporate iPhones with a user
		{"populations[1].enrolled_by", true},   // corporate Windows laptops
		{"populations[2].enrolled_by", false},  // personal phones
		{"populations[3].enrolled_by", false},  // kiosks: always IT staff
		{"populations[4].enrolled_by", true},   // nothing chosen yet
		{"populations[0].manufacturer", false}, // iPhones
		{"populations[1].manufacturer", true},  // Windows
		{"populations[3].manufacturer", true},  // Android
		{"populations[4].manufacturer", true},  // nothing chosen yet
	} {
		if got := askedOn(t, page, c.name); got != c.want {
			t.Errorf("%s asked: %v, want %v", c.name, got, c.want)
		}
	}
	if !strings.Contains(page, `name="populations[4].enrolled_by" value="user" checked`) {
		t.Error("a new row does not start with its users enrolling it (CONTRACT §8.1 default)")
	}
	if !strings.Contains(visibleText(page), "Kiosks and other single-purpose devices are always enrolled by IT staff.") {
		t.Error("the hint does not say who enrolls kiosks")
	}

	// Too long a maker: the message is beside the field, the typed value kept.
	long := strings.Repeat("Zebra ", 7) // 42 characters
	f = rolloutValuesOnPage(page)
	for _, k := range []string{"populations[4].name", "populations[4].platform"} {
		f.Del(k)
	}
	for k := range f {
		if strings.HasPrefix(k, "populations[4].") {
			f.Del(k)
		}
	}
	f.Set("populations[3].manufacturer", long)
	r := p.post("/wizard/devices", f)
	if r.status != 422 {
		t.Fatalf("a 42-character maker: %d", r.status)
	}
	if msg := visibleText(between(r.body, `id="f-populations-3-manufacturer-error">`, "</p>")); !strings.Contains(msg, "Keep the maker's name to 40 characters or fewer; it has 41") {
		t.Errorf("inline message %q", msg)
	}
	if !strings.Contains(r.body, `value="`+long+`"`) {
		t.Error("the typed maker is not kept")
	}

	// IT staff for the laptops and, ignored, for the personal phones; a maker
	// for the tablets.
	f.Set("populations[3].manufacturer", " Zebra ")
	f.Set("populations[1].enrolled_by", plan.EnrolledByIT)
	f.Set("populations[2].enrolled_by", plan.EnrolledByIT)
	expectRedirect(t, p.post("/wizard/devices", f), "/wizard/review")
	m := rolloutValuesOnPage(p.get("/wizard/review").body)
	m.Set("populations[1].method", "windows-auto-enrollment")
	expectRedirect(t, p.post("/wizard/review", m), "/wizard/prerequisites")
	expectRedirect(t, p.post("/wizard/prerequisites", url.Values{}), "/wizard/rollout")
	expectRedirect(t, p.post("/wizard/rollout", url.Values{"rollout.waves[0].name": {"Wave 1"}, "rollout.waves[0].group": {"All"},
		"rollout.waves[0].start.day": {"11"}, "rollout.waves[0].start.month": {"1"}, "rollout.waves[0].start.year": {"2027"},
		"rollout.waves[0].populations": {"sales-iphones", "office-laptops", "contractors-phones", "check-in-tablets"}}), "/wizard/plan")
	pops := planPopulations(t, p)
	for id, want := range map[string]string{"sales-iphones": plan.EnrolledByUser, "office-laptops": plan.EnrolledByIT,
		"contractors-phones": plan.EnrolledByUser, "check-in-tablets": plan.EnrolledByIT} {
		if got := pops[id].EnrolledBy; got != want {
			t.Errorf("%s: enrolled_by %q, want %q", id, got, want)
		}
	}
	if got := pops["check-in-tablets"].Manufacturer; got != "Zebra" {
		t.Errorf("maker %q, want Zebra", got)
	}
	if pops["office-laptops"].DEMAccounts != 1 || pops["contractors-phones"].DEMAccounts != 0 || !strings.Contains(strings.Join(pops[""].Prerequisites, " "), "dem-account") {
		t.Errorf("600 laptops IT staff enroll need 1 DEM account, the personal phones none: %d, %d, %v",
			pops["office-laptops"].DEMAccounts, pops["contractors-phones"].DEMAccounts, pops[""].Prerequisites)
	}
}

// TestDevicesKeepTheOlderBulkAnswer: a plan saved with the older tenant-wide
// bulk_enrollment_by_staff opens in step 2 with IT staff enrolling each
// organisation-owned group step 2 asks about; saving step 2 as it stands
// keeps that, now per group, and the personal phones stay with their users.
func TestDevicesKeepTheOlderBulkAnswer(t *testing.T) {
	e := newEnv(t, 0)
	answers := strings.Replace(exampleAnswers(t), `"bulk_enrollment_by_staff": false`, `"bulk_enrollment_by_staff": true`, 1)
	r := e.do(t, "POST", "/api/v1/plans", answers)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var c createdPlan
	if err := json.Unmarshal([]byte(r.body), &c); err != nil {
		t.Fatal(err)
	}
	p := newPlanner(t, e.srv.URL)
	path, key, _ := strings.Cut(strings.TrimPrefix(c.EditURL, e.srv.URL), "#key=")
	expectRedirect(t, p.post(path, url.Values{"key": {key}}), "/wizard/plan")
	before := planPopulations(t, p)
	page := templateRe.ReplaceAllString(p.get("/wizard/devices").body, "")
	if !strings.Contains(page, `name="populations[2].enrolled_by" value="it" checked`) {
		t.Error("Office laptops do not show IT staff enrolling them")
	}
	if askedOn(t, page, "populations[4].enrolled_by") {
		t.Error("asked of the personal phones")
	}
	expectRedirect(t, p.post("/wizard/devices", rolloutValuesOnPage(page)), "/wizard/review")
	after := planPopulations(t, p)
	for id, pop := range before {
		if id == "" {
			continue
		}
		// Where step 2 does not ask who enrolls (a Linux device can't use
		// a DEM account, so the answer changes only a note), the answer
		// goes, and what it could change stays as it was.
		if kind := (plan.Population{Platform: pop.Platform, Ownership: pop.Ownership, Usage: pop.Usage}); pop.Enroll && !asksEnrolledBy(kind) {
			if a := after[id]; a.Method.ID != pop.Method.ID || a.FactoryReset.Rule != pop.FactoryReset.Rule || !slices.Equal(stepIDs(a.Steps), stepIDs(pop.Steps)) {
				t.Errorf("%s: saving step 2 as it stands changed its method, reset or steps", id)
			}
			continue
		}
		if after[id].EnrolledBy != pop.EnrolledBy {
			t.Errorf("%s: enrolled_by %q before step 2 was saved, %q after", id, pop.EnrolledBy, after[id].EnrolledBy)
		}
	}
	if after["office-pcs"].EnrolledBy != plan.EnrolledByIT || after["byod-phones"].EnrolledBy != plan.EnrolledByUser {
		t.Errorf("office PCs %q (want it), personal phones %q (want user)", after["office-pcs"].EnrolledBy, after["byod-phones"].EnrolledBy)
	}
}

// TestBrowserWhoEnrollsAndMaker: with JavaScript on, step 2's "Who enrolls
// these devices?" follows its row's ownership, use and enrollment, and
// "Maker" its platform; a hidden question's inputs are disabled so nothing
// is sent, and a row added in place starts with both asked and the users
// enrolling; axe finds nothing on those states.
func TestBrowserWhoEnrollsAndMaker(t *testing.T) {
	exe := e2eRequire(t, "axe")
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	b := newTab(t, newBrowser(t, exe), p.base)
	handOver(t, p, b)
	if st := b.open("/wizard/devices"); st != 200 {
		t.Fatalf("step 2: %d", st)
	}
	who, maker := `input[name="populations[0].enrolled_by"][value="it"]`, `input[name="populations[0].manufacturer"]`
	asked := func(sel string) bool {
		return b.shown(sel) && !evalIn[bool](b, fmt.Sprintf(`document.querySelector(%q).disabled`, sel))
	}
	if !asked(who) || !asked(maker) {
		t.Fatal("a blank row is not asked who enrolls it and its maker")
	}
	b.setValue("populations[0].platform", "ios")
	if asked(maker) {
		t.Error("maker still asked of iPhones")
	}
	b.setValue("populations[0].platform", "android")
	if !asked(maker) {
		t.Error("maker not asked of Android devices")
	}
	b.choose("populations[0].ownership", "personal")
	if asked(who) {
		t.Error("who enrolls still asked of personal devices")
	}
	b.choose("populations[0].ownership", "corporate")
	b.choose("populations[0].usage", "dedicated")
	if asked(who) {
		t.Error("who enrolls still asked of kiosks")
	}
	b.choose("populations[0].usage", "user")
	b.choose("populations[0].enroll", "app")
	if asked(who) {
		t.Error("who enrolls still asked of app protection only")
	}
	b.choose("populations[0].enroll", "enroll")
	if !asked(who) {
		t.Fatal("who enrolls not asked again of organisation-owned devices with a user")
	}
	b.choose("populations[0].enrolled_by", "it")
	axeHere(t, b, "step 2 with who enrolls and maker")
	b.do("add", chromedp.Click(chromedp.CSS(`button[data-add="populations"]`)), chromedp.WaitVisible(chromedp.CSS(field("populations[1].name"))))
	if !asked(`input[name="populations[1].enrolled_by"][value="user"]`) || !evalIn[bool](b, `document.querySelector('input[name="populations[1].enrolled_by"][value="user"]').checked`) {
		t.Error("a row added in place does not start with its users enrolling it")
	}
	if !asked(`input[name="populations[1].manufacturer"]`) || evalIn[string](b, `document.querySelector('input[name="populations[1].manufacturer"]').value`) != "" {
		t.Error("a row added in place does not start with an empty maker asked")
	}
}
