package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/postgres"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// shareRecheckBound is the replicas' ShareRecheck in these tests: the
// longest one of them may show a plan as it was before another changed or
// revoked it.
const shareRecheckBound = 400 * time.Millisecond

// testReplicasShareWithinBound: two servers on one database, each with its
// share views cached (no database round trip while what it knows is
// fresh). A new revision, a ticked task and a revocation made through A
// show on A at once, and on B on every view that starts later than
// ShareRecheck after the change; B serves nothing of a revoked plan after
// that, and forgets its bytes.
func testReplicasShareWithinBound(t *testing.T, open func(t *testing.T) store.Store) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	var servers [2]*Server
	var urls [2]string
	for i := range servers {
		servers[i] = New(Options{Store: open(t), Catalog: cat, SessionKeys: []string{strings.Repeat("k", 40)}, PublicURL: publicURL, ShareRecheck: shareRecheckBound})
		ts := httptest.NewServer(servers[i].Handler())
		t.Cleanup(ts.Close)
		urls[i] = ts.URL
	}
	a, b := urls[0], urls[1]
	answers := exampleAnswers(t)
	created := fetch(t, "POST", a+"/api/v1/plans", answers)
	var c createdPlan
	if err := json.Unmarshal(created.body, &c); err != nil || created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	share := "/p/" + c.ID
	page := func(base string) answer { t.Helper(); return fetch(t, "GET", base+share, "") }
	for _, base := range urls {
		if first, second := page(base), page(base); first.status != 200 || string(second.body) != string(first.body) {
			t.Fatalf("%s before any change: %d, same bytes twice %v", base, first.status, string(second.body) == string(first.body))
		}
	}
	// B now answers from what it knows: no round trip to the database.
	if _, _, _, ok := servers[1].live.get(c.ID); !ok {
		t.Fatal("B does not keep what the store said of the plan")
	}

	// A new revision through A.
	renamed := strings.Replace(answers, `"Contoso Ltd"`, `"Contoso Renamed"`, 1)
	if renamed == answers {
		t.Fatal("the example does not name Contoso Ltd")
	}
	if r := fetch(t, "PUT", a+"/api/v1/plans/"+c.ID, renamed, "Authorization", "Bearer "+c.EditKey, "If-Match", `"1"`); r.status != http.StatusOK {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	changed := time.Now()
	if r := page(a); !strings.Contains(string(r.body), "Contoso Renamed") {
		t.Errorf("A after its own update: %d, the new revision not shown", r.status)
	}
	time.Sleep(shareRecheckBound - time.Since(changed))
	if r := page(b); r.status != 200 || !strings.Contains(string(r.body), "Contoso Renamed") {
		t.Errorf("B %v after the update: %d, still the old revision", time.Since(changed).Round(time.Millisecond), r.status)
	}

	// A ticked task through A.
	before := map[string]string{}
	for i, base := range urls {
		before[base] = string(page(base).body)
		if i == 1 && before[base] != before[a] {
			t.Fatal("A and B show different pages of the same revision")
		}
	}
	tr := latestTrackerAt(t, a, c.ID)
	tasks, _, _ := deviceTasks(t, tr)
	if r := fetch(t, "PATCH", a+"/api/v1/plans/"+c.ID+"/progress", taskPatch(tasks[0].ID, "done", "", "Ana"), "Authorization", "Bearer "+c.EditKey, "If-Match", `"p0"`); r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	changed = time.Now()
	if r := page(a); string(r.body) == before[a] {
		t.Error("A after its own patch: the page has not changed")
	}
	time.Sleep(shareRecheckBound - time.Since(changed))
	if r := page(b); r.status != 200 || string(r.body) == before[b] {
		t.Errorf("B %v after the patch: %d, the page has not changed", time.Since(changed).Round(time.Millisecond), r.status)
	}

	// Revoked through A.
	if r := fetch(t, "DELETE", a+"/api/v1/plans/"+c.ID, "", "Authorization", "Bearer "+c.EditKey); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	revoked := time.Now()
	for _, path := range sharePaths(c.ID) {
		if r := fetch(t, "GET", a+path, ""); r.status != http.StatusGone {
			t.Errorf("A %s right after revoking: %d, want 410", path, r.status)
		}
	}
	time.Sleep(shareRecheckBound - time.Since(revoked))
	for _, path := range sharePaths(c.ID) {
		r := fetch(t, "GET", b+path, "")
		if r.status != http.StatusGone || strings.Contains(string(r.body), "Contoso") {
			t.Errorf("B %s %v after revoking: %d, want 410", path, time.Since(revoked).Round(time.Millisecond), r.status)
		}
	}
	if n, _ := servers[1].cache.stats(); n != 0 {
		t.Errorf("B still holds %d cached entries of a revoked plan", n)
	}
}

// latestTrackerAt is the plan of a saved plan's latest revision as the
// progress API reads it, from the server at base.
func latestTrackerAt(t *testing.T, base, id string) *tracker {
	t.Helper()
	r := fetch(t, "GET", base+"/api/v1/plans/"+id, "")
	var sp struct {
		Plan json.RawMessage `json:"plan"`
	}
	if err := json.Unmarshal(r.body, &sp); err != nil {
		t.Fatalf("%d: %v", r.status, err)
	}
	tr, err := newTracker(sp.Plan)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestShareReplicasSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	testReplicasShareWithinBound(t, func(t *testing.T) store.Store {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func TestShareReplicasPostgres(t *testing.T) {
	dsn := os.Getenv("ENROLLPLAN_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Skip("SKIPPING the two-replica PostgreSQL share test: set ENROLLPLAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run it")
	}
	u := freshPostgresSchema(t, dsn)
	testReplicasShareWithinBound(t, func(t *testing.T) store.Store {
		db, err := postgres.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
