package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

func (s *Server) rolloutView(r *http.Request, d *draft, pilot string, waves []pages.WaveRow, errs pages.FormErrors) pages.RolloutView {
	return pages.RolloutView{Head: s.head(pages.WizardSteps[5].Title, false), Nav: s.nav(r, d, stepRollout), Errors: errs,
		PilotGroup: pilot, Waves: waves, MaxWaves: plan.MaxWaves, Timeline: timeline(pilot, s.cat.Rollout.DefaultPilotGroup, waves)}
}

// handleRolloutGet is GET /wizard/rollout.
func (s *Server) handleRolloutGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepRollout)
	if !ok || err != nil {
		return err
	}
	var waves []pages.WaveRow
	for i, wv := range d.Answers.Rollout.Waves {
		waves = append(waves, pages.WaveRow{Index: i, Name: wv.Name, Group: wv.Group, Start: wv.Start})
	}
	if len(waves) == 0 {
		waves = []pages.WaveRow{{Index: 0, Name: "Wave 1"}}
	}
	return s.render(w, r, http.StatusOK, pages.RolloutPage(s.rolloutView(r, d, d.Answers.Rollout.PilotGroup, waves, nil)))
}

// handleRolloutPost is POST /wizard/rollout: Continue, Add another, Remove.
func (s *Server) handleRolloutPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepRollout)
	if !ok || err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostForm
	pilot := strings.TrimSpace(f.Get("rollout.pilot_group"))
	var waves []pages.WaveRow
	for _, i := range rowIndexes(r, waveField, plan.MaxWaves) {
		pre := fmt.Sprintf("rollout.waves[%d].", i)
		row := pages.WaveRow{Index: len(waves), Name: strings.TrimSpace(f.Get(pre + "name")), Group: strings.TrimSpace(f.Get(pre + "group")), Start: strings.TrimSpace(f.Get(pre + "start"))}
		waves = append(waves, row)
	}
	if e := parseRowEdit(f.Get("action"), len(waves), plan.MaxWaves); e.edit {
		switch {
		case e.add:
			waves = append(waves, pages.WaveRow{Index: len(waves), Name: fmt.Sprintf("Wave %d", len(waves)+1)})
		case e.remove >= 0:
			waves = without(waves, e.remove, func(w *pages.WaveRow, i int) { w.Index = i })
		}
		return s.render(w, r, http.StatusOK, pages.RolloutPage(s.rolloutView(r, d, pilot, waves, nil)))
	}
	// A row left completely empty is a row the planner did not need.
	kept := waves[:0]
	for _, wv := range waves {
		if wv.Group != "" || wv.Start != "" || (wv.Name != "" && !strings.HasPrefix(wv.Name, "Wave ")) {
			wv.Index = len(kept)
			kept = append(kept, wv)
		}
	}
	waves = kept
	d.Answers.Rollout = plan.Rollout{PilotGroup: pilot}
	for _, wv := range waves {
		d.Answers.Rollout.Waves = append(d.Answers.Rollout.Waves, plan.Wave{Name: wv.Name, Group: wv.Group, Start: wv.Start})
	}
	errs := stepErrors(s.cat.Validate(&d.Answers), func(f string) bool { return strings.HasPrefix(f, "rollout.") })
	if len(errs) > 0 {
		errs = sortErrors(errs, append([]string{"rollout.pilot_group"}, rowOrder("rollout.waves", len(waves), []string{"name", "group", "start"})...))
		return s.renderStep(w, r, errs, pages.RolloutPage(s.rolloutView(r, d, pilot, waves, errs)))
	}
	return s.advance(w, r, d, stepRollout)
}
