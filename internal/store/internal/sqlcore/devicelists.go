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

// SaveDeviceList implements store.Store.
//
// The plan's or draft's row is locked first (a no-op UPDATE, as in
// RevokePlan), so on PostgreSQL a concurrent revoke or draft delete either
// commits first, and this finds the owner gone, or waits for this and then
// erases the list with its owner: a list never outlives what it belongs to.
func (s *Store) SaveDeviceList(ctx context.Context, owner string, data []byte) error {
	fail := func(err error) error { return fmt.Errorf("store: save device list of %q: %w", owner, err) }
	o, err := valid.CheckOwner(s.lim, owner, data)
	if err != nil {
		return fail(err)
	}
	if data == nil {
		data = []byte{} // the column is NOT NULL; nil would bind as NULL
	}
	t := now()
	err = s.write(ctx, func(ctx context.Context, q Querier) error {
		if o.Plan != "" {
			n, err := q.Exec(ctx, `UPDATE plans SET latest_revision = latest_revision WHERE id = $1`, o.Plan)
			if err != nil {
				return err
			}
			if n == 0 {
				if err := planState(ctx, q, o.Plan); err != nil {
					return err
				}
				return store.ErrNotFound // unreachable: a live plan has a row
			}
		} else {
			n, err := q.Exec(ctx, `UPDATE drafts SET updated_at = updated_at WHERE id = $1`, o.Draft)
			if err != nil {
				return err
			}
			if n == 0 {
				return store.ErrNotFound
			}
		}
		_, err := q.Exec(ctx, `INSERT INTO device_lists (owner, data, saved_at) VALUES ($1, $2, $3)
			ON CONFLICT (owner) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at`,
			owner, data, t)
		return err
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

// GetDeviceList implements store.Store.
func (s *Store) GetDeviceList(ctx context.Context, owner string) ([]byte, time.Time, error) {
	fail := func(err error) ([]byte, time.Time, error) {
		return nil, time.Time{}, fmt.Errorf("store: get device list of %q: %w", owner, err)
	}
	o, exists, err := valid.ReadOwner(owner)
	if err != nil {
		return fail(err)
	}
	if !exists {
		return fail(store.ErrNotFound)
	}
	q := s.b.Reader()
	var data []byte
	var t time.Time
	err = q.QueryRow(ctx, `SELECT data, saved_at FROM device_lists WHERE owner = $1`, owner).Scan(&data, &t)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
		if o.Plan != "" {
			// A revoked plan's list is gone with it.
			if e := planState(ctx, q, o.Plan); e != nil {
				err = e
			}
		}
	}
	if err != nil {
		return fail(err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, Timestamp(t), nil
}

// DeleteDeviceList implements store.Store.
func (s *Store) DeleteDeviceList(ctx context.Context, owner string) error {
	_, exists, err := valid.ReadOwner(owner)
	if err == nil && exists {
		err = s.write(ctx, func(ctx context.Context, q Querier) error {
			return deleteDeviceList(ctx, q, owner)
		})
	}
	if err != nil {
		return fmt.Errorf("store: delete device list of %q: %w", owner, err)
	}
	return nil
}

func deleteDeviceList(ctx context.Context, q Querier, owner string) error {
	_, err := q.Exec(ctx, `DELETE FROM device_lists WHERE owner = $1`, owner)
	return err
}

// deleteOrphanDraftLists erases the device lists of drafts that no longer
// exist, after a statement deleted drafts. Sweeping after the delete,
// rather than naming the drafts it chose, stays right on PostgreSQL when a
// draft is saved again between two statements: a list goes only once its
// draft is gone, and a list saved meanwhile has its draft locked, so the
// delete waited for it and this later statement sees it.
func deleteOrphanDraftLists(ctx context.Context, q Querier) error {
	// 'draft:' is store.DraftDevices(""), 6 characters.
	_, err := q.Exec(ctx, `DELETE FROM device_lists
		WHERE substr(owner, 1, 6) = 'draft:'
		AND NOT EXISTS (SELECT 1 FROM drafts WHERE drafts.id = substr(device_lists.owner, 7))`)
	return err
}
