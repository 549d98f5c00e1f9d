package web

import (
	"regexp"
	"strings"
	"testing"
)

// TestSaveShowsOneMessage: after Save & share, and after saving a new
// revision, the plan page says once what happened and where the links
// are: one status message, not also "Editing saved plan revision n".
func TestSaveShowsOneMessage(t *testing.T) {
	p := newClockedPlanner(t)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	walkToPlan(t, p)
	status := regexp.MustCompile(`role="(status|alert)"`)
	check := func(when, body string, wants ...string) {
		t.Helper()
		if n := len(status.FindAllString(body, -1)); n != 1 {
			t.Errorf("%s: %d messages on the page, want 1", when, n)
		}
		if strings.Contains(body, "Editing saved plan revision") {
			t.Errorf("%s: the page also says it is editing a saved revision", when)
		}
		box := visibleText(between(body, `<div class="success-box" role="status">`, `<div class="plan-actions">`))
		for _, w := range wants {
			if !strings.Contains(box, w) {
				t.Errorf("%s: the message lacks %q:\n%s", when, w, box)
			}
		}
	}
	r := p.post("/wizard/save", nil)
	if r.status != 200 {
		t.Fatalf("save: %d", r.status)
	}
	check("first save", r.body, "Saved as revision 1.", "read-only link", "edit link, shown only this once", "Read-only link", "Edit link")

	f := orgForm()
	f.Set("organization", "Contoso Group")
	expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
	expectRedirect(t, p.post("/wizard/save", nil), "/wizard/plan?saved=2")
	check("second save", p.get("/wizard/plan?saved=2").body, "Saved as revision 2.", "The read-only link below shows this revision now")

	// Later, without a save, the page says that it edits a saved plan.
	if again := p.get("/wizard/plan").body; !strings.Contains(again, "Editing saved plan revision 2") {
		t.Error("the plan page no longer says which saved revision it edits")
	}
}
