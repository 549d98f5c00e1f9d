package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestPlanPageCachedUntilTheDraftChanges: the wizard's plan page is
// rendered once per draft version and answered from the cache after that,
// byte for byte; a step posted with other answers, or a save that makes
// the draft an edit of a saved plan, renders it again; another planner's
// session never gets this planner's page.
func TestPlanPageCachedUntilTheDraftChanges(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	renders := func() int { return ts.server.cache.filled(planPageKind) }
	p := newPlanner(t, ts.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	walkToPlan(t, p)

	first := p.get("/wizard/plan")
	if first.status != 200 || !strings.Contains(first.body, "Contoso Ltd") || renders() != 1 {
		t.Fatalf("first view: %d, %d renders", first.status, renders())
	}
	if cc := first.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q: a draft's page is private", cc)
	}
	again := p.get("/wizard/plan")
	if again.status != 200 || again.body != first.body || renders() != 1 {
		t.Fatalf("unchanged draft: %d, same bytes %v, %d renders (want the cached page)", again.status, again.body == first.body, renders())
	}

	// Another planner, other answers: a page of their own.
	other := newPlanner(t, ts.srv.URL)
	expectRedirect(t, other.post("/wizard/new", nil), "/wizard/organisation")
	walkToPlan(t, other)
	form := orgForm()
	form.Set("organization", "Fabrikam Inc")
	expectRedirect(t, other.post("/wizard/organisation", form), "/wizard/devices")
	theirs := other.get("/wizard/plan")
	if theirs.status != 200 || !strings.Contains(theirs.body, "Fabrikam Inc") || strings.Contains(theirs.body, "Contoso Ltd") || renders() != 2 {
		t.Fatalf("another planner's page: %d, %d renders", theirs.status, renders())
	}

	// The first planner changes an answer: the page follows at once.
	form.Set("organization", "Contoso Health")
	expectRedirect(t, p.post("/wizard/organisation", form), "/wizard/devices")
	changed := p.get("/wizard/plan")
	if changed.status != 200 || !strings.Contains(changed.body, "Contoso Health") || changed.body == first.body || renders() != 3 {
		t.Fatalf("after changing the organisation: %d, %d renders", changed.status, renders())
	}
	if p.get("/wizard/plan").body != changed.body || renders() != 3 {
		t.Fatalf("unchanged again: %d renders, want the cached page", renders())
	}

	// Saved: the draft now edits revision 1 of a plan, which the frame says.
	if r := p.post("/wizard/save", nil); r.status != 200 {
		t.Fatalf("save: %d", r.status)
	}
	saved := p.get("/wizard/plan")
	if saved.status != 200 || !strings.Contains(saved.body, "Editing saved plan revision 1") || renders() != 4 {
		t.Fatalf("after saving: %d, %d renders:\n%.1500s", saved.status, renders(), pageText(saved.body))
	}
	// A query asks for a message on the page: rendered for that request.
	if r := p.get("/wizard/plan?saved=1"); r.status != 200 || !strings.Contains(r.body, "Saved as revision 1") || renders() != 4 {
		t.Errorf("?saved=1: %d, %d cached renders", r.status, renders())
	}
}

// TestSharePageFollowsItsProgress: a share page cached with the plan's
// progress is rendered again once a task is ticked, on the server that
// recorded it, and then served from the cache until the next change.
func TestSharePageFollowsItsProgress(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	e := ts.testEnv
	c := e.create(t)
	tasks, _, _ := deviceTasks(t, latestTracker(t, e, c.ID))
	share := "/p/" + c.ID
	before := e.do(t, "GET", share, "")
	if before.status != 200 || e.do(t, "GET", share, "").body != before.body {
		t.Fatalf("share page: %d, or not the same bytes twice", before.status)
	}
	pages := ts.server.cache.filled("html")
	if r := e.patchProgress(t, c.ID, c.EditKey, `"p0"`, taskPatch(tasks[0].ID, "done", "", "Ana")); r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	after := e.do(t, "GET", share, "")
	if after.status != 200 || after.body == before.body || ts.server.cache.filled("html") != pages+1 {
		t.Fatalf("after ticking a task: %d, changed %v, %d renders", after.status, after.body != before.body, ts.server.cache.filled("html")-pages)
	}
	if e.do(t, "GET", share, "").body != after.body || ts.server.cache.filled("html") != pages+1 {
		t.Error("the page after the tick is not served from the cache")
	}
}
