package web

import (
	"context"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// wizardToday is the server's clock in the wizard tests: dates before it
// are in the past.
var wizardToday = time.Date(2026, time.December, 2, 9, 30, 0, 0, time.UTC)

// newClockedPlanner is a browser without JavaScript on a server whose clock
// reads wizardToday.
func newClockedPlanner(t *testing.T) *planner {
	t.Helper()
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "wizard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := New(Options{Store: db, Catalog: cat, SessionKeys: []string{strings.Repeat("w", 40)}, Now: func() time.Time { return wizardToday }})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return newPlanner(t, ts.URL)
}

// walkTo answers the steps before step (2 to 5) as walkToPlan does.
func walkTo(t *testing.T, p *planner, step int) {
	t.Helper()
	if step > stepDevices {
		expectRedirect(t, p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	}
	if step > stepReview {
		expectRedirect(t, p.post("/wizard/devices", devicesForm("continue")), "/wizard/review")
		expectRedirect(t, p.post("/wizard/review", url.Values{"populations[0].method": {"ios-ade"}, "populations[1].method": {"windows-autopilot"}}), "/wizard/prerequisites")
	}
	if step > stepPrereq {
		expectRedirect(t, p.post("/wizard/prerequisites", url.Values{"bulk_enrollment_by_staff": {"no"}}), "/wizard/rollout")
	}
	if step == stepDevices {
		expectRedirect(t, p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	}
}

// visibleText is a page's text without tags, attributes and the hidden
// template app.js copies from, with entities decoded: what a reader sees.
func visibleText(body string) string {
	body = regexp.MustCompile(`(?s)<template.*?</template>|<script.*?</script>|<head.*?</head>`).ReplaceAllString(body, " ")
	body = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
	body = strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(body)
	return strings.Join(strings.Fields(body), " ")
}

// tagWithID is the opening tag of the element with id.
func tagWithID(body, id string) string {
	return regexp.MustCompile(`<[a-z]+ [^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
}

// TestParseRowEdit pins the rules both row steps share: the last row stays,
// nothing moves past an end, a forged button re-renders rather than
// continuing, a full list adds nothing.
func TestParseRowEdit(t *testing.T) {
	for _, tc := range []struct {
		action string
		n, max int
		want   rowEdit
	}{
		{"add", 2, 5, rowEdit{kind: "add", index: 2}},
		{"add", 5, 5, rowEdit{}}, // full: the button is gone, treat as Continue
		{"remove-1", 2, 5, rowEdit{kind: "remove", index: 1}},
		{"remove-0", 1, 5, rowEdit{kind: "none", index: -1}}, // the last row stays
		{"remove-7", 2, 5, rowEdit{kind: "none", index: -1}},
		{"remove-x", 2, 5, rowEdit{kind: "none", index: -1}},
		{"up-1", 3, 5, rowEdit{kind: "up", index: 1}},
		{"up-0", 3, 5, rowEdit{kind: "none", index: -1}},
		{"down-1", 3, 5, rowEdit{kind: "down", index: 1}},
		{"down-2", 3, 5, rowEdit{kind: "none", index: -1}},
		{"undo", 2, 5, rowEdit{kind: "undo", index: -1}},
		{"continue", 2, 5, rowEdit{}},
		{"", 2, 5, rowEdit{}},
	} {
		if got := parseRowEdit(tc.action, tc.n, tc.max); got != tc.want {
			t.Errorf("parseRowEdit(%q, %d, %d) = %+v, want %+v", tc.action, tc.n, tc.max, got, tc.want)
		}
	}
}

// TestRowListSplitAndJoin: rows come back renumbered in order, and only the
// fields a step knows reach the draft.
func TestRowListSplitAndJoin(t *testing.T) {
	f := url.Values{"populations[7].name": {"B"}, "populations[2].name": {"A"}, "populations[2].evil": {"x"}, "populations[12].devices": {"3"}, "action": {"add"}}
	rf := devicesSpec.split(f)
	if len(rf.rows) != 3 || rf.rows[0].Get("name") != "A" || rf.rows[1].Get("name") != "B" || rf.rows[2].Get("devices") != "3" || rf.rows[0].Has("evil") {
		t.Fatalf("split: %+v", rf.rows)
	}
	got := devicesSpec.values(rf)
	if got.Get("populations[1].name") != "B" || got.Get("populations[2].devices") != "3" || got.Has("action") || len(got) != 3 {
		t.Fatalf("values: %v", got)
	}
}

// TestRowAddLandsOnTheNewRow: without JavaScript, "Add another" comes back
// to the step at the new row (fragment) with its first field focused, and
// keeps what the other rows held.
func TestRowAddLandsOnTheNewRow(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	f := devicesForm("add")
	f.Set("populations[1].devices", "seven hundred")
	r := p.post("/wizard/devices", f)
	expectRedirect(t, r, "/wizard/devices?added=2#f-populations-2-name")
	r = p.get("/wizard/devices?added=2")
	if r.status != 200 {
		t.Fatalf("after add: %d", r.status)
	}
	if tag := tagWithID(r.body, "f-populations-2-name"); !strings.Contains(tag, "autofocus") {
		t.Errorf("the new row's name is not focused: %s", tag)
	}
	if strings.Count(r.body, "autofocus") != 1 {
		t.Errorf("%d elements ask for focus", strings.Count(r.body, "autofocus"))
	}
	if !strings.Contains(r.body, `value="seven hundred"`) || !strings.Contains(r.body, `value="Office laptops"`) {
		t.Error("the other rows lost what was typed")
	}
	if strings.Contains(r.body, "error-summary") {
		t.Error("a row just added is shown as an error")
	}
	// A refresh shows the same page and adds nothing.
	if again := p.get("/wizard/devices?added=2"); strings.Contains(again.body, `name="populations[3].name"`) {
		t.Error("refresh added a row")
	}
}

// TestRowRemoveCanBeUndone: "Remove" takes the row out and offers "Undo"
// where it was, focused; Undo puts it back with what it held.
func TestRowRemoveCanBeUndone(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	expectRedirect(t, p.post("/wizard/devices", devicesForm("remove-0")), "/wizard/devices?removed=1#removed-row-undo")
	r := p.get("/wizard/devices?removed=1")
	if strings.Contains(r.body, `value="Sales iPhones"`) || !strings.Contains(r.body, `value="Office laptops"`) {
		t.Fatal("remove did not remove the first row")
	}
	if !strings.Contains(visibleText(r.body), "Population 1, Sales iPhones, was removed. Undo") {
		t.Fatalf("no undo notice: %s", visibleText(r.body))
	}
	if tag := tagWithID(r.body, "removed-row-undo"); !strings.Contains(tag, "autofocus") || !strings.Contains(tag, `value="undo"`) {
		t.Errorf("Undo is not focused: %s", tag)
	}
	// The planner edits the remaining row, then undoes.
	f := url.Values{"action": {"undo"}}
	for k, v := range devicesForm("") {
		if strings.HasPrefix(k, "populations[1].") {
			f[strings.Replace(k, "[1]", "[0]", 1)] = v
		}
	}
	f.Set("populations[0].devices", "650")
	expectRedirect(t, p.post("/wizard/devices", f), "/wizard/devices?restored=0#f-populations-0-name")
	r = p.get("/wizard/devices?restored=0")
	if !strings.Contains(r.body, `name="populations[0].name" value="Sales iPhones"`) || !strings.Contains(r.body, `name="populations[1].name" value="Office laptops"`) || !strings.Contains(r.body, `value="650"`) {
		t.Fatalf("undo did not restore the row in its place:\n%s", visibleText(r.body))
	}
	if strings.Contains(r.body, "was removed") {
		t.Error("the undo notice stays after undo")
	}
	if !strings.Contains(r.body, `value="other-mdm" checked`) {
		t.Error("the restored row lost its answers")
	}
	expectRedirect(t, p.post("/wizard/devices", devicesForm("continue")), "/wizard/review")
}

// TestRolloutWavesReorderWithoutJavaScript: Move up / Move down swap waves,
// renumber default names, land on the moved wave and keep its button focused.
func TestRolloutWavesReorderWithoutJavaScript(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepRollout)
	f := rolloutForm()
	f.Set("rollout.waves[1].name", "Wave 2")
	f.Set("rollout.waves[1].group", "Office")
	f.Set("action", "up-1")
	expectRedirect(t, p.post("/wizard/rollout", f), "/wizard/rollout?moved=0&focus=down#f-rollout-waves-0-down")
	r := p.get("/wizard/rollout?moved=0&focus=down")
	if !strings.Contains(r.body, `name="rollout.waves[0].group" value="Office"`) || !strings.Contains(r.body, `name="rollout.waves[1].group" value="Sales"`) {
		t.Fatal("waves not swapped")
	}
	if !strings.Contains(r.body, `name="rollout.waves[0].name" value="Wave 1"`) || !strings.Contains(r.body, `name="rollout.waves[1].name" value="Wave 2"`) {
		t.Error("default wave names not renumbered after the move")
	}
	if tag := tagWithID(r.body, "f-rollout-waves-0-down"); !strings.Contains(tag, "autofocus") {
		t.Errorf("the moved wave's button is not focused: %q", tag)
	}
	if strings.Contains(r.body, `id="f-rollout-waves-0-up"`) || strings.Contains(r.body, `id="f-rollout-waves-1-down"`) {
		t.Error("a button moves a wave past an end")
	}
	// Moving down back, and named waves keep their names.
	f = rolloutForm()
	f.Set("rollout.waves[0].name", "Early adopters")
	f.Set("action", "down-0")
	expectRedirect(t, p.post("/wizard/rollout", f), "/wizard/rollout?moved=1&focus=up#f-rollout-waves-1-up")
	r = p.get("/wizard/rollout?moved=1&focus=up")
	if !strings.Contains(r.body, `name="rollout.waves[1].name" value="Early adopters"`) || !strings.Contains(r.body, `name="rollout.waves[0].group" value="Office"`) {
		t.Fatal("move down")
	}
}
