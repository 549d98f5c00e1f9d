// Package sqlcore is the store.Store logic shared by the sqlite and postgres
// packages, and their migration runner. It is written once against Backend, a
// few methods each driver adapts its pool to, so the two implementations
// cannot drift apart in semantics. The SQL uses only syntax both databases
// accept ($n placeholders, ON CONFLICT, RETURNING).
package sqlcore

import (
	"context"
	"time"
)

// Row is a single-row query result.
type Row interface {
	// Scan copies the columns into dest; sql.ErrNoRows (matched with
	// errors.Is) when there is no row.
	Scan(dest ...any) error
}

// Rows is a multi-row query result.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs statements on a pool or inside a transaction. Arguments and
// scan destinations may be time.Time; the adapter maps them to its column type.
type Querier interface {
	// Exec runs a statement and returns the number of rows it affected.
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	QueryRow(ctx context.Context, sql string, args ...any) Row
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
}

// Backend is what a driver provides.
type Backend interface {
	// Reader runs statements that only read.
	Reader() Querier
	// WriteTx runs fn in a transaction that is committed if fn returns nil
	// and rolled back otherwise.
	WriteTx(ctx context.Context, fn func(q Querier) error) error
	// IsUniqueViolation reports whether err is a unique or primary key
	// violation.
	IsUniqueViolation(err error) bool
}

// Store implements every store.Store method except Ping and Close, which
// the drivers add because they own the pools.
type Store struct {
	b Backend
}

// New returns a Store over b.
func New(b Backend) *Store {
	return &Store{b: b}
}

// now is the time stored for a new row: UTC and truncated to the microsecond,
// the finest both databases keep, so what CreatePlan returns equals what a
// later GetPlan reads.
func now() time.Time {
	return Timestamp(time.Now())
}

// Timestamp normalizes t the way stored timestamps are: UTC, microseconds.
func Timestamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}
