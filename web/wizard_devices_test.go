package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// TestDevicesCountsFromOneToAMillion: device counts outside 1…1,000,000,
// or not whole numbers, are refused beside the field and in the summary,
// which names the population; what was typed stays as typed.
func TestDevicesCountsFromOneToAMillion(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	for _, tc := range []struct{ typed, says string }{
		{"0", "from 1 to 1,000,000"},
		{"-5", "from 1 to 1,000,000"},
		{"\u22125", "from 1 to 1,000,000"}, // a typographic minus
		{"99,999,999", "from 1 to 1,000,000"},
		{"1000001", "from 1 to 1,000,000"},
		{"seven hundred", "in digits"},
		{"12.5", "whole number"},
		{"", "enter how many devices"},
	} {
		f := devicesForm("continue")
		f.Set("populations[0].devices", tc.typed)
		r := p.post("/wizard/devices", f)
		if r.status != 422 {
			t.Errorf("%q accepted: %d", tc.typed, r.status)
			continue
		}
		summary := visibleText(between(r.body, `<h2 id="error-summary-title">`, "</div>"))
		if !strings.Contains(summary, "Sales iPhones: ") || !strings.Contains(summary, tc.says) || strings.Contains(summary, "populations[") {
			t.Errorf("%q: summary %q does not name the population and the problem", tc.typed, summary)
		}
		if !strings.Contains(r.body, `href="#f-populations-0-devices"`) || !strings.Contains(r.body, `id="f-populations-0-devices-error"`) {
			t.Errorf("%q: no error link or message beside the field", tc.typed)
		}
		if !strings.Contains(r.body, `name="populations[0].devices" value="`+tc.typed+`"`) {
			t.Errorf("%q is not shown as typed", tc.typed)
		}
		// Away and back: still as typed, and still an error.
		p.get("/wizard/organisation")
		back := p.get("/wizard/devices")
		if !strings.Contains(back.body, `name="populations[0].devices" value="`+tc.typed+`"`) || !strings.Contains(back.body, "error-summary") {
			t.Errorf("%q: after a trip to step 1 the step shows %q", tc.typed, between(back.body, `name="populations[0].devices"`, ">"))
		}
	}
	for _, ok := range []string{"1", "1,000,000", "1 490", " 250 "} {
		f := devicesForm("continue")
		f.Set("populations[0].devices", ok)
		expectRedirect(t, p.post("/wizard/devices", f), "/wizard/review")
	}
	// What was typed last ("1 490" style) shows again on the way back.
	f := devicesForm("continue")
	f.Set("populations[1].devices", "1,490")
	expectRedirect(t, p.post("/wizard/devices", f), "/wizard/review")
	if r := p.get("/wizard/devices"); !strings.Contains(r.body, `value="1,490"`) || strings.Contains(r.body, "error-summary") {
		t.Error("a valid count is not shown as it was typed")
	}
}

// TestDevicesErrorsNameThePopulation: every summary line starts with the
// population's name (or its number while it has none), never a field path.
func TestDevicesErrorsNameThePopulation(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	f := devicesForm("continue")
	f.Set("populations[1].name", "")
	f.Del("populations[1].platform")
	f.Set("populations[0].ownership", "personal")
	f.Set("populations[0].usage", "shared")
	f.Set("populations[0].managed_by", "configmgr")
	r := p.post("/wizard/devices", f)
	if r.status != 422 {
		t.Fatalf("status %d", r.status)
	}
	summary := visibleText(between(r.body, `<h2 id="error-summary-title">`, "</div>"))
	for _, want := range []string{
		"Sales iPhones: personal devices have one user each",
		"Sales iPhones: Configuration Manager co-manages Windows PCs only",
		"Population 2: enter a name for this group of devices",
		"Population 2: choose the platform of these devices",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	for _, internal := range []string{"populations[", "configmgr", "other-mdm", "is missing"} {
		if strings.Contains(summary, internal) {
			t.Errorf("summary shows %q: %s", internal, summary)
		}
	}
	// The message beside the field does without the name.
	if msg := visibleText(between(r.body, `id="f-populations-1-name-error">`, "</p>")); !strings.HasPrefix(msg, "Error: Enter a name") {
		t.Errorf("inline message %q", msg)
	}
}

// TestDevicesPersonalUseOnlyWhereItApplies: without JavaScript the question
// is asked of rows that are corporate Android with one user, or not chosen
// yet, with a hint saying when it applies; on other rows it is on the page
// hidden and disabled, for app.js to show when the row's answers change.
func TestDevicesPersonalUseOnlyWhereItApplies(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	f := devicesForm("add")
	f.Set("populations[1].platform", "android") // corporate, one user
	expectRedirect(t, p.post("/wizard/devices", f), "/wizard/devices?added=2#f-populations-2-name")
	page := p.get("/wizard/devices").body
	for _, c := range []struct {
		row  int
		want bool
	}{{0, false}, {1, true}, {2, true}} {
		if got := askedOn(t, page, fmt.Sprintf("populations[%d].personal_use", c.row)); got != c.want {
			t.Errorf("row %d asked about personal use: %v, want %v", c.row, got, c.want)
		}
	}
	if !strings.Contains(page, "Only for organisation-owned Android devices with one user.") {
		t.Error("the hint does not say when it applies")
	}
	if strings.Contains(page, "<template") {
		t.Error("a template is left for app.js: the question is on every row")
	}
	// An answer to it on a row where it does not apply is ignored, not an error.
	f = devicesForm("continue")
	f.Set("populations[0].personal_use", "yes")
	f.Set("populations[1].platform", "android")
	f.Set("populations[1].personal_use", "no")
	expectRedirect(t, p.post("/wizard/devices", f), "/wizard/review")
}

// TestDevicesIDsStayWhenRenamed: a population keeps its id when renamed, so
// the waves of step 6 keep covering it; a removed population leaves them.
func TestDevicesIDsStayWhenRenamed(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	expectRedirect(t, p.post("/wizard/rollout", rolloutForm()), "/wizard/plan")
	r := p.get("/wizard/devices")
	if !strings.Contains(r.body, `name="populations[0].id" value="sales-iphones"`) {
		t.Fatalf("ids: %s", between(r.body, `name="populations[0].id"`, ">"))
	}
	f := devicesForm("continue")
	f.Set("populations[0].id", "sales-iphones")
	f.Set("populations[1].id", "office-laptops")
	f.Set("populations[0].name", "Sales phones")
	expectRedirect(t, p.post("/wizard/devices", f), "/wizard/review")
	r = p.get("/wizard/rollout")
	if !strings.Contains(r.body, `value="sales-iphones" checked`) || !strings.Contains(visibleText(r.body), "Sales phones") {
		t.Fatal("renamed population left its wave")
	}
	// Office laptops goes: wave 2 covered only it, so it covers nothing now
	// and step 6 must be passed again.
	f = url.Values{"action": {"continue"}}
	for k, v := range devicesForm("") {
		if strings.HasPrefix(k, "populations[0].") {
			f[k] = v
		}
	}
	f.Set("populations[0].id", "sales-iphones")
	expectRedirect(t, p.post("/wizard/devices", f), "/wizard/review")
	expectRedirect(t, p.get("/wizard/plan"), "/wizard/rollout?sent_back=6")
	r = p.get("/wizard/rollout")
	if strings.Contains(r.body, `value="office-laptops"`) || !strings.Contains(r.body, `name="rollout.waves[1].group" value="Office"`) {
		t.Fatal("the wave of a removed population is not kept for the planner to fix")
	}
	r = p.post("/wizard/rollout", rolloutValuesOnPage(r.body))
	if r.status != 422 || !strings.Contains(visibleText(r.body), "Wave 2: tick the populations this wave enrolls") {
		t.Fatalf("an empty wave is not an error: %d", r.status)
	}
}

// TestPrereqQuestionsBeforeChecklist: step 5's baseline question comes
// before the read-only checklist, and Continue after both; the tenant-wide
// "IT staff enroll in bulk" question is gone (step 2 asks it per
// population), and step 5 needs no answer to continue.
func TestPrereqQuestionsBeforeChecklist(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepPrereq)
	r := p.get("/wizard/prerequisites")
	b := strings.Index(r.body, `name="baseline"`)
	list := strings.Index(r.body, `class="prereqs"`)
	cont := strings.Index(r.body, `class="button" name="action" value="continue"`)
	if b < 0 || list < 0 || cont < 0 || !(b < list && list < cont) {
		t.Fatalf("order: baseline %d, checklist %d, continue %d", b, list, cont)
	}
	if strings.Contains(r.body, "bulk_enrollment_by_staff") || strings.Contains(r.body, "in bulk on users' behalf?") {
		t.Error("step 5 still asks the tenant-wide bulk question")
	}
	expectRedirect(t, p.post("/wizard/prerequisites", url.Values{}), "/wizard/rollout")
}

// between is the text of s after the first from, up to the next to.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// TestDevicesNewIDs: a population gets a readable, unique id from its name,
// which its waves keep pointing at when rows move.
func TestDevicesNewIDs(t *testing.T) {
	if got := withIDs([]plan.Population{{Name: "Sales iPhones"}, {Name: "Sales iPhones"}, {Name: "Ventes (Québec)"}, {Name: "東京"}, {ID: "Bad ID", Name: "x"}}); got[0].ID != "sales-iphones" || got[1].ID != "sales-iphones-2" ||
		got[2].ID != "ventes-qu-bec" || got[3].ID != "population" || got[4].ID != "x" {
		t.Errorf("new ids: %+v", got)
	}
}
