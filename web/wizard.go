package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// Steps of the wizard (pages.WizardSteps holds their titles and URLs).
const (
	stepOrg = iota + 1
	stepDevices
	stepMethod
	stepReset
	stepPrereq
	stepRollout
	stepPlan
)

func stepURL(n int) string { return pages.WizardSteps[n-1].URL }

// wizardDraft loads the draft for a step and sends the planner back to the
// first step they have not completed when they skip ahead by URL.
func (s *Server) wizardDraft(w http.ResponseWriter, r *http.Request, step int) (*draft, bool, error) {
	w.Header().Set("Cache-Control", "no-store") // drafts are private to their planner
	d, err := s.loadDraft(r)
	if err != nil {
		return nil, false, err
	}
	if d == nil {
		if step == stepOrg {
			return newDraft(), true, nil
		}
		d = newDraft()
	}
	if step > d.Reached {
		http.Redirect(w, r, fmt.Sprintf("%s?sent_back=%d", stepURL(d.Reached), step), http.StatusSeeOther)
		return nil, false, nil
	}
	return d, true, nil
}

func (s *Server) nav(r *http.Request, d *draft, step int) pages.Nav {
	n := pages.Nav{Current: step, Reached: d.Reached, Org: d.Answers.Organization, Revision: d.Revision}
	if step > 1 {
		n.BackURL = stepURL(step - 1)
	} else {
		n.BackURL = "/"
	}
	if to, err := strconv.Atoi(r.URL.Query().Get("sent_back")); err == nil && to > step && to <= len(pages.WizardSteps) {
		n.Flash = fmt.Sprintf("Answer this step first: “%s” needs it.", pages.WizardSteps[to-1].Title)
	}
	if d.PlanID != "" {
		n.Editing = s.shareURL(r, d.PlanID)
	}
	return n
}

// advance records that a step is complete and redirects to the next (PRG).
func (s *Server) advance(w http.ResponseWriter, r *http.Request, d *draft, step int) error {
	d.Reached = max(d.Reached, step+1)
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, stepURL(step+1), http.StatusSeeOther)
	return nil
}

// stepErrors keeps the validation errors that belong to one step.
func stepErrors(err error, keep func(field string) bool) pages.FormErrors {
	var ve *plan.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out pages.FormErrors
	for _, fe := range ve.Errors {
		if keep(fe.Field) {
			out = append(out, pages.FormError{Field: fe.Field, Message: fe.Message})
		}
	}
	return out
}

// sortErrors puts errors in page order (field paths sort that way within a step).
func sortErrors(errs pages.FormErrors, order []string) pages.FormErrors {
	rank := func(f string) int {
		for i, o := range order {
			if strings.HasPrefix(f, o) {
				return i
			}
		}
		return len(order)
	}
	slices.SortStableFunc(errs, func(a, b pages.FormError) int { return rank(a.Field) - rank(b.Field) })
	return errs
}

func (s *Server) renderStep(w http.ResponseWriter, r *http.Request, errs pages.FormErrors, c templ.Component) error {
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, c)
}

func ptr[T any](v T) *T { return &v }

var (
	popField  = regexp.MustCompile(`^populations\[(\d+)\]\.`)
	waveField = regexp.MustCompile(`^rollout\.waves\[(\d+)\]\.`)
)

// rowEdit is what an "Add another" or "Remove" button of a step with rows
// (steps 2 and 6) asked for.
type rowEdit struct {
	edit   bool // one of those buttons: re-render the step instead of continuing
	add    bool
	remove int // the row to remove, or -1
}

// parseRowEdit reads the action button of a step with n rows, at most max.
// The last row is never removed: the page offers no button for it.
func parseRowEdit(action string, n, max int) rowEdit {
	if action == "add" && n < max {
		return rowEdit{edit: true, add: true, remove: -1}
	}
	if num, ok := strings.CutPrefix(action, "remove-"); ok {
		e := rowEdit{edit: true, remove: -1}
		if i, err := strconv.Atoi(num); err == nil && i >= 0 && i < n && n > 1 {
			e.remove = i
		}
		return e
	}
	return rowEdit{remove: -1}
}

// without removes row i and renumbers the rest.
func without[T any](rows []T, i int, setIndex func(*T, int)) []T {
	rows = slices.Delete(rows, i, i+1)
	for j := range rows {
		setIndex(&rows[j], j)
	}
	return rows
}

// rowIndexes lists the row numbers a form posted, in order.
func rowIndexes(r *http.Request, re *regexp.Regexp, max int) []int {
	seen := map[int]bool{}
	var out []int
	for k := range r.PostForm {
		if m := re.FindStringSubmatch(k); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && !seen[i] && i < 1000 {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// rowOrder lists field paths in the order a page shows them.
func rowOrder(prefix string, rows int, fields []string) []string {
	var out []string
	for i := range rows {
		for _, f := range fields {
			out = append(out, fmt.Sprintf("%s[%d].%s", prefix, i, f))
		}
	}
	return append(out, prefix)
}

// sendBack redirects to an earlier step whose answers no longer hold.
func (s *Server) sendBack(w http.ResponseWriter, r *http.Request, step int) error {
	http.Redirect(w, r, stepURL(step)+"?sent_back="+strconv.Itoa(step+1), http.StatusSeeOther)
	return nil
}

// draftPlan loads the draft of a step-7 handler and builds its plan; ok is
// false when the planner was redirected (skipped steps, answers no longer valid).
func (s *Server) draftPlan(w http.ResponseWriter, r *http.Request) (*draft, *plan.Plan, bool, error) {
	d, ok, err := s.wizardDraft(w, r, stepPlan)
	if !ok || err != nil {
		return nil, nil, false, err
	}
	p, err := s.cat.Build(d.Answers)
	if err != nil {
		return nil, nil, false, s.sendBack(w, r, stepDevices)
	}
	return d, p, true, nil
}
