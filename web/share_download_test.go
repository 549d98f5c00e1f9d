package web

import (
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// fileName is the file name a response's Content-Disposition gives, and
// its disposition ("attachment" or "inline").
func fileName(t *testing.T, r resp) (disposition, name string) {
	t.Helper()
	cd := r.header.Get("Content-Disposition")
	d, params, err := mime.ParseMediaType(cd)
	if err != nil {
		t.Fatalf("Content-Disposition %q: %v", cd, err)
	}
	return d, params["filename"]
}

func TestOrgSlug(t *testing.T) {
	for _, c := range []struct{ org, want string }{
		{"Northwind Traders", "northwind-traders"},
		{"Ünïcode & Co. / Ltd", "unicode-and-co-ltd"},
		{"  --Contoso--  Ltd.  ", "contoso-ltd"},
		{"Ærøskøbing Bygg AS", "aeroskobing-bygg-as"},
		{"Straße & Söhne GmbH", "strasse-and-sohne-gmbh"},
		{"Łódź Zakład", "lodz-zaklad"},
		{"3M", "3m"},
		{"CON", "con"}, // a reserved Windows name, but never the whole file name
		{"../../etc/passwd", "etc-passwd"},
		{`a"b\c:d*e?f<g>h|i`, "a-b-c-d-e-f-g-h-i"},
		{"1234", "enrollment"},
		{"!!! ???", "enrollment"},
		{"株式会社", "enrollment"},
		{"", "enrollment"},
		{"Contoso 株式会社", "contoso"},
		{"The Very Long Organisation Name of Northwind Traders International Holdings", "the-very-long-organisation-name-of"},
		{strings.Repeat("x", 80), strings.Repeat("x", 40)},
	} {
		got := orgSlug(c.org)
		if got != c.want {
			t.Errorf("orgSlug(%q) = %q, want %q", c.org, got, c.want)
		}
		if !regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`).MatchString(got) || len(got) > slugMax {
			t.Errorf("orgSlug(%q) = %q is not a safe slug", c.org, got)
		}
	}
	if got := exportName("Northwind Traders", revisionLabel(2), "md"); got != "northwind-traders-plan-r2.md" {
		t.Errorf("exportName: %q", got)
	}
}

// TestDownloadNamesFromShareLinks: every format of a share link, latest
// and earlier revisions, and the print view, carry organisation and revision.
func TestDownloadNamesFromShareLinks(t *testing.T) {
	e := newEnv(t, 0)
	for org, slug := range map[string]string{
		"Northwind Traders":   "northwind-traders",
		"Ünïcode & Co. / Ltd": "unicode-and-co-ltd",
		"1234 / 5678":         "enrollment",
	} {
		a := shareAnswers(t)
		a.Organization = org
		id := sharePlan(t, e, a, a)
		for path, want := range map[string]string{
			"/p/" + id + ".md":       slug + "-plan-r2.md",
			"/p/" + id + ".csv":      slug + "-plan-r2.csv",
			"/p/" + id + ".json":     slug + "-plan-r2.json",
			"/p/" + id + "/r/1.md":   slug + "-plan-r1.md",
			"/p/" + id + "/r/1.csv":  slug + "-plan-r1.csv",
			"/p/" + id + "/r/1.json": slug + "-plan-r1.json",
			"/p/" + id + "/r/2.json": slug + "-plan-r2.json",
		} {
			r := e.do(t, "GET", path, "")
			if r.status != 200 {
				t.Fatalf("%s: %d", path, r.status)
			}
			if d, name := fileName(t, r); d != "attachment" || name != want {
				t.Errorf("%s (%s): %s %q, want attachment %q", path, org, d, name, want)
			}
		}
		r := e.do(t, "GET", "/p/"+id+"/print", "")
		if d, name := fileName(t, r); r.status != 200 || d != "inline" || name != slug+"-plan-r2.html" {
			t.Errorf("share print (%s): %d %s %q", org, r.status, d, name)
		}
		if !strings.Contains(r.body, "<title>"+slug+"-plan-r2</title>") {
			t.Errorf("share print (%s): the title, which a browser offers as the PDF's name, is not the file name", org)
		}
		if !strings.Contains(r.body, "Revision 2") {
			t.Errorf("share print (%s): page one does not name the revision", org)
		}
		if page := e.do(t, "GET", "/p/"+id, ""); page.header.Get("Content-Disposition") != "" {
			t.Errorf("the share page itself is sent as a file: %q", page.header.Get("Content-Disposition"))
		}
	}
}

// TestDownloadNamesFromTheWizard: unsaved answers are the draft; once saved
// (and until changed) the revision; every format and the print view alike.
func TestDownloadNamesFromTheWizard(t *testing.T) {
	e := newEnv(t, 0)
	for org, slug := range map[string]string{
		"Northwind Traders":   "northwind-traders",
		"Ünïcode & Co. / Ltd": "unicode-and-co-ltd",
		"4711":                "enrollment",
	} {
		p := newPlanner(t, e.srv.URL)
		expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
		form := orgForm()
		form.Set("organization", org)
		expectRedirect(t, p.post("/wizard/organisation", form), "/wizard/devices")
		walkRest(t, p)
		check := func(label string) {
			t.Helper()
			for _, f := range []string{"md", "csv", "json"} {
				r := p.get("/wizard/plan." + f)
				if d, name := fileName(t, r); r.status != 200 || d != "attachment" || name != slug+"-plan-"+label+"."+f {
					t.Errorf("%s: /wizard/plan.%s: %d %s %q, want %s", org, f, r.status, d, name, slug+"-plan-"+label+"."+f)
				}
			}
			r := p.get("/wizard/print")
			if d, name := fileName(t, r); r.status != 200 || d != "inline" || name != slug+"-plan-"+label+".html" {
				t.Errorf("%s: /wizard/print: %d %s %q", org, r.status, d, name)
			}
			if !strings.Contains(r.body, "<title>"+slug+"-plan-"+label+"</title>") {
				t.Errorf("%s: the print view's title is not %s", org, slug+"-plan-"+label)
			}
		}
		check("draft")
		if r := p.post("/wizard/save", nil); r.status != 200 {
			t.Fatalf("save: %d", r.status)
		}
		check("r1")
		// A change after saving is a draft again, until saved as revision 2.
		form.Set("tenant.groups_ready", "yes")
		expectRedirect(t, p.post("/wizard/organisation", form), "/wizard/devices")
		check("draft")
		if r := p.post("/wizard/save", nil); r.status != http.StatusSeeOther {
			t.Fatalf("save revision 2: %d", r.status)
		}
		check("r2")
	}
}

// walkRest answers steps 2 to 6 as walkToPlan does.
func walkRest(t *testing.T, p *planner) {
	t.Helper()
	expectRedirect(t, p.post("/wizard/devices", devicesForm("continue")), "/wizard/review")
	expectRedirect(t, p.post("/wizard/review", url.Values{"populations[0].method": {"ios-ade"}, "populations[1].method": {"windows-autopilot"}}), "/wizard/prerequisites")
	expectRedirect(t, p.post("/wizard/prerequisites", url.Values{"bulk_enrollment_by_staff": {"no"}, "baseline": {"compliance"}}), "/wizard/rollout")
	expectRedirect(t, p.post("/wizard/rollout", url.Values{"rollout.pilot_group": {"Intune Pilot"}}), "/wizard/plan")
}
