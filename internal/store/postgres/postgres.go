// Package postgres is the store.Store for deployments with several replicas
// sharing one PostgreSQL database.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/sqlcore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

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
// string) and brings its schema up to date.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn's message redacts the password; do not add the URL.
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a parsed configuration, for callers that tune the
// pool or set connection parameters such as search_path.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*DB, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db := &DB{pool: pool}
	b := backend{pool}
	db.core = sqlcore.New(b)
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	m := sqlcore.Migrations{FS: migrationFiles, Lock: migrationLock, TimeType: "timestamptz"}
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
	db.pool.Close()
	return nil
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}
