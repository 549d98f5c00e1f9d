package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// Step 3 is one review page for what were steps 3 (enrollment method) and 4
// (factory reset): it shows each population's method and reset and asks
// nothing unless the planner opens a choice (issue 18).

// recommendations builds the plan with every method left to the engine, so
// the page can offer the recommendation beside the planner's choice; it is
// p itself when no method was chosen.
func (s *Server) recommendations(ctx context.Context, a plan.Answers, p *plan.Plan) (*plan.Plan, error) {
	free := a
	free.Populations = slices.Clone(a.Populations)
	chosen := false
	for i := range free.Populations {
		if m := free.Populations[i].Method; m != plan.MethodMAMWE && m != "" {
			free.Populations[i].Method = ""
			chosen = true
		}
	}
	if !chosen && p != nil {
		return p, nil
	}
	return s.build(ctx, free)
}

// asksInUse reports whether step 2 asks a saved population whether its
// devices are new, which is what the review's "Change the reset decision"
// offers.
func asksInUse(p plan.Population) bool {
	enroll := "enroll"
	if !p.Enrolls() {
		enroll = "app"
	}
	return pages.AskInUse.Holds(func(f string) string {
		return map[string]string{"platform": p.Platform, "ownership": p.Ownership, "usage": p.EffectiveUsage(), "enroll": enroll}[f]
	})
}

// inUseWord is a population's answer to "new or already in use?" as the form writes it.
func inUseWord(v *bool) string {
	switch {
	case v == nil:
		return "unsure"
	case *v:
		return "in-use"
	}
	return "new"
}

// resetVerdict says in words whether a population's devices are wiped.
func resetVerdict(pp plan.PopulationPlan) string {
	switch {
	case pp.FactoryReset.Required && pp.InUse:
		return "Factory reset required: these devices are in use"
	case pp.FactoryReset.Required:
		return "No factory reset: the method needs new or wiped devices, and these are new"
	}
	return "No factory reset needed"
}

// reviewView is step 3's page: p is the plan of the draft's answers, rec the
// same with every method left to the engine.
func (s *Server) reviewView(r *http.Request, d *draft, p, rec *plan.Plan, errs pages.FormErrors) pages.ReviewView {
	v := pages.ReviewView{Head: s.head(pages.WizardSteps[stepReview-1].Title, false), Nav: s.nav(r, d, stepReview), Errors: errs, Overview: p.ResetOverview}
	if r.URL.Query().Has("updated") && v.Nav.Flash == "" {
		v.Nav.Flash = "Saved. Check the groups whose answers changed, then continue."
	}
	for i, pp := range p.Populations {
		in := d.Answers.Populations[i]
		rp := rec.Populations[i]
		pop := pages.ReviewPop{Index: i, ID: pp.ID, Name: pp.Name, PlatformName: pp.PlatformName, Devices: pp.Devices, AppOnly: !pp.Enroll,
			Method: pp.Method.Name, Recommended: pp.Method.ID == rp.Method.ID, MethodWhy: pp.Method.Why,
			ResetNeeded: pp.FactoryReset.Required && pp.InUse, Reset: resetVerdict(pp), ResetWhy: pp.FactoryReset.Why,
			AsksInUse: asksInUse(in), InUse: inUseWord(in.InUse)}
		if !pop.Recommended {
			pop.MethodWhy = fmt.Sprintf("Chosen here in place of the recommendation, %s.", rp.Method.Name)
		}
		pop.Assumed = in.InUse == nil && slices.ContainsFunc(p.Summary.Assumptions, func(a plan.Assumption) bool { return a.Population == pp.ID && a.Field == "in_use" })
		for _, st := range pp.Steps {
			if st.Kind == plan.KindLeaveMDM {
				pop.LeaveSteps++
			}
		}
		if pp.Enroll {
			chosen := pp.Method.ID
			pop.Options = append(pop.Options, pages.MethodOption{ID: rp.Method.ID, Name: rp.Method.Name, Text: rp.Method.Why, Fits: true, Recommended: rp.Method.Recommended, Selected: chosen == rp.Method.ID})
			for _, a := range slices.Concat(rp.Alternatives, rp.Unsuitable) {
				if m := s.cat.Method(a.ID); m == nil || !m.Enrolls {
					continue // app protection is chosen in step 2
				}
				pop.Options = append(pop.Options, pages.MethodOption{ID: a.ID, Name: a.Name, Text: a.WhyNot, Fits: a.Fits, Selected: chosen == a.ID})
			}
			pop.MethodOpen = !pop.Recommended || errs.For(fmt.Sprintf("populations[%d].method", i)) != ""
		}
		v.Pops = append(v.Pops, pop)
	}
	return v
}

// reviewPlans builds the draft's plan and its recommendations; ok is false
// when the planner was sent back to fix step 2's answers.
func (s *Server) reviewPlans(w http.ResponseWriter, r *http.Request, a plan.Answers) (p, rec *plan.Plan, ok bool, err error) {
	if p, err = s.build(r.Context(), a); err == nil {
		rec, err = s.recommendations(r.Context(), a, p)
	}
	if err != nil {
		return nil, nil, false, s.notBuilt(w, r, err, stepDevices)
	}
	return p, rec, true, nil
}

// handleReviewGet is GET /wizard/review.
func (s *Server) handleReviewGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepReview)
	if !ok || err != nil {
		return err
	}
	p, rec, ok, err := s.reviewPlans(w, r, d.Answers)
	if !ok {
		return err
	}
	return s.render(w, r, http.StatusOK, pages.ReviewPage(s.reviewView(r, d, p, rec, nil)))
}

// handleReviewPost is POST /wizard/review: the methods and the answers to
// "new or in use?" the planner changed, in one form. A method left on the
// recommendation follows it, also when the answers change it later; a field
// not sent (the older reset step's form) keeps its answer. When a changed
// answer changes what the page said, the page comes back to say it.
func (s *Server) handleReviewPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepReview)
	if !ok || err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	shown, shownRec, ok, err := s.reviewPlans(w, r, d.Answers)
	if !ok {
		return err
	}
	var errs pages.FormErrors
	changed := false
	for i := range d.Answers.Populations {
		pop := &d.Answers.Populations[i]
		field := fmt.Sprintf("populations[%d].in_use", i)
		if !r.PostForm.Has(field) || !asksInUse(*pop) {
			continue
		}
		var v *bool
		switch r.PostForm.Get(field) {
		case "new":
			v = ptr(false)
		case "in-use":
			v = ptr(true)
		case "unsure":
		default:
			errs = append(errs, pages.FormError{Field: field, Message: "Choose whether the devices are new or already in use", Where: shown.Populations[i].Name})
			continue
		}
		if inUseWord(v) != inUseWord(pop.InUse) {
			pop.InUse, changed = v, true
		}
	}
	rec := shownRec
	if changed {
		if rec, err = s.recommendations(r.Context(), d.Answers, nil); err != nil {
			return s.notBuilt(w, r, err, stepDevices)
		}
	}
	for i, rp := range rec.Populations {
		field := fmt.Sprintf("populations[%d].method", i)
		if !rp.Enroll || !r.PostForm.Has(field) {
			continue
		}
		choice := r.PostForm.Get(field)
		switch {
		case choice == shownRec.Populations[i].Method.ID || choice == rp.Method.ID:
			d.Answers.Populations[i].Method = "" // follow the recommendation, also when answers change later
		case slices.ContainsFunc(slices.Concat(rp.Alternatives, rp.Unsuitable), func(a plan.Alternative) bool { return a.ID == choice && a.ID != plan.MethodMAMWE }):
			d.Answers.Populations[i].Method = choice
		default:
			errs = append(errs, pages.FormError{Field: field, Message: "Choose how these devices enroll", Where: rp.Name})
		}
	}
	if len(errs) > 0 {
		return s.renderStep(w, r, errs, pages.ReviewPage(s.reviewView(r, d, shown, shownRec, errs)))
	}
	if !changed {
		return s.advance(w, r, d, stepReview)
	}
	p, err := s.build(r.Context(), d.Answers)
	if err != nil {
		return s.notBuilt(w, r, err, stepDevices)
	}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	for i, pp := range p.Populations {
		was := shown.Populations[i]
		if pp.Method.ID != was.Method.ID || resetVerdict(pp) != resetVerdict(was) {
			http.Redirect(w, r, stepURL(stepReview)+"?updated=1", http.StatusSeeOther)
			return nil
		}
	}
	return s.advance(w, r, d, stepReview)
}

// handleOldReviewStep answers the addresses of steps 3 (method) and 4
// (factory reset) before they became one review page: a page asked for goes
// to the review (303); a form posted from a page still open in a tab is
// posted there again (308), where a field it lacks keeps its answer.
func (s *Server) handleOldReviewStep(w http.ResponseWriter, r *http.Request) error {
	code := http.StatusSeeOther
	if r.Method == http.MethodPost {
		code = http.StatusPermanentRedirect
	}
	http.Redirect(w, r, stepURL(stepReview), code)
	return nil
}
