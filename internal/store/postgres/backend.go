package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/enrollplan/enrollplan/internal/store/internal/sqlcore"
)

// backend adapts the pool to sqlcore.Backend. pgx maps time.Time to
// timestamptz itself, and its ErrNoRows matches sql.ErrNoRows.
type backend struct{ pool *pgxpool.Pool }

func (b backend) Reader() sqlcore.Querier { return querier{b.pool} }

// WriteTx runs at READ COMMITTED, the default: UpdatePlan's conditional
// UPDATE is atomic at that level (see sqlcore.Store.UpdatePlan).
func (b backend) WriteTx(ctx context.Context, fn func(sqlcore.Querier) error) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error { return fn(querier{tx}) })
}

func (backend) IsUniqueViolation(err error) bool { return isUniqueViolation(err) }

// SerialWrites: replicas and connections write at once; rows are locked.
func (backend) SerialWrites() bool { return false }

// runner is what *pgxpool.Pool and pgx.Tx have in common.
type runner interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type querier struct{ r runner }

func (q querier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.r.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (q querier) QueryRow(ctx context.Context, sql string, args ...any) sqlcore.Row {
	return q.r.QueryRow(ctx, sql, args...)
}

func (q querier) Query(ctx context.Context, sql string, args ...any) (sqlcore.Rows, error) {
	rows, err := q.r.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}
