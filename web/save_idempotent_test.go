package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// creationCounter counts the plans and revisions the store was asked to make.
type creationCounter struct {
	store.Store
	creates, updates atomic.Int64
}

func (c *creationCounter) CreatePlan(ctx context.Context, p store.NewPlan) (store.Plan, error) {
	c.creates.Add(1)
	return c.Store.CreatePlan(ctx, p)
}

func (c *creationCounter) UpdatePlan(ctx context.Context, u store.Update) (store.Plan, error) {
	c.updates.Add(1)
	return c.Store.UpdatePlan(ctx, u)
}

// TestSaveAndShareIdempotent: eight Save & share submits of one draft at
// once make one plan, and every answer names it; eight re-saves of the
// same change make one revision, and none is told of a conflict (L5).
func TestSaveAndShareIdempotent(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cs := &creationCounter{Store: db}
	srv := New(Options{Store: cs, Catalog: cat, SessionKeys: []string{strings.Repeat("k", 40)}})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	p := newPlanner(t, ts.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	walkToPlan(t, p)

	const n = 8
	shareLink := regexp.MustCompile(`/p/([A-Za-z0-9_-]{22})`)
	saveAll := func() []resp {
		var wg sync.WaitGroup
		out := make([]resp, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				out[i] = p.post("/wizard/save", nil)
			}()
		}
		close(start)
		wg.Wait()
		return out
	}

	var planID string
	pages, edits := 0, 0
	for i, r := range saveAll() {
		switch {
		case r.status == http.StatusOK:
			pages++
			if strings.Contains(r.body, "/edit#key=") {
				edits++
			}
		case r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/wizard/plan?saved=1"):
			r = p.get(r.header.Get("Location"))
		default:
			t.Fatalf("submit %d: %d %s %.300s", i, r.status, r.header.Get("Location"), r.body)
		}
		m := shareLink.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("submit %d: no share link in the answer", i)
		}
		if planID == "" {
			planID = m[1]
		} else if m[1] != planID {
			t.Fatalf("submit %d names plan %s, another names %s", i, m[1], planID)
		}
	}
	if got := cs.creates.Load(); got != 1 {
		t.Fatalf("%d concurrent submits created %d plans, want 1", n, got)
	}
	if edits == 0 {
		t.Fatal("no answer carried the edit link")
	}
	t.Logf("%d submits: 1 plan; %d pages with the plan (%d with its edit link), the rest redirected to it", n, pages, edits)

	// A change, re-saved eight times at once: one revision, no conflict.
	f := orgForm()
	f.Set("organization", "Contoso Europe")
	expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
	for i, r := range saveAll() {
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/wizard/plan?saved=2" {
			t.Fatalf("re-save %d: %d %s %.300s", i, r.status, r.header.Get("Location"), r.body)
		}
	}
	if got := cs.updates.Load(); got != 1 {
		t.Fatalf("%d concurrent re-saves stored %d revisions, want 1", n, got)
	}
	revs, err := db.ListRevisions(context.Background(), planID)
	if err != nil || len(revs) != 2 {
		t.Fatalf("revisions: %v %v", revs, err)
	}
	if got := cs.creates.Load(); got != 1 {
		t.Fatalf("re-saves created plans: %d in all", got)
	}
	if len(srv.saves.m) != 0 {
		t.Fatalf("turns left behind: %d", len(srv.saves.m))
	}
}
