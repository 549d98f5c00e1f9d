package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// TenantChecker reads a tenant through Microsoft Graph. The web layer sees
// only this; the Graph SDK stays in internal/tenant, wired in by cmd.
type TenantChecker interface {
	Check(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error)
}

// maxCheckUpload bounds an uploaded check-tenant file: a real one is a few
// kilobytes.
const maxCheckUpload = 256 << 10

// checkTimeout bounds a check the server runs for a planner.
const checkTimeout = 2 * time.Minute

// checkRun is a tenant check the server runs for a draft, kept in the draft
// so that any replica can show its progress.
type checkRun struct {
	State    string         `json:"state"` // running | done | failed
	Started  time.Time      `json:"started"`
	Findings []plan.Finding `json:"findings"`
	Error    string         `json:"error,omitempty"`
}

// applyCheck fills the tenant answers the check established and keeps the
// check in the answers, so the plan can say what was read and when.
func applyCheck(d *draft, tc *plan.TenantCheck) {
	t, read := &d.Answers.Tenant, tc.Tenant
	if read.MDMAuthority != "" && read.MDMAuthority != "unknown" {
		t.MDMAuthority = read.MDMAuthority
	}
	if read.AdminRole != "" && read.AdminRole != "unknown" {
		t.AdminRole = read.AdminRole
	}
	if read.Cloud != "" {
		t.Cloud = read.Cloud
	}
	for _, q := range triFields {
		if v := *tenantBoolPtr(&read, q.field); v != nil {
			*tenantBoolPtr(t, q.field) = ptr(*v)
		}
	}
	d.Answers.TenantCheck = tc
}

// handleCheckUpload is POST /wizard/tenant-check/upload: a check-tenant JSON
// file, run at the customer's site, fills in step 1.
func (s *Server) handleCheckUpload(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	if r.ContentLength > maxCheckUpload+4<<10 {
		return statusError(http.StatusRequestEntityTooLarge, fmt.Sprintf("That file is larger than %d KB; a tenant check is a few kilobytes. Upload the JSON file that enrollplan check-tenant printed.", maxCheckUpload>>10))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCheckUpload+4<<10)
	uploadErr := func(msg string) error {
		errs := pages.FormErrors{{Field: "check", Message: msg}}
		return s.renderStep(w, r, errs, pages.OrgPage(s.orgView(r, d, errs, nil)))
	}
	if err := r.ParseMultipartForm(maxCheckUpload); err != nil {
		var mbe *http.MaxBytesError
		var pe *fs.PathError
		switch {
		case errors.As(err, &mbe), errors.Is(err, multipart.ErrMessageTooLarge):
			return statusError(http.StatusRequestEntityTooLarge, fmt.Sprintf("That file is larger than %d KB; a tenant check is a few kilobytes.", maxCheckUpload>>10))
		case errors.As(err, &pe): // a temporary file for the upload: ours
			return fmt.Errorf("keep the uploaded check: %w", err)
		}
		// Not a multipart form, or one cut off or malformed: the client's.
		return uploadErr("Choose the JSON file that enrollplan check-tenant printed, then upload it.")
	}
	defer r.MultipartForm.RemoveAll()
	f, _, err := r.FormFile("check")
	if err != nil {
		return uploadErr("Choose the JSON file that enrollplan check-tenant printed, then upload it.")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCheckUpload+1))
	if err != nil { // the parsed form is in memory or a temporary file: a failure is ours
		return fmt.Errorf("read the uploaded check: %w", err)
	}
	if len(data) > maxCheckUpload {
		return statusError(http.StatusRequestEntityTooLarge, fmt.Sprintf("That file is larger than %d KB; a tenant check is a few kilobytes.", maxCheckUpload>>10))
	}
	tc, err := plan.DecodeTenantCheck(data)
	if err != nil {
		var ve *plan.ValidationError
		msg := "That file is not a tenant check: upload the JSON that enrollplan check-tenant printed."
		if errors.As(err, &ve) && len(ve.Errors) > 0 && ve.For("schema") == "" && ve.For("answers") == "" {
			msg = "That tenant check could not be read: " + ve.Errors[0].Field + " " + ve.Errors[0].Message + "."
		}
		return uploadErr(msg)
	}
	if d.ID == "" { // the upload makes the planner's draft
		if err := s.takeCreate(w, r); err != nil {
			return err
		}
	}
	applyCheck(d, tc)
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, stepURL(stepOrg)+"#tenant-check", http.StatusSeeOther)
	return nil
}

// handleCheckStart is POST /wizard/tenant-check: the server reads the tenant
// with its own application credentials, for a client in the admin networks
// only; anyone else finds nothing here. The readings run in the background
// and land in the draft; the progress page shows them as they come.
func (s *Server) handleCheckStart(w http.ResponseWriter, r *http.Request) error {
	if !s.offersAppCheck(r) {
		return errNoAppCheck
	}
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	return s.startCheck(w, r, d, s.checker)
}

// errNoAppCheck answers a start of the server's own check where it is not
// offered: the same page whether the server has credentials or not.
var errNoAppCheck = statusError(http.StatusNotFound, "This server does not read tenants for you here; run enrollplan check-tenant and upload the file it prints instead.")

// offersAppCheck reports whether the client may use the server's own
// Graph credentials: the operator turned the check on (s.checker) and the
// client's address, as the trusted-proxies logic settled it, is in an
// admin network. An address that could not be settled is nobody's.
func (s *Server) offersAppCheck(r *http.Request) bool {
	if s.checker == nil || len(s.admins) == 0 {
		return false
	}
	addr := middleware.GetClientIPAddr(r.Context())
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap().WithZone("")
	for _, p := range s.admins {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// DefaultMaxChecks is how many tenant checks a server runs at once unless
// told otherwise (ENROLLPLAN_MAX_CHECKS).
const DefaultMaxChecks = 4

// checkRetryAfter is when a planner refused for want of a free check is
// told to try again: a check reads in seconds, and at most checkTimeout.
const checkRetryAfter = 30 * time.Second

// checkBounds are the checks this process runs: at most one per draft (a
// claim held for the whole check), and at most cap(slots) at once.
type checkBounds struct {
	slots chan struct{}

	mu     sync.Mutex
	drafts map[string]bool // drafts with a check running here
}

func newCheckBounds(n int) *checkBounds {
	return &checkBounds{slots: make(chan struct{}, max(n, 1)), drafts: map[string]bool{}}
}

// claim marks draft id's check as running here; false when one already is.
func (b *checkBounds) claim(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drafts[id] {
		return false
	}
	b.drafts[id] = true
	return true
}

func (b *checkBounds) unclaim(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.drafts, id)
}

// take takes a free slot without waiting; false when all are in use.
func (b *checkBounds) take() bool {
	select {
	case b.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (b *checkBounds) give() { <-b.slots }

// errChecksBusy answers a start when every slot is in use.
func (s *Server) errChecksBusy() error {
	secs := int(checkRetryAfter / time.Second)
	return &httpError{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": strconv.Itoa(secs)},
		msg: fmt.Sprintf("This server is already reading as many tenants as it reads at once (%d). Try again in %d seconds; your answers are kept. You can also run enrollplan check-tenant yourself and upload the file it prints.", cap(s.running.slots), secs)}
}

// startCheck runs checker for draft d in the background and sends the
// planner to the progress page. Every way of starting a check (the
// server's own credentials, a visitor signed in with Microsoft) comes
// through here, so the bounds on checks hold for all of them: one running
// check per draft (the draft's state for every replica, and a claim in
// this process for starts that arrive together), at most MaxChecks at once
// on the server, and each counted against the create limit.
func (s *Server) startCheck(w http.ResponseWriter, r *http.Request, d *draft, checker TenantChecker) error {
	underWay := func() error {
		http.Redirect(w, r, "/wizard/tenant-check", http.StatusSeeOther)
		return nil
	}
	if d.Check != nil && d.Check.State == "running" && s.now().Sub(d.Check.Started) < checkTimeout {
		return underWay() // another replica, or an earlier start here
	}
	// A new draft's id is made when it is first saved, and no other
	// request can know it before this one answers: it is claimed then.
	fresh := d.ID == ""
	if !fresh && !s.running.claim(d.ID) {
		return underWay()
	}
	started := false
	defer func() {
		if !started && !fresh {
			s.running.unclaim(d.ID)
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
	if err := s.takeCreate(w, r); err != nil { // a check is work done for the client (and maybe a new draft)
		return err
	}
	d.Check = &checkRun{State: "running", Started: s.now(), Findings: []plan.Finding{}}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	if fresh {
		s.running.claim(d.ID)
	}
	started = true
	id, reqID := d.ID, reqIDOf(r)
	s.checks.Go(func() {
		defer s.running.unclaim(id)
		defer s.running.give()
		s.runCheck(checker, id, reqID)
	})
	return underWay()
}

// checkFailedText is what the planner reads when their check failed: what
// to do, never the sign-in or network error itself, which goes to the log
// under the request id of the post that started the check.
const checkFailedText = "The tenant could not be read. Try again in a few minutes. If it fails again, ask whoever runs this server to look at its log, or run enrollplan check-tenant yourself and upload the file it prints."

// runCheck reads the tenant for a draft, saving each finding as it
// arrives. reqID is the id of the request that started it, for the log.
func (s *Server) runCheck(checker TenantChecker, draftID, reqID string) {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	log := s.log.With("request_id", reqID)
	update := func(f func(d *draft)) {
		if err := s.updateDraft(ctx, draftID, f); err != nil {
			log.Warn("tenant check: saving progress failed", "err", err)
		}
	}
	fail := func(d *draft) {
		if d.Check == nil {
			d.Check = &checkRun{}
		}
		d.Check.State, d.Check.Error = "failed", checkFailedText
	}
	defer func() {
		// Outside any request, nothing else would catch a panic: it would
		// end the server.
		if v := recover(); v != nil {
			log.Error("tenant check panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			update(fail)
		}
	}()
	tc, err := checker.Check(ctx, func(f plan.Finding) {
		update(func(d *draft) {
			if d.Check != nil {
				d.Check.Findings = append(d.Check.Findings, f)
			}
		})
	})
	read := readSomething(tc)
	update(func(d *draft) {
		if d.Check == nil {
			d.Check = &checkRun{}
		}
		if tc != nil && len(tc.Findings) > 0 {
			d.Check.Findings = tc.Findings
		}
		switch {
		case err == nil && read:
			d.Check.State = "done"
			applyCheck(d, tc)
		case tc != nil && len(tc.Findings) > 0 && !read:
			// Every reading failed or was refused: the findings say
			// which, and which permission was missing; nothing was filled in.
			d.Check.State, d.Check.Error = "failed", checkReadNothingText
		default:
			fail(d)
		}
	})
	switch {
	case err != nil:
		log.Warn("tenant check failed", "err", err)
	case !read:
		log.Warn("tenant check read nothing")
	}
}

// checkReadNothingText is what the planner reads when the check ran but
// every reading came back unreadable.
const checkReadNothingText = "Nothing could be read from the tenant: every reading below came back unreadable, so step 1 was not filled in. Where a reading names a permission, the sign-in lacks it; otherwise try again in a few minutes, or run enrollplan check-tenant yourself and upload the file it prints."

// readSomething reports whether a check established anything: at least
// one finding other than unknown.
func readSomething(tc *plan.TenantCheck) bool {
	if tc == nil {
		return false
	}
	for _, f := range tc.Findings {
		if f.Status != plan.FindingUnknown {
			return true
		}
	}
	return false
}

// updateDraft applies f to the stored draft id and saves it.
func (s *Server) updateDraft(ctx context.Context, id string, f func(d *draft)) error {
	d, err := s.draftByID(ctx, id)
	if err != nil {
		return err
	}
	f(d)
	return s.storeDraft(ctx, d)
}

// handleCheckProgress is GET /wizard/tenant-check: the readings so far. The
// page refreshes itself while the check runs, so it works without JavaScript.
func (s *Server) handleCheckProgress(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	v := pages.CheckProgressView{Head: s.head("Reading your tenant", false)}
	switch {
	case d.Check == nil:
		http.Redirect(w, r, stepURL(stepOrg), http.StatusSeeOther)
		return nil
	case d.Check.State == "running" && s.now().Sub(d.Check.Started) > checkTimeout+30*time.Second:
		d.Check.State, d.Check.Error = "failed", "The check took too long and was stopped."
	}
	v.State, v.Findings, v.Error = d.Check.State, d.Check.Findings, d.Check.Error
	v.Head.Refresh = d.Check.State == "running"
	switch d.Check.State {
	case "running":
	case "done":
		v.Head = s.head("Your tenant was read", false)
	default:
		v.Head = s.head("The tenant could not be read", false)
		if v.Error == "" { // a state this version does not know: never shown as done
			v.State, v.Error = "failed", checkFailedText
		}
	}
	return s.render(w, r, http.StatusOK, pages.CheckProgressPage(v))
}
