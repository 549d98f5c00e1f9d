package web

// A re-check of a saved plan by signing in with Microsoft (issue 16, §8.4):
// from the tracker, whoever holds the edit link signs in as themselves, the
// server reads the tenant in the background with their token and applies
// what it read exactly as an uploaded check (applyRecheck). The sign-in
// waiting for its return is bound to the plan and to the browser that
// started it; the run's state is in this process's memory (the return must
// reach the replica that started the sign-in anyway), bounded, and the
// visitor's token lives only in the checker, dropped when the check ends.

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// How many plans' signed-in re-checks are remembered, and for how long
// after they end: the outcome is shown on the tracker of the browser that
// started it. Running ones are bounded by MaxChecks, so the table never
// fills with them.
const (
	maxRecheckRuns = 1000
	recheckRunKeep = time.Hour
)

// recheckApplyTimeout bounds applying what a check read: a revision and
// the tracker's progress, a few database writes.
const recheckApplyTimeout = 30 * time.Second

// recheckSignInPath is where the tracker's "Sign in with Microsoft to
// check the tenant again" posts.
func recheckSignInPath(id string) string { return "/p/" + id + "/progress/tenant-check/signin" }

// recheckRun is a plan's signed-in re-check: running, or how it ended.
type recheckRun struct {
	running  bool
	failed   bool
	started  time.Time
	ended    time.Time
	browser  string // the tracker cookie's id of the browser that started it
	readings int    // readings made so far
	message  string // how it ended, in words
}

// recheckRuns are the signed-in re-checks of this process, one per plan.
type recheckRuns struct {
	max  int
	keep time.Duration

	mu     sync.Mutex
	byPlan map[string]*recheckRun
}

func newRecheckRuns(max int, keep time.Duration) *recheckRuns {
	return &recheckRuns{max: max, keep: keep, byPlan: map[string]*recheckRun{}}
}

// start marks plan id's re-check as running for browser; false when one
// already runs (or, were the table full of running checks, no room).
// Runs that ended more than keep ago are forgotten; past max, the oldest
// ended ones make room.
func (rr *recheckRuns) start(now time.Time, id, browser string) bool {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if cur := rr.byPlan[id]; cur != nil && cur.running {
		return false
	}
	var ended []string
	for pid, run := range rr.byPlan {
		switch {
		case run.running:
		case now.Sub(run.ended) > rr.keep:
			delete(rr.byPlan, pid)
		default:
			ended = append(ended, pid)
		}
	}
	if _, had := rr.byPlan[id]; !had && len(rr.byPlan) >= rr.max {
		slices.SortFunc(ended, func(a, b string) int { return rr.byPlan[a].ended.Compare(rr.byPlan[b].ended) })
		for _, pid := range ended[:min(len(ended), len(rr.byPlan)-rr.max+1)] {
			delete(rr.byPlan, pid)
		}
		if len(rr.byPlan) >= rr.max {
			return false
		}
	}
	rr.byPlan[id] = &recheckRun{running: true, started: now, browser: browser}
	return true
}

// cancel forgets a run that never started reading.
func (rr *recheckRuns) cancel(id string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if run := rr.byPlan[id]; run != nil && run.running {
		delete(rr.byPlan, id)
	}
}

func (rr *recheckRuns) reading(id string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if run := rr.byPlan[id]; run != nil {
		run.readings++
	}
}

// end records how plan id's run ended.
func (rr *recheckRuns) end(now time.Time, id string, failed bool, message string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if run := rr.byPlan[id]; run != nil {
		run.running, run.failed, run.ended, run.message = false, failed, now, message
	}
}

// get returns a copy of plan id's run, if one is remembered.
func (rr *recheckRuns) get(now time.Time, id string) (recheckRun, bool) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	run := rr.byPlan[id]
	if run == nil || !run.running && now.Sub(run.ended) > rr.keep {
		return recheckRun{}, false
	}
	return *run, true
}

func (rr *recheckRuns) len() int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return len(rr.byPlan)
}

// errRecheckSignInOff answers the tracker's sign-in where the server has
// no app registration for it.
var errRecheckSignInOff = statusError(http.StatusNotFound, "This server does not offer signing in with Microsoft. Run enrollplan check-tenant and upload the file it prints on the tracker instead.")

// handleRecheckSignIn is POST /p/{id}/progress/tenant-check/signin: a
// sign-in with Microsoft to read the plan's tenant again, for a browser
// holding the plan's edit grant. The pending sign-in is bound to the plan
// and to this browser's id in the tracker cookie; the cloud is the one the
// form names, else the plan's.
func (s *Server) handleRecheckSignIn(w http.ResponseWriter, r *http.Request) error {
	if s.signIn == nil {
		return errRecheckSignInOff
	}
	id, err := planID(r)
	if err != nil {
		return err
	}
	info, err := s.planInfo(r, id)
	if err != nil {
		return err
	}
	if !s.hasTrackerGrant(r, info) {
		return errRecheckNoGrant
	}
	if run, ok := s.rechecks.get(s.now(), id); ok && run.running {
		http.Redirect(w, r, recheckProgressPath(id), http.StatusSeeOther) // one at a time per plan
		return nil
	}
	if err := readForm(r); err != nil {
		return err
	}
	cloud := r.PostForm.Get("tenant.cloud")
	if cloud == "" {
		if cloud, err = s.planCloud(r.Context(), id); err != nil {
			return err
		}
	}
	if !slices.Contains(signInClouds, cloud) {
		return statusError(http.StatusBadRequest, "Choose the Microsoft cloud your tenant is in, then sign in.")
	}
	browser, err := s.trackerBrowser(w, r, true)
	if err != nil {
		return err
	}
	return s.beginSignIn(w, r, &pendingSignIn{planID: id, browser: browser, cloud: cloud}) // signin.go
}

// planCloud is the Microsoft cloud the plan's tenant is in.
func (s *Server) planCloud(ctx context.Context, id string) (string, error) {
	latest, err := s.store.GetPlan(ctx, id)
	if err != nil {
		return "", err
	}
	a, err := s.storedAnswers(latest)
	if err != nil {
		return "", err
	}
	return a.Tenant.EffectiveCloud(), nil
}

func recheckProgressPath(id string) string { return "/p/" + id + "/progress/tenant-check" }

// finishRecheckSignIn is the return from a sign-in started on plan p's
// tracker: only the browser that started it, still holding the plan's
// edit grant, may finish it. The bounds are taken before the code is
// redeemed, so no token is fetched for a check that cannot run: one
// running check per plan, MaxChecks at once on the server, and the check
// counted against the create limit.
func (s *Server) finishRecheckSignIn(w http.ResponseWriter, r *http.Request, p *pendingSignIn) error {
	info, err := s.planInfo(r, p.planID)
	if err != nil {
		return err
	}
	browser, err := s.trackerBrowser(w, r, false)
	if err != nil {
		return err
	}
	if !s.hasTrackerGrant(r, info) || browser == "" || subtle.ConstantTimeCompare([]byte(browser), []byte(p.browser)) != 1 {
		// Another browser, or a link someone was sent: what it read must
		// never land in a plan the browser that started it did not choose.
		s.log.Warn("sign-in return refused: the state belongs to another browser's re-check", "request_id", reqIDOf(r))
		return s.renderSignInFor(w, r, p, pages.SignInUnknown, p.cloud, "")
	}
	if refused, err := s.signInReturnRefused(w, r, p); refused {
		return err
	}
	id := p.planID
	if !s.rechecks.start(s.now(), id, browser) {
		http.Redirect(w, r, recheckProgressPath(id), http.StatusSeeOther) // one is reading already: this sign-in is not used
		return nil
	}
	started := false
	defer func() {
		if !started {
			s.rechecks.cancel(id)
		}
	}()
	if !s.running.take() {
		return s.errChecksBusy()
	}
	defer func() {
		if !started {
			s.running.give()
		}
	}()
	if err := s.takeCreate(w, r); err != nil { // a check is work done for the client
		return err
	}
	checker, err := s.redeemSignIn(w, r, p)
	if checker == nil {
		return err
	}
	started = true
	reqID := reqIDOf(r)
	s.checks.Go(func() {
		defer s.running.give()
		s.runRecheck(checker, id, reqID)
	})
	http.Redirect(w, r, recheckProgressPath(id), http.StatusSeeOther)
	return nil
}

// The tracker's words for a signed-in check that did not succeed: what to
// do, never the error itself, which goes to the log.
const (
	recheckFailedText  = "The tenant could not be read, so the plan was not changed. Sign in again in a few minutes. If it fails again, ask whoever runs this server to look at its log, or run enrollplan check-tenant yourself and upload the file it prints."
	recheckNothingText = "Nothing could be read from the tenant: every reading came back unreadable, so the plan was not changed. The account you signed in with needs an Intune role that can read, such as Read Only Operator or Global Reader."
	recheckApplyText   = "The tenant was read, but what it read could not be saved to the plan, so the plan was not changed. Sign in again in a few minutes; if it fails again, ask whoever runs this server to look at its log."
	recheckGoneText    = "The plan was withdrawn while the tenant was being read, so nothing was saved."
)

var signInWords = recheckWords{
	rerun: "Sign in again to read the tenant as it is now.",
	retry: "Sign in again: what it reads is applied to their revision.",
}

// runRecheck reads plan id's tenant with a signed-in checker and applies
// what it read as an uploaded check is applied. The checker, and the
// visitor's token in it, are dropped when it returns. reqID is the id of
// the request that started it, for the log.
func (s *Server) runRecheck(checker TenantChecker, id, reqID string) {
	log := s.log.With("request_id", reqID)
	ended := false
	end := func(failed bool, msg string) {
		s.rechecks.end(s.now(), id, failed, msg)
		ended = true
	}
	defer func() {
		// Outside any request, nothing else would catch a panic: it would
		// end the server.
		if v := recover(); v != nil {
			log.Error("tenant re-check panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
		if !ended {
			end(true, recheckFailedText)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	tc, err := checker.Check(ctx, func(plan.Finding) { s.rechecks.reading(id) })
	cancel() // the checker, and the token in it, go with this call: nothing keeps them
	switch {
	case err != nil:
		log.Warn("tenant re-check failed", "err", err)
		end(true, recheckFailedText)
		return
	case !readSomething(tc):
		log.Warn("tenant re-check read nothing")
		end(true, recheckNothingText+lackedPermissions(tc))
		return
	}
	if tc.ReadAt == "" {
		tc.ReadAt = s.now().UTC().Format(time.RFC3339)
	}
	ctx, cancel = context.WithTimeout(context.Background(), recheckApplyTimeout)
	defer cancel()
	var res recheckResult
	var rf *recheckRefusal
	for try := 1; ; try++ {
		// A revision saved meanwhile: the reading is as new as ever, so it
		// is applied to that revision, as uploading it again would.
		res, err = s.applyRecheck(ctx, id, tc, signInWords)
		if !errors.As(err, &rf) || rf.status != http.StatusConflict || try >= recheckPatchTries {
			break
		}
	}
	switch {
	case errors.As(err, &rf):
		end(true, rf.msg)
	case errors.Is(err, store.ErrGone) || errors.Is(err, store.ErrNotFound):
		end(true, recheckGoneText)
	case err != nil:
		log.Error("tenant re-check: applying the reading failed", "err", err)
		end(true, recheckApplyText)
	default:
		end(false, recheckAppliedWords(tc, res))
	}
}

// lackedPermissions names the read permissions a check's readings said the
// sign-in lacked, as a sentence ("" when none).
func lackedPermissions(tc *plan.TenantCheck) string {
	var perms []string
	if tc != nil {
		for _, f := range tc.Findings {
			if f.Permission != "" && !slices.Contains(perms, f.Permission) {
				perms = append(perms, f.Permission)
			}
		}
	}
	switch len(perms) {
	case 0:
		return ""
	case 1:
		return " The sign-in lacked the read permission " + perms[0] + "."
	}
	return " The sign-in lacked the read permissions " + plan.JoinAnd(perms) + "."
}

// recheckAppliedWords says what a signed-in check did: the revision it
// made (or that the plan held it already) and what it recorded.
func recheckAppliedWords(tc *plan.TenantCheck, res recheckResult) string {
	day := plan.LongDate(readDay(tc.ReadAt))
	out := fmt.Sprintf("The tenant was read on %s, signed in with Microsoft, and is applied: it is revision %d of the plan.", day, res.revision)
	if !res.changed {
		out = fmt.Sprintf("The tenant was read on %s, signed in with Microsoft; the plan already held what it read, so no new revision was made.", day)
	}
	if len(res.recorded) == 0 {
		return out + " No prerequisite's progress changed."
	}
	var done, undone []string
	for _, e := range res.recorded {
		if e.status == statusDone {
			done = append(done, e.title)
		} else {
			undone = append(undone, e.title)
		}
	}
	if len(done) > 0 {
		out += " Recorded as done, read in place: " + strings.Join(done, "; ") + "."
	}
	if len(undone) > 0 {
		out += " Back to to do, read not in place: " + strings.Join(undone, "; ") + "."
	}
	return out
}

// handleRecheckProgress is GET /p/{id}/progress/tenant-check: while a
// signed-in check reads the plan's tenant, a page that refreshes itself
// (it works without JavaScript); once it has ended, the tracker, which
// shows how.
func (s *Server) handleRecheckProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	info, err := s.planInfo(r, id)
	if err != nil {
		return err
	}
	run, ok := s.rechecks.get(s.now(), id)
	if !s.hasTrackerGrant(r, info) || !ok || !run.running {
		http.Redirect(w, r, "/p/"+id+"/progress#tenant", http.StatusSeeOther)
		return nil
	}
	// The page refreshes itself while the check reads: only the cached
	// tracker, for the organisation's name, not the progress.
	t, err := s.revisionTracker(r.Context(), id, info.Revision)
	if err != nil {
		return err
	}
	v := pages.RecheckProgressView{Head: s.head("Reading the tenant…", true), Organization: t.Organization,
		Readings: plan.Count(run.readings, "reading", "readings"), Started: whenWords(run.started), TrackerURL: "/p/" + id + "/progress#tenant"}
	v.Head.Refresh = true
	capabilityHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, pages.RecheckProgressPage(v))
}

// recheckRunView fills the tracker's tenant block with the plan's
// signed-in check: the offer, the reading under way, or, for the browser
// that started it, how it ended.
func (s *Server) recheckRunView(r *http.Request, id string, rc *pages.TrackerRecheck) {
	if s.signIn != nil {
		rc.SignInAction = recheckSignInPath(id)
	}
	run, ok := s.rechecks.get(s.now(), id)
	if !ok {
		return
	}
	if run.running {
		rc.Reading = fmt.Sprintf("Reading the tenant… (signed in with Microsoft, started %s; %s so far.)", whenWords(run.started), plan.Count(run.readings, "reading", "readings"))
		rc.ReadingURL = recheckProgressPath(id)
		return
	}
	if b, _ := s.trackerBrowser(nil, r, false); b == "" || b != run.browser {
		return // someone else's check: the plan and the tracker show what it did
	}
	if run.failed {
		rc.Failed = run.message
	} else {
		rc.Applied = run.message
	}
}
