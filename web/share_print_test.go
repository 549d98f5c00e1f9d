package web

import (
	"regexp"
	"strings"
	"testing"
)

// TestPrintButtons: both print views show, on screen, a way back and a
// Print button that app.js reveals (no inline script: the CSP forbids it),
// a hint naming the browser's Print command for pages without JavaScript,
// and print.css hides all of it on paper.
func TestPrintButtons(t *testing.T) {
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	expectRedirect(t, p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	walkRest(t, p)
	id := sharePlan(t, e, shareAnswers(t))

	views := map[string]struct {
		r        resp
		back     string
		backText string
	}{
		"/wizard/print":       {p.get("/wizard/print"), "/wizard/plan", "Back to your plan"},
		"/p/" + id + "/print": {e.do(t, "GET", "/p/"+id+"/print", ""), "/p/" + id, "Back to the shared plan"},
	}
	var css, js string
	for path, v := range views {
		b := v.r.body
		if v.r.status != 200 {
			t.Fatalf("%s: %d", path, v.r.status)
		}
		for _, want := range []string{
			`<header class="print-tools">`,
			`<a class="print-back" href="` + v.back + `">` + v.backText + `</a>`,
			`<button type="button" class="print-button" data-print hidden>Print</button>`,
			`use your browser's Print command`,
		} {
			if !strings.Contains(b, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
		tools, doc := strings.Index(b, `class="print-tools"`), strings.Index(b, "<main>")
		if tools < 0 || doc < 0 || tools > doc {
			t.Errorf("%s: the tools are not above the plan", path)
		}
		if strings.Contains(b, "site-header") {
			t.Errorf("%s carries the site chrome", path)
		}
		if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(b) || regexp.MustCompile(`\son[a-z]+=`).MatchString(b) {
			t.Errorf("%s has inline script", path)
		}
		if m := regexp.MustCompile(`<link rel="stylesheet" href="(/static/css/print\.[0-9a-f]+\.css)">`).FindStringSubmatch(b); m == nil {
			t.Errorf("%s does not link print.css", path)
		} else {
			css = e.do(t, "GET", m[1], "").body
		}
		if m := regexp.MustCompile(`<script src="(/static/js/app\.[0-9a-f]+\.js)" defer>`).FindStringSubmatch(b); m == nil {
			t.Errorf("%s does not load app.js", path)
		} else {
			js = e.do(t, "GET", m[1], "").body
		}
	}
	if !strings.Contains(css, "@media print{.print-tools{display:none!important}}") {
		t.Error("print.css does not hide the tools on paper")
	}
	for _, want := range []string{`document.querySelector("button[data-print]")`, "window.print()", "b.hidden = false", "[data-print-hint]"} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks the print handler's %s", want)
		}
	}
}
