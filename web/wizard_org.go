package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
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

func (s *Server) orgView(r *http.Request, d *draft, errs pages.FormErrors, raw map[string]string) pages.OrgView {
	v := pages.OrgView{
		Head: s.head(pages.WizardSteps[0].Title, false), Nav: s.nav(r, d, stepOrg), Errors: errs,
		Organization: d.Answers.Organization, MDMAuthority: d.Answers.Tenant.MDMAuthority, AdminRole: d.Answers.Tenant.AdminRole,
		Authorities: []pages.Choice{{Value: "intune", Label: "Intune"}, {Value: "configmgr", Label: "Configuration Manager"}, {Value: "office365", Label: "Basic Mobility and Security (Office 365)"}, {Value: "none", Label: "Not set"}, {Value: "unknown", Label: "Not sure"}},
		Roles:       []pages.Choice{{Value: "intune-admin", Label: "Intune Administrator"}, {Value: "global-admin", Label: "Global Administrator"}, {Value: "other", Label: "Another role"}, {Value: "unknown", Label: "Not sure"}},
		Cloud:       d.Answers.Tenant.EffectiveCloud(),
		Clouds: []pages.Choice{{Value: "global", Label: "Commercial (worldwide)"}, {Value: "gcc", Label: "GCC (US Government Community Cloud)"},
			{Value: "gcc-high", Label: "GCC High"}, {Value: "dod", Label: "DoD"}, {Value: "china", Label: "Operated by 21Vianet in China"}},
		CanCheck: s.checker != nil,
	}
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
	d.Answers.Tenant.MDMAuthority = r.PostForm.Get("tenant.mdm_authority")
	d.Answers.Tenant.AdminRole = r.PostForm.Get("tenant.admin_role")
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
	errs = append(errs, stepErrors(s.cat.Validate(&d.Answers), func(f string) bool {
		return f == "organization" || strings.HasPrefix(f, "tenant.")
	})...)
	if len(errs) > 0 {
		errs = sortErrors(errs, []string{"organization", "tenant.mdm_authority", "tenant.admin_role", "tenant."})
		return s.renderStep(w, r, errs, pages.OrgPage(s.orgView(r, d, errs, raw)))
	}
	if d.ID == "" { // the planner's first answer makes their draft
		if err := s.takeCreate(w, r); err != nil {
			return err
		}
	}
	return s.advance(w, r, d, stepOrg)
}

// readTime writes a check's RFC 3339 time for a reader.
func readTime(rfc string) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return "an unknown time"
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}
