package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

func (s *Server) planView(r *http.Request, d *draft, p *plan.Plan) pages.PlanView {
	return pages.PlanView{Head: s.planHead("Your plan", false), Nav: s.nav(r, d, stepPlan), Plan: p, PrintURL: "/wizard/print", Date: s.now().Format(time.DateOnly),
		Downloads: []pages.Link{{Label: "Markdown", URL: "/wizard/plan.md"}, {Label: "CSV", URL: "/wizard/plan.csv"}, {Label: "JSON", URL: "/wizard/plan.json"}}}
}

// handlePlanGet is GET /wizard/plan.
func (s *Server) handlePlanGet(w http.ResponseWriter, r *http.Request) error {
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
		_, p, ok, err := s.draftPlan(w, r)
		if !ok || err != nil {
			return err
		}
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="enrollment-plan.%s"`, format))
		return writeFormat(w, p, format)
	}
}

// handlePrint is GET /wizard/print: the plan document without site chrome.
func (s *Server) handlePrint(w http.ResponseWriter, r *http.Request) error {
	_, p, ok, err := s.draftPlan(w, r)
	if !ok || err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, pages.PrintPage(pages.PrintView{Plan: p, Date: s.now().Format(time.DateOnly), StyleURL: s.assets.URL("css/plan.css")}))
}

// handleSave is POST /wizard/save. A new plan's page is rendered in the
// response rather than redirected to, because it carries the edit key,
// which must appear once and never be stored anywhere but as a hash.
func (s *Server) handleSave(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepPlan)
	if !ok || err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	p, err := s.cat.Build(d.Answers)
	if err != nil {
		return s.sendBack(w, r, stepDevices)
	}
	if d.PlanID == "" {
		c, err := s.createPlan(r, d.Answers)
		if err != nil {
			return err
		}
		d.PlanID, d.Revision = c.ID, c.Revision
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
		v := s.planView(r, d, p)
		v.Saved = &pages.Saved{ShareURL: c.URL, EditURL: c.EditURL, Revision: c.Revision}
		return s.render(w, r, http.StatusOK, pages.PlanPage(v))
	}
	latest, err := s.store.GetPlan(r.Context(), d.PlanID)
	if err != nil {
		return err
	}
	expected := d.Revision
	if r.PostForm.Get("force") == "1" {
		expected = latest.Revision // the planner saw the conflict and chose to save on top
	}
	data, err := json.Marshal(d.Answers)
	if err != nil {
		return err
	}
	if expected == latest.Revision && bytes.Equal(data, latest.Answers) {
		http.Redirect(w, r, fmt.Sprintf("%s?saved=%d", stepURL(stepPlan), latest.Revision), http.StatusSeeOther) // nothing changed
		return nil
	}
	updated, err := s.store.UpdatePlan(ctxWithoutCancel(r.Context()), store.Update{ID: d.PlanID, ExpectedRevision: expected, Answers: data, Ruleset: s.cat.Ruleset})
	if errors.Is(err, store.ErrConflict) {
		v := s.planView(r, d, p)
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
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("%s?saved=%d", stepURL(stepPlan), updated.Revision), http.StatusSeeOther)
	return nil
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
	a, err := s.cat.DecodeAnswers(latest.Answers)
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

// handleNew is POST /wizard/new: start a fresh plan.
func (s *Server) handleNew(w http.ResponseWriter, r *http.Request) error {
	if old := s.sessionDraftID(r); old != "" {
		if err := s.store.DeleteDraft(r.Context(), old); err != nil {
			return err
		}
	}
	d := newDraft()
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, stepURL(stepOrg), http.StatusSeeOther)
	return nil
}

// handleEditLink is GET /p/{id}/edit?key=…: the edit link loads the saved
// plan into a draft, then redirects so the key leaves the address bar.
func (s *Server) handleEditLink(w http.ResponseWriter, r *http.Request) error {
	sp, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	capabilityHeaders(w)
	if !store.KeyMatches(sp.EditKeyHash, r.URL.Query().Get("key")) {
		return statusError(http.StatusForbidden, "This edit link is not valid for this plan. Check that you copied the whole link; the read-only link cannot be used to edit.")
	}
	a, err := s.cat.DecodeAnswers(sp.Answers)
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

// handleSharePrint is GET /p/{id}/print: the print view of a shared plan.
func (s *Server) handleSharePrint(w http.ResponseWriter, r *http.Request) error {
	sp, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	p, err := s.storedPlan(sp)
	if err != nil {
		return err
	}
	capabilityHeaders(w)
	return s.render(w, r, http.StatusOK, pages.PrintPage(pages.PrintView{Plan: p, Date: sp.SavedAt.UTC().Format(time.DateOnly), StyleURL: s.assets.URL("css/plan.css")}))
}

// handleHome is GET /: start or resume a plan.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	v := pages.StartView{Head: s.head("Plan your Intune enrollment", false)}
	if d, err := s.loadDraft(r); err == nil && d != nil && (d.Reached > 1 || d.Answers.Organization != "") {
		v.ResumeStep = d.Reached
		v.ResumeURL = stepURL(d.Reached)
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, pages.StartPage(v))
}
