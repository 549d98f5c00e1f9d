package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// TestDraftFloodKeepsPlannersDrafts: with the draft cap reached, a flood of
// cookieless "start a plan" posts takes only the room an idle draft leaves
// (one unsaved for 25 hours) and is then answered 429 with Retry-After and
// a page saying what happened and when to come back, never a 5xx; the
// planners already in the wizard keep their drafts and go on saving them.
func TestDraftFloodKeepsPlannersDrafts(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	const maxDrafts = 4
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"),
		store.WithLimits(store.Limits{MaxDrafts: maxDrafts}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &logBuffer{}
	srv := New(Options{Store: db, Catalog: cat, SessionKeys: []string{strings.Repeat("k", 40)}, Log: slog.New(slog.NewTextHandler(logs, nil))})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	// An idle draft, untouched for more than a day: the cap may purge it.
	if err := db.SaveDraft(context.Background(), store.Draft{ID: "idle-draft", Data: []byte(`{"reached":1}`), UpdatedAt: time.Now().Add(-25 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Three planners at work.
	planners := make([]*planner, maxDrafts-1)
	for i := range planners {
		planners[i] = newPlanner(t, ts.URL)
		expectRedirect(t, planners[i].post("/wizard/new", nil), "/wizard/organisation")
		expectRedirect(t, planners[i].post("/wizard/organisation", orgForm()), "/wizard/devices")
	}

	// The flood: each post comes without a cookie and would make a draft.
	refused := 0
	for i := range 40 {
		r := newPlanner(t, ts.URL).post("/wizard/new", nil)
		switch {
		case r.status == http.StatusSeeOther && i == 0: // took the idle draft's room
		case r.status == http.StatusTooManyRequests:
			refused++
			secs, err := strconv.Atoi(r.header.Get("Retry-After"))
			// The planners' drafts were saved moments ago: a day to wait.
			if err != nil || secs < 86400-600 || secs > 86400 {
				t.Fatalf("post %d: Retry-After %q, want about a day in seconds", i, r.header.Get("Retry-After"))
			}
			if !strings.Contains(r.body, "This server is holding as many plans in progress as it can; try again in about 24 hours.") {
				t.Fatalf("post %d: the 429 page does not say what happened: %.2000s", i, r.body)
			}
		default:
			t.Fatalf("post %d: %d %s %.500s", i, r.status, r.header.Get("Location"), r.body)
		}
	}
	if refused != 39 {
		t.Fatalf("%d of 40 new drafts refused, want 39 (one took the idle draft's room)", refused)
	}
	if _, err := db.GetDraft(context.Background(), "idle-draft"); err == nil {
		t.Error("the idle draft was kept although a new draft needed its room")
	}
	if n := len(logs.lines("new draft refused")); n != refused {
		t.Errorf("%d log lines about refused drafts, want %d", n, refused)
	}

	// Every planner's draft is still there and still saves.
	for i, p := range planners {
		r := p.get("/wizard/organisation")
		if r.status != http.StatusOK || !strings.Contains(r.body, "Contoso Ltd") {
			t.Fatalf("planner %d lost their draft to the flood: %d %.300s", i, r.status, r.body)
		}
		f := orgForm()
		f.Set("organization", "Contoso "+strconv.Itoa(i))
		expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
		if r := p.get("/wizard/organisation"); !strings.Contains(r.body, "Contoso "+strconv.Itoa(i)) {
			t.Fatalf("planner %d: the change was not kept", i)
		}
	}
}
