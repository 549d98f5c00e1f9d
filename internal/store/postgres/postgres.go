// Package postgres is the store.Store for deployments with several replicas
// sharing one PostgreSQL database.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/sqlcore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// groupCommit turns on sqlcore's group commit, as SQLite has it; only the
// benchmark sets it (ENROLLPLAN_BENCH_GROUP=1). It is off because PostgreSQL
// already writes the WAL of concurrent commits with one flush: measured with
// 64 concurrent saves, one connection committing batches was at best ~1.3×
// the default pool of 4 and below a pool of 16 committing ungrouped (see
// BenchmarkCreatePlan), while it would hold many saves' row locks until one
// COMMIT, which can deadlock batches of two replicas. The lever is the pool
// size (pool_max_conns in the URL), not batching.
var groupCommit = false

// migrationLock serializes migrations across replicas that start together;
// the key is arbitrary but fixed ("enrollpl" in ASCII). A transaction-level
// lock is released by COMMIT, so a crash cannot leave it held.
const migrationLock = `SELECT pg_advisory_xact_lock(7308604897068083308)`

// DB is a store.Store on PostgreSQL. Its plan and draft methods come from
// the embedded sqlcore.Store, shared with the sqlite package.
type DB struct {
	*core
	pool *pgxpool.Pool
}

// core is unexported so that embedding it promotes the store.Store methods
// without exposing a field.
type core = sqlcore.Store

var _ store.Store = (*DB)(nil)

// Open connects to the database at url (a postgres:// URL or key=value
// string) and brings its schema up to date. opts set the limits
// (store.WithLimits); store.WithMaxBatch is ignored: each save commits on
// its own pooled connection, and PostgreSQL already shares a WAL flush among
// concurrent commits (see groupCommit).
func Open(ctx context.Context, url string, opts ...store.Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn's message redacts the password; do not add the URL.
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	return OpenConfig(ctx, cfg, opts...)
}

// OpenConfig is Open with a parsed configuration, for callers that tune the
// pool or set connection parameters such as search_path.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config, opts ...store.Option) (*DB, error) {
	return openConfig(ctx, cfg, migrationFiles, store.Configure(opts...))
}

// openConfig is OpenConfig with the migrations to apply, so that tests can
// build a database at an older schema version.
func openConfig(ctx context.Context, cfg *pgxpool.Config, migrations fs.FS, o store.Options) (*DB, error) {
	if !groupCommit {
		o.MaxBatch = 1 // no group commit: see Open
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db := &DB{pool: pool}
	b := backend{pool}
	db.core = sqlcore.New(b, o)
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	m := sqlcore.Migrations{FS: migrations, Lock: migrationLock, TimeType: "timestamptz"}
	if err := sqlcore.Migrate(ctx, b, m); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping postgres: %w", err)
	}
	return nil
}

// Close implements store.Store.
func (db *DB) Close() error {
	db.core.Stop()
	db.pool.Close()
	return nil
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}
