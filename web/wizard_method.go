package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// recommendations builds the plan with every method left to the engine, so
// the page can show the recommendation next to the planner's choice.
func (s *Server) recommendations(ctx context.Context, a plan.Answers) (*plan.Plan, error) {
	free := a
	free.Populations = slices.Clone(a.Populations)
	for i := range free.Populations {
		if free.Populations[i].Method != plan.MethodMAMWE {
			free.Populations[i].Method = ""
		}
	}
	return s.build(ctx, free)
}

func (s *Server) methodView(r *http.Request, d *draft, rec *plan.Plan, errs pages.FormErrors) pages.MethodView {
	v := pages.MethodView{Head: s.head(pages.WizardSteps[2].Title, false), Nav: s.nav(r, d, stepMethod), Errors: errs}
	for i, pp := range rec.Populations {
		chosen := d.Answers.Populations[i].Method
		if chosen == "" {
			chosen = pp.Method.ID
		}
		mc := pages.MethodChoice{Index: i, Name: pp.Name, PlatformName: pp.PlatformName, Devices: pp.Devices, AppOnly: !pp.Enroll}
		if !mc.AppOnly {
			mc.Options = append(mc.Options, pages.MethodOption{ID: pp.Method.ID, Name: pp.Method.Name, Text: pp.Method.Why, Fits: true, Recommended: pp.Method.Recommended, Selected: chosen == pp.Method.ID})
			for _, a := range slices.Concat(pp.Alternatives, pp.Unsuitable) {
				if m := s.cat.Method(a.ID); m == nil || !m.Enrolls {
					continue // app protection is chosen in step 2
				}
				mc.Options = append(mc.Options, pages.MethodOption{ID: a.ID, Name: a.Name, Text: a.WhyNot, Fits: a.Fits, Selected: chosen == a.ID})
			}
		}
		v.Pops = append(v.Pops, mc)
	}
	return v
}

// handleMethodGet is GET /wizard/method.
func (s *Server) handleMethodGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepMethod)
	if !ok || err != nil {
		return err
	}
	rec, err := s.recommendations(r.Context(), d.Answers)
	if err != nil {
		return s.notBuilt(w, r, err, stepDevices)
	}
	return s.renderStep(w, r, nil, pages.MethodPage(s.methodView(r, d, rec, nil)))
}

// handleMethodPost is POST /wizard/method.
func (s *Server) handleMethodPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepMethod)
	if !ok || err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	rec, err := s.recommendations(r.Context(), d.Answers)
	if err != nil {
		return s.notBuilt(w, r, err, stepDevices)
	}
	var errs pages.FormErrors
	for i, pp := range rec.Populations {
		if !pp.Enroll {
			continue
		}
		field := fmt.Sprintf("populations[%d].method", i)
		choice := r.PostForm.Get(field)
		switch {
		case choice == pp.Method.ID:
			d.Answers.Populations[i].Method = "" // follow the recommendation, also when tenant answers change later
		case slices.ContainsFunc(slices.Concat(pp.Alternatives, pp.Unsuitable), func(a plan.Alternative) bool { return a.ID == choice && a.ID != plan.MethodMAMWE }):
			d.Answers.Populations[i].Method = choice
		default:
			errs = append(errs, pages.FormError{Field: field, Message: fmt.Sprintf("Choose how to enroll %s", pp.Name)})
		}
	}
	if len(errs) > 0 {
		return s.renderStep(w, r, errs, pages.MethodPage(s.methodView(r, d, rec, errs)))
	}
	return s.advance(w, r, d, stepMethod)
}
