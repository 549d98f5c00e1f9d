package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
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
	stepReview // the method and the factory reset, steps 3 and 4 before issue 18
	stepPrereq
	stepRollout
	stepPlan
)

// stepCount is the number of steps; a draft records it beside Reached, so
// that a draft saved when the wizard had other steps is renumbered.
const stepCount = stepPlan

// renumberSteps maps the Reached of a draft saved by the seven-step wizard
// (method and factory reset were steps 3 and 4; such drafts record no step
// count) to today's steps: a planner who could open either of them may open
// the review, and every later step moves down by one.
func renumberSteps(d *draft) {
	if d.Steps == 0 {
		seven := []int{1: stepOrg, 2: stepDevices, 3: stepReview, 4: stepReview, 5: stepPrereq, 6: stepRollout, 7: stepPlan}
		d.Reached = seven[min(max(d.Reached, 1), len(seven)-1)]
	}
	d.Steps = stepCount
}

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
	} else if f := inventoryFlash(r, step); f != "" {
		n.Flash = f // an imported inventory filled step 2
	} else if step == stepOrg {
		n.Flash = fleetFlash(r, d) // a starting fleet filled step 2
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

// ---- row lists (steps 2 and 6) -------------------------------------------

// rowSpec describes a step whose form is a list of rows.
type rowSpec struct {
	key    string // the draft's form key
	step   int
	prefix string         // "populations": fields are named populations[i].name
	re     *regexp.Regexp // matches prefix[i]. and captures i
	fields []string       // a row's field names, kept in the draft
	rest   []string       // the form's other fields, kept in the draft
	first  string         // a row's first field, focused when the row is added or restored
	noun   string         // "Population"
	max    int
	// blank is the row "Add another" appends to rows.
	blank func(rows []url.Values) url.Values
	// label names a row for the "removed" notice, e.g. "Office laptops".
	label func(row url.Values) string
	// renumber gives a row its default name after a move, when it had
	// the default name of its old place ("Wave 2" becomes "Wave 1").
	renumber func(row url.Values, from, to int)
}

// rowForm is a posted form split into its rows, renumbered 0…n-1, and the
// other fields.
type rowForm struct {
	rows []url.Values // field name (without prefix[i].) → values
	rest url.Values
}

// split reads the rows of a form in index order; fields it does not
// know are dropped, so that nothing but form values reaches the draft.
func (sp rowSpec) split(f url.Values) rowForm {
	byIndex := map[int]url.Values{}
	for k, vs := range f {
		m := sp.re.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		i, err := strconv.Atoi(m[1])
		name := k[len(m[0]):]
		if err != nil || i >= 1000 || !slices.Contains(sp.fields, name) {
			continue
		}
		if byIndex[i] == nil {
			byIndex[i] = url.Values{}
		}
		byIndex[i][name] = slices.Clone(vs)
	}
	idx := slices.Sorted(maps.Keys(byIndex))
	if len(idx) > sp.max {
		idx = idx[:sp.max]
	}
	rf := rowForm{rest: url.Values{}}
	for _, i := range idx {
		rf.rows = append(rf.rows, byIndex[i])
	}
	for _, k := range sp.rest {
		if vs, ok := f[k]; ok {
			rf.rest[k] = slices.Clone(vs)
		}
	}
	return rf
}

// values joins the rows back into one form, numbered in order.
func (sp rowSpec) values(rf rowForm) url.Values {
	out := url.Values{}
	for k, vs := range rf.rest {
		out[k] = slices.Clone(vs)
	}
	for i, row := range rf.rows {
		for k, vs := range row {
			out[fmt.Sprintf("%s[%d].%s", sp.prefix, i, k)] = slices.Clone(vs)
		}
	}
	return out
}

// rowEdit is what a row button of a step with rows asked for.
type rowEdit struct {
	kind  string // "" (Continue), "add", "remove", "undo", "up", "down"
	index int    // the row of remove, up and down
}

// parseRowEdit reads the action button of a step with n rows, at most max.
// The last row is never removed and nothing moves past an end: the page
// offers no button for them, and a forged one changes nothing (but still
// re-renders rather than continuing).
func parseRowEdit(action string, n, max int) rowEdit {
	switch action {
	case "add":
		if n < max {
			return rowEdit{kind: "add", index: n}
		}
		return rowEdit{} // full: the button is gone, treat as Continue
	case "undo":
		return rowEdit{kind: "undo", index: -1}
	}
	for _, kind := range []string{"remove", "up", "down"} {
		num, ok := strings.CutPrefix(action, kind+"-")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(num)
		valid := err == nil && i >= 0 && i < n && n > 1
		switch {
		case kind == "up" && i == 0, kind == "down" && i == n-1:
			valid = false
		}
		if !valid {
			return rowEdit{kind: "none", index: -1}
		}
		return rowEdit{kind: kind, index: i}
	}
	return rowEdit{}
}

// rawForm is what the planner last typed on a step with rows, kept in the
// draft so that a validation error, a row edit or a trip to another step
// never loses it. It stands for the step while the answers it was made from
// (Base) are the draft's; answers changed elsewhere (a reload) win.
type rawForm struct {
	Values  url.Values  `json:"values"`
	Base    string      `json:"base"`
	Checked bool        `json:"checked,omitempty"` // Continue found errors in it: show them again
	Removed *removedRow `json:"removed,omitempty"`
}

// removedRow is the row a Remove button took out, for Undo.
type removedRow struct {
	Index  int        `json:"index"`
	Values url.Values `json:"values"`
	Text   string     `json:"text"`
}

// form returns the step's kept form when it still stands for the answers.
func (d *draft) form(key, base string) *rawForm {
	if f := d.Forms[key]; f != nil && f.Base == base {
		return f
	}
	return nil
}

func (d *draft) setForm(key string, f *rawForm) {
	if d.Forms == nil {
		d.Forms = map[string]*rawForm{}
	}
	d.Forms[key] = f
}

// applyRowEdit carries out a row button on the posted rows, keeps the
// result in the draft and redirects back to the step at the row concerned
// (Post/Redirect/Get, so a refresh repeats nothing). The fragment names the
// element to focus (the new row's first field, the moved row's button, the
// Undo): browsers focus a focusable fragment target, and skip autofocus
// when there is one, so the page's autofocus only serves without a fragment.
func (s *Server) applyRowEdit(w http.ResponseWriter, r *http.Request, d *draft, sp rowSpec, rf rowForm, e rowEdit, base string) error {
	kept := &rawForm{Base: base}
	target := stepURL(sp.step)
	switch e.kind {
	case "add":
		rf.rows = append(rf.rows, sp.blank(rf.rows))
		target += fmt.Sprintf("?added=%d#%s", e.index, pages.FieldID(fmt.Sprintf("%s[%d].%s", sp.prefix, e.index, sp.first)))
	case "remove":
		label := sp.label(rf.rows[e.index])
		text := fmt.Sprintf("%s %d was removed.", sp.noun, e.index+1)
		if label != "" {
			text = fmt.Sprintf("%s %d, %s, was removed.", sp.noun, e.index+1, label)
		}
		kept.Removed = &removedRow{Index: e.index, Values: rf.rows[e.index], Text: text}
		rf.rows = slices.Delete(rf.rows, e.index, e.index+1)
		sp.renumberFrom(rf.rows, e.index, 1)
		target += "?removed=1#removed-row-undo"
	case "undo":
		old := d.Forms[sp.key]
		if old == nil || old.Removed == nil || len(rf.rows) >= sp.max {
			break
		}
		at := min(max(old.Removed.Index, 0), len(rf.rows))
		rf.rows = slices.Insert(rf.rows, at, old.Removed.Values)
		sp.renumberFrom(rf.rows, at+1, -1)
		target += fmt.Sprintf("?restored=%d#%s", at, pages.FieldID(fmt.Sprintf("%s[%d].%s", sp.prefix, at, sp.first)))
	case "up", "down":
		to := e.index - 1
		if e.kind == "down" {
			to = e.index + 1
		}
		if sp.renumber != nil {
			sp.renumber(rf.rows[e.index], e.index, to)
			sp.renumber(rf.rows[to], to, e.index)
		}
		rf.rows[e.index], rf.rows[to] = rf.rows[to], rf.rows[e.index]
		dir := e.kind
		if (dir == "up" && to == 0) || (dir == "down" && to == len(rf.rows)-1) {
			dir = map[string]string{"up": "down", "down": "up"}[dir] // that button is gone at the end
		}
		target += fmt.Sprintf("?moved=%d&focus=%s#%s-%s", to, dir, rowFieldsetID(sp.prefix, to), dir)
	}
	kept.Values = sp.values(rf)
	d.setForm(sp.key, kept)
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// renumberFrom gives the rows from i on the default names of their new
// places; each came from the place by further on (1 after a removal, -1
// after an undo).
func (sp rowSpec) renumberFrom(rows []url.Values, i, by int) {
	if sp.renumber == nil {
		return
	}
	for j := i; j < len(rows); j++ {
		sp.renumber(rows[j], j+by, j)
	}
}

func rowFieldsetID(prefix string, i int) string {
	return pages.FieldID(fmt.Sprintf("%s[%d]", prefix, i))
}

// rowList is what the page needs from the row machinery after a redirect:
// what to focus (the added or restored row's first field, the moved row's
// button, the Undo of a removal) and the row to offer back.
func rowList(r *http.Request, d *draft, sp rowSpec, base string, n int) pages.RowList {
	var l pages.RowList
	if f := d.form(sp.key, base); f != nil && f.Removed != nil {
		l.Removed = &pages.RemovedRow{Index: min(f.Removed.Index, n), Text: f.Removed.Text}
	}
	q := r.URL.Query()
	row := func(name string) (int, bool) {
		i, err := strconv.Atoi(q.Get(name))
		return i, err == nil && i >= 0 && i < n
	}
	if i, ok := row("added"); ok {
		l.Focus = pages.FieldID(fmt.Sprintf("%s[%d].%s", sp.prefix, i, sp.first))
	} else if i, ok := row("restored"); ok {
		l.Focus = pages.FieldID(fmt.Sprintf("%s[%d].%s", sp.prefix, i, sp.first))
	} else if i, ok := row("moved"); ok && (q.Get("focus") == "up" || q.Get("focus") == "down") {
		l.Focus = rowFieldsetID(sp.prefix, i) + "-" + q.Get("focus")
	} else if q.Has("removed") && l.Removed != nil {
		l.Focus = "removed-row-undo"
	}
	return l
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

// fingerprint is a short stable digest of answers a kept form was made from.
func fingerprint(v any) string {
	data, _ := json.Marshal(v)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// sendBack redirects to an earlier step whose answers no longer hold.
func (s *Server) sendBack(w http.ResponseWriter, r *http.Request, step int) error {
	http.Redirect(w, r, stepURL(step)+"?sent_back="+strconv.Itoa(step+1), http.StatusSeeOther)
	return nil
}

// notBuilt answers a step whose plan could not be built: answers that no
// longer hold send the planner back to step; anything else (the client
// gave up while its build waited for a turn) is an error.
func (s *Server) notBuilt(w http.ResponseWriter, r *http.Request, err error, step int) error {
	var ve *plan.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	return s.sendBack(w, r, step)
}

// draftPlan loads the draft of a plan step handler and builds its plan; ok is
// false when the planner was redirected (skipped steps, answers no longer valid).
func (s *Server) draftPlan(w http.ResponseWriter, r *http.Request) (*draft, *plan.Plan, bool, error) {
	d, ok, err := s.wizardDraft(w, r, stepPlan)
	if !ok || err != nil {
		return nil, nil, false, err
	}
	p, err := s.build(r.Context(), d.Answers)
	if err != nil {
		return nil, nil, false, s.notBuilt(w, r, err, stepOf(err))
	}
	return d, p, true, nil
}

// stepOf is the step whose answers the first problem of err concerns.
func stepOf(err error) int {
	var ve *plan.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) == 0 {
		return stepDevices
	}
	f := ve.Errors[0].Field
	switch {
	case f == "organization" || strings.HasPrefix(f, "tenant."):
		return stepOrg
	case strings.HasPrefix(f, "populations[") && strings.HasSuffix(f, ".method"):
		return stepReview
	case strings.HasPrefix(f, "baseline") || f == "bulk_enrollment_by_staff":
		return stepPrereq
	case strings.HasPrefix(f, "rollout."):
		return stepRollout
	}
	return stepDevices
}
