package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

func (s *Server) prereqView(r *http.Request, d *draft, p *plan.Plan, errs pages.FormErrors, custom string, checked []string) pages.PrereqView {
	v := pages.PrereqView{Head: s.head(pages.WizardSteps[stepPrereq-1].Title, false), Nav: s.nav(r, d, stepPrereq), Errors: errs, Prerequisites: p.Prerequisites,
		Names: map[string]string{}, Custom: custom, Mapped: p.Baseline}
	for _, pp := range p.Populations {
		v.Names[pp.ID] = pp.Name
	}
	v.SourceTitles = make(map[string]string, len(p.References))
	for _, ref := range p.References {
		v.SourceTitles[ref.URL] = ref.Title
	}
	if tc := p.TenantCheck; tc != nil {
		v.Check = &pages.CheckResult{When: readTime(tc.ReadAt), Findings: tc.Findings}
		for _, o := range tc.Overruled {
			v.Check.Overruled = append(v.Check.Overruled, o.Text)
		}
	}
	for _, b := range s.cat.Baseline {
		if b.ID == "custom" {
			continue
		}
		var names []string
		for _, pl := range b.Platforms {
			names = append(names, s.cat.Platform(pl).Name)
		}
		v.Baseline = append(v.Baseline, pages.BaselineOption{ID: b.ID, Title: b.Title, Detail: b.Detail, Platforms: strings.Join(names, ", "), Checked: slices.Contains(checked, b.ID)})
	}
	return v
}

func splitBaseline(items []string) (ids []string, custom string) {
	var free []string
	for _, it := range items {
		if slices.Contains(plan.BaselineIDs, it) {
			ids = append(ids, it)
		} else {
			free = append(free, it)
		}
	}
	return ids, strings.Join(free, "\n")
}

// handlePrereqGet is GET /wizard/prerequisites.
func (s *Server) handlePrereqGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepPrereq)
	if !ok || err != nil {
		return err
	}
	p, err := s.build(r.Context(), d.Answers)
	if err != nil {
		return s.notBuilt(w, r, err, stepDevices)
	}
	ids, custom := splitBaseline(d.Answers.Baseline)
	return s.render(w, r, http.StatusOK, pages.PrereqPage(s.prereqView(r, d, p, nil, custom, ids)))
}

// handlePrereqPost is POST /wizard/prerequisites.
func (s *Server) handlePrereqPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepPrereq)
	if !ok || err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	// Who enrolls the devices is step 2's, per population; the older
	// tenant-wide question is no longer asked here.
	var errs pages.FormErrors
	var checked []string
	for _, id := range plan.BaselineIDs { // catalog order, whatever order the browser sent
		if slices.Contains(r.PostForm["baseline"], id) {
			checked = append(checked, id)
		}
	}
	custom := r.PostForm.Get("baseline_custom")
	d.Answers.Baseline = slices.Clone(checked)
	for _, line := range strings.Split(custom, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			d.Answers.Baseline = append(d.Answers.Baseline, line)
		}
	}
	for _, e := range stepErrors(s.cat.Validate(&d.Answers), func(f string) bool { return strings.HasPrefix(f, "baseline") }) {
		// The ticked ids cannot be wrong; typed lines can. A typed line
		// shaped like an id gets words about the form, not the API's list
		// of ids.
		if i, ok := baselineIndex(e.Field); ok && i < len(d.Answers.Baseline) && strings.Contains(e.Message, "is not a baseline policy id") {
			e.Message = fmt.Sprintf("“%s” is not one of the policies above. Tick the policy above if it is one of them, or write its name in words, for example “Defender for Endpoint onboarding”.", d.Answers.Baseline[i])
		}
		e.Field = "baseline_custom"
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		p, err := s.build(r.Context(), plan.Answers{Schema: d.Answers.Schema, Organization: d.Answers.Organization, Tenant: d.Answers.Tenant, Populations: d.Answers.Populations})
		if err != nil {
			return s.notBuilt(w, r, err, stepDevices)
		}
		return s.renderStep(w, r, errs, pages.PrereqPage(s.prereqView(r, d, p, errs, custom, checked)))
	}
	return s.advance(w, r, d, stepPrereq)
}

// baselineIndex reads i from a field path "baseline[i]".
func baselineIndex(field string) (int, bool) {
	rest, ok := strings.CutPrefix(field, "baseline[")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	return n, err == nil && strings.HasSuffix(rest, "]")
}
