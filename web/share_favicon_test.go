package web

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/static"
)

// TestFavicon: /favicon.ico answers with an icon, cached; every page links
// the icon, and nothing a page links (icon, styles, script) is a 404.
func TestFavicon(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, "GET", "/favicon.ico", "")
	if r.status != 200 || r.header.Get("Content-Type") != "image/x-icon" || !bytes.HasPrefix([]byte(r.body), []byte{0, 0, 1, 0}) {
		t.Fatalf("/favicon.ico: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age=86400") {
		t.Errorf("/favicon.ico Cache-Control %q", cc)
	}
	svg := e.do(t, "GET", static.FaviconURL, "")
	if svg.status != 200 || svg.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(svg.body, "<svg") {
		t.Fatalf("%s: %d %q", static.FaviconURL, svg.status, svg.header.Get("Content-Type"))
	}
	if cc := svg.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("%s Cache-Control %q", static.FaviconURL, cc)
	}

	// Pages of every kind: start, a wizard step, the plan, print views,
	// the share page and its changes, an error page.
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	expectRedirect(t, p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	walkRest(t, p)
	id := sharePlan(t, e, shareAnswers(t), shareAnswers(t))
	pages := map[string]resp{}
	for _, path := range []string{"/", "/wizard/organisation", "/wizard/devices", "/wizard/plan", "/wizard/print"} {
		pages[path] = p.get(path)
	}
	for _, path := range []string{"/p/" + id, "/p/" + id + "/r/1", "/p/" + id + "/print", "/p/" + id + "/changes", "/no/such/page", "/p/" + id + "/changes?from=x"} {
		pages[path] = e.do(t, "GET", path, "")
	}
	linked := regexp.MustCompile(`<(?:link|script)[^>]+(?:href|src)="(/[^"]*)"`)
	for path, r := range pages {
		if !strings.Contains(r.body, `<link rel="icon" href="/favicon.ico"`) || !strings.Contains(r.body, `<link rel="icon" href="`+static.FaviconURL+`" type="image/svg+xml">`) {
			t.Errorf("%s (%d) does not link the icon", path, r.status)
		}
		for _, m := range linked.FindAllStringSubmatch(r.body, -1) {
			if got := e.do(t, "GET", m[1], ""); got.status != 200 {
				t.Errorf("%s links %s, which answers %d", path, m[1], got.status)
			}
		}
	}
}
