package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/enrollplan/enrollplan/internal/store/internal/sqlcore"
)

// timeLayout is how timestamps are stored: UTC, fixed width, so text order is
// time order, and in a form SQLite's date functions understand.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// backend adapts the two pools to sqlcore.Backend.
type backend struct{ db *DB }

func (b backend) Reader() sqlcore.Querier { return querier{b.db.read} }

func (b backend) WriteTx(ctx context.Context, fn func(sqlcore.Querier) error) error {
	tx, err := b.db.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE, see writeParams
	if err != nil {
		return err
	}
	if err := fn(querier{tx}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (backend) IsUniqueViolation(err error) bool { return isUniqueViolation(err) }

// runner is what *sql.DB and *sql.Tx have in common.
type runner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querier maps time.Time to and from timeLayout text, leaving the
// shared code free to use time.Time.
type querier struct{ r runner }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.r.ExecContext(ctx, query, encodeArgs(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlcore.Row {
	return row{q.r.QueryRowContext(ctx, query, encodeArgs(args)...)}
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlcore.Rows, error) {
	r, err := q.r.QueryContext(ctx, query, encodeArgs(args)...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
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

type row struct{ r *sql.Row }

func (r row) Scan(dest ...any) error { return scanTimes(r.r.Scan, dest) }

type rows struct{ r *sql.Rows }

func (r rows) Next() bool             { return r.r.Next() }
func (r rows) Scan(dest ...any) error { return scanTimes(r.r.Scan, dest) }
func (r rows) Err() error             { return r.r.Err() }
func (r rows) Close()                 { r.r.Close() }
