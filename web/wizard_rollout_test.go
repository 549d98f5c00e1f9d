package web

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
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

// TestRolloutFirstVisit: one wave covering every population, its device
// count, and dates as three labelled boxes in a fieldset with a legend.
func TestRolloutFirstVisit(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	r := p.get("/wizard/rollout")
	if r.status != 200 {
		t.Fatalf("step 6: %d", r.status)
	}
	for _, want := range []string{`value="sales-iphones" checked`, `value="office-laptops" checked`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("first wave does not cover every population: lacks %s", want)
		}
	}
	text := visibleText(r.body)
	if !strings.Contains(text, "Devices in this wave: 850") || !strings.Contains(text, "Sales iPhones 250 devices") {
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
// wave's populations reach the answers, and the plan counts each wave's devices.
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
	if w0["start"] != "2027-01-11" || w0["devices"] != 250.0 || w0["populations"].([]any)[0] != "sales-iphones" {
		t.Errorf("wave 1: %v", w0)
	}
	if w1["start"] != "2027-02-01" || w1["devices"] != 600.0 || w1["populations"].([]any)[0] != "office-laptops" {
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
	f.Set("rollout.waves[1].populations", "sales-iphones")
	r := p.post("/wizard/rollout", f)
	if r.status != 200 {
		t.Fatalf("warnings: %d, want 200 with the warnings shown", r.status)
	}
	text := visibleText(r.body)
	for _, want := range []string{"Check before you continue", "Pilot: the start date, 1 Dec 2026, is in the past (today is 2 Dec 2026)",
		"Office laptops is in no wave", "Sales iPhones is in Wave 1 and Wave 2", "press Continue again"} {
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
	f.Set("rollout.waves[0].start.year", "2025")
	f.Set("rollout.waves[0].start.month", "12")
	f.Set("rollout.waves[1].start.year", "2026")
	f.Set("rollout.waves[1].start.month", "11")
	f.Set("warnings_seen", again.Get("warnings_seen"))
	if r := p.post("/wizard/rollout", f); r.status != 422 { // wave 1 is now before the pilot: an error
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

// TestRolloutAddWaveCoversTheRest: a wave added without JavaScript covers
// the populations no other wave covers yet, and the step lands on it; a
// wave left untouched is not a wave.
func TestRolloutAddWaveCoversTheRest(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	f := rolloutForm()
	for k := range f {
		if strings.HasPrefix(k, "rollout.waves[1].") {
			f.Del(k)
		}
	}
	f.Set("action", "add")
	expectRedirect(t, p.post("/wizard/rollout", f), "/wizard/rollout?added=1#f-rollout-waves-1-name")
	r := p.get("/wizard/rollout?added=1")
	if !strings.Contains(r.body, `name="rollout.waves[1].name" value="Wave 2"`) || !strings.Contains(r.body, `id="f-rollout-waves-1-populations-1" name="rollout.waves[1].populations" value="office-laptops" checked`) ||
		strings.Contains(r.body, `id="f-rollout-waves-1-populations" name="rollout.waves[1].populations" value="sales-iphones" checked`) {
		t.Fatalf("new wave: %s", between(r.body, `id="f-rollout-waves-1"`, "</fieldset>"))
	}
	if tag := tagWithID(r.body, "f-rollout-waves-1-name"); !strings.Contains(tag, "autofocus") {
		t.Error("new wave not focused")
	}
	// Add a third, leave it untouched: Continue leaves it out.
	f = rolloutValuesOnPage(r.body)
	f.Set("action", "add")
	expectRedirect(t, p.post("/wizard/rollout", f), "/wizard/rollout?added=2#f-rollout-waves-2-name")
	r = p.get("/wizard/rollout?added=2")
	f = rolloutValuesOnPage(r.body)
	f.Set("rollout.waves[1].group", "Office")
	r = p.post("/wizard/rollout", f)
	expectRedirect(t, r, "/wizard/plan")
	if waves := planJSON(t, p)["rollout"].(map[string]any)["waves"].([]any); len(waves) != 2 {
		t.Errorf("%d waves, want 2", len(waves))
	}
}

// TestRolloutTimelineShowsPilotAndWaves: the server-drawn timeline names the
// pilot and each wave with its date and device count, in the drawing and
// in the list beside it.
func TestRolloutTimelineShowsPilotAndWaves(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	expectRedirect(t, p.post("/wizard/rollout", rolloutForm()), "/wizard/plan")
	r := p.get("/wizard/rollout")
	svg := between(r.body, "<svg", "</svg>")
	for _, want := range []string{">Pilot<", ">4 Jan 2027<", ">Wave 1<", ">11 Jan 2027<", ">250 devices<", ">Wave 2<", ">1 Feb 2027<", ">600 devices<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("timeline lacks %s", want)
		}
	}
	list := strings.ReplaceAll(visibleText(between(r.body, `<ol class="milestones">`, "</ol>")), " :", ":")
	for _, want := range []string{"Pilot: Intune Pilot, from 4 Jan 2027", "Wave 1: Sales, from 11 Jan 2027, 250 devices (Sales iPhones)", "Wave 2: Office, from 1 Feb 2027, 600 devices (Office laptops)"} {
		if !strings.Contains(list, want) {
			t.Errorf("milestones lack %q: %s", want, list)
		}
	}
	if desc := between(svg, "<desc", "</desc>"); !strings.Contains(desc, "Wave 1 (Sales) from 11 Jan 2027, 250 devices") {
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
		tl := timeline("Pilot group", "2027-01-04", waves)
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
