// Package sqlcore is the store.Store logic shared by the sqlite and postgres
// packages, and their migration runner. It is written once against Backend, a
// few methods each driver adapts its pool to, so the two implementations
// cannot drift apart in semantics. The SQL uses only syntax both databases
// accept ($n placeholders, ON CONFLICT, RETURNING).
package sqlcore

import (
	"context"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/valid"
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
	// SerialWrites reports whether write transactions never overlap, in
	// this process or any other on the database (SQLite: one writer, and
	// BEGIN IMMEDIATE takes the file's write lock first), so that a read
	// inside one needs no row lock to stay true until it commits.
	SerialWrites() bool
}

// Store implements every store.Store method except Ping and Close, which
// the drivers add because they own the pools.
type Store struct {
	b     Backend
	lim   store.Limits
	group *group // nil: each write is its own transaction
	// progress caches each plan's progress by version (see progressCache).
	progress *progressCache
}

// New returns a Store over b with the limits of o. When o.MaxBatch > 1,
// concurrent writes are grouped into shared transactions (group commit, see
// group); the driver must then call Stop before closing its pools.
func New(b Backend, o store.Options) *Store {
	s := &Store{b: b, lim: o.Limits, progress: newProgressCache(progressCacheBytes)}
	if o.MaxBatch > 1 {
		s.group = newGroup(b, o.MaxBatch)
		s.group.cache = s.progress
		go s.group.loop()
	}
	return s
}

// Stop ends group commit: writes already queued finish, later ones fail.
// Safe to call more than once, and without grouping.
func (s *Store) Stop() {
	if s.group != nil {
		s.group.stop()
	}
}

// GroupStats says how many batches group commit has run and how many
// writes they held (zeros without grouping). Each batch is one transaction,
// unless it had to be run again write by write.
func (s *Store) GroupStats() (batches, writes int64) {
	if s.group == nil {
		return 0, 0
	}
	return s.group.batches.Load(), s.group.writes.Load()
}

// Limits returns the limits in force.
func (s *Store) Limits() store.Limits { return s.lim }

// write runs fn in a write transaction, shared with other writers when
// grouping is on. fn must use the ctx it is given, not its caller's: in a
// group that is a context without cancellation, because a statement
// interrupted by one caller's cancellation could abort the whole shared
// transaction. That ctx also carries the transaction's txMemo.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, q Querier) error) error {
	if s.group != nil {
		return s.group.do(ctx, fn)
	}
	memo := newTxMemo(s.progress)
	err := s.b.WriteTx(ctx, func(q Querier) error { return fn(withMemo(ctx, memo), q) })
	if err == nil {
		memo.committed()
	}
	return err
}

// now is the time stored for a new row: see valid.Timestamp.
func now() time.Time {
	return valid.Now()
}

// Timestamp normalizes t the way stored timestamps are: UTC, microseconds.
func Timestamp(t time.Time) time.Time {
	return valid.Timestamp(t)
}
