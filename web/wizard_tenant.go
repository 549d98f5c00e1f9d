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
	"time"

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
// with its own application credentials. The readings run in the background
// and land in the draft; the progress page shows them as they come.
func (s *Server) handleCheckStart(w http.ResponseWriter, r *http.Request) error {
	if s.checker == nil {
		return statusError(http.StatusNotFound, "This server is not set up to read tenants; run enrollplan check-tenant and upload its file instead.")
	}
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	return s.startCheck(w, r, d, s.checker)
}

// startCheck runs checker for draft d in the background and sends the
// planner to the progress page. Every way of starting a check (the
// server's own credentials, a visitor signed in with Microsoft) comes
// through here, so the bounds on checks hold for all of them.
func (s *Server) startCheck(w http.ResponseWriter, r *http.Request, d *draft, checker TenantChecker) error {
	if d.Check != nil && d.Check.State == "running" && s.now().Sub(d.Check.Started) < checkTimeout {
		http.Redirect(w, r, "/wizard/tenant-check", http.StatusSeeOther) // already under way
		return nil
	}
	if err := s.takeCreate(w, r); err != nil { // a check is work done for the client (and maybe a new draft)
		return err
	}
	d.Check = &checkRun{State: "running", Started: s.now(), Findings: []plan.Finding{}}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	s.checks.Go(func() { s.runCheck(checker, d.ID, reqIDOf(r)) })
	http.Redirect(w, r, "/wizard/tenant-check", http.StatusSeeOther)
	return nil
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
	update(func(d *draft) {
		if tc != nil && len(tc.Findings) > 0 {
			if d.Check == nil {
				d.Check = &checkRun{}
			}
			d.Check.State, d.Check.Findings = "done", tc.Findings
			applyCheck(d, tc)
			return
		}
		fail(d)
	})
	if tc == nil || len(tc.Findings) == 0 {
		log.Warn("tenant check failed", "err", err)
	}
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
	return s.render(w, r, http.StatusOK, pages.CheckProgressPage(v))
}
