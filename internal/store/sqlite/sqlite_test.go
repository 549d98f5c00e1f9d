package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/storetest"
)

func openTest(t testing.TB, path string, opts ...store.Option) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts ...store.Option) store.Store {
		return openTest(t, filepath.Join(t.TempDir(), "enrollplan.db"), opts...)
	})
}

// TestPragmas checks that every pool's connections carry the durability and
// locking settings, not only the one connection that happened to set them.
func TestPragmas(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "enrollplan.db"))
	ctx := context.Background()
	for name, pool := range map[string]*sql.DB{"write": db.write, "read": db.read} {
		conn, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var journal string
		var sync, busy, fk, queryOnly, secureDelete int
		for pragma, dest := range map[string]any{
			"journal_mode": &journal, "synchronous": &sync, "busy_timeout": &busy,
			"foreign_keys": &fk, "query_only": &queryOnly, "secure_delete": &secureDelete,
		} {
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(dest); err != nil {
				t.Fatalf("%s pool: PRAGMA %s: %v", name, pragma, err)
			}
		}
		if journal != "wal" || sync != 2 || busy != 10000 || fk != 1 {
			t.Errorf("%s pool: journal_mode=%s synchronous=%d busy_timeout=%d foreign_keys=%d; want wal 2 (FULL) 10000 1",
				name, journal, sync, busy, fk)
		}
		if name == "write" && secureDelete != 1 {
			t.Errorf("write pool: secure_delete=%d, want 1: deleted plans would linger in free pages", secureDelete)
		}
		if want := map[string]int{"write": 0, "read": 1}[name]; queryOnly != want {
			t.Errorf("%s pool: query_only=%d, want %d", name, queryOnly, want)
		}
		conn.Close()
	}
	if db.write.Stats().MaxOpenConnections != 1 {
		t.Errorf("write pool allows %d connections, want 1", db.write.Stats().MaxOpenConnections)
	}
	if _, err := db.read.ExecContext(ctx, `DELETE FROM drafts`); err == nil {
		t.Error("a write through the read pool succeeded; want it refused (query_only)")
	}
}

// TestImmediateTransactions checks that a write transaction holds the write
// lock from BEGIN, before its first statement.
func TestImmediateTransactions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollplan.db")
	db := openTest(t, path)
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	other, err := sql.Open("sqlite", dsn(path, "_pragma=busy_timeout(0)&_txlock=immediate"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if tx2, err := other.BeginTx(ctx, nil); err == nil {
		tx2.Rollback()
		t.Fatal("a second writer could begin while a write transaction was open: BEGIN is not IMMEDIATE")
	}
}

func TestFilesArePrivate(t *testing.T) {
	// Characters that need escaping in a file: URI.
	dir := filepath.Join(t.TempDir(), "new dir #1 ?x=%41")
	path := filepath.Join(dir, "enrollplan.db")
	db := openTest(t, path)
	if err := db.SaveDraft(context.Background(), store.Draft{ID: "d", Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{
		dir: 0o700 | os.ModeDir, path: 0o600, path + "-wal": 0o600,
	} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%v (the database must be at the path given, unescaped)", err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollplan.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p := store.NewPlan{ID: "p", EditKeyHash: store.HashKey("k"), Answers: []byte(`{"a": 1}`), Ruleset: "r"}
	created, err := db.CreatePlan(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openTest(t, path) // migrations already applied: must be a no-op
	got, err := db.GetPlan(ctx, "p")
	if err != nil {
		t.Fatalf("GetPlan after reopen: %v", err)
	}
	if string(got.Answers) != `{"a": 1}` || !got.SavedAt.Equal(created.SavedAt) {
		t.Errorf("after reopen got %+v, want %+v", got, created)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollplan.db")
	db := openTest(t, path)
	if _, err := db.write.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'future')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err := Open(context.Background(), path)
	storetest.CheckNewerSchemaRefused(t, db, err, knownMigrations(t))
}

func TestOpenFailsCleanly(t *testing.T) {
	// A directory where the database file should be.
	dir := t.TempDir()
	_, err := Open(context.Background(), dir)
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Open(directory) = %v, want an error", err)
	}
}

func BenchmarkCreatePlan(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		db, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}

// BenchmarkPatchProgress: recording progress on distinct plans, which
// share group commits like saves do.
func BenchmarkPatchProgress(b *testing.B) {
	storetest.BenchProgress(b, func(b *testing.B) store.Store {
		db, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}

// knownMigrations is the number of embedded migrations, the newest schema
// version.
func knownMigrations(t testing.TB) int {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(names))
	}
	return len(names)
}

// v1Only is the migrations up to schema version 1.
func v1Only(t *testing.T) fs.FS {
	data, err := fs.ReadFile(migrationFiles, "migrations/001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{"migrations/001_init.sql": {Data: data}}
}

func counter(db *DB) storetest.Count {
	return func(t *testing.T, query string) int {
		t.Helper()
		var n int
		if err := db.read.QueryRow(query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
}

// checkpoint moves the WAL into the database file and empties the WAL.
func checkpoint(t *testing.T, db *DB) {
	t.Helper()
	var busy, logFrames, done int
	if err := db.write.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil || busy != 0 {
		t.Fatalf("checkpoint: busy=%d, %v", busy, err)
	}
}

// checkFilesLack fails if marker is anywhere in the database's files.
func checkFilesLack(t *testing.T, path, marker string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal"} {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if n := bytes.Count(data, []byte(marker)); n > 0 {
			t.Errorf("%s still holds %q %d times", filepath.Base(p), marker, n)
		}
	}
}

// TestUpgradeFromV1: migration 2 erases plans revoked under version 1, from
// the rows and from the file, and keeps everything else.
func TestUpgradeFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollplan.db")
	ctx := context.Background()
	old, err := open(ctx, path, v1Only(t), store.Configure())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.write.ExecContext(ctx, storetest.V1Fixture(func(hex string) string { return "X'" + hex + "'" })); err != nil {
		t.Fatal(err)
	}
	checkpoint(t, old)
	if data, _ := os.ReadFile(path); !bytes.Contains(data, []byte(storetest.RevokedMarker)) {
		t.Fatal("fixture: the revoked answers are not in the file to begin with")
	}
	old.Close()

	db := openTest(t, path)
	storetest.CheckV1Upgrade(t, db, counter(db))
	checkpoint(t, db)
	checkFilesLack(t, path, storetest.RevokedMarker)
}

// TestRevokeErasesFile: a revoked plan's answers, snapshot, progress and
// device list leave the database file (secure_delete), not only the tables.
func TestRevokeErasesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollplan.db")
	db := openTest(t, path)
	ctx := context.Background()
	const marker = "ERASE-ME-PLEASE"
	p := store.NewPlan{ID: "p", EditKeyHash: store.HashKey("k"), Answers: []byte(`{"org":"` + marker + `"}`), Ruleset: "r",
		Plan: bytes.Repeat([]byte(marker), 2000)} // big enough for overflow pages
	if _, err := db.CreatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdatePlan(ctx, store.Update{ID: "p", ExpectedRevision: 1, Answers: p.Answers, Ruleset: "r", Plan: p.Plan}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PatchProgress(ctx, store.ProgressPatch{PlanID: "p", PlanRevision: 2, By: marker,
		Tasks: map[string]store.TaskProgress{"file": {Status: "done", Note: marker}}}); err != nil {
		t.Fatal(err)
	}
	// A device list (names, serials, users) big enough for overflow pages.
	if err := db.SaveDeviceList(ctx, store.PlanDevices("p"), bytes.Repeat([]byte(marker), 5000)); err != nil {
		t.Fatal(err)
	}
	keep := store.NewPlan{ID: "q", EditKeyHash: store.HashKey("k"), Answers: []byte(`{"org":"kept"}`), Ruleset: "r"}
	if _, err := db.CreatePlan(ctx, keep); err != nil {
		t.Fatal(err)
	}
	checkpoint(t, db)
	if data, _ := os.ReadFile(path); !bytes.Contains(data, []byte(marker)) {
		t.Fatal("the plan is not in the file to begin with")
	}
	storetest.CheckRevokeErasesRows(t, db, counter(db), "p", 2)
	checkpoint(t, db)
	checkFilesLack(t, path, marker)
	if got, err := db.GetPlan(ctx, "q"); err != nil || string(got.Answers) != `{"org":"kept"}` {
		t.Errorf("other plan after the revoke: %+v, %v", got, err)
	}
}

// TestDraftDeviceListsErasedFromFile: the device lists of a deleted draft
// and of drafts deleted as old leave the database file, not only the
// table.
func TestDraftDeviceListsErasedFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollplan.db")
	db := openTest(t, path)
	ctx := context.Background()
	const marker = "DEVICE-LAPTOP-SERIAL-USER"
	old := time.Now().Add(-48 * time.Hour)
	for _, d := range []store.Draft{{ID: "deleted"}, {ID: "old", UpdatedAt: old}, {ID: "kept"}} {
		d.Data = []byte("{}")
		if err := db.SaveDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		data := bytes.Repeat([]byte(marker), 3000)
		if d.ID == "kept" {
			data = []byte("kept list")
		}
		if err := db.SaveDeviceList(ctx, store.DraftDevices(d.ID), data); err != nil {
			t.Fatal(err)
		}
	}
	checkpoint(t, db)
	if data, _ := os.ReadFile(path); bytes.Count(data, []byte(marker)) < 3000 { // some straddle pages
		t.Fatal("the device lists are not in the file to begin with")
	}
	if err := db.DeleteDraft(ctx, "deleted"); err != nil {
		t.Fatal(err)
	}
	if n, err := db.DeleteDraftsBefore(ctx, time.Now().Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteDraftsBefore = %d, %v; want 1", n, err)
	}
	if n := counter(db)(t, `SELECT count(*) FROM device_lists`); n != 1 {
		t.Errorf("%d device lists left, want the kept draft's only", n)
	}
	checkpoint(t, db)
	checkFilesLack(t, path, marker)
	if got, _, err := db.GetDeviceList(ctx, store.DraftDevices("kept")); err != nil || string(got) != "kept list" {
		t.Errorf("the kept draft's list: %q, %v", got, err)
	}
}

// TestGroupCommit: concurrent saves share transactions, and each is
// readable once acknowledged.
func TestGroupCommit(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "enrollplan.db"))
	ctx := context.Background()
	const n = 64
	var wg sync.WaitGroup
	gate := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-gate
			_, errs[i] = db.CreatePlan(ctx, store.NewPlan{ID: fmt.Sprint("g", i), EditKeyHash: store.HashKey("k"), Answers: []byte(`{}`), Ruleset: "r"})
			if errs[i] == nil {
				_, errs[i] = db.GetPlan(ctx, fmt.Sprint("g", i))
			}
		})
	}
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("save %d: %v", i, err)
		}
	}
	batches, writes := db.GroupStats()
	t.Logf("%d saves in %d transactions", writes, batches)
	if writes != n || batches >= n {
		t.Errorf("%d writes in %d transactions; want %d writes sharing fewer transactions", writes, batches, n)
	}
}

// TestProgressCrowdDurable: a crowd of patches through two stores on one
// file (two processes) shares transactions, and every acknowledged patch
// is there after both close and the file is opened again.
func TestProgressCrowdDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollplan.db")
	a, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	b := openTest(t, path)
	acks := storetest.PatchProgressCrowd(t, a, b)
	batches, writes := a.GroupStats()
	t.Logf("one store: %d writes in %d transactions", writes, batches)
	if batches >= writes {
		t.Errorf("%d writes in %d transactions; want patches sharing transactions", writes, batches)
	}
	storetest.CheckProgressAcks(t, b, acks)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	storetest.CheckProgressAcks(t, openTest(t, path), acks)
}

// TestProgressReplicas: two stores on one file each see the other's
// progress at once, whatever they read before.
func TestProgressReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollplan.db")
	storetest.CheckProgressReplicas(t, openTest(t, path), openTest(t, path))
}

func TestDraftCapLowered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollplan.db")
	storetest.CheckDraftCapLowered(t, func(t *testing.T, opts ...store.Option) store.Store {
		return openTest(t, path, opts...)
	})
}
