package static

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFilesAreEmbeddedAndHashed: every asset the pages use is in the binary
// and served under a content hash with a year-long, immutable cache lifetime.
func TestFilesAreEmbeddedAndHashed(t *testing.T) {
	a := New()
	for _, name := range []string{"css/app.css", "css/plan.css", "css/progress.css", "js/app.js", "js/progress.js"} {
		if !slices.Contains(a.Names(), name) {
			t.Fatalf("%s is not embedded", name)
		}
		u := a.URL(name)
		if !regexp.MustCompile(`^/static/[a-z/]+\.[0-9a-f]{10}\.(css|js)$`).MatchString(u) {
			t.Fatalf("%s: URL %q carries no content hash", name, u)
		}
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Fatalf("%s: %d", u, rec.Code)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Fatalf("%s: Cache-Control %q", u, cc)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") && !strings.Contains(ct, "javascript") {
			t.Fatalf("%s: Content-Type %q", u, ct)
		}
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", "/static/css/app.css", nil))
	if rec.Code != 404 {
		t.Fatalf("an unhashed name must not be served: %d", rec.Code)
	}
	if !strings.Contains(PlanCSS, "@media print") {
		t.Fatal("PlanCSS lacks its print rules")
	}
}
