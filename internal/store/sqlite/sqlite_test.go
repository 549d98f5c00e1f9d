package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/storetest"
)

func open(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "enrollplan.db"))
	})
}

// TestPragmas checks that every pool's connections carry the durability and
// locking settings, not only the one connection that happened to set them.
func TestPragmas(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "enrollplan.db"))
	ctx := context.Background()
	for name, pool := range map[string]*sql.DB{"write": db.write, "read": db.read} {
		conn, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var journal string
		var sync, busy, fk, queryOnly int
		for pragma, dest := range map[string]any{
			"journal_mode": &journal, "synchronous": &sync, "busy_timeout": &busy,
			"foreign_keys": &fk, "query_only": &queryOnly,
		} {
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(dest); err != nil {
				t.Fatalf("%s pool: PRAGMA %s: %v", name, pragma, err)
			}
		}
		if journal != "wal" || sync != 2 || busy != 10000 || fk != 1 {
			t.Errorf("%s pool: journal_mode=%s synchronous=%d busy_timeout=%d foreign_keys=%d; want wal 2 (FULL) 10000 1",
				name, journal, sync, busy, fk)
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
	db := open(t, path)
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
	db := open(t, path)
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

	db = open(t, path) // migrations already applied: must be a no-op
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
	db := open(t, path)
	if _, err := db.write.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'future')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err := Open(context.Background(), path)
	storetest.CheckNewerSchemaRefused(t, db, err)
}

func TestOpenFailsCleanly(t *testing.T) {
	// A directory where the database file should be.
	dir := t.TempDir()
	_, err := Open(context.Background(), dir)
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Open(directory) = %v, want an error", err)
	}
}
