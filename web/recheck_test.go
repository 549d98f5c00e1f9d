package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// recheckCheck is check-tenant's output a week into the planning: the
// push certificate now in place, managed Google Play still not bound, an
// ADE token that expires between the second and third waves, and the
// devices Intune manages.
const recheckCheck = `{"schema":"enrollplan.tenant/v1","read_at":"2026-12-07T09:30:00Z",
  "tenant":{"mdm_authority":"intune","licenses_assigned":true,"entra_premium":true,"apple_mdm_push_certificate":true,"apple_business_manager":true,"managed_google_play":false,"cloud":"global",
    "expiries":[{"what":"apple-mdm-push-certificate","name":"it@contoso.com","expires":"2027-11-30"}]},
  "findings":[{"id":"apple-mdm-push-certificate","status":"ok","title":"Apple MDM push certificate is valid","detail":"Valid until 30 Nov 2027.","permission":""},
              {"id":"apple-business-manager","status":"warning","title":"Enrollment program token expires soon","detail":"Contoso ABM expires on 15 Feb 2027.","permission":""},
              {"id":"managed-google-play","status":"missing","title":"Managed Google Play is not connected","detail":"bindStatus is notBound.","permission":""}],
  "expiries":[{"kind":"ade-token","name":"Contoso ABM","date":"2027-02-15"},{"kind":"apple-push-certificate","name":"it@contoso.com","date":"2027-11-30"}],
  "devices":[{"platform":"ios","ownership":"corporate","count":180},{"platform":"ios","ownership":"unknown","count":4},
             {"platform":"windows","ownership":"corporate","count":20},{"platform":"windows","ownership":"personal","count":7}]}`

// recheckAnswers is the mixed fleet with a second group of corporate
// iPhones, so that one count stands for two device groups.
func recheckAnswers(t *testing.T) string {
	t.Helper()
	var a map[string]any
	if err := json.Unmarshal([]byte(exampleAnswers(t)), &a); err != nil {
		t.Fatal(err)
	}
	a["populations"] = append(a["populations"].([]any), map[string]any{"id": "field-iphones", "name": "Field iPhones", "platform": "ios", "ownership": "corporate", "usage": "user", "devices": 150})
	out, _ := json.Marshal(a)
	return string(out)
}

// uploadTo posts a file as the field "check" of a multipart form, as a
// browser does from the tracker (same origin unless site says otherwise).
func (p *planner) uploadTo(path, content, site string) resp {
	p.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("check", "check.json")
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", p.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", site)
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	return readResp(p.t, res)
}

// savedPlanDoc is GET /api/v1/plans/{id} as a test reads it.
type savedPlanDoc struct {
	Revision int `json:"revision"`
	Answers  struct {
		Tenant struct {
			ApplePush *bool `json:"apple_mdm_push_certificate"`
			Expiries  []struct {
				What, Name, Expires string
			} `json:"expiries"`
		} `json:"tenant"`
		TenantCheck *struct {
			ReadAt string `json:"read_at"`
		} `json:"tenant_check"`
	} `json:"answers"`
	Plan struct {
		Tasks []struct {
			ID  string `json:"id"`
			Due string `json:"due"`
		} `json:"tasks"`
		Rollout struct {
			Warnings []struct{ ID string }       `json:"warnings"`
			Marks    []struct{ ID, Date string } `json:"marks"`
		} `json:"rollout"`
		Prerequisites []struct{ ID, Status string } `json:"prerequisites"`
	} `json:"plan"`
}

func readSavedPlan(t *testing.T, e *testEnv, id string) savedPlanDoc {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/plans/"+id, "")
	var d savedPlanDoc
	if err := json.Unmarshal([]byte(r.body), &d); err != nil {
		t.Fatalf("plan %d: %v", r.status, err)
	}
	return d
}

// recheckSetup saves the plan and opens its tracker in a browser with the
// edit link; the second planner never showed the key.
func recheckSetup(t *testing.T, opts func(*Options)) (e *testEnv, id, key string, alex, stranger *planner) {
	t.Helper()
	ts := newTestServer(t, opts, nil)
	e = ts.testEnv
	r := e.do(t, "POST", "/api/v1/plans", recheckAnswers(t))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var c createdPlan
	json.Unmarshal([]byte(r.body), &c)
	alex = newPlanner(t, e.srv.URL)
	expectRedirect(t, alex.post("/p/"+c.ID+"/progress/key", url.Values{"key": {c.EditKey}}), "/p/"+c.ID+"/progress")
	return e, c.ID, c.EditKey, alex, newPlanner(t, e.srv.URL)
}

// TestRecheckOnlyWithTheEditLink: the tracker offers the upload only to a
// browser that showed the edit key; anyone else's upload is 403 with a
// plain page, as is a cross-site one, and no revision is made.
func TestRecheckOnlyWithTheEditLink(t *testing.T) {
	e, id, _, alex, stranger := recheckSetup(t, nil)
	action := "/p/" + id + "/progress/tenant-check"
	if page := alex.get("/p/" + id + "/progress"); !strings.Contains(page.body, `action="`+action+`"`) || !strings.Contains(page.body, `enctype="multipart/form-data"`) || !strings.Contains(page.body, "Check the tenant again") {
		t.Fatal("the tracker does not offer the upload to the edit link's holder")
	}
	if page := stranger.get("/p/" + id + "/progress"); strings.Contains(page.body, action) {
		t.Error("the upload is offered without the edit key")
	}
	r := stranger.uploadTo(action, recheckCheck, "same-origin")
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "Only whoever holds the plan") || strings.Contains(r.body, `name="check"`) {
		t.Errorf("a stranger's upload: %d %.300s", r.status, r.body)
	}
	if r := alex.uploadTo(action, recheckCheck, "cross-site"); r.status != http.StatusForbidden {
		t.Errorf("a cross-site upload: %d", r.status)
	}
	if d := readSavedPlan(t, e, id); d.Revision != 1 {
		t.Errorf("a refused upload made revision %d", d.Revision)
	}
}

// TestRecheckBadFile: a file that is not a tenant check, one without its
// date, no file at all and one too large are each refused with a message
// beside the field (4xx, never 5xx), and nothing changes.
func TestRecheckBadFile(t *testing.T) {
	e, id, _, alex, _ := recheckSetup(t, nil)
	action := "/p/" + id + "/progress/tenant-check"
	undated := strings.Replace(recheckCheck, `"read_at":"2026-12-07T09:30:00Z",`, "", 1)
	for _, c := range []struct {
		name, content string
		status        int
		says          string
	}{
		{"not JSON", "hello, this is not a check", 422, "That file is not a tenant check"},
		{"answers instead", exampleAnswers(t), 422, "That file is not a tenant check"},
		{"a wrong field", strings.Replace(recheckCheck, `"count":180`, `"count":-1`, 1), 422, "That tenant check could not be read: devices[0].count"},
		{"no read_at", undated, 422, "does not say when the tenant was read"},
		{"too large", strings.Repeat(" ", maxCheckUpload+1) + recheckCheck, 413, "larger than 256 KB"},
	} {
		r := alex.uploadTo(action, c.content, "same-origin")
		if r.status != c.status || !strings.Contains(r.body, `id="recheck-error"`) || !strings.Contains(r.body, c.says) {
			t.Errorf("%s: %d, want %d saying %q beside the field: %.400s", c.name, r.status, c.status, c.says, r.body)
		}
	}
	r := alex.post(action, url.Values{"check": {"{}"}}) // a form without the file
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Choose the JSON file") {
		t.Errorf("no file: %d", r.status)
	}
	if d := readSavedPlan(t, e, id); d.Revision != 1 {
		t.Errorf("a refused file made revision %d", d.Revision)
	}
}

// TestRecheckAppliesNewerCheck: a newer check with an ADE token that
// expires mid-rollout and managed devices makes revision 2, whose answers
// hold the check and the token's expiry and whose plan warns of it, marks
// it and has its renew task; the prerequisites it read are recorded on the
// tracker with the date of the reading (one recorded done but read missing
// goes back to to do); progress of other tasks is kept; and the tracker
// shows the devices counted against those planned. The same file again
// makes no revision; an older check is refused.
func TestRecheckAppliesNewerCheck(t *testing.T) {
	e, id, key, alex, _ := recheckSetup(t, nil)
	tr := latestTracker(t, e, id)
	tasks, _, _ := deviceTasks(t, tr)
	kept := tasks[0]
	for _, pid := range []string{"prereq.apple-mdm-push-certificate", "prereq.managed-google-play"} {
		if tr.Tasks[pid] == nil {
			t.Fatalf("the plan has no task %s", pid)
		}
	}
	body := fmt.Sprintf(`{"by":"Sam","tasks":{%q:{"status":"done","note":"Pilot iPhones wiped"},"prereq.managed-google-play":{"status":"done"}}}`, kept.ID)
	if r := e.patchProgress(t, id, key, `"p0"`, body); r.status != 200 {
		t.Fatalf("progress before the check: %d %s", r.status, r.body)
	}

	action := "/p/" + id + "/progress/tenant-check"
	expectRedirect(t, alex.uploadTo(action, recheckCheck, "same-origin"), "/p/"+id+"/progress?checked=1#tenant")

	d := readSavedPlan(t, e, id)
	if d.Revision != 2 || d.Answers.TenantCheck == nil || d.Answers.TenantCheck.ReadAt != "2026-12-07T09:30:00Z" {
		t.Fatalf("after the check: revision %d, check %+v", d.Revision, d.Answers.TenantCheck)
	}
	if d.Answers.Tenant.ApplePush == nil || !*d.Answers.Tenant.ApplePush {
		t.Error("the push certificate the check read is not in the answers")
	}
	hasADE := slices.ContainsFunc(d.Answers.Tenant.Expiries, func(x struct{ What, Name, Expires string }) bool {
		return x.What == "ade-token" && x.Name == "Contoso ABM" && x.Expires == "2027-02-15"
	})
	if !hasADE {
		t.Errorf("tenant.expiries lacks the ADE token: %+v", d.Answers.Tenant.Expiries)
	}
	hasID := func(ids []string, want string) bool { return slices.Contains(ids, want) }
	var taskIDs, warnIDs, markIDs []string
	renewDue := ""
	for _, tk := range d.Plan.Tasks {
		taskIDs = append(taskIDs, tk.ID)
		if tk.ID == "renew.ade-token" {
			renewDue = tk.Due
		}
	}
	for _, w := range d.Plan.Rollout.Warnings {
		warnIDs = append(warnIDs, w.ID)
	}
	for _, m := range d.Plan.Rollout.Marks {
		markIDs = append(markIDs, m.ID+"@"+m.Date)
	}
	if !hasID(taskIDs, "renew.ade-token") || renewDue != "2027-02-08" || !hasID(warnIDs, "expiry.ade-token") || !hasID(markIDs, "expiry.ade-token@2027-02-15") {
		t.Errorf("the ADE token's expiry is not on the schedule: renew task due %q, warnings %v, marks %v", renewDue, warnIDs, markIDs)
	}

	p := readProgress(t, e.do(t, "GET", "/api/v1/plans/"+id+"/progress", ""))
	push := p.Tasks["prereq.apple-mdm-push-certificate"]
	if push.Status != "done" || push.Note != "Read as in place from the tenant on 7 Dec 2026" || push.By != "Tenant check" {
		t.Errorf("the push certificate read in place: %+v", push)
	}
	gp := p.Tasks["prereq.managed-google-play"]
	if gp.Status != "todo" || !strings.Contains(gp.Note, "The tenant check on 7 Dec 2026 found this not in place") {
		t.Errorf("managed Google Play, recorded done but read missing: %+v", gp)
	}
	if k := p.Tasks[kept.ID]; k.Status != "done" || k.Note != "Pilot iPhones wiped" || k.By != "Sam" {
		t.Errorf("a task's progress was not kept across the new revision: %+v", k)
	}
	if p.PlanRevision != 2 {
		t.Errorf("progress recorded against revision %d", p.PlanRevision)
	}

	page := alex.get("/p/" + id + "/progress?checked=1")
	for _, want := range []string{
		"The tenant check read on 7 Dec 2026 is applied: it is revision 2 of the plan",
		"Intune manages 180 iOS/iPadOS corporate devices (read 7 Dec 2026), against 400 planned for Sales iPhones and Field iPhones together.",
		"Also 4 iOS/iPadOS devices of unknown ownership, which may be among them.",
		"Intune manages 20 Windows corporate devices (read 7 Dec 2026), against 600 planned for Office laptops.",
		"Intune manages 0 macOS corporate devices (read 7 Dec 2026), against 35 planned for Design studio Macs.",
		"In no device group of the plan: 7 Windows personal devices.",
		"Read as in place from the tenant on 7 Dec 2026",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the tracker does not say %q", want)
		}
	}
	// Each field is described by its hint or its error, never by a stray
	// attribute.
	if regexp.MustCompile(`<[a-z]+\s[^>]*\selse[\s>]`).MatchString(page.body) || !regexp.MustCompile(`data-count data-wave="[^"]+" data-population="[^"]+" aria-describedby="count-\d+-\d+-hint"`).MatchString(page.body) {
		t.Error("the tracker's count fields are not described by their hints")
	}
	if chosenStatus(page.body, "prereq.apple-mdm-push-certificate") != "done" {
		t.Error("the tracker does not show the push certificate done")
	}

	// The same file again: nothing new to save.
	expectRedirect(t, alex.uploadTo(action, recheckCheck, "same-origin"), "/p/"+id+"/progress?checked=same#tenant")
	if d := readSavedPlan(t, e, id); d.Revision != 2 {
		t.Errorf("the same check again made revision %d", d.Revision)
	}

	// An older reading is refused beside the field.
	older := strings.Replace(recheckCheck, "2026-12-07T09:30:00Z", "2026-12-01T08:00:00Z", 1)
	r := alex.uploadTo(action, older, "same-origin")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "This check was read on 1 Dec 2026 08:00 UTC, before the one the plan already holds (read on 7 Dec 2026 09:30 UTC)") || !strings.Contains(r.body, `id="recheck-error"`) {
		t.Errorf("an older check: %d %.300s", r.status, r.body)
	}
	if d := readSavedPlan(t, e, id); d.Revision != 2 {
		t.Errorf("an older check made revision %d", d.Revision)
	}
}

// raceStore lets someone else's revision land just before the next
// UpdatePlan, once armed.
type raceStore struct {
	store.Store
	armed atomic.Bool
}

func (s *raceStore) UpdatePlan(ctx context.Context, u store.Update) (store.Plan, error) {
	if s.armed.CompareAndSwap(true, false) {
		if _, err := s.Store.UpdatePlan(ctx, u); err != nil {
			return store.Plan{}, err
		}
	}
	return s.Store.UpdatePlan(ctx, u)
}

// TestRecheckConflict: a revision saved by someone else while the check is
// applied is never overwritten: 409, a page asking to upload again beside
// the field, nothing recorded; uploading again applies it on top.
func TestRecheckConflict(t *testing.T) {
	rs := &raceStore{}
	e, id, _, alex, _ := recheckSetup(t, func(o *Options) { rs.Store = o.Store; o.Store = rs })
	action := "/p/" + id + "/progress/tenant-check"
	rs.armed.Store(true)
	r := alex.uploadTo(action, recheckCheck, "same-origin")
	if r.status != http.StatusConflict || !strings.Contains(r.body, "Someone saved a new revision of the plan while this check was being applied") || !strings.Contains(r.body, `id="recheck-error"`) {
		t.Fatalf("a race with another save: %d %.300s", r.status, r.body)
	}
	if d := readSavedPlan(t, e, id); d.Revision != 2 {
		t.Errorf("after the conflict the plan is at revision %d, want theirs (2)", d.Revision)
	}
	if p := readProgress(t, e.do(t, "GET", "/api/v1/plans/"+id+"/progress", "")); p.Version != 0 {
		t.Errorf("a refused check recorded progress: %+v", p)
	}
	expectRedirect(t, alex.uploadTo(action, recheckCheck, "same-origin"), "/p/"+id+"/progress?checked=same#tenant")
	if p := readProgress(t, e.do(t, "GET", "/api/v1/plans/"+id+"/progress", "")); p.Tasks["prereq.apple-mdm-push-certificate"].Status != "done" {
		t.Errorf("uploading again did not record the check: %+v", p.Tasks)
	}
}

// TestRecheckWithoutDeviceCounts: a check that did not count devices (made
// before counts existed, or refused that reading) is never shown as "0
// managed".
func TestRecheckWithoutDeviceCounts(t *testing.T) {
	_, id, _, alex, _ := recheckSetup(t, nil)
	i := strings.Index(recheckCheck, `,
  "devices":`)
	uncounted := recheckCheck[:i] + "}"
	expectRedirect(t, alex.uploadTo("/p/"+id+"/progress/tenant-check", uncounted, "same-origin"), "/p/"+id+"/progress?checked=1#tenant")
	page := alex.get("/p/" + id + "/progress")
	if !strings.Contains(page.body, "The tenant check read on 7 Dec 2026 did not count the devices Intune manages.") || strings.Contains(page.body, "Intune manages 0") {
		t.Errorf("a check without counts: %q", page.body[strings.Index(page.body, `id="tenant"`):][:600])
	}
}

// TestRecheckWordLists: the lists in a re-check's words read "a, b and c",
// as every other list of the document does (plan.JoinAnd).
func TestRecheckWordLists(t *testing.T) {
	if got, want := togetherWords([]string{"Sales iPhones", "Field iPhones", "Kiosks"}), "Sales iPhones, Field iPhones and Kiosks together"; got != want {
		t.Errorf("togetherWords = %q, want %q", got, want)
	}
	tc := &plan.TenantCheck{Findings: []plan.Finding{{Permission: "A.Read.All"}, {Permission: "B.Read.All"}, {Permission: "A.Read.All"}, {Permission: "C.Read.All"}}}
	if got, want := lackedPermissions(tc), " The sign-in lacked the read permissions A.Read.All, B.Read.All and C.Read.All."; got != want {
		t.Errorf("lackedPermissions = %q, want %q", got, want)
	}
}
