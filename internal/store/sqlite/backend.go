package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/enrollplan/enrollplan/internal/store/internal/sqlcore"
)

// timeLayout is how timestamps are stored: UTC, fixed width, so text order is
// time order, and in a form SQLite's date functions understand.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// backend adapts the two pools to sqlcore.Backend.
type backend struct{ db *DB }

func (b backend) Reader() sqlcore.Querier { return querier{r: b.db.read, stmts: b.db.readStmts} }

func (b backend) WriteTx(ctx context.Context, fn func(sqlcore.Querier) error) error {
	tx, err := b.db.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE, see writeParams
	if err != nil {
		return err
	}
	defer b.db.writeStmts.prepareWanted(context.WithoutCancel(ctx))
	if err := fn(querier{r: tx, stmts: b.db.writeStmts, tx: tx}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (backend) IsUniqueViolation(err error) bool { return isUniqueViolation(err) }

// SerialWrites: one writer at a time, see writeParams.
func (backend) SerialWrites() bool { return true }

// runner is what *sql.DB and *sql.Tx have in common.
type runner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querier maps time.Time to and from timeLayout text, leaving the
// shared code free to use time.Time, and runs statements with arguments
// as prepared statements kept in stmts: parsing SQL is a quarter of a save's
// CPU time otherwise. Statements without arguments (migration scripts of
// several statements, SAVEPOINT) are run as text.
type querier struct {
	r     runner
	stmts *stmtCache
	tx    *sql.Tx // set inside a write transaction
}

// runner returns what runs query: r itself, or a cached statement (bound
// to the transaction, when in one) and its release.
func (q querier) runner(ctx context.Context, query string, args []any) (runner, func(), error) {
	if len(args) == 0 || q.stmts == nil {
		return q.r, func() {}, nil
	}
	if q.tx == nil {
		st, err := q.stmts.get(ctx, query)
		if err != nil {
			return nil, nil, err
		}
		return stmtRunner{st}, func() {}, nil
	}
	st := q.stmts.lookup(query)
	if st == nil {
		// Preparing on the pool now would wait for its one connection,
		// which this transaction holds; WriteTx prepares it afterwards.
		return q.r, func() {}, nil
	}
	// On the write pool's single connection, where st was prepared, Tx.Stmt
	// reuses it rather than preparing again.
	txst := q.tx.StmtContext(ctx, st)
	return stmtRunner{txst}, func() { txst.Close() }, nil
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	r, done, err := q.runner(ctx, query, args)
	if err != nil {
		return 0, err
	}
	defer done()
	res, err := r.ExecContext(ctx, query, encodeArgs(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlcore.Row {
	r, done, err := q.runner(ctx, query, args)
	if err != nil {
		return errRow{err}
	}
	return row{r.QueryRowContext(ctx, query, encodeArgs(args)...), done}
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlcore.Rows, error) {
	r, done, err := q.runner(ctx, query, args)
	if err != nil {
		return nil, err
	}
	rs, err := r.QueryContext(ctx, query, encodeArgs(args)...)
	if err != nil {
		done()
		return nil, err
	}
	return rows{rs, done}, nil
}

// stmtCache prepares each query once per pool; database/sql then prepares
// it on each connection of the pool as needed and keeps it there.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// lookup returns the statement for query if it is prepared, and otherwise
// notes it for prepareWanted.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[query]
	if !ok {
		if c.wanted == nil {
			c.wanted = make(map[string]bool)
		}
		c.wanted[query] = true
	}
	return st
}

// prepareWanted prepares what lookup missed. Failures are ignored: the
// query then keeps running as text, and a real error shows there.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for q := range wanted {
		c.get(ctx, q)
	}
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	// The queries are the constants of sqlcore, so the map stays small.
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// stmtRunner runs a prepared statement, ignoring the query text.
type stmtRunner struct{ st *sql.Stmt }

func (s stmtRunner) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return s.st.ExecContext(ctx, args...)
}
func (s stmtRunner) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.st.QueryContext(ctx, args...)
}
func (s stmtRunner) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return s.st.QueryRowContext(ctx, args...)
}

func encodeArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			a = sqlcore.Timestamp(t).Format(timeLayout)
		}
		out[i] = a
	}
	return out
}

// scanTimes scans with every *time.Time in dest read as timeLayout text.
func scanTimes(scan func(...any) error, dest []any) error {
	d := make([]any, len(dest))
	texts := make(map[int]*string)
	for i, p := range dest {
		if _, ok := p.(*time.Time); ok {
			s := new(string)
			texts[i], d[i] = s, s
			continue
		}
		d[i] = p
	}
	if err := scan(d...); err != nil {
		return err
	}
	for i, s := range texts {
		t, err := time.Parse(timeLayout, *s)
		if err != nil {
			return fmt.Errorf("column %d: bad timestamp %q: %w", i, *s, err)
		}
		*dest[i].(*time.Time) = t
	}
	return nil
}

type row struct {
	r    *sql.Row
	done func()
}

func (r row) Scan(dest ...any) error {
	defer r.done()
	return scanTimes(r.r.Scan, dest)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type rows struct {
	r    *sql.Rows
	done func()
}

func (r rows) Next() bool             { return r.r.Next() }
func (r rows) Scan(dest ...any) error { return scanTimes(r.r.Scan, dest) }
func (r rows) Err() error             { return r.r.Err() }
func (r rows) Close()                 { r.r.Close(); r.done() }
