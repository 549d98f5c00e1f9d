package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/valid"
)

// SaveDeviceList implements store.Store, with the drivers' checks in their
// order.
func (s *Store) SaveDeviceList(ctx context.Context, owner string, data []byte) error {
	fail := func(err error) error { return fmt.Errorf("store: save device list of %q: %w", owner, err) }
	o, err := valid.CheckOwner(s.lim, owner, data)
	if err != nil {
		return fail(err)
	}
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return fail(err)
	}
	if o.Plan != "" {
		if _, err := s.plan(o.Plan); err != nil {
			return fail(err)
		}
	} else if _, ok := s.st.drafts[o.Draft]; !ok {
		return fail(store.ErrNotFound)
	}
	s.st.devices[owner] = deviceList{data: append([]byte{}, data...), savedAt: valid.Now()}
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
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return fail(err)
	}
	l, ok := s.st.devices[owner]
	if !exists || !ok {
		err := store.ErrNotFound
		if _, revoked := s.st.tombstones[o.Plan]; revoked && exists && o.Plan != "" {
			err = store.ErrGone
		}
		return fail(err)
	}
	return append([]byte{}, l.data...), l.savedAt, nil
}

// DeleteDeviceList implements store.Store.
func (s *Store) DeleteDeviceList(ctx context.Context, owner string) error {
	if _, _, err := valid.ReadOwner(owner); err != nil {
		return fmt.Errorf("store: delete device list of %q: %w", owner, err)
	}
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("store: delete device list of %q: %w", owner, err)
	}
	delete(s.st.devices, owner)
	return nil
}
