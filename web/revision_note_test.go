package web

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// TestRevisionNoteThroughTheAPI: POST and PUT take ?note= and ?by= for the
// revision they save; GET answers them, and the share page lists each
// revision with its date, who saved it and why ("Revision 2 — … — by Ana:
// Moved the porters to wave 2"), as do each revision's page, its
// Markdown, its print view and "what changed". A note is text: markup in
// it is shown as typed, never run.
func TestRevisionNoteThroughTheAPI(t *testing.T) {
	e := newEnv(t, 0)
	hostile := `<b>Draft</b> for [review](javascript:alert(1)) *now*`
	r := e.do(t, "POST", "/api/v1/plans?by=Sam&note="+url.QueryEscape(hostile+"\nsecond line"), exampleAnswers(t))
	if r.status != 201 {
		t.Fatalf("create with a note: %d %s", r.status, r.body)
	}
	var c createdPlan
	if err := json.Unmarshal([]byte(r.body), &c); err != nil {
		t.Fatal(err)
	}
	var got savedPlan
	if err := json.Unmarshal([]byte(e.do(t, "GET", "/api/v1/plans/"+c.ID, "").body), &got); err != nil {
		t.Fatal(err)
	}
	if want := hostile + " second line"; got.Note != want || got.By != "Sam" {
		t.Fatalf("GET answers note %q by %q, want %q by Sam (one line)", got.Note, got.By, want)
	}

	answers := strings.Replace(exampleAnswers(t), `"organization": "Contoso Ltd"`, `"organization": "Contoso Group"`, 1)
	r = e.do(t, "PUT", "/api/v1/plans/"+c.ID+"?note="+url.QueryEscape("Moved the porters to wave 2")+"&by=Ana", answers, "Authorization", "Bearer "+c.EditKey, "If-Match", `"1"`)
	if r.status != 200 || !strings.Contains(r.body, `"note":"Moved the porters to wave 2","by":"Ana"`) {
		t.Fatalf("PUT with a note: %d %.300s", r.status, r.body)
	}

	page := e.do(t, "GET", "/p/"+c.ID, "").body
	list := visibleText(between(page, `<section class="revisions"`, `</section>`))
	for _, want := range []string{"Revision 2 (shown) — ", " — by Ana: Moved the porters to wave 2", " — by Sam: " + hostile + " second line"} {
		if !strings.Contains(list, want) {
			t.Errorf("the revision list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(page, "<b>Draft</b>") || !strings.Contains(page, "&lt;b&gt;Draft&lt;/b&gt;") {
		t.Error("the note's markup reaches the share page as markup")
	}
	if cover := visibleText(between(page, `<section class="sheet summary-page"`, `<table`)); !strings.Contains(cover, "Revision 2 · ") || !strings.Contains(cover, "Saved by Ana: Moved the porters to wave 2.") {
		t.Errorf("the plan's first page does not say who saved revision 2 and why:\n%s", cover)
	}
	old := e.do(t, "GET", "/p/"+c.ID+"/r/1", "").body
	if cover := visibleText(between(old, `<section class="sheet summary-page"`, `<table`)); !strings.Contains(cover, "Saved by Sam: "+hostile+" second line.") {
		t.Errorf("revision 1's page does not say who saved it and why:\n%s", cover)
	}
	if pr := e.do(t, "GET", "/p/"+c.ID+"/r/1/print", "").body; !strings.Contains(visibleText(pr), "Saved by Sam: ") {
		t.Error("revision 1's print view does not say who saved it")
	}
	md := e.do(t, "GET", "/p/"+c.ID+"/r/1.md", "").body
	if !regexp.MustCompile(`(?m)^Revision 1, saved \d+ \w+ \d{4} \d\d:\d\d UTC by Sam: \\<b>Draft\\</b> for \\\[review\\\]\(javascript:alert\(1\)\) \\\*now\\\* second line\.$`).MatchString(md) {
		t.Errorf("the Markdown does not name revision 1 with its note escaped:\n%.400s", md)
	}
	changes := visibleText(e.do(t, "GET", "/p/"+c.ID+"/changes?from=1&to=2", "").body)
	if !strings.Contains(changes, "by Ana: Moved the porters to wave 2") || !strings.Contains(changes, "by Sam: ") {
		t.Errorf("what changed does not name the revisions' notes:\n%.600s", changes)
	}

	// Too long, or not text: a 422 naming the field; nothing is saved.
	for name, tc := range map[string]struct{ query, field string }{
		"note over 200": {"note=" + strings.Repeat("é", 201), "note"},
		"name over 80":  {"by=" + strings.Repeat("b", 81), "by"},
		"control":       {"note=" + url.QueryEscape("a\x1b[31mred"), "note"},
	} {
		r := e.do(t, "POST", "/api/v1/plans?"+tc.query, exampleAnswers(t))
		if r.status != 422 || !strings.Contains(r.body, `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %q", name, r.status, r.body, tc.field)
		}
		r = e.do(t, "PUT", "/api/v1/plans/"+c.ID+"?"+tc.query, answers, "Authorization", "Bearer "+c.EditKey, "If-Match", `"2"`)
		if r.status != 422 {
			t.Errorf("PUT %s: %d, want 422", name, r.status)
		}
	}
	if r := e.do(t, "GET", "/api/v1/plans/"+c.ID, ""); r.header.Get("ETag") != `"2"` {
		t.Errorf("a refused note saved a revision: ETag %s", r.header.Get("ETag"))
	}
}

// TestRevisionNoteInTheWizard: the save form asks "Your name (optional)",
// and once the plan is saved, "What changed (optional, one line)" for the
// next revision; both reach the share page's list. A note too long is
// told beside its field, with what was typed, and nothing is saved.
func TestRevisionNoteInTheWizard(t *testing.T) {
	p := newClockedPlanner(t)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	walkToPlan(t, p)
	first := p.get("/wizard/plan").body
	if !strings.Contains(first, "Your name (optional)") || strings.Contains(first, "What changed (optional, one line)") {
		t.Error("the first save asks for a name and nothing else")
	}
	r := p.post("/wizard/save", url.Values{"by": {" Ana "}})
	if r.status != 200 {
		t.Fatalf("save: %d", r.status)
	}
	share := regexp.MustCompile(`http://[^"<\s]+/p/[A-Za-z0-9_-]{22}`).FindString(r.body)
	if !strings.Contains(r.body, "What changed (optional, one line)") {
		t.Error("after the first save, the form does not ask what changes in the next revision")
	}

	f := orgForm()
	f.Set("organization", "Contoso Group")
	expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
	long := strings.Repeat("x", pages.MaxRevisionNote+1)
	r = p.post("/wizard/save", url.Values{"note": {long}, "by": {"Ana"}})
	if r.status != 422 {
		t.Fatalf("a note too long: %d", r.status)
	}
	for _, want := range []string{`href="#f-note"`, "Keep what changed to 200 characters or fewer; it has 201", `value="` + long + `"`, `name="by" value="Ana"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the refused save lacks %s", want)
		}
	}
	expectRedirect(t, p.post("/wizard/save", url.Values{"note": {"Moved the porters to wave 2"}, "by": {"Ana"}}), "/wizard/plan?saved=2")

	fresh := newPlanner(t, "")
	list := visibleText(between(fresh.get(share).body, `<section class="revisions"`, `</section>`))
	if !strings.Contains(list, " — by Ana: Moved the porters to wave 2") || !regexp.MustCompile(`Revision 1 — [^—]+ UTC — by Ana(?:[^:]|$)`).MatchString(list) {
		t.Errorf("the share page's list does not name who saved each revision and why:\n%s", list)
	}
}

// TestRevisionNoteBoundsMatchTheStore: the form's limits are the store's.
func TestRevisionNoteBoundsMatchTheStore(t *testing.T) {
	if pages.MaxRevisionNote != store.MaxRevisionNote || pages.MaxRevisionBy != store.MaxProgressBy {
		t.Errorf("the save form stops at %d and %d characters, the store at %d and %d", pages.MaxRevisionNote, pages.MaxRevisionBy, store.MaxRevisionNote, store.MaxProgressBy)
	}
}
