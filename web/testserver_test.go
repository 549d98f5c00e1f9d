package web

import (
	"bytes"
	"context"
	"log/slog"
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

// logBuffer collects a server's log lines; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines returns the log lines that contain every one of subs.
func (l *logBuffer) lines(subs ...string) []string {
	var out []string
	for line := range strings.SplitSeq(l.String(), "\n") {
		ok := line != ""
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// faultStore is a real store whose calls can be made to fail or hang, and
// that counts what was created through it.
type faultStore struct {
	store.Store

	mu    sync.Mutex
	fails map[string]error // method name → error it returns

	pingHangs   atomic.Bool // Ping waits for its context to end
	savedDrafts atomic.Int64
	created     atomic.Int64 // plans and revisions
}

func (f *faultStore) failWith(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails == nil {
		f.fails = map[string]error{}
	}
	f.fails[method] = err
}

// fault is the error method is to return; a storePanic panics instead.
func (f *faultStore) fault(method string) error {
	f.mu.Lock()
	err := f.fails[method]
	f.mu.Unlock()
	if p, ok := err.(storePanic); ok {
		panic(string(p))
	}
	return err
}

func (f *faultStore) GetPlan(ctx context.Context, id string) (store.Plan, error) {
	if err := f.fault("GetPlan"); err != nil {
		return store.Plan{}, err
	}
	return f.Store.GetPlan(ctx, id)
}

func (f *faultStore) GetPlanInfo(ctx context.Context, id string) (store.PlanInfo, error) {
	if err := f.fault("GetPlanInfo"); err != nil {
		return store.PlanInfo{}, err
	}
	return f.Store.GetPlanInfo(ctx, id)
}

func (f *faultStore) SaveDraft(ctx context.Context, d store.Draft) error {
	if err := f.fault("SaveDraft"); err != nil {
		return err
	}
	f.savedDrafts.Add(1)
	return f.Store.SaveDraft(ctx, d)
}

func (f *faultStore) CreatePlan(ctx context.Context, p store.NewPlan) (store.Plan, error) {
	f.created.Add(1)
	return f.Store.CreatePlan(ctx, p)
}

func (f *faultStore) UpdatePlan(ctx context.Context, u store.Update) (store.Plan, error) {
	f.created.Add(1)
	return f.Store.UpdatePlan(ctx, u)
}

func (f *faultStore) Ping(ctx context.Context) error {
	if f.pingHangs.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.Store.Ping(ctx)
}

// testServer is a Server over a temporary SQLite database, its log kept.
type testServer struct {
	*testEnv
	server *Server
	fault  *faultStore
	log    *logBuffer
}

// newTestServer starts a server; opts, when set, changes its options, and
// tune, when set, the Server before it serves.
func newTestServer(t *testing.T, opts func(*Options), tune func(*Server)) *testServer {
	t.Helper()
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fs := &faultStore{Store: db}
	logs := &logBuffer{}
	o := Options{Log: slog.New(slog.NewTextHandler(logs, nil)), Store: fs, Catalog: cat, SessionKeys: []string{strings.Repeat("k", 40)}}
	if opts != nil {
		opts(&o)
	}
	s := New(o)
	if tune != nil {
		tune(s)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &testServer{testEnv: &testEnv{srv: ts, store: &countingStore{Store: fs}}, server: s, fault: fs, log: logs}
}

// pageRequestID is the request id an error page quotes, or "".
func pageRequestID(body string) string {
	m := regexp.MustCompile(`Request id: ([^<\s]+)`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}
