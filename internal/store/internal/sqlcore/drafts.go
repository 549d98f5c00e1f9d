package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/valid"
)

// SaveDraft implements store.Store. A zero d.UpdatedAt is stored as now;
// a set one is kept (normalized to UTC microseconds).
//
// The draft count is bounded by purging drafts nobody has saved for
// Limits.MinDraftIdle, and by refusing a new draft only when none is that
// idle. Purging alone, least recently saved first, let a flood of new
// drafts (10,400 cookieless posts in six seconds) push out every planner's
// draft in progress; refusing alone would let anyone who fills the table
// lock new visitors out until drafts expire. With both, a flood can fill
// only the room idle drafts leave, and then meets ErrFull while everyone
// already planning keeps their draft (replacing one never needs room).
//
// Each new draft counts the table (an index walk, a millisecond or less at
// 10,000 drafts); new drafts are one per visitor, so that is cheap enough
// for a cap that holds exactly on SQLite (one writer at a time).
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
	var full error // the refusal, once what could be purged is
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
		full = nil // the write may run again (group commit)
		// Replacing is the common case and needs no room.
		n, err := q.Exec(ctx, `UPDATE drafts SET data = $2, updated_at = $3 WHERE id = $1`, d.ID, d.Data, t)
		if err != nil || n > 0 {
			return err
		}
		if full, err = s.makeDraftRoom(ctx, q); full != nil || err != nil {
			return err
		}
		// ON CONFLICT: on PostgreSQL another connection may have inserted
		// the same id since the UPDATE.
		_, err = q.Exec(ctx, `INSERT INTO drafts (id, data, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
			d.ID, d.Data, t)
		return err
	})
	if err == nil {
		err = full
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// makeDraftRoom makes room for one new draft under MaxDrafts: it deletes
// the least recently saved drafts idle for MinDraftIdle, as many as it
// takes. When those are too few it returns the refusal, a
// *store.FullError, as full; what it deleted stays deleted (only more
// drafts than the cap, as after MaxDrafts was lowered, leave idle drafts
// to delete then).
func (s *Store) makeDraftRoom(ctx context.Context, q Querier) (full, err error) {
	count := func() (int64, error) {
		var n int64
		err := q.QueryRow(ctx, `SELECT count(*) FROM drafts`).Scan(&n)
		return n, err
	}
	n, err := count()
	if err != nil {
		return nil, err
	}
	excess := n - int64(s.lim.MaxDrafts) + 1
	if excess <= 0 {
		return nil, nil
	}
	t := now()
	deleted, err := q.Exec(ctx, `DELETE FROM drafts WHERE id IN (
		SELECT id FROM drafts WHERE updated_at < $1 ORDER BY updated_at, id LIMIT $2)`,
		t.Add(-s.lim.MinDraftIdle), excess)
	if err == nil && deleted > 0 {
		err = deleteOrphanDraftLists(ctx, q) // their device lists go with them
	}
	if err != nil || deleted == excess {
		return nil, err
	}
	// On PostgreSQL another connection may have deleted some of the same
	// drafts meanwhile: count again before refusing.
	if n, err = count(); err != nil {
		return nil, err
	}
	if excess = n - int64(s.lim.MaxDrafts) + 1; excess <= 0 {
		return nil, nil
	}
	// Room comes when the excess-th least recently saved draft is idle
	// enough, with those before it.
	var last time.Time
	if err := q.QueryRow(ctx, `SELECT updated_at FROM drafts ORDER BY updated_at, id LIMIT 1 OFFSET $1`,
		excess-1).Scan(&last); err != nil {
		return nil, err
	}
	return valid.Full(s.lim, Timestamp(last), t), nil
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

// DeleteDraft implements store.Store, erasing the draft's device list too.
func (s *Store) DeleteDraft(ctx context.Context, id string) error {
	if !valid.ID(id) {
		return nil // cannot exist
	}
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
		if _, err := q.Exec(ctx, `DELETE FROM drafts WHERE id = $1`, id); err != nil {
			return err
		}
		return deleteDeviceList(ctx, q, store.DraftDevices(id))
	})
	if err != nil {
		return fmt.Errorf("store: delete draft %q: %w", id, err)
	}
	return nil
}

// DeleteDraftsBefore implements store.Store, erasing the drafts' device
// lists too. t is compared at microsecond
// precision, the precision drafts are stored with.
func (s *Store) DeleteDraftsBefore(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
		var err error
		n, err = q.Exec(ctx, `DELETE FROM drafts WHERE updated_at < $1`, Timestamp(t))
		if err != nil || n == 0 {
			return err
		}
		return deleteOrphanDraftLists(ctx, q) // their device lists go with them
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete drafts before %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return int(n), nil
}
