package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// progressBody is the API's progress as a client reads it.
type progressBody struct {
	PlanRevision int `json:"plan_revision"`
	Version      int `json:"version"`
	Tasks        map[string]struct {
		Status, Note, Updated, By string
	} `json:"tasks"`
	Enrolled map[string]map[string]int `json:"enrolled"`
}

func readProgress(t *testing.T, r resp) progressBody {
	t.Helper()
	var p progressBody
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("progress %d: %v: %s", r.status, err, r.body)
	}
	return p
}

// latestTracker reads a saved plan through the API and arranges it as the
// server does, so that tests take task, wave and population ids from the
// built plan instead of spelling them.
func latestTracker(t *testing.T, e *testEnv, id string) *tracker {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/plans/"+id, "")
	var sp struct {
		Plan json.RawMessage `json:"plan"`
	}
	if err := json.Unmarshal([]byte(r.body), &sp); err != nil {
		t.Fatalf("plan %d: %v", r.status, err)
	}
	tr, err := newTracker(sp.Plan)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// deviceTasks returns tasks of the pilot or a wave with a single
// population (device work), and a counted (wave, population) pair.
func deviceTasks(t *testing.T, tr *tracker) (tasks []*trackTask, wave, pop string) {
	t.Helper()
	for _, w := range tr.Waves {
		if w.ID == "" {
			continue
		}
		for _, sec := range w.Sections {
			if sec.Counted && wave == "" {
				wave, pop = w.ID, sec.Population
			}
			for _, tk := range sec.Tasks {
				if tk.Population != "" {
					tasks = append(tasks, tk)
				}
			}
		}
	}
	if len(tasks) < 3 || wave == "" {
		t.Fatalf("the plan has %d device tasks and counted section %q/%q", len(tasks), wave, pop)
	}
	return tasks, wave, pop
}

func (e *testEnv) patchProgress(t *testing.T, id, key, ifMatch, body string, more ...string) resp {
	t.Helper()
	h := append([]string{}, more...)
	if key != "" {
		h = append(h, "Authorization", "Bearer "+key)
	}
	if ifMatch != "" {
		h = append(h, "If-Match", ifMatch)
	}
	return e.do(t, "PATCH", "/api/v1/plans/"+id+"/progress", body, h...)
}

func taskPatch(id, status, note, by string) string {
	b, _ := json.Marshal(map[string]any{"tasks": map[string]any{id: map[string]string{"status": status, "note": note, "by": by}}})
	return string(b)
}

// fieldsOf lists the field names of a 422 answer.
func fieldsOf(t *testing.T, r resp) []string {
	t.Helper()
	var body struct {
		Errors []fieldError `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("%d: %v: %s", r.status, err, r.body)
	}
	var out []string
	for _, f := range body.Errors {
		out = append(out, f.Field)
	}
	return out
}

// TestProgressAPI runs the API through every answer of CONTRACT §8.3:
// 200 with ETag "p<version>", 304, 428, 401/403, 415, 422 naming the
// field, 412 when stale, 404 and 410.
func TestProgressAPI(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	e := ts.testEnv
	c := e.create(t)
	tr := latestTracker(t, e, c.ID)
	tasks, wave, pop := deviceTasks(t, tr)
	a := tasks[0]
	base := "/api/v1/plans/" + c.ID + "/progress"

	r := e.do(t, "GET", base, "")
	if r.status != 200 || r.header.Get("ETag") != `"p0"` {
		t.Fatalf("GET fresh progress: %d %q %s", r.status, r.header.Get("ETag"), r.body)
	}
	if p := readProgress(t, r); p.Version != 0 || len(p.Tasks) != 0 || p.Enrolled == nil || p.Tasks == nil {
		t.Fatalf("fresh progress: %+v", p)
	}

	ok := taskPatch(a.ID, "done", "Unenrolled through the old console", "Alex")
	if r = e.patchProgress(t, c.ID, c.EditKey, "", ok); r.status != 428 {
		t.Errorf("no If-Match: %d", r.status)
	}
	if r = e.patchProgress(t, c.ID, "", `"p0"`, ok); r.status != 401 {
		t.Errorf("no key: %d", r.status)
	}
	if r = e.patchProgress(t, c.ID, "not-the-key", `"p0"`, ok); r.status != 403 {
		t.Errorf("wrong key: %d", r.status)
	}
	if r = e.patchProgress(t, c.ID, c.EditKey, `"p0"`, ok, "Content-Type", "text/plain"); r.status != 415 {
		t.Errorf("text/plain: %d", r.status)
	}
	if r = e.patchProgress(t, c.ID, c.EditKey, `"0"`, ok); r.status != 412 || !strings.Contains(r.body, `such as \"p3\"`) {
		t.Errorf("If-Match of a revision, not a progress version: %d %s", r.status, r.body)
	}
	if r = e.patchProgress(t, c.ID, c.EditKey, `"p0"`, `{"by":"`+strings.Repeat("x", MaxBody)+`"}`); r.status != 413 {
		t.Errorf("a body over %d bytes: %d", MaxBody, r.status)
	}
	if r = e.patchProgress(t, c.ID, c.EditKey, `"p0"`, ok, "Sec-Fetch-Site", "cross-site"); r.status != 403 {
		t.Errorf("cross-site PATCH: %d", r.status)
	}

	long := strings.Repeat("é", 501)
	for name, tc := range map[string]struct{ body, field string }{
		"unknown task":        {taskPatch("no-such-task", "done", "", ""), "tasks.no-such-task"},
		"bad status":          {taskPatch(a.ID, "finished", "", ""), "tasks." + a.ID + ".status"},
		"note over 500":       {taskPatch(a.ID, "done", long, ""), "tasks." + a.ID + ".note"},
		"by over 80":          {taskPatch(a.ID, "done", "", strings.Repeat("b", 81)), "tasks." + a.ID + ".by"},
		"negative count":      {fmt.Sprintf(`{"enrolled":{%q:{%q:-1}}}`, wave, pop), "enrolled." + wave + "." + pop},
		"fractional count":    {fmt.Sprintf(`{"enrolled":{%q:{%q:1.5}}}`, wave, pop), "enrolled." + wave + "." + pop},
		"unknown wave":        {fmt.Sprintf(`{"enrolled":{"no-such-wave":{%q:1}}}`, pop), "enrolled.no-such-wave"},
		"population not here": {fmt.Sprintf(`{"enrolled":{%q:{"no-such-pop":1}}}`, wave), "enrolled." + wave + ".no-such-pop"},
		"unknown field":       {`{"tasks":{},"colour":"red"}`, "colour"},
		"unknown task field":  {fmt.Sprintf(`{"tasks":{%q:{"status":"done","owner":"me"}}}`, a.ID), "tasks." + a.ID + ".owner"},
		"status not text":     {fmt.Sprintf(`{"tasks":{%q:{"status":1}}}`, a.ID), "tasks." + a.ID + ".status"},
		"not an object":       {`[1,2]`, ""},
	} {
		r = e.patchProgress(t, c.ID, c.EditKey, `"p0"`, tc.body)
		if r.status != 422 || !slices.Contains(fieldsOf(t, r), tc.field) {
			t.Errorf("%s: %d %s, want 422 naming %q", name, r.status, r.body, tc.field)
		}
	}
	if r = e.do(t, "GET", base, ""); r.header.Get("ETag") != `"p0"` {
		t.Fatalf("a refused patch recorded something: %s", r.header.Get("ETag"))
	}

	r = e.patchProgress(t, c.ID, c.EditKey, `"p0"`, ok)
	if r.status != 200 || r.header.Get("ETag") != `"p1"` {
		t.Fatalf("patch: %d %q %s", r.status, r.header.Get("ETag"), r.body)
	}
	p := readProgress(t, r)
	if got := p.Tasks[a.ID]; got.Status != "done" || got.Note != "Unenrolled through the old console" || got.By != "Alex" || got.Updated == "" || p.PlanRevision != 1 {
		t.Fatalf("recorded: %+v", p)
	}
	// Only the note changes: the status stays as recorded.
	r = e.patchProgress(t, c.ID, c.EditKey, `"p1"`, fmt.Sprintf(`{"tasks":{%q:{"note":"All 12 done"}}}`, a.ID))
	if p = readProgress(t, r); r.status != 200 || p.Tasks[a.ID].Status != "done" || p.Tasks[a.ID].Note != "All 12 done" {
		t.Fatalf("note only: %d %+v", r.status, p.Tasks[a.ID])
	}
	// The same task from the version before: the later one is told.
	if r = e.patchProgress(t, c.ID, c.EditKey, `"p1"`, taskPatch(a.ID, "blocked", "", "Sam")); r.status != 412 {
		t.Fatalf("stale patch of the same task: %d %s", r.status, r.body)
	}
	r = e.patchProgress(t, c.ID, c.EditKey, `"p2"`, fmt.Sprintf(`{"by":"Kim","enrolled":{%q:{%q:40}}}`, wave, pop))
	if p = readProgress(t, r); r.status != 200 || p.Enrolled[wave][pop] != 40 {
		t.Fatalf("count: %d %s", r.status, r.body)
	}

	if r = e.do(t, "GET", base, "", "If-None-Match", `"p3"`); r.status != 304 {
		t.Errorf("If-None-Match of the current version: %d", r.status)
	}
	r = e.do(t, "GET", base+"/history", "")
	var h struct {
		Changes []struct {
			At, By, Task, From, To string
			Note                   *string
			Enrolled               *struct{ Wave, Population string }
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(r.body), &h); err != nil || r.status != 200 {
		t.Fatalf("history: %d %v", r.status, err)
	}
	if len(h.Changes) != 3 || h.Changes[0].Enrolled == nil || h.Changes[0].Enrolled.Wave != wave || h.Changes[0].To != "40" || h.Changes[0].By != "Kim" ||
		h.Changes[2].Task != a.ID || h.Changes[2].From != "" || h.Changes[2].To != "done" || h.Changes[2].By != "Alex" || h.Changes[1].Note == nil || *h.Changes[1].Note != "All 12 done" {
		t.Fatalf("history, newest first: %s", r.body)
	}

	// 404 for a plan that does not exist, before any other check.
	missing := "AAAAAAAAAAAAAAAAAAAAAA"
	for _, rq := range []resp{e.do(t, "GET", "/api/v1/plans/"+missing+"/progress", ""), e.patchProgress(t, missing, c.EditKey, `"p0"`, ok),
		e.do(t, "GET", "/api/v1/plans/"+missing+"/progress/history", ""), e.do(t, "GET", "/api/v1/plans/not-an-id/progress", "")} {
		if rq.status != 404 {
			t.Errorf("missing plan: %d", rq.status)
		}
	}
	// 410 once revoked, and the progress is gone with it.
	if r = e.do(t, "DELETE", "/api/v1/plans/"+c.ID, "", "Authorization", "Bearer "+c.EditKey); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	for _, rq := range []resp{e.do(t, "GET", base, ""), e.patchProgress(t, c.ID, c.EditKey, `"p3"`, ok), e.do(t, "GET", base+"/history", ""), e.do(t, "GET", "/p/"+c.ID+"/progress", "")} {
		if rq.status != 410 {
			t.Errorf("revoked plan: %d", rq.status)
		}
	}
}

// TestProgressDifferentTasksBothWin: two people ticking different tasks
// from the same version both win; a third ticking one of them from that
// version is told (412), and nothing of theirs is lost.
func TestProgressDifferentTasksBothWin(t *testing.T) {
	e := newTestServer(t, nil, nil).testEnv
	c := e.create(t)
	tasks, _, _ := deviceTasks(t, latestTracker(t, e, c.ID))
	a, b := tasks[0], tasks[1]
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p0"`, taskPatch(a.ID, "done", "", "Alex")); r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p0"`, taskPatch(b.ID, "doing", "", "Sam")); r.status != 200 {
		t.Fatalf("second, another task from the same version: %d %s", r.status, r.body)
	}
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p0"`, taskPatch(a.ID, "blocked", "", "Kim")); r.status != 412 {
		t.Fatalf("third, the first's task from the same version: %d %s", r.status, r.body)
	}
	p := readProgress(t, e.do(t, "GET", "/api/v1/plans/"+c.ID+"/progress", ""))
	if p.Tasks[a.ID].Status != "done" || p.Tasks[b.ID].Status != "doing" || p.Version != 2 {
		t.Fatalf("after both: %+v", p)
	}
}

// TestProgressSurvivesNewRevision: a new revision keeps the progress of
// the tasks it still has; a task it no longer has is no longer shown.
func TestProgressSurvivesNewRevision(t *testing.T) {
	e := newTestServer(t, nil, nil).testEnv
	c := e.create(t)
	tr := latestTracker(t, e, c.ID)
	tasks, _, _ := deviceTasks(t, tr)
	var kept, dropped *trackTask
	for _, tk := range tasks {
		switch {
		case tk.Population == "dev-linux" && dropped == nil:
			dropped = tk
		case tk.Population == "office-pcs" && kept == nil:
			kept = tk
		}
	}
	if kept == nil || dropped == nil {
		t.Fatal("the example lost its Windows or Linux device tasks")
	}
	body := fmt.Sprintf(`{"by":"Alex","tasks":{%q:{"status":"done"},%q:{"status":"doing"}}}`, kept.ID, dropped.ID)
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p0"`, body); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	var answers map[string]any
	json.Unmarshal([]byte(exampleAnswers(t)), &answers)
	pops := answers["populations"].([]any)
	answers["populations"] = slices.DeleteFunc(pops, func(p any) bool { return p.(map[string]any)["id"] == "dev-linux" })
	changed, _ := json.Marshal(answers)
	if r := e.do(t, "PUT", "/api/v1/plans/"+c.ID, string(changed), "Authorization", "Bearer "+c.EditKey, "If-Match", `"1"`); r.status != 200 {
		t.Fatalf("new revision: %d %s", r.status, r.body)
	}
	p := readProgress(t, e.do(t, "GET", "/api/v1/plans/"+c.ID+"/progress", ""))
	if p.Tasks[kept.ID].Status != "done" {
		t.Errorf("the kept task lost its progress: %+v", p.Tasks)
	}
	if _, ok := p.Tasks[dropped.ID]; ok {
		t.Errorf("a task the new revision no longer has is shown: %s", dropped.ID)
	}
	if p.PlanRevision != 1 || p.Version != 1 {
		t.Errorf("a revision is not progress: plan_revision %d version %d", p.PlanRevision, p.Version)
	}
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p1"`, taskPatch(dropped.ID, "done", "", "")); r.status != 422 {
		t.Errorf("a task of the old revision only: %d", r.status)
	}
}

// formValues reads one tracker form as a browser would submit it: its
// inputs' values and each select's chosen option.
func formValues(t *testing.T, page, section string) url.Values {
	t.Helper()
	i := strings.Index(page, `id="`+section+`"`)
	if i < 0 {
		t.Fatalf("no section %s on the page", section)
	}
	form := page[i:]
	form = form[:strings.Index(form, "</form>")]
	v := url.Values{}
	attr := func(tag, name string) (string, bool) {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return "", false
		}
		return html.UnescapeString(m[1]), true
	}
	for _, tag := range regexp.MustCompile(`<input[^>]*>`).FindAllString(form, -1) {
		if name, ok := attr(tag, "name"); ok {
			value, _ := attr(tag, "value")
			v.Add(name, value)
		}
	}
	for _, m := range regexp.MustCompile(`(?s)<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>`).FindAllStringSubmatch(form, -1) {
		if sel := regexp.MustCompile(`<option value="([^"]*)" selected`).FindStringSubmatch(m[2]); sel != nil {
			v.Set(html.UnescapeString(m[1]), sel[1])
		}
	}
	return v
}

// sectionOf finds the anchor of the tracker section that holds a task.
func sectionOf(t *testing.T, page, taskID string) string {
	t.Helper()
	i := strings.Index(page, `data-task="`+html.EscapeString(taskID)+`"`)
	if i < 0 {
		t.Fatalf("task %s is not on the tracker", taskID)
	}
	m := regexp.MustCompile(`<section class="track-section" id="([^"]+)"`).FindAllStringSubmatch(page[:i], -1)
	return m[len(m)-1][1]
}

// chosenStatus is the status the tracker shows chosen for a task.
func chosenStatus(page, taskID string) string {
	m := regexp.MustCompile(`(?s)name="status\.` + regexp.QuoteMeta(html.EscapeString(taskID)) + `"[^>]*>(.*?)</select>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	if sel := regexp.MustCompile(`<option value="([^"]*)" selected`).FindStringSubmatch(m[1]); sel != nil {
		return sel[1]
	}
	return ""
}

// TestTrackerWithoutJavaScript: the edit link opens the tracker in a
// browser without JavaScript; a form posts, redirects (303) and the page
// shows the status; a refused note comes back 422 beside its field with
// the input kept; a stale form says who changed the task and keeps the
// choice, and saving again records it.
func TestTrackerWithoutJavaScript(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	e := ts.testEnv
	c := e.create(t)
	tasks, wave, pop := deviceTasks(t, latestTracker(t, e, c.ID))
	a := tasks[0]
	alex := newPlanner(t, e.srv.URL)
	tracker := "/p/" + c.ID + "/progress"

	if r := alex.get(tracker); r.status != 200 || !strings.Contains(r.body, `name="key"`) || strings.Contains(r.body, "data-progress-form") {
		t.Fatalf("without the key, the tracker asks for it: %d", r.status)
	}
	if r := alex.post(tracker, url.Values{"version": {"p0"}, "status." + a.ID: {"done"}, "old-status." + a.ID: {"todo"}}); r.status != 403 {
		t.Fatalf("a save without the key: %d", r.status)
	}
	if r := alex.post(tracker+"/key", url.Values{"key": {"not-the-key"}}); r.status != 403 || !strings.Contains(r.body, "does not open this plan") {
		t.Fatalf("wrong key: %d", r.status)
	}
	if r := e.do(t, "POST", tracker+"/key", "key="+url.QueryEscape(c.EditKey), "Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site"); r.status != 403 {
		t.Fatalf("a cross-site post with the right key: %d", r.status)
	}
	expectRedirect(t, alex.post(tracker+"/key", url.Values{"key": {c.EditURL}}), tracker) // the whole edit link, pasted
	page := alex.get(tracker)
	if page.status != 200 || !strings.Contains(page.body, "data-progress-form") || page.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("tracker: %d %q", page.status, page.header.Get("Cache-Control"))
	}
	if strings.Contains(page.body, c.EditKey) {
		t.Fatal("the tracker page shows the edit key")
	}
	if chosenStatus(page.body, a.ID) != "todo" {
		t.Fatalf("task %s starts as %q", a.ID, chosenStatus(page.body, a.ID))
	}
	sec := sectionOf(t, page.body, a.ID)
	form := formValues(t, page.body, sec)
	if form.Get("version") != "p0" || form.Get("old-status."+a.ID) != "todo" {
		t.Fatalf("form: %v", form)
	}

	// Saved: 303 back to the section, and the page shows it.
	form.Set("status."+a.ID, "done")
	form.Set("note."+a.ID, "Old MDM profile removed")
	form.Set("by", "Alex")
	r := alex.post(tracker, form)
	expectRedirect(t, r, tracker+"?saved=1#"+sec)
	page = alex.get(tracker + "?saved=1")
	if chosenStatus(page.body, a.ID) != "done" || !strings.Contains(page.body, "Old MDM profile removed") || !strings.Contains(page.body, "Saved.") {
		t.Fatalf("after saving, the tracker shows %q", chosenStatus(page.body, a.ID))
	}
	if !strings.Contains(page.body, "Recorded as done by Alex") || !strings.Contains(page.body, `id="history"`) || !strings.Contains(page.body, "to do → done") {
		t.Error("the tracker does not say who recorded it, or its history lacks the change")
	}
	if p := readProgress(t, e.do(t, "GET", "/api/v1/plans/"+c.ID+"/progress", "")); p.Tasks[a.ID].Status != "done" || p.Tasks[a.ID].By != "Alex" {
		t.Fatalf("recorded: %+v", p.Tasks[a.ID])
	}

	// A note over 500 characters: 422 beside the field, the input kept,
	// nothing recorded.
	form = formValues(t, page.body, sec)
	long := strings.Repeat("n", 501)
	form.Set("note."+a.ID, long)
	form.Set("status."+a.ID, "blocked")
	r = alex.post(tracker, form)
	if r.status != 422 || !strings.Contains(r.body, "at most 500 fit") || !strings.Contains(r.body, `value="`+long+`"`) || chosenStatus(r.body, a.ID) != "blocked" {
		t.Fatalf("long note: %d", r.status)
	}
	if !regexp.MustCompile(`<p class="error-message" id="t\d+-note-error">`).MatchString(r.body) || !strings.Contains(r.body, "<title>Error: ") {
		t.Error("the error is not beside the note")
	}

	// Stale: Sam records the same task from the API meanwhile; Alex's form
	// from before says so and keeps Alex's choice.
	stale := formValues(t, page.body, sec) // version p1, task done
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p1"`, taskPatch(a.ID, "doing", "Re-checking two devices", "Sam")); r.status != 200 {
		t.Fatalf("Sam: %d %s", r.status, r.body)
	}
	stale.Set("status."+a.ID, "skipped")
	r = alex.post(tracker, stale)
	if r.status != 409 || !strings.Contains(r.body, "Sam recorded this as in progress") || !strings.Contains(r.body, "Re-checking two devices") || chosenStatus(r.body, a.ID) != "skipped" {
		t.Fatalf("stale form: %d %s", r.status, chosenStatus(r.body, a.ID))
	}
	again := formValues(t, r.body, sec)
	if again.Get("version") != "p2" || again.Get("old-status."+a.ID) != "doing" {
		t.Fatalf("the stale form is not on the latest version: %v", again)
	}
	expectRedirect(t, alex.post(tracker, again), tracker+"?saved=1#"+sec)
	if p := readProgress(t, e.do(t, "GET", "/api/v1/plans/"+c.ID+"/progress", "")); p.Tasks[a.ID].Status != "skipped" {
		t.Fatalf("saving again: %+v", p.Tasks[a.ID])
	}

	// The devices enrolled, in the form of that wave's population.
	page = alex.get(tracker)
	var countSec string
	for _, m := range regexp.MustCompile(`<section class="track-section" id="([^"]+)"`).FindAllStringSubmatch(page.body, -1) {
		f := formValues(t, page.body, m[1])
		if f.Get("wave") == wave && f.Get("population") == pop {
			countSec = m[1]
		}
	}
	if countSec == "" {
		t.Fatalf("no form counts %s/%s", wave, pop)
	}
	form = formValues(t, page.body, countSec)
	form.Set("enrolled", "-3")
	if r := alex.post(tracker, form); r.status != 422 || !strings.Contains(r.body, "cannot be negative") {
		t.Fatalf("negative count: %d", r.status)
	}
	form.Set("enrolled", "1,040")
	expectRedirect(t, alex.post(tracker, form), tracker+"?saved=1#"+countSec)
	if p := readProgress(t, e.do(t, "GET", "/api/v1/plans/"+c.ID+"/progress", "")); p.Enrolled[wave][pop] != 1040 {
		t.Fatalf("count: %+v", p.Enrolled)
	}
	if strings.Contains(ts.log.String(), c.EditKey) {
		t.Error("the edit key is in the log")
	}
}

// TestSharePageShowsProgress: the share page (cached) shows progress per
// wave and population, and changes as soon as progress is recorded: its
// cache key includes the progress version.
func TestSharePageShowsProgress(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	e := ts.testEnv
	c := e.create(t)
	tasks, _, _ := deviceTasks(t, latestTracker(t, e, c.ID))
	share := "/p/" + c.ID
	before := e.do(t, "GET", share, "")
	if before.status != 200 || !strings.Contains(before.body, "No progress has been recorded on this plan yet.") || !strings.Contains(before.body, `href="/p/`+c.ID+`/progress"`) {
		t.Fatalf("share page: %d", before.status)
	}
	if !strings.Contains(before.body, `href="/p/`+c.ID+`.ics"`) {
		t.Error("no calendar link on the share page")
	}
	if again := e.do(t, "GET", share, ""); again.body != before.body {
		t.Fatal("the share page is not stable between two requests")
	}
	if n, _ := ts.server.cache.stats(); n == 0 {
		t.Fatal("nothing cached: this test would not see a stale cache")
	}
	// Tasks done, summed over the wave and population tables: a device
	// task done counts once in each.
	doneSum := func(body string) int {
		n := 0
		for _, m := range regexp.MustCompile(`<td>(\d+) of \d+</td>`).FindAllStringSubmatch(body, -1) {
			var x int
			fmt.Sscan(m[1], &x)
			n += x
		}
		return n
	}
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p0"`, taskPatch(tasks[0].ID, "done", "", "Alex")); r.status != 200 {
		t.Fatalf("patch: %d", r.status)
	}
	after := e.do(t, "GET", share, "")
	if got, was := doneSum(after.body), doneSum(before.body); got != was+2 || !strings.Contains(after.body, "Last recorded") {
		t.Fatalf("after a patch the share page shows %d tasks done in its tables (was %d)", got, was)
	}
	if after.header.Get("ETag") == before.header.Get("ETag") {
		t.Error("the ETag did not change with the progress")
	}
}

// TestOverdueTasksOnSharePage: with today after the waves' dates, the
// share page lists the tasks past their date that are not done, and
// leaves one out once it is done.
func TestOverdueTasksOnSharePage(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	ts.server.now = func() time.Time { return time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC) } // after every wave of the example
	e := ts.testEnv
	c := e.create(t)
	tr := latestTracker(t, e, c.ID)
	overdue := func() []string {
		page := e.do(t, "GET", "/p/"+c.ID, "").body
		i := strings.Index(page, "Past their date and not done (as of 1 Jun 2027)")
		if i < 0 {
			t.Fatal("the share page lists no task past its date")
		}
		list := page[i:]
		list = list[:strings.Index(list, "</ul>")]
		var titles []string
		for _, m := range regexp.MustCompile(`<li><strong>([^<]*)</strong>`).FindAllStringSubmatch(list, -1) {
			titles = append(titles, html.UnescapeString(m[1]))
		}
		return titles
	}
	first := overdue()
	if len(first) == 0 {
		t.Fatal("empty overdue list")
	}
	// Record every task of that title done.
	patch := map[string]any{}
	for id, tk := range tr.Tasks {
		if tk.Title == first[0] {
			patch[id] = map[string]string{"status": "done"}
		}
	}
	body, _ := json.Marshal(map[string]any{"tasks": patch})
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p0"`, string(body)); r.status != 200 {
		t.Fatal(r.status, r.body)
	}
	if slices.Contains(overdue(), first[0]) {
		t.Errorf("%q is listed past its date after it was done", first[0])
	}
}

// TestFormatsCarryStatus: the CSV's status column takes the recorded
// status, the Markdown ticks done tasks, the share .json keeps the plan
// and adds the progress; a plan without progress is unchanged.
func TestFormatsCarryStatus(t *testing.T) {
	e := newTestServer(t, nil, nil).testEnv
	c := e.create(t)
	share := "/p/" + c.ID
	plainJSON := e.do(t, "GET", share+".json", "").body
	if strings.Contains(plainJSON, `"progress"`) {
		t.Fatal("a plan without progress carries a progress object")
	}
	plainMD := e.do(t, "GET", share+".md", "").body
	tr := latestTracker(t, e, c.ID)
	tasks, _, _ := deviceTasks(t, tr)
	// A set-up task the plan does not call done (the Markdown lists each
	// one; device work it lists by wave and group), and a device task.
	var done *trackTask
	for _, tk := range trackerOrder(tr) {
		if tk.Wave == "" && !tk.PlanDone && done == nil {
			done = tk
		}
	}
	blocked := tasks[1]
	body := fmt.Sprintf(`{"tasks":{%q:{"status":"done"},%q:{"status":"blocked","note":"Waiting for the vendor"}}}`, done.ID, blocked.ID)
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p0"`, body); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}

	rows, err := csv.NewReader(strings.NewReader(e.do(t, "GET", share+".csv", "").body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	// A row is found by its id column (CONTRACT §8.1), or, in a CSV
	// without one, by its task, wave and population.
	rowKey := func(tk *trackTask) string {
		if _, ok := col["id"]; ok {
			return tk.ID
		}
		wave := ""
		if tk.Wave != "" {
			wave = tr.wave(tk.Wave).Name
		}
		pop := tr.populationName(tk.Population)
		if tk.Population == "" {
			pop = "All populations"
		}
		return tk.Title + "|" + wave + "|" + pop
	}
	status := map[string]string{}
	for _, row := range rows[1:] {
		k := row[col["task"]] + "|" + row[col["wave"]] + "|" + row[col["population"]]
		if i, ok := col["id"]; ok {
			k = row[i]
		}
		status[k] = row[col["status"]]
	}
	if status[rowKey(done)] != "done" || status[rowKey(blocked)] != "blocked" || status[rowKey(tasks[2])] != "todo" {
		t.Logf("CSV statuses: %v", status)
		t.Errorf("CSV status: %q, %q and %q", status[rowKey(done)], status[rowKey(blocked)], status[rowKey(tasks[2])])
	}

	// The Markdown ticks one more task: the one done, not the one blocked.
	md := e.do(t, "GET", share+".md", "").body
	if got, was := strings.Count(md, "\n- [x] "), strings.Count(plainMD, "\n- [x] "); got != was+1 || !strings.Contains(md, "- [x] "+done.Title) {
		t.Errorf("Markdown ticks %d tasks, %d before %q was recorded done", got, was, done.Title)
	}

	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.do(t, "GET", share+".json", "").body), &doc); err != nil {
		t.Fatal(err)
	}
	var plain map[string]json.RawMessage
	json.Unmarshal([]byte(plainJSON), &plain)
	for k, v := range plain {
		if string(doc[k]) != string(v) {
			t.Errorf("the .json's %q changed with progress", k)
		}
	}
	var prog progressBody
	if err := json.Unmarshal(doc["progress"], &prog); err != nil || prog.Tasks[blocked.ID].Note != "Waiting for the vendor" || prog.Version != 1 {
		t.Errorf(".json progress: %v %+v", err, prog)
	}
	// An earlier revision's formats show the plan as it was saved.
	if r := e.do(t, "PUT", "/api/v1/plans/"+c.ID, strings.Replace(exampleAnswers(t), "Contoso Ltd", "Contoso Group", 1), "Authorization", "Bearer "+c.EditKey, "If-Match", `"1"`); r.status != 200 {
		t.Fatal(r.status)
	}
	if r := e.do(t, "GET", share+"/r/1.json", ""); strings.Contains(r.body, `"progress"`) {
		t.Error("an earlier revision's .json carries today's progress")
	}
}

// TestBrowserTrackerSavesInPlace: in Chromium with JavaScript, the tracker
// link (#key=…) opens the tracker, and a change saves in place (PATCH with
// If-Match) without leaving the page; two browsers ticking different tasks
// from the same page both win; the later of two on the same task is told
// beside it, and saving again records it. The share page and the tracker
// have no axe violations; screenshots go to testresults/progress/.
func TestBrowserTrackerSavesInPlace(t *testing.T) {
	exe := e2eRequire(t)
	ts := newTestServer(t, nil, nil)
	e := ts.testEnv
	c := e.create(t)
	tasks, _, _ := deviceTasks(t, latestTracker(t, e, c.ID))
	a, b := tasks[0], tasks[1]
	browser := newBrowser(t, exe)
	tracker := "/p/" + c.ID + "/progress"

	open := func(tb *tab) {
		t.Helper()
		if st := tb.open(tracker + "#key=" + c.EditKey); st != 200 {
			t.Fatalf("tracker link: %d", st)
		}
		if got := evalIn[string](tb, `document.getElementById("edit-key").value`); got != c.EditKey {
			t.Fatalf("the key did not move from the link into the form: %q", got)
		}
		tb.submit(`form[data-tracker-key] button[type=submit]`, 200, tracker)
		ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("[data-saves-in-place]") !== null`)); err != nil {
			t.Fatalf("progress.js did not take over the tracker: %v", err)
		}
		evalIn[chromedp.Void](tb, `window.scriptErrors = []; window.addEventListener("error", e => scriptErrors.push(e.message)); window.addEventListener("unhandledrejection", e => scriptErrors.push(String(e.reason)))`)
	}
	// saved waits for the message beside a task to say want.
	saved := func(tb *tab, id, want string) {
		t.Helper()
		msg := fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, fmt.Sprintf(`li[data-task=%q] [data-msg]`, id))
		ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`(%s).includes(%q)`, msg, want))); err != nil {
			t.Fatalf("beside %s: %q, want %q (%v); script errors: %s; requests:\n%s", id, evalIn[string](tb, msg), want, err,
				evalIn[string](tb, `JSON.stringify(window.scriptErrors)`), strings.Join(ts.log.lines("/progress"), "\n"))
		}
	}
	// choose picks a status as a person does: one change event (the
	// shared setValue fires a second one).
	choose := func(tb *tab, id, status string) {
		t.Helper()
		tb.do("choose "+status, chromedp.SetValue(chromedp.CSS(field("status."+id)), status))
	}
	alex := newTab(t, browser, e.srv.URL)
	sam := freshTab(t, browser, e.srv.URL)
	open(alex)
	open(sam) // both pages show version p0

	choose(alex, a.ID, "done")
	saved(alex, a.ID, "Saved.")
	if alex.path() != tracker {
		t.Fatalf("the change left the page: %s", alex.where())
	}
	choose(sam, b.ID, "doing")
	saved(sam, b.ID, "Saved.")
	p := readProgress(t, e.do(t, "GET", "/api/v1/plans/"+c.ID+"/progress", ""))
	if p.Tasks[a.ID].Status != "done" || p.Tasks[b.ID].Status != "doing" {
		t.Fatalf("two browsers, two tasks: %+v", p.Tasks)
	}

	// Alex ticks a third task; Sam's page, which still shows it as it was,
	// is told, and Sam's choice is kept until Sam saves it again.
	x := tasks[2]
	choose(alex, x.ID, "done")
	saved(alex, x.ID, "Saved.")
	choose(sam, x.ID, "blocked")
	saved(sam, x.ID, "recorded this as done")
	if p = readProgress(t, e.do(t, "GET", "/api/v1/plans/"+c.ID+"/progress", "")); p.Tasks[x.ID].Status != "done" {
		t.Fatalf("the later change overwrote the first: %+v", p.Tasks[x.ID])
	}
	if got := evalIn[string](sam, fmt.Sprintf(`document.querySelector(%q).value`, field("status."+x.ID))); got != "blocked" {
		t.Fatalf("Sam's choice was not kept: %q", got)
	}
	evalIn[chromedp.Void](sam, fmt.Sprintf(`document.querySelector('li[data-task=%q]').closest("form").requestSubmit()`, x.ID))
	saved(sam, x.ID, "Saved.")
	if p = readProgress(t, e.do(t, "GET", "/api/v1/plans/"+c.ID+"/progress", "")); p.Tasks[x.ID].Status != "blocked" || p.Tasks[a.ID].Status != "done" {
		t.Fatalf("saving again: %+v", p.Tasks)
	}

	dir := filepath.Join(resultsDir, "progress")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shoot := func(tb *tab, name string, width int64) {
		tb.viewport(width)
		ctx, cancel := context.WithTimeout(tb.ctx, actionBudget)
		defer cancel()
		png, err := chromedp.Run(ctx, viewportPNG)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	axeOK := func(tb *tab, page string) {
		if _, err := os.Stat(axePath); err != nil {
			t.Logf("axe-core not installed: %s not checked", page)
			return
		}
		if vs := tb.axe(); len(vs) > 0 {
			t.Errorf("%s: axe violations:\n%s", page, strings.Join(vs, "\n"))
		}
	}
	axeOK(alex, "tracker")
	for _, w := range []int64{1280, 375} {
		shoot(alex, "tracker", w)
	}
	share := freshTab(t, browser, e.srv.URL)
	if st := share.open("/p/" + c.ID + "#progress-title"); st != 200 {
		t.Fatalf("share page: %d", st)
	}
	axeOK(share, "share page")
	for _, w := range []int64{1280, 375} {
		shoot(share, "share-progress", w)
	}
}
