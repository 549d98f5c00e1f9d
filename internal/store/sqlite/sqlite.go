// Package sqlite is the default store.Store: one SQLite file, no server.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/sqlcore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Pragmas every connection gets through its DSN, because a pragma set with
// Exec would reach only the one pooled connection that ran it:
//   - busy_timeout: wait up to 10 s for another process's lock instead of
//     failing at once with SQLITE_BUSY.
//   - journal_mode WAL: readers do not block the writer nor it them.
//   - synchronous FULL: fsync the WAL at every commit, so a saved plan
//     survives kill -9 and power loss (NORMAL may lose the last commits).
//   - foreign_keys: SQLite leaves them off unless asked, per connection.
const basePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"

// writeParams: BEGIN IMMEDIATE takes the write lock when the transaction
// starts, so a transaction that reads and then writes cannot fail halfway
// with SQLITE_BUSY when another connection wrote in between. secure_delete
// overwrites deleted content with zeros, so a revoked plan's answers and a
// purged draft do not linger in the file's free pages (old WAL frames are
// overwritten as the WAL is reused after checkpoints).
const writeParams = basePragmas + "&_pragma=secure_delete(1)&_txlock=immediate"

// readParams: query_only makes any write through the read pool an error, so
// writes cannot bypass the single-writer pool by mistake.
const readParams = basePragmas + "&_query_only=1"

// DB is a store.Store on a SQLite file. Its plan and draft methods come from
// the embedded sqlcore.Store, shared with the postgres package.
type DB struct {
	*core
	// write has one connection: SQLite allows one writer at a time, and
	// queuing writers in Go beats having them contend for the file lock.
	write *sql.DB
	// read has several connections, which WAL lets read concurrently.
	read *sql.DB
	// writeStmts and readStmts are the prepared statements of each pool.
	writeStmts, readStmts *stmtCache
}

// core is unexported so that embedding it promotes the store.Store methods
// without exposing a field.
type core = sqlcore.Store

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database file at path and brings its
// schema up to date. The directory is created 0700 and the file 0600: they
// hold users' answers.
//
// opts set the limits (store.WithLimits) and the group commit batch
// (store.WithMaxBatch); without them the store.DefaultLimits apply and
// concurrent saves share transactions of up to store.DefaultMaxBatch.
func Open(ctx context.Context, path string, opts ...store.Option) (*DB, error) {
	return open(ctx, path, migrationFiles, store.Configure(opts...))
}

// open is Open with the migrations to apply, so that tests can build a
// database at an older schema version.
func open(ctx context.Context, path string, migrations fs.FS, o store.Options) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	// Create the file before SQLite does: SQLite would create it 0644 and
	// gives its -wal and -shm files the mode of the database file.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}

	write, err := sql.Open("sqlite", dsn(abs, writeParams))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn(abs, readParams))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n) // keep them: each new connection re-runs the pragmas

	db := &DB{write: write, read: read, writeStmts: newStmtCache(write), readStmts: newStmtCache(read)}
	b := backend{db}
	db.core = sqlcore.New(b, o)
	// Migrate on the write pool first: its first connection also switches
	// the file to WAL before any read-only connection opens it.
	if err := sqlcore.Migrate(ctx, b, sqlcore.Migrations{FS: migrations, TimeType: "TEXT"}); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	return db, nil
}

// dsn builds a file: URI, whose path SQLite percent-decodes, so a path
// containing '?', '#' or '%' still names the right file.
func dsn(abs, params string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive letter: file:/C:/…
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + params
}

// Ping implements store.Store; it checks both pools.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping sqlite write pool: %w", err)
	}
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping sqlite read pool: %w", err)
	}
	return nil
}

// Close implements store.Store. Saves already queued for a group commit
// finish first; later ones fail.
func (db *DB) Close() error {
	db.core.Stop()
	return errors.Join(db.readStmts.close(), db.writeStmts.close(), db.read.Close(), db.write.Close())
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY failure.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
