package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/postgres"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// replicaStore is one replica's connection to the shared database. It
// counts the plans every replica made (made is shared), and before each
// CreatePlan calls beforeCreate, when set, so that a test can make the
// replicas' creates meet.
type replicaStore struct {
	store.Store
	made         *atomic.Int64
	beforeCreate atomic.Pointer[func()]
}

func (s *replicaStore) CreatePlan(ctx context.Context, p store.NewPlan) (store.Plan, error) {
	if f := s.beforeCreate.Load(); f != nil {
		(*f)()
	}
	sp, err := s.Store.CreatePlan(ctx, p)
	if err == nil {
		s.made.Add(1)
	}
	return sp, err
}

// replica is one server of several on one database.
type replica struct {
	srv   *httptest.Server
	store *replicaStore
}

// publicURL is the address every replica answers for, as behind a load
// balancer: the links they make must not depend on which one answered.
const publicURL = "http://plans.example"

// startReplicas starts one server per session key list on stores opened by
// open, all on one database.
func startReplicas(t *testing.T, open func(t *testing.T) store.Store, keys ...[]string) []*replica {
	t.Helper()
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	made := &atomic.Int64{}
	var out []*replica
	for _, k := range keys {
		rs := &replicaStore{Store: open(t), made: made}
		s := New(Options{Store: rs, Catalog: cat, SessionKeys: k, PublicURL: publicURL, Log: slog.New(slog.DiscardHandler)})
		ts := httptest.NewServer(s.Handler())
		t.Cleanup(ts.Close)
		out = append(out, &replica{srv: ts, store: rs})
	}
	return out
}

// savePost is a Save & share submit from the browser holding cookie, safe
// to make from any goroutine.
func savePost(base string, cookie *http.Cookie) (resp, error) {
	req, err := http.NewRequest("POST", base+"/wizard/save", strings.NewReader(""))
	if err != nil {
		return resp{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(cookie)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}, err
}

// savedLinks are the links a Save & share page shows.
type savedLinks struct{ share, edit, tracker string }

var (
	shareLinkRe   = regexp.MustCompile(`id="share-url" value="([^"]+)"`)
	editLinkRe    = regexp.MustCompile(`id="edit-url" value="([^"]+)"`)
	trackerLinkRe = regexp.MustCompile(`href="([^"]+/progress#key=[^"]+)"`)
)

func linksOf(body string) savedLinks {
	var l savedLinks
	for re, dst := range map[*regexp.Regexp]*string{shareLinkRe: &l.share, editLinkRe: &l.edit, trackerLinkRe: &l.tracker} {
		if m := re.FindStringSubmatch(body); m != nil {
			*dst = m[1]
		}
	}
	return l
}

// draftCookie walks a new plan through the wizard on base and returns the
// cookie that names its draft.
func draftCookie(t *testing.T, base string) *http.Cookie {
	t.Helper()
	p := newPlanner(t, base)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	walkToPlan(t, p)
	u, _ := url.Parse(base)
	for _, c := range p.c.Jar.Cookies(u) {
		if c.Name == "enrollplan" {
			return c
		}
	}
	t.Fatal("no draft cookie")
	return nil
}

// meet returns a function that each of n callers calls, and that returns
// once all n have: the replicas' CreatePlan calls then run together. A
// caller left waiting for a minute gives up (and the test fails on what
// follows), so a broken server cannot hang the test.
func meet(n int) (wait func(), timedOut *atomic.Bool) {
	var mu sync.Mutex
	all := make(chan struct{})
	timedOut = &atomic.Bool{}
	return func() {
		mu.Lock()
		if n--; n == 0 {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-time.After(time.Minute):
			timedOut.Store(true)
		}
	}, timedOut
}

// testReplicasSaveOneDraft: two replicas on one database, each asked to
// Save & share the same draft at the same moment (both past reading the
// draft, both creating a plan), make one plan, and both answer with the
// same share, edit and tracker links, whose key opens the plan. A third
// submit afterwards, on either, answers the same again.
func testReplicasSaveOneDraft(t *testing.T, open func(t *testing.T) store.Store) {
	keys := []string{strings.Repeat("n", 40), strings.Repeat("o", 40)}
	reps := startReplicas(t, open, keys, keys)
	const rounds = 5
	for round := range rounds {
		cookie := draftCookie(t, reps[round%2].srv.URL)
		wait, timedOut := meet(len(reps))
		for _, rp := range reps {
			rp.store.beforeCreate.Store(&wait)
		}
		out := make([]resp, len(reps))
		errs := make([]error, len(reps))
		var wg sync.WaitGroup
		for i, rp := range reps {
			wg.Go(func() { out[i], errs[i] = savePost(rp.srv.URL, cookie) })
		}
		wg.Wait()
		for _, rp := range reps {
			rp.store.beforeCreate.Store(nil)
		}
		if timedOut.Load() {
			t.Fatalf("round %d: the replicas' creates never met", round)
		}
		var first savedLinks
		for i, r := range out {
			if errs[i] != nil {
				t.Fatalf("round %d replica %d: %v", round, i, errs[i])
			}
			l := linksOf(r.body)
			if r.status != http.StatusOK || l.share == "" || l.edit == "" || l.tracker == "" {
				t.Fatalf("round %d replica %d: %d, links %+v: %.500s", round, i, r.status, l, r.body)
			}
			if i == 0 {
				first = l
			} else if l != first {
				t.Fatalf("round %d: the replicas answered with different links:\n%+v\n%+v", round, first, l)
			}
		}
		if got := reps[0].store.made.Load(); got != int64(round+1) {
			t.Fatalf("after %d rounds of two replicas saving one draft: %d plans made, want %d", round+1, got, round+1)
		}
		// Once more, later, on the other replica: the same page.
		r, err := savePost(reps[(round+1)%2].srv.URL, cookie)
		if err != nil || r.status != http.StatusOK || linksOf(r.body) != first {
			t.Fatalf("round %d: a later submit: %d %v, links %+v, want %+v", round, r.status, err, linksOf(r.body), first)
		}
		// The key opens the plan, which has its one revision.
		id := strings.TrimPrefix(first.share, publicURL+"/p/")
		_, key, _ := strings.Cut(first.edit, "#key=")
		sp, err := reps[0].store.GetPlan(context.Background(), id)
		if err != nil || sp.Revision != 1 || !store.KeyMatches(sp.EditKeyHash, key) {
			t.Fatalf("round %d: plan %s: revision %d, key opens it %v, %v", round, id, sp.Revision, store.KeyMatches(sp.EditKeyHash, key), err)
		}
		if first.tracker != publicURL+"/p/"+id+"/progress#key="+key {
			t.Fatalf("round %d: tracker link %s does not carry the edit key", round, first.tracker)
		}
	}
	if got := reps[0].store.made.Load(); got != rounds {
		t.Fatalf("%d plans made in %d rounds, want %d", got, rounds, rounds)
	}
}

// testReplicasRotatedKey: mid-rotation, a replica that lacks the newest
// session key loses the race to one that has it. It cannot make the edit
// key again, so it says the plan is saved and that the edit link was shown
// on the first submit, with the same share link, and makes no plan.
func testReplicasRotatedKey(t *testing.T, open func(t *testing.T) store.Store) {
	oldKey, newKey := strings.Repeat("o", 40), strings.Repeat("n", 40)
	reps := startReplicas(t, open, []string{newKey, oldKey}, []string{oldKey})
	newer, older := reps[0], reps[1]
	cookie := draftCookie(t, older.srv.URL) // readable by both
	// The newer replica creates once the older one is past reading the
	// draft (waiting in CreatePlan), and the older one creates once the
	// newer one has answered: the older one finds the plan made.
	arrived, answered := make(chan struct{}), make(chan struct{})
	waitFor := func(ch chan struct{}) {
		select {
		case <-ch:
		case <-time.After(time.Minute): // a broken server must not hang the test
		}
	}
	newerCreate := func() { waitFor(arrived) }
	olderCreate := func() { close(arrived); waitFor(answered) }
	newer.store.beforeCreate.Store(&newerCreate)
	older.store.beforeCreate.Store(&olderCreate)
	var wg sync.WaitGroup
	var rNew, rOld resp
	var errNew, errOld error
	wg.Go(func() { rOld, errOld = savePost(older.srv.URL, cookie) })
	wg.Go(func() {
		rNew, errNew = savePost(newer.srv.URL, cookie)
		close(answered)
	})
	wg.Wait()
	if errNew != nil || errOld != nil {
		t.Fatal(errNew, errOld)
	}
	ln, lo := linksOf(rNew.body), linksOf(rOld.body)
	if rNew.status != http.StatusOK || ln.edit == "" {
		t.Fatalf("the replica with the newest key: %d, links %+v", rNew.status, ln)
	}
	if rOld.status != http.StatusOK || lo.share != ln.share || lo.edit != "" ||
		!strings.Contains(rOld.body, "its edit link was shown then, on the first save, and cannot be shown again") {
		t.Fatalf("the replica without it: %d, links %+v (want share %s, no edit link, and why): %.3000s", rOld.status, lo, ln.share, rOld.body)
	}
	if got := newer.store.made.Load(); got != 1 {
		t.Fatalf("%d plans made, want 1", got)
	}
}

func TestSaveReplicasSQLite(t *testing.T) {
	for name, test := range map[string]func(*testing.T, func(*testing.T) store.Store){
		"OneDraft": testReplicasSaveOneDraft, "RotatedKey": testReplicasRotatedKey,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shared.db")
			test(t, func(t *testing.T) store.Store {
				db, err := sqlite.Open(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			})
		})
	}
}

func TestSaveReplicasPostgres(t *testing.T) {
	dsn := os.Getenv("ENROLLPLAN_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Skip("SKIPPING the two-replica PostgreSQL test: set ENROLLPLAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run it")
	}
	for name, test := range map[string]func(*testing.T, func(*testing.T) store.Store){
		"OneDraft": testReplicasSaveOneDraft, "RotatedKey": testReplicasRotatedKey,
	} {
		t.Run(name, func(t *testing.T) {
			u := freshPostgresSchema(t, dsn)
			test(t, func(t *testing.T) store.Store {
				db, err := postgres.Open(context.Background(), u)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			})
		})
	}
}

// freshPostgresSchema creates an empty schema, dropped when the test ends,
// and returns dsn with it as the search path.
func freshPostgresSchema(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to ENROLLPLAN_TEST_POSTGRES_URL: %v", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "enrollplan_webtest_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop %s: %v", schema, err)
		}
		admin.Close(context.Background())
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
