package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/memstore"
)

// errorFlag is a slog handler that remembers whether anything was logged
// at ERROR: a client's input must never be logged as a server fault.
type errorFlag struct {
	seen atomic.Bool
	last atomic.Value // string
}

func (e *errorFlag) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (e *errorFlag) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	e.seen.Store(true)
	e.last.Store(b.String())
	return nil
}
func (e *errorFlag) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *errorFlag) WithGroup(string) slog.Handler      { return e }

// fuzzServer is a server over a store in memory, with its clock fixed: each
// fuzz input restores a checkpoint of it, without a disk write (and without
// an SQL engine under coverage instrumentation, which slows it a
// hundredfold). memstore passes the drivers' conformance suite.
type fuzzServer struct {
	srv     *Server
	h       http.Handler
	store   *memstore.Store
	errs    *errorFlag
	cookies map[string]*http.Cookie // by draft id
}

func newFuzzServer(tb testing.TB) *fuzzServer {
	tb.Helper()
	cat, err := plan.Load()
	if err != nil {
		tb.Fatal(err)
	}
	fs := memstore.New()
	errs := &errorFlag{}
	now := func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	s := New(Options{Log: slog.New(errs), Store: fs, Catalog: cat, SessionKeys: []string{strings.Repeat("f", 40)}, Now: now})
	return &fuzzServer{srv: s, h: s.Handler(), store: fs, errs: errs, cookies: map[string]*http.Cookie{}}
}

// cookie is the session cookie naming draft id.
func (fz *fuzzServer) cookie(tb testing.TB, id string) *http.Cookie {
	if c := fz.cookies[id]; c != nil {
		return c
	}
	rec := httptest.NewRecorder()
	if err := fz.srv.setSessionDraft(rec, httptest.NewRequest("GET", "/", nil), id); err != nil {
		tb.Fatal(err)
	}
	c := rec.Result().Cookies()[0]
	fz.cookies[id] = c
	return c
}

// serve runs one request in process and fails on a 5xx or an ERROR line.
func (fz *fuzzServer) serve(t *testing.T, req *http.Request, what string) *httptest.ResponseRecorder {
	t.Helper()
	fz.errs.seen.Store(false)
	rec := httptest.NewRecorder()
	fz.h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s: %d\n%.600s", what, rec.Code, rec.Body.String())
	}
	if fz.errs.seen.Load() {
		t.Fatalf("%s: logged as a server error: %v", what, fz.errs.last.Load())
	}
	return rec
}

// Draft ids of the fuzz drafts: one with every step answered (the
// Northwind example, with kept forms on steps 2 and 6), one just started.
const (
	fuzzFullDraft  = "fuzzFullDraftAAAAAAAAA"
	fuzzFreshDraft = "fuzzFreshDraftAAAAAAAA"
)

func fuzzDrafts(tb testing.TB, cat *plan.Catalog) []store.Draft {
	tb.Helper()
	data, err := os.ReadFile("../examples/northwind.json")
	if err != nil {
		tb.Fatal(err)
	}
	a, err := cat.DecodeAnswers(data)
	if err != nil {
		tb.Fatal(err)
	}
	full := &draft{Answers: a, Reached: stepPlan}
	full.setForm(devicesSpec.key, &rawForm{Values: devicesSpec.values(rowForm{rows: populationRows(a.Populations, a.BulkEnrollmentByStaff), rest: nil}), Base: devicesBase(full),
		Removed: &removedRow{Index: 1, Values: populationRows(a.Populations, a.BulkEnrollmentByStaff)[0], Text: "Population 2 was removed."}})
	full.Check = &checkRun{State: "done", Started: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Findings: []plan.Finding{}}
	var out []store.Draft
	for id, d := range map[string]*draft{fuzzFullDraft: full, fuzzFreshDraft: newDraft()} {
		b, err := json.Marshal(d)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, store.Draft{ID: id, Data: b})
	}
	return out
}

// fuzzWizardRoutes are the wizard's addresses; a fuzz input picks one.
var fuzzWizardRoutes = []struct{ method, path string }{
	{"POST", "/wizard/organisation"}, {"POST", "/wizard/devices"}, {"POST", "/wizard/review"}, {"POST", "/wizard/method"}, {"POST", "/wizard/reset"},
	{"POST", "/wizard/prerequisites"}, {"POST", "/wizard/rollout"}, {"POST", "/wizard/save"}, {"POST", "/wizard/reload"},
	{"POST", "/wizard/new"}, {"POST", "/wizard/tenant-check/upload"}, {"POST", "/wizard/tenant-check"},
	{"GET", "/wizard/organisation"}, {"GET", "/wizard/devices"}, {"GET", "/wizard/review"}, {"GET", "/wizard/method"}, {"GET", "/wizard/reset"},
	{"GET", "/wizard/prerequisites"}, {"GET", "/wizard/rollout"}, {"GET", "/wizard/plan"}, {"GET", "/wizard/plan.md"},
	{"GET", "/wizard/plan.csv"}, {"GET", "/wizard/print"}, {"GET", "/wizard/tenant-check"}, {"GET", "/"},
}

// fuzzContentTypes are what a fuzz input's form is sent as.
var fuzzContentTypes = []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=fuzz", "", "text/plain",
	"application/x-www-form-urlencoded; charset=latin1", "multipart/form-data"}

// FuzzWizardForms posts fuzzed form bodies and query strings to every
// wizard step (and gets every page with a fuzzed query), with a finished
// draft, a fresh one or none: the answer is never a 5xx, nothing panics
// and nothing is logged as a server error (issue "Hardening", item 6).
// route picks the address, state the draft (low 2 bits) and the body's
// Content-Type (the rest).
func FuzzWizardForms(f *testing.F) {
	for i, r := range fuzzWizardRoutes {
		f.Add(uint8(i), uint8(0), "", "")
		if r.method == "POST" {
			f.Add(uint8(i), uint8(1), "a=1;b=2", "populations[0].name=%zz&action=add")
		}
	}
	add := func(path string, state uint8, query, body string) {
		for i, r := range fuzzWizardRoutes {
			if r.path == path {
				f.Add(uint8(i), state, query, body)
			}
		}
	}
	add("/wizard/organisation", 0, "", orgForm().Encode())
	add("/wizard/organisation", 0, "", "organization=%00%ff&tenant.cloud=moon&tenant.entra_premium=maybe&tenant.mdm_authority="+strings.Repeat("x", 300))
	add("/wizard/devices", 0, "", devicesForm("continue").Encode())
	add("/wizard/devices", 0, "", devicesForm("remove-1").Encode())
	add("/wizard/devices", 0, "", devicesForm("undo").Encode())
	add("/wizard/devices", 0, "", devicesForm("up-1").Encode()+"&populations[1].devices=1%2C490")
	add("/wizard/devices", 0, "", "action=remove-99999999999999999999&populations[999].name=x&populations[-1].name=y&populations[0].devices=1e9")
	add("/wizard/devices", 0, "", "populations[0].name=A&populations[0].platform=android&populations[0].ownership=corporate&populations[0].usage=user&populations[0].devices=%E2%88%921&populations[0].personal_use=maybe&populations[0].in_use=new&populations[0].managed_by=configmgr&populations[0].enroll=app")
	add("/wizard/review", 0, "", "populations[0].in_use=maybe&populations[1].in_use=new&populations[0].method=ios-ade&populations[1].method=windows-autopilot&populations[2].method=mam-we&populations[3].method=")
	add("/wizard/prerequisites", 0, "", "bulk_enrollment_by_staff=yes&baseline=vpn&baseline=vpn&baseline=nope&baseline_custom=a%0Ab%0D%0Ac%0A"+strings.Repeat("d%0A", 40))
	add("/wizard/rollout", 0, "", "rollout.pilot_group=Pilot&rollout.pilot_start.day=31&rollout.pilot_start.month=2&rollout.pilot_start.year=2027&rollout.waves[0].name=W&rollout.waves[0].group=G&rollout.waves[0].start.day=1&rollout.waves[0].start.month=Jan&rollout.waves[0].start.year=27&rollout.waves[0].populations=sales-iphones&rollout.waves[0].populations=nobody")
	add("/wizard/rollout", 0, "", "action=down-0&rollout.waves[0].name=Wave+1&rollout.waves[1].name=Wave+2&warnings_seen=x")
	add("/wizard/rollout", 0, "", "rollout.waves[0].start.day=-1&rollout.waves[0].start.month=13&rollout.waves[0].start.year=99999999999999999999")
	add("/wizard/save", 0, "", "force=1")
	add("/wizard/tenant-check/upload", 1<<2, "", "--fuzz\r\nContent-Disposition: form-data; name=\"check\"; filename=\"c.json\"\r\n\r\n{\"schema\":\"enrollplan.tenant/v1\",\"findings\":[]}\r\n--fuzz--\r\n")
	add("/wizard/tenant-check/upload", 1<<2, "", "--fuzz\r\nContent-Disposition: form-data; name=\"check\"\r\n\r\nx\r\n--fuzz")
	add("/wizard/devices", 0, "added=2&removed=1&moved=-1&focus=%3Cscript%3E&sent_back=99999999999999999999", "")
	add("/wizard/rollout", 0, "moved=1&focus=up&restored=0", "")
	add("/wizard/plan", 0, "saved=-1", "")
	add("/wizard/organisation", 0, "sent_back=7", "")

	fz := newFuzzServer(f)
	for _, d := range fuzzDrafts(f, fz.srv.cat) {
		if err := fz.store.SaveDraft(context.Background(), d); err != nil {
			f.Fatal(err)
		}
	}
	base := fz.store.Checkpoint() // the two drafts and no plan, for every input
	f.Fuzz(func(t *testing.T, route, state uint8, query, body string) {
		rt := fuzzWizardRoutes[int(route)%len(fuzzWizardRoutes)]
		fz.store.Restore(base)
		var rd *strings.Reader
		if rt.method == "POST" {
			rd = strings.NewReader(body)
		} else {
			rd = strings.NewReader("")
		}
		req := httptest.NewRequest(rt.method, rt.path, rd)
		req.URL.RawQuery = query // sent as is, malformed or not
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if ct := fuzzContentTypes[int(state>>2)%len(fuzzContentTypes)]; ct != "" && rt.method == "POST" {
			req.Header.Set("Content-Type", ct)
		}
		switch state & 3 {
		case 0, 3:
			req.AddCookie(fz.cookie(t, fuzzFullDraft))
		case 1:
			req.AddCookie(fz.cookie(t, fuzzFreshDraft))
		}
		fz.serve(t, req, rt.method+" "+rt.path+"?"+query)
	})
}
