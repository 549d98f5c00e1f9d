package web

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestPrereqSourcesNamedByTitle: step 5 names each prerequisite's sources
// by their pages' titles, as the plan's list of sources does, never by a
// bare address or "learn.microsoft.com: page-name".
func TestPrereqSourcesNamedByTitle(t *testing.T) {
	p := newClockedPlanner(t)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	walkTo(t, p, stepPrereq)
	page := p.get("/wizard/prerequisites").body
	var pl struct {
		References []struct{ URL, Title string } `json:"references"`
	}
	walkRest(t, p)
	if err := json.Unmarshal([]byte(p.get("/wizard/plan.json").body), &pl); err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, r := range pl.References {
		titles[r.URL] = r.Title
	}
	sources := regexp.MustCompile(`(?s)<p class="sources">(.*?)</p>`).FindAllStringSubmatch(page, -1)
	if len(sources) == 0 {
		t.Fatal("step 5 lists no sources")
	}
	links := 0
	for _, s := range sources {
		for _, l := range regexp.MustCompile(`<a href="([^"]+)">([^<]*)</a>`).FindAllStringSubmatch(s[1], -1) {
			links++
			want := titles[l[1]]
			if want == "" {
				t.Errorf("source %s is not in the plan's list of sources", l[1])
				continue
			}
			if got := strings.TrimSpace(l[2]); got != htmlEscape(want) {
				t.Errorf("source %s is named %q, want its title %q", l[1], got, want)
			}
			if strings.Contains(l[2], "://") || strings.Contains(l[2], "learn.microsoft.com") {
				t.Errorf("source %s is named by its address: %q", l[1], l[2])
			}
		}
	}
	if links == 0 {
		t.Fatal("step 5's sources have no links")
	}
}

// htmlEscape escapes text as templ writes it into a page.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
