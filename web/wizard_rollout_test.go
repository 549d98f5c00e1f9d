package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

var (
	templateRe = regexp.MustCompile(`(?s)<template.*?</template>`)
	inputRe    = regexp.MustCompile(`<input [^>]*>`)
	attrRe     = regexp.MustCompile(`([a-z-]+)(?:="([^"]*)")?`)
	selectRe   = regexp.MustCompile(`(?s)<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>`)
	selectedRe = regexp.MustCompile(`<option value="([^"]*)" selected`)
)

// rolloutForm is step 6 with a dated pilot and two waves, one per
// population of devicesForm.
func rolloutForm() url.Values {
	return url.Values{"action": {"continue"}, "rollout.pilot_group": {"Intune Pilot"},
		"rollout.pilot_start.day": {"4"}, "rollout.pilot_start.month": {"1"}, "rollout.pilot_start.year": {"2027"},
		"rollout.waves[0].name": {"Wave 1"}, "rollout.waves[0].group": {"Sales"}, "rollout.waves[0].populations": {"sales-iphones"},
		"rollout.waves[0].start.day": {"11"}, "rollout.waves[0].start.month": {"1"}, "rollout.waves[0].start.year": {"2027"},
		"rollout.waves[1].name": {"Wave 2"}, "rollout.waves[1].group": {"Office"}, "rollout.waves[1].populations": {"office-laptops"},
		"rollout.waves[1].start.day": {"1"}, "rollout.waves[1].start.month": {"February"}, "rollout.waves[1].start.year": {"2027"},
	}
}

// rolloutValuesOnPage is what a browser without JavaScript posts when the
// planner presses Continue on a page as it is.
func rolloutValuesOnPage(body string) url.Values {
	body = templateRe.ReplaceAllString(body, "")
	f := url.Values{"action": {"continue"}}
	for _, tag := range inputRe.FindAllString(body, -1) {
		a := map[string]string{}
		for _, m := range attrRe.FindAllStringSubmatch(strings.TrimPrefix(tag, "<input "), -1) {
			a[m[1]] = strings.NewReplacer("&#34;", `"`, "&amp;", "&", "&#39;", "'").Replace(m[2])
		}
		_, checked := a["checked"]
		_, disabled := a["disabled"]
		if a["name"] == "" || disabled || ((a["type"] == "radio" || a["type"] == "checkbox") && !checked) {
			continue
		}
		f.Add(a["name"], a["value"])
	}
	for _, m := range selectRe.FindAllStringSubmatch(body, -1) {
		if s := selectedRe.FindStringSubmatch(m[2]); s != nil {
			f.Add(m[1], s[1])
		}
	}
	return f
}

// planJSON is the draft's plan as the JSON download gives it.
func planJSON(t *testing.T, p *planner) map[string]any {
	t.Helper()
	r := p.get("/wizard/plan.json")
	if r.status != 200 {
		t.Fatalf("plan.json: %d", r.status)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// savedAnswers saves the draft's plan and reads back the answers stored
// with it.
func savedAnswers(t *testing.T, p *planner) plan.Answers {
	t.Helper()
	a, _ := saveDraft(t, p)
	return a
}

// saveDraft saves the draft's plan; it returns the answers stored with it
// and a planner in another browser that opened the plan's edit link.
func saveDraft(t *testing.T, p *planner) (plan.Answers, *planner) {
	t.Helper()
	r := p.post("/wizard/save", nil)
	edit := regexp.MustCompile(`/p/([A-Za-z0-9_-]{22})/edit#key=([A-Za-z0-9_-]+)`).FindStringSubmatch(r.body)
	if r.status != 200 || edit == nil {
		t.Fatalf("save: %d %.300s", r.status, r.body)
	}
	g := p.get("/api/v1/plans/" + edit[1])
	var saved struct {
		Answers plan.Answers `json:"answers"`
	}
	if err := json.Unmarshal([]byte(g.body), &saved); g.status != 200 || err != nil {
		t.Fatalf("saved plan: %d %v", g.status, err)
	}
	other := newPlanner(t, p.base)
	expectRedirect(t, other.post("/p/"+edit[1]+"/edit", url.Values{"key": {edit[2]}}), "/wizard/plan")
	return saved.Answers, other
}

// TestRolloutFirstVisit: one wave with nothing ticked, and dates as three
// labelled boxes in a fieldset with a legend.
func TestRolloutFirstVisit(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	r := p.get("/wizard/rollout")
	if r.status != 200 {
		t.Fatalf("step 6: %d", r.status)
	}
	text := visibleText(r.body)
	if !strings.Contains(text, "Devices in this wave: 0") || !strings.Contains(text, "Sales iPhones 250 devices") {
		t.Errorf("no device counts: %s", text)
	}
	for _, box := range []string{"rollout.pilot_start.day", "rollout.pilot_start.month", "rollout.pilot_start.year", "rollout.waves[0].start.day", "rollout.waves[0].start.month", "rollout.waves[0].start.year"} {
		if !strings.Contains(r.body, `name="`+box+`"`) {
			t.Errorf("no box %s", box)
		}
	}
	for _, id := range []string{"f-rollout-pilot-start", "f-rollout-pilot-start-month", "f-rollout-pilot-start-year"} {
		if !strings.Contains(r.body, `<label class="date-label" for="`+id+`">`) {
			t.Errorf("box %s has no label", id)
		}
	}
	if !regexp.MustCompile(`(?s)<fieldset class="field date-field"[^>]*><legend class="label">Pilot start date</legend>`).MatchString(r.body) {
		t.Error("the pilot date is not a fieldset with a legend")
	}
	if strings.Contains(r.body, `type="date"`) {
		t.Error("a native date box is still there")
	}
}

// TestRolloutSavesPilotDateAndWavePopulations: the pilot date and each
// wave's populations reach the answers.
func TestRolloutSavesPilotDateAndWavePopulations(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	expectRedirect(t, p.post("/wizard/rollout", rolloutForm()), "/wizard/plan")
	pl := planJSON(t, p)
	ro := pl["rollout"].(map[string]any)
	if ro["pilot_start"] != "2027-01-04" || ro["pilot_group"] != "Intune Pilot" {
		t.Errorf("pilot: %v %v", ro["pilot_group"], ro["pilot_start"])
	}
	waves := ro["waves"].([]any)
	if len(waves) != 2 {
		t.Fatalf("%d waves", len(waves))
	}
	w0, w1 := waves[0].(map[string]any), waves[1].(map[string]any)
	if w0["start"] != "2027-01-11" || w0["populations"].([]any)[0] != "sales-iphones" {
		t.Errorf("wave 1: %v", w0)
	}
	if w1["start"] != "2027-02-01" || w1["populations"].([]any)[0] != "office-laptops" {
		t.Errorf("wave 2 (month typed as a name): %v", w1)
	}
	if u := ro["unassigned"].([]any); len(u) != 0 {
		t.Errorf("unassigned: %v", u)
	}
	// Back to step 6: what was typed ("February") is still there as typed.
	r := p.get("/wizard/rollout")
	if !strings.Contains(r.body, `name="rollout.waves[1].start.month" value="February"`) || strings.Contains(r.body, "error-summary") {
		t.Error("step 6 does not show what was typed")
	}
}

// TestRolloutNothingTickedUntilTicked: the first wave and every wave added
// start with no population ticked, so that naming wave 1 "Windows" and
// going on never puts the whole fleet into it.
func TestRolloutNothingTickedUntilTicked(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	r := p.get("/wizard/rollout")
	if regexp.MustCompile(`name="rollout\.waves\[\d+\]\.populations" value="[^"]*" checked`).MatchString(r.body) {
		t.Fatal("the first wave comes with populations ticked")
	}
	f := rolloutValuesOnPage(r.body)
	f.Set("rollout.waves[0].name", "Windows")
	f.Set("rollout.waves[0].group", "Windows PCs")
	r = p.post("/wizard/rollout", f)
	if r.status != 422 || !strings.Contains(visibleText(r.body), "Windows: tick the populations this wave enrolls") {
		t.Fatalf("a named wave with nothing ticked went on: %d", r.status)
	}
	// Add another, without JavaScript: the new wave has nothing ticked either.
	f = rolloutValuesOnPage(r.body)
	f.Add("rollout.waves[0].populations", "office-laptops")
	f.Set("action", "add")
	expectRedirect(t, p.post("/wizard/rollout", f), "/wizard/rollout?added=1#f-rollout-waves-1-name")
	r = p.get("/wizard/rollout?added=1")
	if !strings.Contains(r.body, `name="rollout.waves[1].name" value="Wave 2"`) {
		t.Fatal("no wave added")
	}
	if strings.Contains(between(r.body, `id="f-rollout-waves-1"`, "</fieldset>"), "checked") || strings.Contains(between(r.body, `id="f-rollout-waves-1-populations"`, "</fieldset>"), "checked") {
		t.Error("the added wave comes with populations ticked")
	}
	if !strings.Contains(r.body, `value="office-laptops" checked`) {
		t.Error("wave 1 lost its tick")
	}
	// The untouched wave 2 is no wave: Continue goes on with wave 1 alone,
	// the page having named what no wave enrolls.
	if !strings.Contains(visibleText(r.body), "Not in any wave: Sales iPhones (250 devices)") {
		t.Error("what no wave enrolls is not named")
	}
	expectRedirect(t, p.post("/wizard/rollout", rolloutValuesOnPage(r.body)), "/wizard/plan")
	a := savedAnswers(t, p)
	if w := a.Rollout.Waves; len(w) != 1 || strings.Join(w[0].Populations, ",") != "office-laptops" {
		t.Errorf("waves saved: %+v", w)
	}
}

// TestRolloutSplitPopulation: a population ticked in two waves takes a
// count in each, the counts are checked against its devices and the
// pilot's, the error sits beside the box that tips it over, and the counts
// are stored as rollout.waves[].devices.
func TestRolloutSplitPopulation(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	f := rolloutForm()
	f.Set("rollout.pilot_devices", "10")
	f["rollout.waves[0].populations"] = []string{"sales-iphones", "office-laptops"}
	r := p.post("/wizard/rollout", f)
	if r.status != 422 {
		t.Fatalf("split without counts: %d", r.status)
	}
	for i, other := range []string{"Wave 2", "Wave 1"} {
		id := fmt.Sprintf("f-rollout-waves-%d-devices-office-laptops", i)
		if !strings.Contains(r.body, `<label class="label" for="`+id+`">How many of the 600 Office laptops in this wave?</label>`) {
			t.Errorf("wave %d has no count box for the split population", i+1)
		}
		if msg := visibleText(between(r.body, `id="`+id+`-error"`, "</p>")); !strings.Contains(msg, "Enter how many of the 600 Office laptops this wave enrolls; the others are in "+other) {
			t.Errorf("wave %d: error %q", i+1, msg)
		}
	}
	if strings.Contains(r.body, "devices.sales-iphones") {
		t.Error("a count box for a population in one wave only")
	}
	// 10 in the pilot and 300 in each wave are 610 of 600.
	f.Set("rollout.waves[0].devices.office-laptops", "300")
	f.Set("rollout.waves[1].devices.office-laptops", "300")
	r = p.post("/wizard/rollout", f)
	if r.status != 422 {
		t.Fatalf("over-count: %d", r.status)
	}
	want := "The pilot's 10, Wave 1's 300 and Wave 2's 300 make 610 of the 600 Office laptops: lower a count so that they add up to 600 at most"
	if msg := visibleText(between(r.body, `id="f-rollout-waves-1-devices-office-laptops-error"`, "</p>")); !strings.Contains(msg, want) {
		t.Errorf("error beside wave 2's count: %q", msg)
	}
	if tag := tagWithID(r.body, "f-rollout-waves-1-devices-office-laptops"); !strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, `value="300"`) {
		t.Errorf("wave 2's count box: %s", tag)
	}
	if strings.Contains(r.body, `id="f-rollout-waves-0-devices-office-laptops-error"`) {
		t.Error("wave 1's count is marked too")
	}
	if !strings.Contains(r.body, `href="#f-rollout-waves-1-devices-office-laptops"`) {
		t.Error("the summary does not link to the count")
	}
	if strings.Contains(visibleText(r.body), "Check this answer") {
		t.Error("the engine's words repeat the page's")
	}
	// 300 and 290: saved as counts; the population in one wave has none.
	f.Set("rollout.waves[1].devices.office-laptops", "290")
	expectRedirect(t, p.post("/wizard/rollout", f), "/wizard/plan")
	r = p.get("/wizard/rollout")
	if !strings.Contains(visibleText(r.body), "Devices in this wave: 540") { // 240 Sales iPhones and 300 Office laptops
		t.Errorf("wave 1's devices: %s", between(r.body, "data-wave-devices>", "<"))
	}
	a, other := saveDraft(t, p)
	w := a.Rollout.Waves
	if len(w) != 2 || fmt.Sprint(w[0].Devices) != "map[office-laptops:300]" || fmt.Sprint(w[1].Devices) != "map[office-laptops:290]" {
		t.Errorf("counts saved: %+v", w)
	}
	if a.Rollout.PilotDevices == nil || *a.Rollout.PilotDevices != 10 {
		t.Errorf("pilot devices saved: %v", a.Rollout.PilotDevices)
	}
	// Opened from the saved answers, the boxes show the counts.
	r = other.get("/wizard/rollout")
	for _, want := range []string{`name="rollout.waves[0].devices.office-laptops" value="300"`, `name="rollout.waves[1].devices.office-laptops" value="290"`, `name="rollout.pilot_devices" value="10"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("step 6 after saving lacks %s", want)
		}
	}
	// Unticked in wave 2, the population keeps wave 1's count, in sight,
	// and what it leaves over is named; emptied, the count is gone.
	f = rolloutValuesOnPage(r.body)
	f["rollout.waves[1].populations"] = []string{"sales-iphones"}
	r = other.post("/wizard/rollout", f)
	if box := tagWithID(r.body, "f-rollout-waves-0-devices-office-laptops"); !strings.Contains(box, `value="300"`) || !strings.Contains(visibleText(r.body), "In this wave only") {
		t.Errorf("the count of a population no longer split: %s", box)
	}
	if !strings.Contains(visibleText(r.body), "Not in any wave: 290 of the 600 Office laptops.") {
		t.Error("what the count leaves over is not named")
	}
	f = rolloutValuesOnPage(r.body)
	f.Set("rollout.waves[0].devices.office-laptops", "")
	r = other.post("/wizard/rollout", f)
	if strings.Contains(r.body, `id="f-rollout-waves-0-devices-office-laptops"`) || strings.Contains(r.body, "Not in any wave") {
		t.Error("an emptied count stays")
	}
}

// TestRolloutPilotDevices: the pilot's size is optional, a whole number,
// and the hint says what the plan proposes without one.
func TestRolloutPilotDevices(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	r := p.get("/wizard/rollout")
	if !strings.Contains(visibleText(r.body), "Leave it empty and the plan proposes about 5% of each population, at most 10 devices.") {
		t.Error("no hint for the pilot's size")
	}
	f := rolloutForm()
	f.Set("rollout.pilot_devices", "ten")
	r = p.post("/wizard/rollout", f)
	if r.status != 422 || !strings.Contains(visibleText(r.body), "Pilot: enter a whole number in digits, like 10, not “ten”") || !strings.Contains(r.body, `href="#f-rollout-pilot-devices"`) {
		t.Fatalf("a pilot size in words: %d", r.status)
	}
	f.Set("rollout.pilot_devices", "")
	expectRedirect(t, p.post("/wizard/rollout", f), "/wizard/plan")
	if a := savedAnswers(t, p); a.Rollout.PilotDevices != nil {
		t.Errorf("an empty box saved %d", *a.Rollout.PilotDevices)
	}
}

// TestRolloutUnassignedNamed: what no wave enrolls is named beside the
// waves, with its devices (a whole population, or what a split leaves),
// and on the plan's first page.
func TestRolloutUnassignedNamed(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	f := rolloutForm()
	for k := range f {
		if strings.HasPrefix(k, "rollout.waves[1].") {
			f.Del(k)
		}
	}
	r := p.post("/wizard/rollout", f)
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	notice := visibleText(between(r.body, `id="f-rollout-waves"`, "</div>"))
	if !strings.Contains(notice, "Not in any wave: Office laptops (600 devices).") {
		t.Errorf("notice beside the waves: %q", notice)
	}
	if i, j := strings.Index(r.body, `id="f-rollout-waves"`), strings.Index(r.body, `id="f-rollout-waves-0"`); i < j {
		t.Error("the notice comes before the waves")
	}
	if !strings.Contains(visibleText(between(r.body, `class="warning-summary"`, "</div>")), "Not in any wave: Office laptops (600 devices). After the pilot, no wave enrolls it") ||
		!strings.Contains(r.body, `href="#f-rollout-waves"`) {
		t.Error("not in the warnings shown before going on")
	}
	expectRedirect(t, p.post("/wizard/rollout", rolloutValuesOnPage(r.body)), "/wizard/plan")
	if plan := visibleText(p.get("/wizard/plan").body); !strings.Contains(plan, "Not in any wave yet: Office laptops") {
		t.Error("the plan's first page does not name it")
	}
	// A split whose counts leave devices over names what is left.
	f = rolloutForm()
	f["rollout.waves[0].populations"] = []string{"sales-iphones", "office-laptops"}
	f.Set("rollout.pilot_devices", "10")
	f.Set("rollout.waves[0].devices.office-laptops", "200")
	f.Set("rollout.waves[1].devices.office-laptops", "290")
	r = p.post("/wizard/rollout", f)
	if notice := visibleText(between(r.body, `id="f-rollout-waves"`, "</div>")); !strings.Contains(notice, "Not in any wave: 100 of the 600 Office laptops.") {
		t.Errorf("devices a split leaves over: %q", notice)
	}
}

// TestRolloutPastedDates: the day box takes a whole date as people paste
// it and fills the three boxes; day and month in numbers that could be
// either way round are an error asking for the month's name; hints use a
// month's name.
func TestRolloutPastedDates(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	if text := visibleText(p.get("/wizard/rollout").body); !strings.Contains(text, "For example 4 January 2027.") || !strings.Contains(text, "paste a whole date into Day") {
		t.Error("the date hint does not use a month's name")
	}
	for _, tc := range []struct{ pasted, iso string }{
		{"2027-01-04", "2027-01-04"}, {"4 January 2027", "2027-01-04"}, {"4 Jan 2027", "2027-01-04"},
		{"Monday, 4 January 2027", "2027-01-04"}, {"January 4, 2027", "2027-01-04"}, {"25/12/2026", "2026-12-25"},
	} {
		f := rolloutForm()
		f.Set("rollout.pilot_start.day", tc.pasted)
		f.Del("rollout.pilot_start.month")
		f.Del("rollout.pilot_start.year")
		if tc.iso == "2026-12-25" {
			f.Set("rollout.waves[0].start.day", "4 Jan 2027")
		}
		r := p.post("/wizard/rollout", f)
		if r.status != 303 {
			t.Errorf("%q: %d %s", tc.pasted, r.status, visibleText(between(r.body, `<h2 id="error-summary-title">`, "</div>")))
			continue
		}
		if got := planJSON(t, p)["rollout"].(map[string]any)["pilot_start"]; got != tc.iso {
			t.Errorf("%q read as %q, want %s", tc.pasted, got, tc.iso)
		}
	}
	// The boxes show the date as read.
	r := p.get("/wizard/rollout")
	for part, want := range map[string]string{"day": "25", "month": "Dec", "year": "2026"} {
		if !strings.Contains(r.body, `name="rollout.pilot_start.`+part+`" value="`+want+`"`) {
			t.Errorf("the %s box does not show %s", part, want)
		}
	}
	// 04/01/2027 is 4 January here and 1 April there: ask.
	f := rolloutForm()
	f.Set("rollout.waves[0].start.day", "04/01/2027")
	r = p.post("/wizard/rollout", f)
	want := "Wave 1: “04/01/2027” could be 4 January or 1 April: write the month as a word, for example 4 January 2027"
	if r.status != 422 || !strings.Contains(visibleText(r.body), want) || !strings.Contains(r.body, `href="#f-rollout-waves-0-start"`) {
		t.Errorf("ambiguous date: %d %s", r.status, visibleText(between(r.body, `<h2 id="error-summary-title">`, "</div>")))
	}
	if !strings.Contains(r.body, `name="rollout.waves[0].start.day" value="04/01/2027"`) {
		t.Error("the ambiguous date is not kept as typed")
	}
	if !strings.Contains(tagWithID(r.body, "f-rollout-waves-0-start"), `aria-invalid="true"`) || strings.Contains(tagWithID(r.body, "f-rollout-waves-0-start-month"), "aria-invalid") {
		t.Error("the error marks other boxes than the day box it concerns")
	}
}

// TestRolloutTimelineNeverInventsText: without a pilot group the timeline
// says so rather than naming one; it follows the form as posted, errors
// and all; with nothing typed there is no timeline.
func TestRolloutTimelineNeverInventsText(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	if r := p.get("/wizard/rollout"); strings.Contains(r.body, `class="timeline"`) {
		t.Error("a timeline before anything was typed")
	}
	f := rolloutForm()
	f.Del("rollout.pilot_group")
	f.Set("rollout.waves[1].name", "Nursing PCs")
	f.Set("rollout.waves[1].group", "")
	r := p.post("/wizard/rollout", f) // wave 2 has no group: an error
	if r.status != 422 {
		t.Fatalf("status %d", r.status)
	}
	tl := between(r.body, `<section class="timeline"`, "</section>")
	list := strings.ReplaceAll(visibleText(between(tl, `<ol class="milestones">`, "</ol>")), " (", "(")
	for _, want := range []string{"Pilot(name not given yet), from 4 Jan 2027", "Nursing PCs(group not given yet), from 1 Feb 2027, 590 devices"} {
		if !strings.Contains(list, want) {
			t.Errorf("timeline lacks %q: %s", want, list)
		}
	}
	if strings.Contains(tl, cat.Rollout.DefaultPilotGroup) {
		t.Errorf("the timeline names a pilot group nobody typed: %q", cat.Rollout.DefaultPilotGroup)
	}
	if !strings.Contains(between(tl, "<desc", "</desc>"), "Pilot (name not given yet) from 4 Jan 2027") {
		t.Errorf("desc: %s", between(tl, "<desc", "</desc>"))
	}
}

// TestRolloutPartDatesAreErrors: a date typed in part is an error naming the
// missing box, linked to it, never dropped; impossible dates are named too.
func TestRolloutPartDatesAreErrors(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	for _, tc := range []struct {
		day, month, year string
		says, href       string
	}{
		{"11", "1", "", "Wave 1: the start date must include a year", "#f-rollout-waves-0-start-year"},
		{"", "1", "2027", "Wave 1: the start date must include a day", "#f-rollout-waves-0-start"},
		{"11", "", "", "Wave 1: the start date must include a month and a year", "#f-rollout-waves-0-start-month"},
		{"31", "2", "2027", "Wave 1: the start date must be a real date: February 2027 has 28 days", "#f-rollout-waves-0-start"},
		{"11", "13", "2027", "must be a number from 1 to 12", "#f-rollout-waves-0-start-month"},
		{"11", "1", "27", "must have 4 digits, like 2027", "#f-rollout-waves-0-start-year"},
		{"eleven", "1", "2027", "must be a number from 1 to 31", "#f-rollout-waves-0-start"},
	} {
		f := rolloutForm()
		f.Set("rollout.waves[0].start.day", tc.day)
		f.Set("rollout.waves[0].start.month", tc.month)
		f.Set("rollout.waves[0].start.year", tc.year)
		r := p.post("/wizard/rollout", f)
		if r.status != 422 {
			t.Errorf("%s/%s/%s: %d", tc.day, tc.month, tc.year, r.status)
			continue
		}
		summary := visibleText(between(r.body, `<h2 id="error-summary-title">`, "</div>"))
		if !strings.Contains(summary, tc.says) || !strings.Contains(r.body, `href="`+tc.href+`"`) {
			t.Errorf("%s/%s/%s: summary %q, want %q linked to %s", tc.day, tc.month, tc.year, summary, tc.says, tc.href)
		}
		if !strings.Contains(r.body, `id="`+strings.TrimPrefix(tc.href, "#")+`"`) {
			t.Errorf("%s: the link's target is not on the page", tc.href)
		}
		for part, v := range map[string]string{"day": tc.day, "month": tc.month, "year": tc.year} {
			if !strings.Contains(r.body, `name="rollout.waves[0].start.`+part+`" value="`+v+`"`) {
				t.Errorf("%s/%s/%s: the %s box lost what was typed", tc.day, tc.month, tc.year, part)
			}
		}
	}
	// The pilot's date too.
	f := rolloutForm()
	f.Del("rollout.pilot_start.year")
	r := p.post("/wizard/rollout", f)
	if r.status != 422 || !strings.Contains(visibleText(r.body), "Pilot: the start date must include a year") || !strings.Contains(r.body, `href="#f-rollout-pilot-start-year"`) {
		t.Errorf("pilot part date: %d", r.status)
	}
	if tag := tagWithID(r.body, "f-rollout-pilot-start-year"); !strings.Contains(tag, `aria-invalid="true"`) {
		t.Errorf("the year box is not marked: %s", tag)
	}
	if tag := tagWithID(r.body, "f-rollout-pilot-start"); strings.Contains(tag, `aria-invalid`) {
		t.Errorf("the day box is marked though it is right: %s", tag)
	}
}

// TestRolloutErrorsInCustomerLanguage: messages name the pilot or the wave,
// never a field path, an enum or a date format.
func TestRolloutErrorsInCustomerLanguage(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	f := rolloutForm()
	f.Set("rollout.waves[1].name", "Head office")
	f.Set("rollout.waves[1].start.month", "1")
	f.Set("rollout.waves[1].start.day", "5") // before wave 1
	f.Set("rollout.waves[0].group", "")
	f.Del("rollout.waves[0].populations")
	r := p.post("/wizard/rollout", f)
	if r.status != 422 {
		t.Fatalf("status %d", r.status)
	}
	summary := visibleText(between(r.body, `<h2 id="error-summary-title">`, "</div>"))
	for _, want := range []string{
		"Wave 1: enter the Microsoft Entra group this wave adds",
		"Wave 1: tick the populations this wave enrolls",
		"Head office: starts on 5 Jan 2027, before Wave 1 (11 Jan 2027)",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	text := visibleText(r.body)
	for _, internal := range []string{"rollout.", "waves[", "YYYY", "pilot_start", "populations["} {
		if strings.Contains(text, internal) {
			t.Errorf("page shows %q", internal)
		}
	}
	if !strings.Contains(r.body, `href="#f-rollout-waves-0-populations"`) || !strings.Contains(r.body, `id="f-rollout-waves-0-populations"`) {
		t.Error("the populations error does not link to the first checkbox")
	}
}

// TestRolloutKeepsWhatWasTyped: after a validation error and a trip to
// another step, step 6 shows what was typed, with its errors.
func TestRolloutKeepsWhatWasTyped(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	f := rolloutForm()
	f.Set("rollout.pilot_group", "Pilot users ")
	f.Set("rollout.waves[0].start.year", "")
	f.Set("rollout.waves[1].start.month", "Febuary")
	if r := p.post("/wizard/rollout", f); r.status != 422 {
		t.Fatalf("status %d", r.status)
	}
	p.get("/wizard/prerequisites")
	r := p.get("/wizard/rollout")
	if r.status != 200 {
		t.Fatalf("back: %d", r.status)
	}
	for _, want := range []string{`name="rollout.pilot_group" value="Pilot users "`, `name="rollout.waves[0].start.day" value="11"`,
		`name="rollout.waves[0].start.year" value=""`, `name="rollout.waves[1].start.month" value="Febuary"`, `name="rollout.waves[1].group" value="Office"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("after a trip: lacks %s", want)
		}
	}
	if !strings.Contains(visibleText(r.body), "Wave 1: the start date must include a year") {
		t.Error("the errors are not shown again")
	}
}

// TestRolloutWarnsButDoesNotBlock: past dates (by the server's clock) and
// populations in no wave are shown once when Continue is pressed; pressed
// again, Continue goes ahead.
func TestRolloutWarnsButDoesNotBlock(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	f := rolloutForm()
	f.Set("rollout.pilot_start.day", "1")
	f.Set("rollout.pilot_start.month", "12")
	f.Set("rollout.pilot_start.year", "2026")
	for k := range f {
		if strings.HasPrefix(k, "rollout.waves[1].") {
			f.Del(k)
		}
	}
	r := p.post("/wizard/rollout", f)
	if r.status != 200 {
		t.Fatalf("warnings: %d, want 200 with the warnings shown", r.status)
	}
	text := visibleText(r.body)
	for _, want := range []string{"Check before you continue", "Pilot: the start date, 1 Dec 2026, is in the past (today is 2 Dec 2026)",
		"Not in any wave: Office laptops (600 devices)", "press Continue again"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(r.body, "error-summary") {
		t.Error("a warning is shown as an error")
	}
	if !strings.Contains(r.body, `id="f-rollout-pilot-start-warning"`) {
		t.Error("no warning beside the pilot date")
	}
	again := rolloutValuesOnPage(r.body)
	if again.Get("warnings_seen") == "" {
		t.Fatal("the page does not post back which warnings it showed")
	}
	expectRedirect(t, p.post("/wizard/rollout", again), "/wizard/plan")
	ro := planJSON(t, p)["rollout"].(map[string]any)
	if ro["pilot_start"] != "2026-12-01" || len(ro["unassigned"].([]any)) != 1 {
		t.Errorf("rollout after warnings: %v", ro)
	}
	// A new warning (another past date) is shown again.
	f.Set("rollout.waves[0].start.year", "2026")
	f.Set("rollout.waves[0].start.month", "12")
	f.Set("rollout.waves[0].start.day", "1")
	f.Set("warnings_seen", again.Get("warnings_seen"))
	if r := p.post("/wizard/rollout", f); r.status != 200 || !strings.Contains(visibleText(r.body), "Wave 1: the start date, 1 Dec 2026, is in the past") {
		t.Fatalf("a new warning: %d", r.status)
	}
	f.Set("rollout.waves[0].start.month", "11") // before the pilot: an error
	if r := p.post("/wizard/rollout", f); r.status != 422 {
		t.Fatalf("date order: %d", r.status)
	}
	f = rolloutForm()
	f.Set("rollout.waves[1].start.day", "1")
	f.Set("rollout.waves[1].start.month", "12")
	f.Set("rollout.waves[1].start.year", "2026") // before wave 1: an error
	if r := p.post("/wizard/rollout", f); r.status != 422 {
		t.Fatalf("wave before the wave before it: %d", r.status)
	}
}

// TestRolloutTimelineShowsPilotAndWaves: the server-drawn timeline names the
// pilot and each wave with its date and device count (as the plan divides
// them: the pilot proposes 10 of each here), in the drawing and in the list
// beside it.
func TestRolloutTimelineShowsPilotAndWaves(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	expectRedirect(t, p.post("/wizard/rollout", rolloutForm()), "/wizard/plan")
	r := p.get("/wizard/rollout")
	svg := between(r.body, "<svg", "</svg>")
	for _, want := range []string{">Pilot<", ">4 Jan 2027<", ">20 devices<", ">Wave 1<", ">11 Jan 2027<", ">240 devices<", ">Wave 2<", ">1 Feb 2027<", ">590 devices<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("timeline lacks %s", want)
		}
	}
	list := strings.ReplaceAll(visibleText(between(r.body, `<ol class="milestones">`, "</ol>")), " :", ":")
	for _, want := range []string{"Pilot: Intune Pilot, from 4 Jan 2027, 20 devices (proposed by the plan)", "Wave 1: Sales, from 11 Jan 2027, 240 devices (Sales iPhones)", "Wave 2: Office, from 1 Feb 2027, 590 devices (Office laptops)"} {
		if !strings.Contains(list, want) {
			t.Errorf("milestones lack %q: %s", want, list)
		}
	}
	if desc := between(svg, "<desc", "</desc>"); !strings.Contains(desc, "Wave 1 (Sales) from 11 Jan 2027, 240 devices") {
		t.Errorf("desc: %s", desc)
	}
}

// TestRolloutTimelineLayout: marks never run off the drawing or onto each other,
// however many waves there are.
func TestRolloutTimelineLayout(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 24} {
		var waves []timelineWave
		for i := range n {
			waves = append(waves, timelineWave{Name: "A very long wave name number " + string(rune('A'+i)), Start: "2027-01-1" + string(rune('0'+i%10))})
		}
		tl := timeline(timelineWave{Group: "Pilot group", Start: "2027-01-04"}, waves)
		if len(tl.Marks) != n+1 {
			t.Fatalf("%d waves: %d marks", n, len(tl.Marks))
		}
		for i, m := range tl.Marks {
			if m.X < tlMargin || m.X > tl.Width-tlMargin {
				t.Errorf("%d waves: mark %d at %d of %d", n, i, m.X, tl.Width)
			}
			if i > 0 && m.X-tl.Marks[i-1].X < tlGap {
				t.Errorf("%d waves: marks %d and %d %d apart", n, i-1, i, m.X-tl.Marks[i-1].X)
			}
			if len([]rune(m.Short)) > tlShort {
				t.Errorf("label %q too long for the drawing", m.Short)
			}
		}
	}
}
