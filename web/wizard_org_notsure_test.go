package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"testing"
)

// TestOrgNotSureByDefault: step 1 shows "Not sure" chosen for the MDM
// authority and the admin role until the planner answers, as it does for
// the tenant questions below them; continuing with "Not sure" makes the
// same plan as never answering, with both prerequisites "not known yet".
func TestOrgNotSureByDefault(t *testing.T) {
	p := newClockedPlanner(t)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	page := p.get("/wizard/organisation").body
	for _, field := range []string{"tenant.mdm_authority", "tenant.admin_role"} {
		checked := regexp.MustCompile(`name="`+regexp.QuoteMeta(field)+`" value="([a-z0-9-]+)" checked`).FindAllStringSubmatch(page, -1)
		if len(checked) != 1 || checked[0][1] != "unknown" {
			t.Errorf("%s: step 1 shows %v chosen, want only “Not sure” (unknown)", field, checked)
		}
	}

	statuses := func(value string, send bool) map[string]string {
		t.Helper()
		p := newClockedPlanner(t)
		expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
		f := orgForm()
		for _, field := range []string{"tenant.mdm_authority", "tenant.admin_role"} {
			if send {
				f.Set(field, value)
			} else {
				f.Del(field)
			}
		}
		expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
		walkRest(t, p)
		var pl struct {
			Prerequisites []struct{ ID, Status string } `json:"prerequisites"`
		}
		if err := json.Unmarshal([]byte(p.get("/wizard/plan.json").body), &pl); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, pr := range pl.Prerequisites {
			out[pr.ID] = pr.Status
		}
		return out
	}
	notSure := statuses("unknown", true)
	unanswered := statuses("", false)
	for _, id := range []string{"mdm-authority", "admin-role"} {
		if notSure[id] != "unknown" || unanswered[id] != "unknown" {
			t.Errorf("%s: “Not sure” reads %q and no answer %q; both should be not known yet (unknown)", id, notSure[id], unanswered[id])
		}
	}
	if fmt.Sprint(notSure) != fmt.Sprint(unanswered) {
		t.Errorf("“Not sure” and no answer make different prerequisites: %v and %v", notSure, unanswered)
	}
}

// TestOrgNotSureKeepsSavedAnswers: a plan saved without an MDM authority
// or admin role, or with "unknown" for them, opened in the wizard and
// continued past step 1 with "Not sure", saves no new revision: nothing
// changed, and "what changed" would otherwise read "not answered → not sure".
func TestOrgNotSureKeepsSavedAnswers(t *testing.T) {
	for _, tenant := range []string{`{"licenses_assigned": true, "groups_ready": false}`, `{"mdm_authority": "unknown", "admin_role": "unknown", "licenses_assigned": true, "groups_ready": false}`} {
		e := newEnv(t, 0)
		answers := `{"schema": "enrollplan.answers/v1", "organization": "Contoso Ltd", "tenant": ` + tenant + `,
			"populations": [{"id": "sales-iphones", "name": "Sales iPhones", "platform": "ios", "ownership": "corporate", "usage": "user", "devices": 250}]}`
		r := e.do(t, "POST", "/api/v1/plans", answers)
		var c struct {
			ID      string `json:"id"`
			EditKey string `json:"edit_key"`
		}
		if err := json.Unmarshal([]byte(r.body), &c); err != nil || r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		p := newPlanner(t, e.srv.URL)
		expectRedirect(t, p.post("/p/"+c.ID+"/edit", url.Values{"key": {c.EditKey}}), "/wizard/plan")
		f := url.Values{"organization": {"Contoso Ltd"}, "tenant.mdm_authority": {"unknown"}, "tenant.admin_role": {"unknown"},
			"tenant.licenses_assigned": {"yes"}, "tenant.groups_ready": {"no"}}
		for _, q := range triFields {
			if f.Get(q.field) == "" {
				f.Set(q.field, "unsure")
			}
		}
		if r := p.post("/wizard/organisation", f); r.status != 303 {
			t.Fatalf("step 1: %d %.500s", r.status, r.body)
		}
		expectRedirect(t, p.post("/wizard/save", nil), "/wizard/plan?saved=1")
	}
}
