package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/valid"
)

// SaveDraft implements store.Store. A zero d.UpdatedAt is stored as now;
// a set one is kept (normalized to UTC microseconds).
//
// The draft count is bounded by purging, not by refusing: when new drafts
// make more than Limits.MaxDrafts, the least recently saved others go. A
// refusal would let anyone who fills the table lock every new visitor out
// of the wizard until drafts expire; purging keeps the wizard open and
// costs only drafts nobody has touched for the longest (planners touch
// theirs at every step), and the web layer's rate limit on new drafts
// bounds how fast anyone can push others out.
//
// The purge walks the MaxDrafts newest drafts (milliseconds at 10,000), so
// it runs at the first new draft after Open and then once every
// draftPurgeEvery new drafts: between purges the table may exceed
// MaxDrafts by fewer than draftPurgeEvery (1%) per process.
func (s *Store) SaveDraft(ctx context.Context, d store.Draft) error {
	fail := func(err error) error { return fmt.Errorf("store: save draft %q: %w", d.ID, err) }
	if err := valid.CheckID(d.ID); err != nil {
		return fail(err)
	}
	if err := valid.DraftData(s.lim, d.Data); err != nil {
		return fail(err)
	}
	t := now()
	if !d.UpdatedAt.IsZero() {
		t = Timestamp(d.UpdatedAt)
	}
	if d.Data == nil {
		d.Data = []byte{} // the column is NOT NULL; nil would bind as NULL
	}
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
		// Replacing is the common case and needs no purge.
		n, err := q.Exec(ctx, `UPDATE drafts SET data = $2, updated_at = $3 WHERE id = $1`, d.ID, d.Data, t)
		if err != nil || n > 0 {
			return err
		}
		if _, err := q.Exec(ctx, `INSERT INTO drafts (id, data, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
			d.ID, d.Data, t); err != nil {
			return err
		}
		if (s.newDrafts.Add(1)-1)%s.draftPurgeEvery() != 0 {
			return nil
		}
		// Keep this draft and the MaxDrafts-1 most recent others. The
		// subquery walks drafts_updated_at from the newest end; LIMIT is
		// required by SQLite before OFFSET, hence the huge one.
		_, err = q.Exec(ctx, `DELETE FROM drafts WHERE id IN (
			SELECT id FROM drafts WHERE id <> $1 ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3)`,
			d.ID, int64(math.MaxInt64), int64(s.lim.MaxDrafts-1))
		return err
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

// draftPurgeEvery is how many new drafts SaveDraft inserts per purge: 1% of
// MaxDrafts, so the purge costs each new draft ~1% of a walk of the table.
func (s *Store) draftPurgeEvery() int64 {
	return max(1, int64(s.lim.MaxDrafts)/100)
}

// GetDraft implements store.Store.
func (s *Store) GetDraft(ctx context.Context, id string) (store.Draft, error) {
	d := store.Draft{ID: id}
	err := store.ErrNotFound
	if valid.ID(id) {
		err = s.b.Reader().QueryRow(ctx, `SELECT data, updated_at FROM drafts WHERE id = $1`, id).Scan(&d.Data, &d.UpdatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return store.Draft{}, fmt.Errorf("store: get draft %q: %w", id, err)
	}
	d.UpdatedAt = Timestamp(d.UpdatedAt)
	return d, nil
}

// DeleteDraft implements store.Store.
func (s *Store) DeleteDraft(ctx context.Context, id string) error {
	if !valid.ID(id) {
		return nil // cannot exist
	}
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
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
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
		var err error
		n, err = q.Exec(ctx, `DELETE FROM drafts WHERE updated_at < $1`, Timestamp(t))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete drafts before %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return int(n), nil
}
