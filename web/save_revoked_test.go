package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
)

// TestSaveRevokedPlanDraftMakesNewPlan: a planner whose plan was revoked
// (its edit link used to withdraw it) and who changes an answer and
// presses Save & share again gets a new plan, with a new id and new links,
// and a page saying the earlier plan's links were revoked, rather than an
// error; the revoked plan stays revoked, and the draft follows the new plan
// from then on.
func TestSaveRevokedPlanDraftMakesNewPlan(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	ctx := context.Background()
	p := newPlanner(t, ts.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	walkToPlan(t, p)
	r := p.post("/wizard/save", nil)
	first := linksOf(r.body)
	if r.status != http.StatusOK || first.edit == "" {
		t.Fatalf("first Save & share: %d, links %+v", r.status, first)
	}
	oldID := first.share[strings.LastIndex(first.share, "/")+1:]
	_, oldKey, _ := strings.Cut(first.edit, "#key=")
	if d := ts.do(t, "DELETE", "/api/v1/plans/"+oldID, "", "Authorization", "Bearer "+oldKey); d.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", d.status, d.body)
	}

	f := orgForm()
	f.Set("organization", "Contoso Renewed")
	expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
	r = p.post("/wizard/save", nil)
	second := linksOf(r.body)
	if r.status != http.StatusOK || second.share == "" || second.edit == "" || second.tracker == "" {
		t.Fatalf("Save & share after the plan was revoked: %d, links %+v: %.1000s", r.status, second, r.body)
	}
	if !strings.Contains(r.body, "was revoked, and its links no longer open anything, so this is a new plan with new links") {
		t.Fatalf("the page does not say the earlier plan's links were revoked: %.3000s", r.body)
	}
	newID := second.share[strings.LastIndex(second.share, "/")+1:]
	_, newKey, _ := strings.Cut(second.edit, "#key=")
	if newID == oldID || newKey == oldKey {
		t.Fatalf("the new plan reuses the revoked plan's id or key: %+v vs %+v", second, first)
	}
	sp, err := ts.store.GetPlan(ctx, newID)
	if err != nil || sp.Revision != 1 || !strings.Contains(string(sp.Answers), "Contoso Renewed") || !store.KeyMatches(sp.EditKeyHash, newKey) {
		t.Fatalf("the new plan: revision %d, answers with the change %v, key opens it %v, %v",
			sp.Revision, strings.Contains(string(sp.Answers), "Contoso Renewed"), store.KeyMatches(sp.EditKeyHash, newKey), err)
	}
	if _, err := ts.store.GetPlan(ctx, oldID); !errors.Is(err, store.ErrGone) {
		t.Fatalf("the revoked plan after the new save: %v, want it still revoked", err)
	}
	if g := p.get("/p/" + oldID); g.status != http.StatusGone {
		t.Fatalf("the revoked plan's link: %d, want 410", g.status)
	}

	// The draft now follows the new plan: a change is its revision 2.
	f.Set("organization", "Contoso Renewed Again")
	expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
	expectRedirect(t, p.post("/wizard/save", nil), "/wizard/plan?saved=2")
	if sp, err := ts.store.GetPlan(ctx, newID); err != nil || sp.Revision != 2 {
		t.Fatalf("the new plan after a change: revision %d, %v; want 2", sp.Revision, err)
	}
}
