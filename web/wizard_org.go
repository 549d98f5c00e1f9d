package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/components"
	"github.com/enrollplan/enrollplan/templates/pages"
)

var triFields = []struct{ field, label, hint string }{
	{"tenant.licenses_assigned", "Are Intune licences assigned to the users who will enroll?", "Every user needs one before enrolling, even for app protection only."},
	{"tenant.groups_ready", "Are the user and device groups for enrollment ready?", "Including a pilot group."},
	{"tenant.entra_premium", "Do you have Microsoft Entra ID P1 or P2?", "Included in Microsoft 365 E3/E5, Business Premium and EMS. Needed for Windows automatic enrollment and Autopilot."},
	{"tenant.configmgr", "Do you run Configuration Manager today?", "Needed to co-manage the PCs it manages; you say which PCs those are on the next step."},
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

// Step 1's rows of what in the tenant expires (CONTRACT §8.1 tenant.expiries).
var (
	expiryField = regexp.MustCompile(`^tenant\.expiries\[(\d+)\]\.`)
	expirySpec  = rowSpec{prefix: "tenant.expiries", re: expiryField, fields: []string{"what", "name", "expires.day", "expires.month", "expires.year"}, max: plan.MaxExpiries}
	expiryKinds = []pages.Choice{
		{Value: plan.WhatApplePush, Label: "Apple MDM push certificate"},
		{Value: plan.WhatADEToken, Label: "Automated Device Enrollment (ADE) token"},
		{Value: plan.WhatVPPToken, Label: "Apps and books (VPP) token"},
		{Value: plan.WhatBulkToken, Label: "Bulk enrollment token"},
	}
)

// maxExpiryName bounds an expiry's name: an Apple ID or a token's name.
const maxExpiryName = 80

// expiryRows are step 1's rows for the expiries the answers hold, and a
// blank row to fill in while there is room.
func expiryRows(es []plan.TenantExpiry) []pages.ExpiryRow {
	var rows []pages.ExpiryRow
	for i, e := range es {
		v := url.Values{}
		setDate(v, "", e.Expires)
		if v.Get("day") == "" { // not a date (a tenant check's, say): shown as it is, for the planner to fix
			v.Set("day", e.Expires)
		}
		rows = append(rows, pages.ExpiryRow{Index: i, What: e.What, Name: e.Name, Expires: dateParts(v, "")})
	}
	return withBlankExpiry(rows)
}

func withBlankExpiry(rows []pages.ExpiryRow) []pages.ExpiryRow {
	if len(rows) < plan.MaxExpiries {
		rows = append(rows, pages.ExpiryRow{Index: len(rows)})
	}
	return rows
}

// parseExpiries reads step 1's expiry rows as posted: a row left empty is
// none; the others need what expires and the day it does. kept maps each
// expiry of the answers to its row.
func parseExpiries(f url.Values) (rows []pages.ExpiryRow, out []plan.TenantExpiry, kept []int, errs pages.FormErrors) {
	for i, row := range expirySpec.split(f).rows {
		where := fmt.Sprintf("Expiry %d", i+1)
		fail := func(field string, part components.DatePart, format string, args ...any) {
			e := pages.FormError{Field: fmt.Sprintf("tenant.expiries[%d].%s", i, field), Message: fmt.Sprintf(format, args...), Where: where}
			e.Focus = dateFocus(e.Field, part)
			errs = append(errs, e)
		}
		iso, part, msg := readDate(row, "expires.", "expiry date")
		e := pages.ExpiryRow{Index: i, What: row.Get("what"), Name: row.Get("name"), Expires: dateParts(row, "expires.")}
		rows = append(rows, e)
		name := strings.TrimSpace(e.Name)
		if e.What == "" && name == "" && e.Expires.Empty() {
			continue
		}
		if !slices.Contains(plan.ExpiryWhats, e.What) {
			fail("what", "", "Choose what expires")
		}
		if c := utf8.RuneCountInString(name); c > maxExpiryName {
			fail("name", "", "Keep the name to %d characters or fewer; it has %d", maxExpiryName, c)
		}
		switch {
		case msg != "":
			fail("expires", part, "%s", msg)
		case iso == "":
			fail("expires", "", "Enter the day it expires, for example 31 March 2027")
		}
		out = append(out, plan.TenantExpiry{What: e.What, Name: name, Expires: iso})
		kept = append(kept, i)
	}
	return rows, out, kept, errs
}

func (s *Server) orgView(r *http.Request, d *draft, errs pages.FormErrors, raw map[string]string) pages.OrgView {
	v := pages.OrgView{
		Head: s.head(pages.WizardSteps[0].Title, false), Nav: s.nav(r, d, stepOrg), Errors: errs,
		Organization: d.Answers.Organization, MDMAuthority: orNotSure(d.Answers.Tenant.MDMAuthority), AdminRole: orNotSure(d.Answers.Tenant.AdminRole),
		Authorities: []pages.Choice{{Value: "intune", Label: "Intune"}, {Value: "configmgr", Label: "Configuration Manager"}, {Value: "office365", Label: "Basic Mobility and Security (Office 365)"}, {Value: "none", Label: "Not set"}, {Value: "unknown", Label: "Not sure"}},
		Roles:       []pages.Choice{{Value: "intune-admin", Label: "Intune Administrator"}, {Value: "global-admin", Label: "Global Administrator"}, {Value: "other", Label: "Another role"}, {Value: "unknown", Label: "Not sure"}},
		Cloud:       d.Answers.Tenant.EffectiveCloud(),
		Clouds:      cloudChoices,
		CanCheck:    s.offersAppCheck(r),
		Expiries:    expiryRows(d.Answers.Tenant.Expiries), ExpiryKinds: expiryKinds, MaxExpiries: plan.MaxExpiries,
	}
	v.CanSignIn = s.signIn != nil
	if raw != nil && raw["tenant.cloud"] != "" {
		v.Cloud = raw["tenant.cloud"]
	}
	if tc := d.Answers.TenantCheck; tc != nil {
		v.Check = &pages.CheckResult{When: readTime(tc.ReadAt), Findings: tc.Findings}
		if p, err := s.build(r.Context(), d.Answers); err == nil && p.TenantCheck != nil {
			for _, o := range p.TenantCheck.Overruled {
				v.Check.Overruled = append(v.Check.Overruled, o.Text)
			}
		}
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
	if err := readForm(r); err != nil {
		return err
	}
	d.Answers.Schema = plan.AnswersSchema
	d.Answers.Organization = strings.TrimSpace(r.PostForm.Get("organization"))
	d.Answers.Tenant.MDMAuthority = tenantChoice(r.PostForm.Get("tenant.mdm_authority"), d.Answers.Tenant.MDMAuthority)
	d.Answers.Tenant.AdminRole = tenantChoice(r.PostForm.Get("tenant.admin_role"), d.Answers.Tenant.AdminRole)
	d.Answers.Tenant.Cloud = r.PostForm.Get("tenant.cloud")
	if d.Answers.Tenant.Cloud == plan.CloudGlobal {
		d.Answers.Tenant.Cloud = "" // the default
	}
	var errs pages.FormErrors
	raw := map[string]string{"tenant.cloud": r.PostForm.Get("tenant.cloud")}
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
	rows, expiries, kept, expiryErrs := parseExpiries(r.PostForm)
	d.Answers.Tenant.Expiries = expiries
	if r.PostForm.Get("action") == "add-expiry" { // the page again, with a row more; nothing is checked yet
		v := s.orgView(r, d, nil, raw)
		v.Expiries = withBlankExpiry(rows)
		return s.renderStep(w, r, nil, pages.OrgPage(v))
	}
	errs = append(errs, expiryErrs...)
	for _, e := range stepErrors(s.cat.Validate(&d.Answers), func(f string) bool {
		return f == "organization" || strings.HasPrefix(f, "tenant.")
	}) {
		if e.Field == "organization" { // the answers' words name no field; the form's must
			e.Message = orgNameMessage(e.Message)
		}
		if m := expiryField.FindStringSubmatch(e.Field); m != nil { // the k-th expiry is the row kept[k]
			k, _ := strconv.Atoi(m[1])
			if k >= len(kept) || len(expiryErrs) > 0 {
				continue
			}
			e.Field = fmt.Sprintf("tenant.expiries[%d].%s", kept[k], e.Field[len(m[0]):])
			e.Where = fmt.Sprintf("Expiry %d", kept[k]+1)
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		order := []string{"organization", "tenant.mdm_authority", "tenant.admin_role", "tenant.cloud"}
		for _, q := range triFields {
			order = append(order, q.field)
		}
		errs = sortErrors(errs, append(order, "tenant.expiries"))
		v := s.orgView(r, d, errs, raw)
		if len(rows) > 0 {
			v.Expiries = rows
		}
		return s.renderStep(w, r, errs, pages.OrgPage(v))
	}
	if d.ID == "" { // the planner's first answer makes their draft
		if err := s.takeCreate(w, r); err != nil {
			return err
		}
	}
	return s.advance(w, r, d, stepOrg)
}

// readTime writes a check's RFC 3339 time for a reader; "" when the check
// does not say (the page then says so in a sentence of its own).
func readTime(rfc string) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// orgNameMessage words an error about the organisation's name for the
// form: the validator's message ("is missing; …") reads after a field
// name, which the error summary does not show.
func orgNameMessage(msg string) string {
	if strings.HasPrefix(msg, "is missing") {
		return "Enter the name of the organisation the plan is for"
	}
	if rest, ok := strings.CutPrefix(msg, "is "); ok {
		return "The organisation's name is " + rest
	}
	return msg
}

// notSure is the MDM authority's and the admin role's "Not sure"
// (CONTRACT §2: "unknown"). The engine reads it as it reads no answer.
const notSure = "unknown"

// orNotSure is the choice step 1 shows for an MDM authority or admin role:
// "Not sure" when the answers hold none, as the tenant questions below
// them show "Not sure" for an answer left open.
func orNotSure(v string) string {
	if v == "" {
		return notSure
	}
	return v
}

// tenantChoice is the MDM authority or admin role to keep from step 1's
// form. "Not sure" (or nothing chosen) keeps the answers as they were when
// they already left it open, absent or "unknown", so that continuing past
// step 1 never makes a revision that differs in that word alone.
func tenantChoice(posted, old string) string {
	if posted != "" && posted != notSure {
		return posted
	}
	if old == "" || old == notSure {
		return old
	}
	return notSure
}
