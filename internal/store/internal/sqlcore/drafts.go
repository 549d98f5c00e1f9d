package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
)

// SaveDraft implements store.Store. A zero d.UpdatedAt is stored as now;
// a set one is kept (normalized to UTC microseconds).
func (s *Store) SaveDraft(ctx context.Context, d store.Draft) error {
	t := now()
	if !d.UpdatedAt.IsZero() {
		t = Timestamp(d.UpdatedAt)
	}
	if d.Data == nil {
		d.Data = []byte{} // the column is NOT NULL; nil would bind as NULL
	}
	err := s.b.WriteTx(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO drafts (id, data, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
			d.ID, d.Data, t)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save draft %q: %w", d.ID, err)
	}
	return nil
}

// GetDraft implements store.Store.
func (s *Store) GetDraft(ctx context.Context, id string) (store.Draft, error) {
	d := store.Draft{ID: id}
	err := s.b.Reader().QueryRow(ctx, `SELECT data, updated_at FROM drafts WHERE id = $1`, id).Scan(&d.Data, &d.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Draft{}, fmt.Errorf("store: get draft %q: %w", id, err)
	}
	d.UpdatedAt = Timestamp(d.UpdatedAt)
	return d, nil
}

// DeleteDraft implements store.Store.
func (s *Store) DeleteDraft(ctx context.Context, id string) error {
	err := s.b.WriteTx(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `DELETE FROM drafts WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete draft %q: %w", id, err)
	}
	return nil
}

// DeleteDraftsBefore implements store.Store. t is compared at microsecond
// precision, the precision drafts are stored with.
func (s *Store) DeleteDraftsBefore(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := s.b.WriteTx(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `DELETE FROM drafts WHERE updated_at < $1`, Timestamp(t))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete drafts before %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return int(n), nil
}
