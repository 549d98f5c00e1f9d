package web

import (
	"net/http"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// handleResetGet is GET /wizard/reset.
func (s *Server) handleResetGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepReset)
	if !ok || err != nil {
		return err
	}
	p, err := s.build(r.Context(), d.Answers)
	if err != nil {
		return s.notBuilt(w, r, err, stepDevices)
	}
	v := pages.ResetView{Head: s.head(pages.WizardSteps[3].Title, false), Nav: s.nav(r, d, stepReset), Overview: p.ResetOverview, Pops: p.Populations,
		Unenroll: map[string][]plan.Step{}}
	for _, pp := range p.Populations {
		for _, st := range pp.Steps {
			if st.Kind == plan.KindLeaveMDM {
				v.Unenroll[pp.ID] = append(v.Unenroll[pp.ID], st)
			}
		}
	}
	return s.render(w, r, http.StatusOK, pages.ResetPage(v))
}

// handleResetPost is POST /wizard/reset: the planner has read the results.
func (s *Server) handleResetPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepReset)
	if !ok || err != nil {
		return err
	}
	return s.advance(w, r, d, stepReset)
}
