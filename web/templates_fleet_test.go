package web

import (
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/examples"
	"github.com/enrollplan/enrollplan/internal/plan"
)

// fleetStep reports whether the plan gives population id a step whose
// title or detail says want.
func fleetStep(p *plan.Plan, id, want string) bool {
	for _, pp := range p.Populations {
		if pp.ID != id {
			continue
		}
		for _, st := range pp.Steps {
			if strings.Contains(st.Title, want) || strings.Contains(st.Detail, want) {
				return true
			}
		}
	}
	return false
}

func fleetMethod(p *plan.Plan, id string) string {
	for _, pp := range p.Populations {
		if pp.ID == id {
			return pp.Method.ID
		}
	}
	return ""
}

// TestFleetTemplatesBuildTheirPlans: every starting fleet is a valid answers
// file whose plan shows what that kind of fleet needs, and the start page
// offers exactly the files there are.
func TestFleetTemplatesBuildTheirPlans(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cat: cat}
	files, err := fs.Glob(examples.Templates, "templates/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".json"))
	}
	var offered []string
	for _, f := range fleetTemplates {
		offered = append(offered, f.name)
	}
	slices.Sort(names)
	slices.Sort(offered)
	if !slices.Equal(names, offered) {
		t.Fatalf("examples/templates holds %v but the start page offers %v", names, offered)
	}

	// What a planner would look for in each fleet's plan.
	type expect struct{ pop, method, step string }
	checks := map[string][]expect{
		"office": {
			{"hot-desk-pcs", "windows-co-management", "Shared multi-user device profile"},
			{"new-starter-laptops", "windows-autopilot", "user-driven deployment profile"},
			{"personal-iphones", plan.MethodMAMWE, "app protection"},
		},
		"hospital": {
			{"nursing-pcs", "windows-co-management", "Shared multi-user device profile"},
			{"ward-ipads", "ios-ade", "Shared iPad"},
			{"checkin-kiosks", "android-dedicated", "Zebra"},
			{"porter-phones", "android-fully-managed", "Knox Mobile Enrollment"},
		},
		"school": {
			{"student-ipads", "ios-ade", "Shared iPad"},
			{"lab-pcs", "windows-auto-enrollment", "Shared multi-user device profile"},
			{"student-laptops", "windows-autopilot", "user-driven deployment profile"},
		},
		"retail-frontline": {
			{"store-scanners", "android-dedicated", "Zebra"},
			{"shift-phones", "android-dedicated", "shared device mode"},
			{"personal-android", plan.MethodMAMWE, "app protection"},
		},
		"field-service": {
			{"engineer-phones", "android-fully-managed", "Knox Mobile Enrollment"},
			{"van-tablets", "android-dedicated", "Knox Mobile Enrollment"},
		},
		"government": {
			{"personal-phones", plan.MethodMAMWE, "portal.manage.microsoft.us"},
			{"staff-laptops", "windows-co-management", "Azure US Government cloud"},
		},
	}
	for _, f := range fleetTemplates {
		t.Run(f.name, func(t *testing.T) {
			a, err := s.fleetAnswers(f.name)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Rollout.Waves) > 0 || a.Rollout.PilotGroup != "" {
				t.Error("a starting fleet leaves the pilot and waves to the planner")
			}
			p, err := cat.Build(a)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Populations) < 5 {
				t.Errorf("%d groups; a typical fleet has several", len(p.Populations))
			}
			for _, pp := range p.Populations {
				for _, w := range pp.Warnings {
					if w.Severity == "blocker" {
						t.Errorf("%s starts with a blocker: %s", pp.Name, w.Text)
					}
				}
			}
			if len(checks[f.name]) == 0 {
				t.Fatal("no checks for this fleet")
			}
			for _, c := range checks[f.name] {
				if got := fleetMethod(p, c.pop); got != c.method {
					t.Errorf("%s: method %q, want %q", c.pop, got, c.method)
				}
				if !fleetStep(p, c.pop, c.step) {
					t.Errorf("%s: no step says %q", c.pop, c.step)
				}
			}
		})
	}

	t.Run("cloud", func(t *testing.T) {
		for _, f := range fleetTemplates {
			a, err := s.fleetAnswers(f.name)
			if err != nil {
				t.Fatal(err)
			}
			p, err := cat.Build(a)
			if err != nil {
				t.Fatal(err)
			}
			want := plan.CloudGlobal
			if f.name == "government" {
				want = "gcc-high"
			}
			if p.Knowledge.Cloud != want {
				t.Errorf("%s: plan made for the %s cloud, want %s", f.name, p.Knowledge.Cloud, want)
			}
		}
	})
}

// TestStartFromFleet: each starting fleet's button leads to a draft whose
// step 2 lists the fleet's groups once step 1 is answered.
func TestStartFromFleet(t *testing.T) {
	e := newEnv(t, 0)
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cat: cat}
	home := newPlanner(t, e.srv.URL).get("/")
	for _, f := range fleetTemplates {
		t.Run(f.name, func(t *testing.T) {
			button := regexp.MustCompile(`<button[^>]*name="template"[^>]*value="` + regexp.QuoteMeta(f.name) + `"[^>]*>` + regexp.QuoteMeta(html.EscapeString(f.title)) + `</button>`)
			if !button.MatchString(home.body) || !strings.Contains(home.body, html.EscapeString(f.about)) {
				t.Fatalf("the start page lacks the %s button or its description", f.title)
			}
			a, err := s.fleetAnswers(f.name)
			if err != nil {
				t.Fatal(err)
			}
			p := newPlanner(t, e.srv.URL)
			expectRedirect(t, p.post("/wizard/new", url.Values{"template": {f.name}}), "/wizard/organisation?fleet="+f.name)

			r := p.get("/wizard/organisation?fleet=" + f.name)
			flash := "Step 2 is filled in with the " + strconv.Itoa(len(a.Populations)) + " groups of devices of a typical " + f.kind + " fleet"
			if r.status != http.StatusOK || !strings.Contains(r.body, flash) {
				t.Fatalf("step 1: %d, want the message %q", r.status, flash)
			}
			if regexp.MustCompile(`name="organization"[^>]*value="[^"]`).MatchString(r.body) {
				t.Error("step 1 has an organisation filled in; the planner must name theirs")
			}
			form := orgForm()
			cloud := a.Tenant.EffectiveCloud()
			if !regexp.MustCompile(`value="` + cloud + `"[^>]*checked`).MatchString(r.body) {
				t.Errorf("step 1 does not have the %s cloud chosen", cloud)
			}
			form.Set("tenant.cloud", cloud) // as the browser posts the chosen radio
			if f.name == "office" {
				form.Del("organization") // the template names none: step 1 asks
				if r := p.post("/wizard/organisation", form); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "name of the organisation") {
					t.Fatalf("step 1 without an organisation: %d", r.status)
				}
				form.Set("organization", "Contoso Ltd")
			}
			expectRedirect(t, p.post("/wizard/organisation", form), "/wizard/devices")

			r = p.get("/wizard/devices")
			if r.status != http.StatusOK {
				t.Fatalf("step 2: %d", r.status)
			}
			for i, pop := range a.Populations {
				field := regexp.QuoteMeta(`name="populations[` + strconv.Itoa(i) + `].name"`)
				if !regexp.MustCompile(field + `[^>]*value="` + regexp.QuoteMeta(html.EscapeString(pop.Name)) + `"`).MatchString(r.body) {
					t.Errorf("step 2 lacks group %d, %s", i+1, pop.Name)
				}
				if !strings.Contains(r.body, `value="`+strconv.Itoa(pop.Devices)+`"`) {
					t.Errorf("step 2 lacks the %d devices of %s", pop.Devices, pop.Name)
				}
			}
		})
	}
}

// TestStartFormsTheStartPageDoesNotOffer: an unknown fleet or way of
// starting is a 400 in words, and the planner's draft stays.
func TestStartFormsTheStartPageDoesNotOffer(t *testing.T) {
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	expectRedirect(t, p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	for _, form := range []url.Values{
		{"template": {"castle"}},
		{"template": {"../northwind"}},
		{"template": {"templates/office"}},
		{"start": {"spreadsheet"}},
	} {
		r := p.post("/wizard/new", form)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "does not offer that starting fleet") {
			t.Errorf("%v: %d %.300s", form, r.status, r.body)
		}
	}
	if r := p.get("/wizard/devices"); r.status != http.StatusOK || !strings.Contains(r.body, "Contoso Ltd") {
		t.Errorf("the draft did not survive the refused forms: %d", r.status)
	}

	// From a device inventory: a fresh draft, and on to the inventory page.
	r := p.post("/wizard/new", url.Values{"start": {"inventory"}})
	expectRedirect(t, r, inventoryURL)
	if got := p.get("/wizard/devices"); got.status != http.StatusSeeOther || strings.Contains(got.body, "Contoso Ltd") {
		t.Errorf("the inventory start kept the old draft: %d", got.status)
	}
	if home := p.get("/"); !strings.Contains(home.body, `name="start" value="inventory"`) {
		t.Error("the start page lacks the inventory button")
	}
}

// TestStartFromFleetCountsAsACreate: a starting fleet makes a draft, so it
// is under the create limit like "Start a new plan".
func TestStartFromFleetCountsAsACreate(t *testing.T) {
	e := newEnv(t, 1)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/new", url.Values{"template": {"school"}}), "/wizard/organisation?fleet=school")
	if r := p.post("/wizard/new", url.Values{"template": {"hospital"}}); r.status != http.StatusTooManyRequests {
		t.Fatalf("second start within the minute: %d, want 429", r.status)
	}
}
