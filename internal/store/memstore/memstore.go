// Package memstore is a store.Store kept in memory, for tests and fuzzing:
// each input can start from a known state (Checkpoint, Restore) without a
// disk write, and without running an SQL engine under coverage
// instrumentation, which slows a fuzz target a hundredfold.
//
// It answers as the drivers do: the same limits, the same refusals of ids
// and text, the same errors, timestamps in UTC microseconds, the same
// progress rules (package progress is shared with the drivers). That is not a
// claim but a test: memstore_test.go runs the conformance suite (storetest)
// that sqlite and postgres pass. What it cannot have is durability: nothing
// outlives the process, so it is never a server's store.
package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/progress"
	"github.com/enrollplan/enrollplan/internal/store/internal/valid"
)

// errClosed answers every call after Close, as a closed database would.
var errClosed = errors.New("store: closed")

// Store is an in-memory store.Store; the zero value is not usable, call New.
// It is safe for concurrent use: one mutex serializes every call, which is
// also what makes each write atomic.
type Store struct {
	lim store.Limits

	mu     sync.Mutex
	st     state
	closed bool
}

var _ store.Store = (*Store)(nil)

// state is everything stored. Its values are never changed in place once
// stored (writes replace them, byte slices are copied in and out), so a
// copy of the maps is a consistent snapshot: see Checkpoint.
type state struct {
	plans      map[string]plan
	tombstones map[string]int // revoked plan id → how many revisions it had
	drafts     map[string]store.Draft
	fromDraft  map[string]string     // draft id → the live plan made from it
	devices    map[string]deviceList // owner (store.PlanDevices, DraftDevices) → its list
}

// deviceList is a kept device list.
type deviceList struct {
	data    []byte
	savedAt time.Time
}

// plan is a live plan.
type plan struct {
	draftID     string // NewPlan.DraftID; "" for none
	editKeyHash []byte
	createdAt   time.Time
	revisions   []revision // 1..n, oldest first; clipped, so append copies
	// progress is the recorded progress (Version 0: none); its maps are
	// replaced, never changed, by PatchProgress.
	progress store.Progress
	history  []store.ProgressChange // oldest first, at most MaxProgressHistory
}

type revision struct {
	answers  []byte
	ruleset  string
	snapshot []byte // nil when none
	savedAt  time.Time
	note, by string
}

// New returns an empty store with the limits opts give (store.WithLimits;
// store.WithMaxBatch means nothing here).
func New(opts ...store.Option) *Store {
	return &Store{lim: store.Configure(opts...).Limits, st: state{
		plans:      map[string]plan{},
		tombstones: map[string]int{},
		drafts:     map[string]store.Draft{},
		fromDraft:  map[string]string{},
		devices:    map[string]deviceList{},
	}}
}

// Limits returns the limits in force.
func (s *Store) Limits() store.Limits { return s.lim }

// Checkpoint is the store's content at one moment, for Restore.
type Checkpoint struct{ st state }

// Checkpoint returns the current content. It costs a copy of the maps, not
// of the stored bytes, which are never changed in place.
func (s *Store) Checkpoint() *Checkpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &Checkpoint{s.st.clone()}
}

// Restore makes the content what it was at c (a fuzz target restores one
// checkpoint before every input). c stays usable for later restores.
func (s *Store) Restore(c *Checkpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = c.st.clone()
}

func (st state) clone() state {
	return state{plans: maps.Clone(st.plans), tombstones: maps.Clone(st.tombstones), drafts: maps.Clone(st.drafts),
		fromDraft: maps.Clone(st.fromDraft), devices: maps.Clone(st.devices)}
}

// begin locks the store for one call and says whether the call may run.
// The caller unlocks.
func (s *Store) begin(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		return errClosed
	}
	return ctx.Err()
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// nilIfEmpty clones b, and makes an empty snapshot nil (the drivers store
// none then).
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return clone(b)
}

// plan returns the live plan id, or ErrNotFound or ErrGone when it is
// missing or revoked.
func (s *Store) plan(id string) (plan, error) {
	if p, ok := s.st.plans[id]; ok {
		return p, nil
	}
	if _, ok := s.st.tombstones[id]; ok {
		return plan{}, store.ErrGone
	}
	return plan{}, store.ErrNotFound
}

// full returns revision number (1-based) of p as a store.Plan.
func (p plan) full(id string, number int) store.Plan {
	r := p.revisions[number-1]
	return store.Plan{
		ID: id, Revision: number, Answers: clone(r.answers), Ruleset: r.ruleset, Plan: clone(r.snapshot),
		EditKeyHash: clone(p.editKeyHash), CreatedAt: p.createdAt, SavedAt: r.savedAt, Note: r.note, By: r.by,
	}
}

// CreatePlan implements store.Store.
func (s *Store) CreatePlan(ctx context.Context, np store.NewPlan) (store.Plan, error) {
	fail := func(err error) (store.Plan, error) {
		return store.Plan{}, fmt.Errorf("store: create plan %q: %w", np.ID, err)
	}
	if err := valid.CheckID(np.ID); err != nil {
		return fail(err)
	}
	if err := valid.EditKeyHash(np.EditKeyHash); err != nil {
		return fail(err)
	}
	if err := valid.RevisionData(s.lim, np.Answers, np.Plan, np.Ruleset); err != nil {
		return fail(err)
	}
	if err := valid.DraftID(np.DraftID); err != nil {
		return fail(err)
	}
	if err := valid.RevisionNote(np.Note, np.By); err != nil {
		return fail(err)
	}
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return fail(err)
	}
	if other, ok := s.st.fromDraft[np.DraftID]; ok && np.DraftID != "" && other != np.ID {
		return fail(&store.DraftSavedError{DraftID: np.DraftID, PlanID: other})
	}
	_, live := s.st.plans[np.ID]
	_, revoked := s.st.tombstones[np.ID]
	if live || revoked {
		return fail(store.ErrExists)
	}
	t := valid.Now()
	p := plan{draftID: np.DraftID, editKeyHash: clone(np.EditKeyHash), createdAt: t, revisions: []revision{{
		answers: clone(np.Answers), ruleset: np.Ruleset, snapshot: nilIfEmpty(np.Plan), savedAt: t, note: np.Note, by: np.By,
	}}}
	s.st.plans[np.ID] = p
	if np.DraftID != "" {
		s.st.fromDraft[np.DraftID] = np.ID
	}
	return p.full(np.ID, 1), nil
}

// GetPlan implements store.Store.
func (s *Store) GetPlan(ctx context.Context, id string) (store.Plan, error) {
	defer s.mu.Unlock()
	p, err := s.read(ctx, id)
	if err != nil {
		return store.Plan{}, fmt.Errorf("store: get plan %q: %w", id, err)
	}
	return p.full(id, len(p.revisions)), nil
}

// read begins a read of plan id (locked; the caller unlocks).
func (s *Store) read(ctx context.Context, id string) (plan, error) {
	if err := s.begin(ctx); err != nil {
		return plan{}, err
	}
	if !valid.ID(id) {
		return plan{}, store.ErrNotFound
	}
	return s.plan(id)
}

// GetPlanInfo implements store.Store.
func (s *Store) GetPlanInfo(ctx context.Context, id string) (store.PlanInfo, error) {
	defer s.mu.Unlock()
	p, err := s.read(ctx, id)
	if err != nil {
		return store.PlanInfo{}, fmt.Errorf("store: get plan info %q: %w", id, err)
	}
	last := p.revisions[len(p.revisions)-1]
	return store.PlanInfo{
		ID: id, Revision: len(p.revisions), Ruleset: last.ruleset, EditKeyHash: clone(p.editKeyHash),
		CreatedAt: p.createdAt, SavedAt: last.savedAt,
	}, nil
}

// GetRevision implements store.Store.
func (s *Store) GetRevision(ctx context.Context, id string, number int) (store.Plan, error) {
	defer s.mu.Unlock()
	p, err := s.read(ctx, id)
	if err == nil && (!valid.Revision(number) || number > len(p.revisions)) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Plan{}, fmt.Errorf("store: get plan %q revision %d: %w", id, number, err)
	}
	return p.full(id, number), nil
}

// ListRevisions implements store.Store.
func (s *Store) ListRevisions(ctx context.Context, id string) ([]store.RevisionInfo, error) {
	defer s.mu.Unlock()
	p, err := s.read(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("store: list revisions of plan %q: %w", id, err)
	}
	list := make([]store.RevisionInfo, len(p.revisions))
	for i, r := range p.revisions {
		list[i] = store.RevisionInfo{Number: i + 1, Ruleset: r.ruleset, SavedAt: r.savedAt, Note: r.note, By: r.by}
	}
	return list, nil
}

// UpdatePlan implements store.Store. Its checks come in the drivers' order,
// so that a request wrong in several ways gets the same error.
func (s *Store) UpdatePlan(ctx context.Context, u store.Update) (store.Plan, error) {
	fail := func(err error) (store.Plan, error) {
		return store.Plan{}, fmt.Errorf("store: update plan %q from revision %d: %w", u.ID, u.ExpectedRevision, err)
	}
	if !valid.ID(u.ID) {
		return fail(store.ErrNotFound)
	}
	if err := valid.RevisionData(s.lim, u.Answers, u.Plan, u.Ruleset); err != nil {
		return fail(err)
	}
	if err := valid.RevisionNote(u.Note, u.By); err != nil {
		return fail(err)
	}
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return fail(err)
	}
	p, err := s.plan(u.ID)
	if err != nil {
		return fail(err)
	}
	latest := len(p.revisions)
	switch {
	case u.ExpectedRevision != latest:
		return fail(store.ErrConflict)
	case latest >= s.lim.MaxRevisions:
		return fail(fmt.Errorf("plan has %d revisions, the limit: %w", latest, store.ErrTooManyRevisions))
	}
	p.revisions = slices.Clip(append(p.revisions, revision{
		answers: clone(u.Answers), ruleset: u.Ruleset, snapshot: nilIfEmpty(u.Plan), savedAt: valid.Now(), note: u.Note, by: u.By,
	}))
	s.st.plans[u.ID] = p
	return p.full(u.ID, latest+1), nil
}

// RevokePlan implements store.Store.
func (s *Store) RevokePlan(ctx context.Context, id string) error {
	defer s.mu.Unlock()
	p, err := s.read(ctx, id)
	if err != nil {
		return fmt.Errorf("store: revoke plan %q: %w", id, err)
	}
	delete(s.st.plans, id)
	if p.draftID != "" {
		delete(s.st.fromDraft, p.draftID) // as the drivers delete the row holding it
	}
	delete(s.st.devices, store.PlanDevices(id))
	s.st.tombstones[id] = len(p.revisions)
	return nil
}

// SaveDraft implements store.Store, with the drivers' rule for the cap.
func (s *Store) SaveDraft(ctx context.Context, d store.Draft) error {
	fail := func(err error) error { return fmt.Errorf("store: save draft %q: %w", d.ID, err) }
	if err := valid.CheckID(d.ID); err != nil {
		return fail(err)
	}
	if err := valid.DraftData(s.lim, d.Data); err != nil {
		return fail(err)
	}
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return fail(err)
	}
	now := valid.Now()
	t := now
	if !d.UpdatedAt.IsZero() {
		t = valid.Timestamp(d.UpdatedAt)
	}
	if _, replace := s.st.drafts[d.ID]; !replace {
		if err := s.makeRoom(now); err != nil {
			return fail(err)
		}
	}
	s.st.drafts[d.ID] = store.Draft{ID: d.ID, Data: append([]byte{}, d.Data...), UpdatedAt: t}
	return nil
}

// makeRoom makes room for one new draft under MaxDrafts by deleting the
// least recently saved drafts (ties: the smaller id first, as in the
// drivers) idle for MinDraftIdle, or fails with ErrFull when those are too
// few, as the drivers do, keeping what it deleted.
func (s *Store) makeRoom(now time.Time) error {
	excess := len(s.st.drafts) - s.lim.MaxDrafts + 1
	if excess <= 0 {
		return nil
	}
	all := slices.SortedFunc(maps.Values(s.st.drafts), func(a, b store.Draft) int {
		return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), cmp.Compare(a.ID, b.ID))
	})
	cutoff := now.Add(-s.lim.MinDraftIdle)
	for _, d := range all[:excess] {
		if !d.UpdatedAt.Before(cutoff) {
			return valid.Full(s.lim, all[excess-1].UpdatedAt, now)
		}
		s.deleteDraft(d.ID)
	}
	return nil
}

// deleteDraft deletes a draft and its device list.
func (s *Store) deleteDraft(id string) {
	delete(s.st.drafts, id)
	delete(s.st.devices, store.DraftDevices(id))
}

// GetDraft implements store.Store.
func (s *Store) GetDraft(ctx context.Context, id string) (store.Draft, error) {
	defer s.mu.Unlock()
	err := s.begin(ctx)
	d, ok := s.st.drafts[id]
	if err == nil && !ok {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Draft{}, fmt.Errorf("store: get draft %q: %w", id, err)
	}
	d.Data = append([]byte{}, d.Data...)
	return d, nil
}

// DeleteDraft implements store.Store.
func (s *Store) DeleteDraft(ctx context.Context, id string) error {
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("store: delete draft %q: %w", id, err)
	}
	s.deleteDraft(id)
	return nil
}

// DeleteDraftsBefore implements store.Store.
func (s *Store) DeleteDraftsBefore(ctx context.Context, t time.Time) (int, error) {
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return 0, fmt.Errorf("store: delete drafts before %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	t = valid.Timestamp(t)
	n := 0
	for id, d := range s.st.drafts {
		if d.UpdatedAt.Before(t) {
			s.deleteDraft(id)
			n++
		}
	}
	return n, nil
}

// Ping implements store.Store: it fails only after Close.
func (s *Store) Ping(ctx context.Context) error {
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("store: ping memory store: %w", err)
	}
	return nil
}

// Close implements store.Store; every later call fails.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// GetProgress implements store.Store.
func (s *Store) GetProgress(ctx context.Context, planID string) (store.Progress, error) {
	defer s.mu.Unlock()
	p, err := s.read(ctx, planID)
	if err != nil {
		return store.Progress{}, fmt.Errorf("store: get progress of plan %q: %w", planID, err)
	}
	return copyProgress(p.current(planID)), nil
}

// current is the plan's progress as stored (shared: copy before handing
// it out).
func (p plan) current(id string) store.Progress {
	if p.progress.Version == 0 {
		return progress.Empty(id)
	}
	return p.progress
}

// copyProgress copies the maps, which the store shares with checkpoints.
func copyProgress(pr store.Progress) store.Progress {
	pr.Tasks = maps.Clone(pr.Tasks)
	enrolled := make(map[string]map[string]store.EnrolledCount, len(pr.Enrolled))
	for w, pops := range pr.Enrolled {
		enrolled[w] = maps.Clone(pops)
	}
	pr.Enrolled = enrolled
	return pr
}

// PatchProgress implements store.Store with the drivers' rules (package
// progress holds them for both).
func (s *Store) PatchProgress(ctx context.Context, pp store.ProgressPatch) (store.Progress, error) {
	fail := func(err error) (store.Progress, error) {
		return store.Progress{}, fmt.Errorf("store: record progress of plan %q from version %d: %w", pp.PlanID, pp.ExpectedVersion, err)
	}
	if !valid.ID(pp.PlanID) {
		return fail(store.ErrNotFound)
	}
	if err := progress.Check(pp); err != nil {
		return fail(err)
	}
	at := valid.Now()
	if !pp.At.IsZero() {
		at = valid.Timestamp(pp.At)
	}
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return fail(err)
	}
	p, err := s.plan(pp.PlanID)
	if err != nil {
		return fail(err)
	}
	res, err := progress.Apply(p.current(pp.PlanID), pp, len(p.revisions), at)
	if err != nil {
		return fail(err)
	}
	if len(res.Tasks)+len(res.Enrolled) > 0 {
		p.progress = res.Next
		// history is oldest first; a patch's rows go in reversed, so that
		// reading it backwards lists them in res.Changes order.
		h := slices.Clip(p.history)
		for _, c := range slices.Backward(res.Changes) {
			h = append(h, c)
		}
		if len(h) > store.MaxProgressHistory {
			h = slices.Clone(h[len(h)-store.MaxProgressHistory:])
		}
		p.history = h
		s.st.plans[pp.PlanID] = p
	}
	return copyProgress(res.Next), nil
}

// ProgressHistory implements store.Store.
func (s *Store) ProgressHistory(ctx context.Context, planID string, limit int) ([]store.ProgressChange, error) {
	defer s.mu.Unlock()
	p, err := s.read(ctx, planID)
	if err != nil {
		return nil, fmt.Errorf("store: get progress history of plan %q: %w", planID, err)
	}
	if limit <= 0 || limit > store.MaxProgressHistory {
		limit = store.MaxProgressHistory
	}
	out := make([]store.ProgressChange, 0, min(limit, len(p.history)))
	for _, c := range slices.Backward(p.history) {
		if len(out) == limit {
			break
		}
		out = append(out, c)
	}
	return out, nil
}
