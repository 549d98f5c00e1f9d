package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
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

// ---- Step 1: organisation and what is in place -------------------------

var triFields = []struct{ field, label, hint string }{
	{"tenant.licenses_assigned", "Are Intune licences assigned to the users who will enroll?", "Every user needs one before enrolling, even for app protection only."},
	{"tenant.groups_ready", "Are the user and device groups for enrollment ready?", "Including a pilot group."},
	{"tenant.entra_premium", "Do you have Microsoft Entra ID P1 or P2?", "Included in Microsoft 365 E3/E5, Business Premium and EMS. Needed for Windows automatic enrollment and Autopilot."},
	{"tenant.configmgr", "Do you use Configuration Manager today?", "Windows PCs can then be co-managed."},
	{"tenant.apple_mdm_push_certificate", "Is the Apple MDM push certificate uploaded to Intune?", "Needed for every iPhone, iPad and Mac."},
	{"tenant.apple_business_manager", "Do you use Apple Business Manager (or School Manager)?", "Needed for Automated Device Enrollment of company iPhones, iPads and Macs."},
	{"tenant.managed_google_play", "Is Intune connected to managed Google Play?", "Needed for every Android Enterprise method."},
}

func tenantBoolPtr(t *plan.Tenant, field string) **bool {
	switch field {
	case "tenant.licenses_assigned":
		return &t.LicensesAssigned
	case "tenant.groups_ready":
		return &t.GroupsReady
	case "tenant.entra_premium":
		return &t.EntraPremium
	case "tenant.configmgr":
		return &t.ConfigMgr
	case "tenant.apple_mdm_push_certificate":
		return &t.AppleMDMPushCertificate
	case "tenant.apple_business_manager":
		return &t.AppleBusinessManager
	}
	return &t.ManagedGooglePlay
}

func triValue(b *bool) string {
	switch {
	case b == nil:
		return "unsure"
	case *b:
		return "yes"
	}
	return "no"
}

func (s *Server) orgView(r *http.Request, d *draft, errs pages.FormErrors, raw map[string]string) pages.OrgView {
	v := pages.OrgView{
		Head: s.head(pages.WizardSteps[0].Title, false), Nav: s.nav(r, d, stepOrg), Errors: errs,
		Organization: d.Answers.Organization, MDMAuthority: d.Answers.Tenant.MDMAuthority, AdminRole: d.Answers.Tenant.AdminRole,
		Authorities: []pages.Choice{{Value: "intune", Label: "Intune"}, {Value: "configmgr", Label: "Configuration Manager"}, {Value: "office365", Label: "Basic Mobility and Security (Office 365)"}, {Value: "none", Label: "Not set"}, {Value: "unknown", Label: "Not sure"}},
		Roles:       []pages.Choice{{Value: "intune-admin", Label: "Intune Administrator"}, {Value: "global-admin", Label: "Global Administrator"}, {Value: "other", Label: "Another role"}, {Value: "unknown", Label: "Not sure"}},
	}
	for _, q := range triFields {
		val := triValue(*tenantBoolPtr(&d.Answers.Tenant, q.field))
		if rv, ok := raw[q.field]; ok {
			val = rv
		}
		v.Questions = append(v.Questions, pages.TriQuestion{Field: q.field, Label: q.label, Hint: q.hint, Value: val})
	}
	return v
}

// handleOrgGet is GET /wizard/organisation.
func (s *Server) handleOrgGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	return s.renderStep(w, r, nil, pages.OrgPage(s.orgView(r, d, nil, nil)))
}

// handleOrgPost is POST /wizard/organisation.
func (s *Server) handleOrgPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	d.Answers.Schema = plan.AnswersSchema
	d.Answers.Organization = strings.TrimSpace(r.PostForm.Get("organization"))
	d.Answers.Tenant.MDMAuthority = r.PostForm.Get("tenant.mdm_authority")
	d.Answers.Tenant.AdminRole = r.PostForm.Get("tenant.admin_role")
	var errs pages.FormErrors
	raw := map[string]string{}
	for _, q := range triFields {
		v := r.PostForm.Get(q.field)
		raw[q.field] = v
		p := tenantBoolPtr(&d.Answers.Tenant, q.field)
		switch v {
		case "yes":
			*p = ptr(true)
		case "no":
			*p = ptr(false)
		case "unsure", "":
			*p = nil
		default:
			errs = append(errs, pages.FormError{Field: q.field, Message: "Choose yes, no or not sure"})
		}
	}
	errs = append(errs, stepErrors(s.cat.Validate(&d.Answers), func(f string) bool {
		return f == "organization" || strings.HasPrefix(f, "tenant.")
	})...)
	if len(errs) > 0 {
		errs = sortErrors(errs, []string{"organization", "tenant.mdm_authority", "tenant.admin_role", "tenant."})
		return s.renderStep(w, r, errs, pages.OrgPage(s.orgView(r, d, errs, raw)))
	}
	return s.advance(w, r, d, stepOrg)
}

func ptr[T any](v T) *T { return &v }

// ---- Step 2: device populations ----------------------------------------

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

func popRow(i int, p plan.Population) pages.PopulationRow {
	row := pages.PopulationRow{Index: i, ID: p.ID, Name: p.Name, Platform: p.Platform, Ownership: p.Ownership, Usage: p.Usage,
		Devices: strconv.Itoa(p.Devices), OtherMDM: p.CurrentlyManagedByOtherMDM, Enroll: "enroll"}
	if p.PersonalUse != nil {
		row.PersonalUse = map[bool]string{true: "yes", false: "no"}[*p.PersonalUse]
	}
	if !p.Enrolls() {
		row.Enroll = "app"
	}
	return row
}

func (s *Server) devicesView(r *http.Request, d *draft, rows []pages.PopulationRow, errs pages.FormErrors) pages.DevicesView {
	v := pages.DevicesView{Head: s.head(pages.WizardSteps[1].Title, false), Nav: s.nav(r, d, stepDevices), Errors: errs, Rows: rows, MaxRows: plan.MaxPopulations,
		Ownerships: []pages.Choice{{Value: "corporate", Label: "Owned by the organisation"}, {Value: "personal", Label: "Personal (bring your own device)"}},
		Usages: []pages.Choice{{Value: "user", Label: "One user", Hint: "Each device has one primary user."}, {Value: "shared", Label: "Shared", Hint: "Several people sign in to the same device."},
			{Value: "dedicated", Label: "Kiosk or single purpose", Hint: "No user signs in, for example a check-in tablet."}},
	}
	for _, id := range plan.Platforms {
		v.Platforms = append(v.Platforms, pages.Choice{Value: id, Label: s.cat.Platform(id).Name})
	}
	if len(v.Rows) == 0 {
		v.Rows = []pages.PopulationRow{{Index: 0, Enroll: "enroll"}}
	}
	return v
}

// handleDevicesGet is GET /wizard/devices.
func (s *Server) handleDevicesGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepDevices)
	if !ok || err != nil {
		return err
	}
	var rows []pages.PopulationRow
	for i, p := range d.Answers.Populations {
		rows = append(rows, popRow(i, p))
	}
	return s.renderStep(w, r, nil, pages.DevicesPage(s.devicesView(r, d, rows, nil)))
}

// handleDevicesPost is POST /wizard/devices: Continue, Add another, Remove.
func (s *Server) handleDevicesPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepDevices)
	if !ok || err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostForm
	previous := d.Answers.Populations
	var rows []pages.PopulationRow
	var pops []plan.Population
	var errs pages.FormErrors
	for n, i := range rowIndexes(r, popField, plan.MaxPopulations) {
		pre := fmt.Sprintf("populations[%d].", i)
		path := fmt.Sprintf("populations[%d].", n)
		row := pages.PopulationRow{Index: n, ID: f.Get(pre + "id"), Name: strings.TrimSpace(f.Get(pre + "name")), Platform: f.Get(pre + "platform"),
			Ownership: f.Get(pre + "ownership"), Usage: f.Get(pre + "usage"), Devices: strings.TrimSpace(f.Get(pre + "devices")),
			PersonalUse: f.Get(pre + "personal_use"), OtherMDM: f.Get(pre+"currently_managed_by_other_mdm") == "yes", Enroll: f.Get(pre + "enroll")}
		if row.Enroll == "" {
			row.Enroll = "enroll"
		}
		rows = append(rows, row)
		p := plan.Population{ID: row.ID, Name: row.Name, Platform: row.Platform, Ownership: row.Ownership, Usage: row.Usage, CurrentlyManagedByOtherMDM: row.OtherMDM}
		if row.Name == "" {
			errs = append(errs, pages.FormError{Field: path + "name", Message: "Enter a name for this group of devices, for example Sales iPhones"})
		}
		switch devices, err := strconv.Atoi(strings.ReplaceAll(row.Devices, ",", "")); {
		case row.Devices == "":
			errs = append(errs, pages.FormError{Field: path + "devices", Message: "Enter how many devices, for example 250"})
		case err != nil:
			errs = append(errs, pages.FormError{Field: path + "devices", Message: fmt.Sprintf("Enter the number of devices as a whole number, like 250, not %q", row.Devices)})
		default:
			p.Devices = devices
		}
		if row.Platform == "android" && row.Ownership == plan.OwnCorporate && (row.Usage == plan.UsageUser || row.Usage == "") {
			switch row.PersonalUse {
			case "yes":
				p.PersonalUse = ptr(true)
			case "no":
				p.PersonalUse = ptr(false)
			}
		}
		if row.Enroll == "app" {
			p.Enroll = ptr(false)
		}
		if n < len(previous) { // keep an earlier method choice while it still fits
			if m := s.cat.Method(previous[n].Method); m != nil && slices.Contains(m.Platforms, p.Platform) && m.Enrolls == p.Enrolls() {
				p.Method = previous[n].Method
			}
		}
		if p.Usage == "" && p.Ownership == plan.OwnPersonal {
			p.Usage = plan.UsageUser
		}
		pops = append(pops, p)
	}
	d.Answers.Populations = pops

	if e := parseRowEdit(f.Get("action"), len(rows), plan.MaxPopulations); e.edit {
		switch {
		case e.add:
			rows = append(rows, pages.PopulationRow{Index: len(rows), Enroll: "enroll"})
		case e.remove >= 0:
			rows = without(rows, e.remove, func(r *pages.PopulationRow, i int) { r.Index = i })
			d.Answers.Populations = slices.Delete(d.Answers.Populations, e.remove, e.remove+1)
		}
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
		return s.render(w, r, http.StatusOK, pages.DevicesPage(s.devicesView(r, d, rows, nil)))
	}

	errs = append(errs, stepErrors(s.cat.Validate(&d.Answers), func(field string) bool {
		return strings.HasPrefix(field, "populations") && !strings.HasSuffix(field, ".method") && !slices.ContainsFunc(errs, func(e pages.FormError) bool { return e.Field == field })
	})...)
	for i := range errs {
		if errs[i].Field == "populations" {
			errs[i].Field = "populations[0].name"
		}
	}
	if len(errs) > 0 {
		errs = sortErrors(errs, rowOrder("populations", len(rows), []string{"name", "platform", "ownership", "usage", "devices", "personal_use", "currently_managed_by_other_mdm", "enroll"}))
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
		return s.renderStep(w, r, errs, pages.DevicesPage(s.devicesView(r, d, rows, errs)))
	}
	return s.advance(w, r, d, stepDevices)
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

// ---- Step 3: enrollment method -----------------------------------------

// recommendations builds the plan with every method left to the engine, so
// the page can show the recommendation next to the planner's choice.
func (s *Server) recommendations(a plan.Answers) (*plan.Plan, error) {
	free := a
	free.Populations = slices.Clone(a.Populations)
	for i := range free.Populations {
		if free.Populations[i].Method != plan.MethodMAMWE {
			free.Populations[i].Method = ""
		}
	}
	return s.cat.Build(free)
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
			for _, a := range pp.Alternatives {
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
	rec, err := s.recommendations(d.Answers)
	if err != nil {
		return s.sendBack(w, r, stepDevices)
	}
	return s.renderStep(w, r, nil, pages.MethodPage(s.methodView(r, d, rec, nil)))
}

// sendBack redirects to an earlier step whose answers no longer hold.
func (s *Server) sendBack(w http.ResponseWriter, r *http.Request, step int) error {
	http.Redirect(w, r, stepURL(step)+"?sent_back="+strconv.Itoa(step+1), http.StatusSeeOther)
	return nil
}

// handleMethodPost is POST /wizard/method.
func (s *Server) handleMethodPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepMethod)
	if !ok || err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	rec, err := s.recommendations(d.Answers)
	if err != nil {
		return s.sendBack(w, r, stepDevices)
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
		case slices.ContainsFunc(pp.Alternatives, func(a plan.Alternative) bool { return a.ID == choice && a.ID != plan.MethodMAMWE }):
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

// ---- Step 4: factory reset and the current MDM --------------------------

// handleResetGet is GET /wizard/reset.
func (s *Server) handleResetGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepReset)
	if !ok || err != nil {
		return err
	}
	p, err := s.cat.Build(d.Answers)
	if err != nil {
		return s.sendBack(w, r, stepDevices)
	}
	v := pages.ResetView{Head: s.head(pages.WizardSteps[3].Title, false), Nav: s.nav(r, d, stepReset), Overview: p.ResetOverview, Pops: p.Populations,
		Unenroll: map[string][]plan.Step{}, SettingsStay: s.cat.SettingsStay.Text}
	for _, pp := range p.Populations {
		for _, st := range pp.Steps {
			if strings.HasPrefix(st.ID, "unenroll.") {
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

// ---- Step 5: prerequisites, bulk enrollment, baseline --------------------

func (s *Server) prereqView(r *http.Request, d *draft, p *plan.Plan, errs pages.FormErrors, bulk, custom string, checked []string) pages.PrereqView {
	v := pages.PrereqView{Head: s.head(pages.WizardSteps[4].Title, false), Nav: s.nav(r, d, stepPrereq), Errors: errs, Prerequisites: p.Prerequisites,
		Names: map[string]string{}, Bulk: bulk, DEMText: s.cat.DEM.Text, Custom: custom, Mapped: p.Baseline}
	for _, pp := range p.Populations {
		v.Names[pp.ID] = pp.Name
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
	p, err := s.cat.Build(d.Answers)
	if err != nil {
		return s.sendBack(w, r, stepDevices)
	}
	bulk := ""
	if d.Reached > stepPrereq {
		bulk = map[bool]string{true: "yes", false: "no"}[d.Answers.BulkEnrollmentByStaff]
	}
	ids, custom := splitBaseline(d.Answers.Baseline)
	return s.render(w, r, http.StatusOK, pages.PrereqPage(s.prereqView(r, d, p, nil, bulk, custom, ids)))
}

// handlePrereqPost is POST /wizard/prerequisites.
func (s *Server) handlePrereqPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepPrereq)
	if !ok || err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	var errs pages.FormErrors
	bulk := r.PostForm.Get("bulk_enrollment_by_staff")
	switch bulk {
	case "yes", "no":
		d.Answers.BulkEnrollmentByStaff = bulk == "yes"
	default:
		errs = append(errs, pages.FormError{Field: "bulk_enrollment_by_staff", Message: "Choose whether IT staff will enroll devices in bulk"})
	}
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
		e.Field = "baseline_custom" // the ticked ids cannot be wrong; typed lines can
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		p, err := s.cat.Build(plan.Answers{Schema: d.Answers.Schema, Organization: d.Answers.Organization, Tenant: d.Answers.Tenant, Populations: d.Answers.Populations})
		if err != nil {
			return s.sendBack(w, r, stepDevices)
		}
		return s.renderStep(w, r, errs, pages.PrereqPage(s.prereqView(r, d, p, errs, bulk, custom, checked)))
	}
	return s.advance(w, r, d, stepPrereq)
}

// ---- Step 6: pilot and rollout -----------------------------------------

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

// ---- Step 7: the plan, saving and sharing ------------------------------

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
