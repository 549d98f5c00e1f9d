package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

func (s *Server) planView(r *http.Request, d *draft, p *plan.Plan) pages.PlanView {
	return pages.PlanView{Head: s.planHead("Your plan", false), Nav: s.nav(r, d, stepPlan), Plan: p, PrintURL: "/wizard/print", Date: s.now().Format(time.DateOnly),
		Downloads: []pages.Link{{Label: "Markdown", URL: "/wizard/plan.md"}, {Label: "CSV", URL: "/wizard/plan.csv"}, {Label: "JSON", URL: "/wizard/plan.json"}}}
}

// handlePlanGet is GET /wizard/plan: from the cache of rendered pages
// (plan_page_cache.go) unless a query asks for a message on it.
func (s *Server) handlePlanGet(w http.ResponseWriter, r *http.Request) error {
	if r.URL.RawQuery == "" {
		return s.servePlanPage(w, r)
	}
	d, p, ok, err := s.draftPlan(w, r)
	if !ok || err != nil {
		return err
	}
	v := s.planView(r, d, p)
	if rev, err := strconv.Atoi(r.URL.Query().Get("saved")); err == nil && d.PlanID != "" {
		v.Saved = &pages.Saved{ShareURL: s.shareURL(r, d.PlanID), Revision: rev}
	}
	return s.render(w, r, http.StatusOK, pages.PlanPage(v))
}

// handlePlanDownload is GET /wizard/plan.{md,csv,json}.
func (s *Server) handlePlanDownload(format string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, p, ok, err := s.draftPlan(w, r)
		if !ok || err != nil {
			return err
		}
		setFileName(w, "attachment", exportName(p.Organization, s.draftLabel(r, d), format))
		return writeFormat(w, p, format)
	}
}

// handlePrint is GET /wizard/print: the plan document without site chrome,
// named like the downloads should the browser save it.
func (s *Server) handlePrint(w http.ResponseWriter, r *http.Request) error {
	d, p, ok, err := s.draftPlan(w, r)
	if !ok || err != nil {
		return err
	}
	label, rev := s.draftLabel(r, d), 0
	if label != "draft" {
		rev = d.Revision
	}
	setFileName(w, "inline", exportName(p.Organization, label, "html"))
	return s.render(w, r, http.StatusOK, pages.PrintPage(s.printScreen(p, s.now().Format(time.DateOnly), label, rev, stepURL(stepPlan), "Back to your plan")))
}

// handleSave is POST /wizard/save. A new plan's page is rendered in the
// response rather than redirected to, because it carries the edit key,
// which is shown, never stored anywhere but as a hash.
func (s *Server) handleSave(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepPlan)
	if !ok || err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	rn, problems := readRevisionNote(r.PostForm.Get("note"), r.PostForm.Get("by"))
	if len(problems) > 0 {
		return s.refuseNote(w, r, d, problems)
	}
	// Submits of one draft take turns here, and each reads the draft again
	// on its turn (draftTurns); across replicas, the store makes one plan
	// of one draft (createDraftPlan).
	turn, held := s.saves.take(r.Context(), d.ID)
	defer s.saves.done(turn, held)
	if !held {
		return r.Context().Err() // the client gave up waiting
	}
	if again, err := s.draftByID(r.Context(), d.ID); err == nil {
		d = again
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	p, err := s.build(r.Context(), d.Answers)
	if err != nil {
		return s.notBuilt(w, r, err, stepDevices)
	}
	// Encoded as createPlan and the API store answers, so that a submit
	// that changed nothing compares equal to what was stored.
	data, err := marshalAnswers(d.Answers)
	if err != nil {
		return err
	}
	sv := &saving{d: d, p: p, data: data, rn: rn}
	if d.PlanID != "" {
		err := s.saveRevision(w, r, sv)
		if !errors.Is(err, store.ErrGone) {
			return err
		}
		// The plan was revoked: its links open nothing any more, and no
		// revision can follow it. The planner's answers are still here:
		// they become a new plan, with new links.
		sv.note = "The plan these answers were saved as before was revoked, and its links no longer open anything, so this is a new plan with new links."
		d.PlanID, d.Revision = "", 0
	}
	return s.saveNewPlan(w, r, sv)
}

// saving is one Save & share submit.
type saving struct {
	d    *draft
	p    *plan.Plan // built from d's answers
	data []byte     // d's answers as stored
	rn   revisionNote
	note string // for the planner, beside the links
	// adopted: d's plan was just found made from d by another submit,
	// which did not record it in the draft (yet).
	adopted bool
}

// saveNewPlan makes a new plan of the draft and answers with its links.
func (s *Server) saveNewPlan(w http.ResponseWriter, r *http.Request, sv *saving) error {
	d := sv.d
	c, err := s.createDraftPlan(r, d, sv.data, sv.p, sv.rn)
	var made *store.DraftSavedError
	if errors.As(err, &made) {
		// Another submit of this draft, on another replica or before this
		// one could read the draft it updated, made the plan: answer as
		// for a repeated submit.
		d.PlanID, d.Revision, sv.adopted = made.PlanID, 1, true
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
		return s.saveRevision(w, r, sv)
	}
	if err != nil {
		return err
	}
	d.PlanID, d.Revision = c.ID, c.Revision
	s.keepDeviceList(r.Context(), d, c.ID) // a kept device list goes with the plan (wizard_inventory.go)
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	return s.renderSaved(w, r, sv, c)
}

// saveRevision saves the draft's answers as a revision of its plan:
// nothing when they are what the revision it was loaded at holds, and a
// conflict page when someone else has saved since. ErrGone when the plan
// was revoked; nothing is written to w then.
func (s *Server) saveRevision(w http.ResponseWriter, r *http.Request, sv *saving) error {
	d := sv.d
	latest, err := s.store.GetPlan(r.Context(), d.PlanID)
	if err != nil {
		return err
	}
	expected := d.Revision
	if r.PostForm.Get("force") == "1" {
		expected = latest.Revision // the planner saw the conflict and chose to save on top
	}
	if expected == latest.Revision && bytes.Equal(sv.data, latest.Answers) {
		if latest.Revision == 1 && d.Revision == 1 {
			// Nothing changed since the plan was made: when this draft
			// made it, this is a repeat of that Save & share (a double
			// click, a retry, two replicas), answered with the same page.
			if c, ours := s.draftPlanLinks(r, d.ID, latest); ours || sv.adopted {
				return s.renderSaved(w, r, sv, c)
			}
		}
		http.Redirect(w, r, fmt.Sprintf("%s?saved=%d", stepURL(stepPlan), latest.Revision), http.StatusSeeOther) // nothing changed
		return nil
	}
	updated, err := s.updatePlan(ctxWithoutCancel(r.Context()), store.Update{ID: d.PlanID, ExpectedRevision: expected, Answers: sv.data, Ruleset: s.cat.Ruleset, Note: sv.rn.Note, By: sv.rn.By}, sv.p)
	if errors.Is(err, store.ErrConflict) {
		v := s.planView(r, d, sv.p)
		v.Note = pages.NoteForm{Note: sv.rn.Note, By: sv.rn.By} // carried by the "save anyway" form
		v.Stale = &pages.Stale{YourRevision: d.Revision, LatestRevision: latest.Revision, ShareURL: s.shareURL(r, d.PlanID)}
		if fresh, gerr := s.store.GetPlan(r.Context(), d.PlanID); gerr == nil {
			v.Stale.LatestRevision = fresh.Revision
		}
		return s.render(w, r, http.StatusConflict, pages.PlanPage(v))
	}
	if err != nil {
		return err
	}
	d.Revision = updated.Revision
	s.keepDeviceList(r.Context(), d, d.PlanID) // a kept device list goes with the revision (wizard_inventory.go)
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("%s?saved=%d", stepURL(stepPlan), updated.Revision), http.StatusSeeOther)
	return nil
}

// refuseNote answers a save whose change note or name cannot be kept with
// the plan page again, what was typed in its fields and the error beside
// each; nothing is saved.
func (s *Server) refuseNote(w http.ResponseWriter, r *http.Request, d *draft, problems []noteProblem) error {
	p, err := s.build(r.Context(), d.Answers)
	if err != nil {
		return s.notBuilt(w, r, err, stepDevices)
	}
	v := s.planView(r, d, p)
	v.Note = pages.NoteForm{Note: r.PostForm.Get("note"), By: r.PostForm.Get("by")}
	for _, pr := range problems {
		if pr.field == "note" {
			v.Note.NoteError = pr.formErr()
		} else {
			v.Note.ByError = pr.formErr()
		}
	}
	return s.render(w, r, http.StatusUnprocessableEntity, pages.PlanPage(v))
}

// renderSaved answers a Save & share that made plan c (or repeated the
// one that did) with the plan and its links.
func (s *Server) renderSaved(w http.ResponseWriter, r *http.Request, sv *saving, c createdPlan) error {
	v := s.planView(r, sv.d, sv.p)
	v.Saved = &pages.Saved{ShareURL: c.URL, EditURL: c.EditURL, TrackerURL: c.TrackerURL, Revision: c.Revision, Note: sv.note}
	if c.EditURL == "" {
		// Made with a session key the server no longer has: the key
		// cannot be made again.
		v.Saved.Note = strings.TrimSpace(v.Saved.Note + " This plan was already saved from this browser: its edit link was shown then, on the first save, and cannot be shown again. This browser can still save new revisions of it.")
	}
	w.Header().Set("Cache-Control", "no-store") // the edit key must not be cached anywhere
	return s.render(w, r, http.StatusOK, pages.PlanPage(v))
}

// handleReload is POST /wizard/reload: replace the draft with the latest
// saved revision after a conflict.
func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepPlan)
	if !ok || err != nil {
		return err
	}
	if d.PlanID == "" {
		http.Redirect(w, r, stepURL(stepPlan), http.StatusSeeOther)
		return nil
	}
	latest, err := s.store.GetPlan(r.Context(), d.PlanID)
	if err != nil {
		return err
	}
	a, err := s.storedAnswers(latest)
	if err != nil {
		return err
	}
	d.Answers, d.Revision = a, latest.Revision
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, stepURL(stepPlan), http.StatusSeeOther)
	return nil
}

// handleNew is POST /wizard/new: start a fresh plan, empty, from a starting
// fleet (template=name) or from a device inventory (start=inventory). The
// form is read before the old draft goes, so a form the start page does not
// offer (a 400) leaves the planner's draft alone.
func (s *Server) handleNew(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(r); err != nil {
		return err
	}
	d := newDraft()
	target := stepURL(stepOrg)
	switch fleet, start := r.PostForm.Get("template"), r.PostForm.Get("start"); {
	case fleet != "":
		var err error
		if target, err = s.startFromFleet(d, fleet); err != nil {
			return err
		}
	case start == "inventory":
		target = inventoryURL
	case start != "":
		return errUnknownStart
	}
	if old := s.sessionDraftID(r); old != "" {
		if err := s.store.DeleteDraft(r.Context(), old); err != nil {
			return err
		}
	}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// handleEditLink is GET /p/{id}/edit: a page that names the plan and asks
// before opening it for editing. It changes nothing, so a link another site
// makes a browser follow does no harm. Older links carried the key as
// ?key=; the page takes it into its form, where it is posted, not kept.
func (s *Server) handleEditLink(w http.ResponseWriter, r *http.Request) error {
	sp, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	return s.renderEditPage(w, r, sp, r.URL.Query().Get("key"), "", http.StatusOK)
}

func (s *Server) renderEditPage(w http.ResponseWriter, r *http.Request, sp store.Plan, key, msg string, status int) error {
	v := pages.EditView{Head: s.head("Edit a saved plan", true), ID: sp.ID, Revision: sp.Revision, SavedAt: sp.SavedAt.UTC().Format("2 Jan 2006 15:04 UTC"), Key: key, Error: msg}
	if a, err := s.cat.DecodeAnswers(sp.Answers); err == nil {
		v.Organization = a.Organization
	}
	if d, err := s.loadDraft(r); err == nil && d != nil && d.PlanID != sp.ID && len(d.Answers.Populations) > 0 {
		v.DraftOrg, v.DraftStep = d.Answers.Organization, d.Reached
	}
	if msg != "" {
		v.Head.Title = "Error: " + v.Head.Title
	}
	capabilityHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, pages.EditPage(v))
}

// handleEditOpen is POST /p/{id}/edit: with the right key, the saved plan
// replaces this browser's draft and the wizard opens on it.
func (s *Server) handleEditOpen(w http.ResponseWriter, r *http.Request) error {
	sp, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	key := strings.TrimSpace(r.PostForm.Get("key"))
	if !store.KeyMatches(sp.EditKeyHash, key) {
		return s.renderEditPage(w, r, sp, "", "This key does not open this plan. Copy the whole edit link, or the part after #key=; the read-only link cannot be used to edit.", http.StatusForbidden)
	}
	a, err := s.storedAnswers(sp)
	if err != nil {
		return err
	}
	d := &draft{Answers: a, Reached: stepPlan, PlanID: sp.ID, Revision: sp.Revision}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, stepURL(stepPlan), http.StatusSeeOther)
	return nil
}

// handleHome is GET /: start or resume a plan.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	v := pages.StartView{Head: s.head("Plan your Intune enrollment", false), Fleets: fleetChoices()}
	if d, err := s.loadDraft(r); err == nil && d != nil && (d.Reached > 1 || d.Answers.Organization != "") {
		v.ResumeStep = d.Reached
		v.ResumeURL = stepURL(d.Reached)
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, pages.StartPage(v))
}
