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

// snapshotArg binds a snapshot: NULL when there is none.
func snapshotArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreatePlan implements store.Store.
func (s *Store) CreatePlan(ctx context.Context, p store.NewPlan) (store.Plan, error) {
	fail := func(err error) (store.Plan, error) {
		return store.Plan{}, fmt.Errorf("store: create plan %q: %w", p.ID, err)
	}
	if err := valid.CheckID(p.ID); err != nil {
		return fail(err)
	}
	if err := valid.EditKeyHash(p.EditKeyHash); err != nil {
		return fail(err)
	}
	if err := valid.RevisionData(s.lim, p.Answers, p.Plan, p.Ruleset); err != nil {
		return fail(err)
	}
	if err := valid.DraftID(p.DraftID); err != nil {
		return fail(err)
	}
	if err := valid.RevisionNote(p.Note, p.By); err != nil {
		return fail(err)
	}
	var draftID any // NULL: made without a draft, like any number of others
	if p.DraftID != "" {
		draftID = p.DraftID
	}
	t := now()
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
		// ON CONFLICT DO NOTHING turns a taken id or draft id into "0
		// rows" instead of an error that would abort a PostgreSQL
		// transaction. On PostgreSQL an insert of the same draft id by
		// another connection, not yet committed, makes this one wait for
		// it: of two replicas saving one draft, one inserts and the other
		// then finds its plan below.
		n, err := q.Exec(ctx, `INSERT INTO plans (id, edit_key_hash, latest_revision, created_at, draft_id)
			VALUES ($1, $2, 1, $3, $4) ON CONFLICT DO NOTHING`, p.ID, p.EditKeyHash, t, draftID)
		if err != nil {
			return err
		}
		if n == 0 {
			return s.createConflict(ctx, q, p)
		}
		// A revoked plan's id stays taken. Checked after the insert, in a
		// statement of its own, so that on PostgreSQL a revocation of the
		// same id that committed while the insert waited is seen.
		var revoked bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM plan_tombstones WHERE id = $1)`, p.ID).Scan(&revoked); err != nil {
			return err
		}
		if revoked {
			return store.ErrExists
		}
		return insertRevision(ctx, q, p.ID, 1, p.Answers, p.Ruleset, p.Plan, p.Note, p.By, t)
	})
	if err != nil {
		if s.b.IsUniqueViolation(err) {
			err = store.ErrExists
		}
		return fail(err)
	}
	return store.Plan{
		ID:          p.ID,
		Revision:    1,
		Answers:     p.Answers,
		Ruleset:     p.Ruleset,
		Plan:        nilIfEmpty(p.Plan),
		EditKeyHash: p.EditKeyHash,
		CreatedAt:   t,
		SavedAt:     t,
		Note:        p.Note,
		By:          p.By,
	}, nil
}

// createConflict says why CreatePlan inserted no row: the draft was made
// into another plan (ErrDraftSaved), else the id is taken (ErrExists).
func (s *Store) createConflict(ctx context.Context, q Querier, p store.NewPlan) error {
	if p.DraftID != "" {
		var other string
		err := q.QueryRow(ctx, `SELECT id FROM plans WHERE draft_id = $1`, p.DraftID).Scan(&other)
		switch {
		case err == nil && other != p.ID:
			return &store.DraftSavedError{DraftID: p.DraftID, PlanID: other}
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	return store.ErrExists
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// insertRevision stores answers as text: they are JSON, and text keeps the
// bytes exactly as given (unlike jsonb) while staying readable to operators.
// The snapshot is a blob, NULL when there is none. The change note and who
// saved it are empty text when not given (as for revisions saved before).
func insertRevision(ctx context.Context, q Querier, id string, number int, answers []byte, ruleset string, snapshot []byte, note, by string, t time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO plan_revisions (plan_id, number, answers, ruleset, snapshot, saved_at, note, saved_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, number, string(answers), ruleset, snapshotArg(snapshot), t, note, by)
	return err
}

// planColumns and the joins below select a store.Plan, scanned by scanPlan.
const planColumns = `p.id, r.number, r.answers, r.ruleset, r.snapshot, p.edit_key_hash, p.created_at, r.saved_at, r.note, r.saved_by`

func scanPlan(row Row) (store.Plan, error) {
	var p store.Plan
	if err := row.Scan(&p.ID, &p.Revision, &p.Answers, &p.Ruleset, &p.Plan, &p.EditKeyHash, &p.CreatedAt, &p.SavedAt, &p.Note, &p.By); err != nil {
		return store.Plan{}, err
	}
	p.Plan = nilIfEmpty(p.Plan)
	p.CreatedAt, p.SavedAt = Timestamp(p.CreatedAt), Timestamp(p.SavedAt)
	return p, nil
}

// missing turns "no row" from a read of a live plan into the reason:
// ErrNotFound or ErrGone from planState, or notFound when the plan is live
// (a revision it lacks).
func missing(ctx context.Context, q Querier, id string, err error) error {
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err := planState(ctx, q, id); err != nil {
		return err
	}
	return store.ErrNotFound
}

// GetPlan implements store.Store.
func (s *Store) GetPlan(ctx context.Context, id string) (store.Plan, error) {
	if !valid.ID(id) {
		return store.Plan{}, fmt.Errorf("store: get plan %q: %w", id, store.ErrNotFound)
	}
	q := s.b.Reader()
	p, err := scanPlan(q.QueryRow(ctx, `SELECT `+planColumns+`
		FROM plans p JOIN plan_revisions r ON r.plan_id = p.id AND r.number = p.latest_revision
		WHERE p.id = $1`, id))
	if err != nil {
		return store.Plan{}, fmt.Errorf("store: get plan %q: %w", id, missing(ctx, q, id, err))
	}
	return p, nil
}

// GetPlanInfo implements store.Store.
func (s *Store) GetPlanInfo(ctx context.Context, id string) (store.PlanInfo, error) {
	if !valid.ID(id) {
		return store.PlanInfo{}, fmt.Errorf("store: get plan info %q: %w", id, store.ErrNotFound)
	}
	q := s.b.Reader()
	var p store.PlanInfo
	err := q.QueryRow(ctx, `SELECT p.id, p.latest_revision, r.ruleset, p.edit_key_hash, p.created_at, r.saved_at
		FROM plans p JOIN plan_revisions r ON r.plan_id = p.id AND r.number = p.latest_revision
		WHERE p.id = $1`, id).Scan(&p.ID, &p.Revision, &p.Ruleset, &p.EditKeyHash, &p.CreatedAt, &p.SavedAt)
	if err != nil {
		return store.PlanInfo{}, fmt.Errorf("store: get plan info %q: %w", id, missing(ctx, q, id, err))
	}
	p.CreatedAt, p.SavedAt = Timestamp(p.CreatedAt), Timestamp(p.SavedAt)
	return p, nil
}

// GetRevision implements store.Store.
func (s *Store) GetRevision(ctx context.Context, id string, number int) (store.Plan, error) {
	fail := func(err error) (store.Plan, error) {
		return store.Plan{}, fmt.Errorf("store: get plan %q revision %d: %w", id, number, err)
	}
	if !valid.ID(id) {
		return fail(store.ErrNotFound)
	}
	q := s.b.Reader()
	if !valid.Revision(number) {
		// No such revision can exist; the plan's state still decides
		// between ErrNotFound and ErrGone.
		return fail(missing(ctx, q, id, sql.ErrNoRows))
	}
	p, err := scanPlan(q.QueryRow(ctx, `SELECT `+planColumns+`
		FROM plans p JOIN plan_revisions r ON r.plan_id = p.id AND r.number = $2
		WHERE p.id = $1`, id, number))
	if err != nil {
		return fail(missing(ctx, q, id, err))
	}
	return p, nil
}

// planState returns ErrNotFound or ErrGone when the plan is missing or
// revoked, and nil when it is live.
func planState(ctx context.Context, q Querier, id string) error {
	var live, revoked bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM plans WHERE id = $1),
		EXISTS (SELECT 1 FROM plan_tombstones WHERE id = $1)`, id).Scan(&live, &revoked)
	switch {
	case err != nil:
		return err
	case live:
		return nil
	case revoked:
		return store.ErrGone
	}
	return store.ErrNotFound
}

// ListRevisions implements store.Store.
func (s *Store) ListRevisions(ctx context.Context, id string) ([]store.RevisionInfo, error) {
	if !valid.ID(id) {
		return nil, fmt.Errorf("store: list revisions of plan %q: %w", id, store.ErrNotFound)
	}
	q := s.b.Reader()
	list, err := func() ([]store.RevisionInfo, error) {
		rows, err := q.Query(ctx, `SELECT number, ruleset, saved_at, note, saved_by FROM plan_revisions
			WHERE plan_id = $1 ORDER BY number`, id)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var list []store.RevisionInfo
		for rows.Next() {
			var r store.RevisionInfo
			if err := rows.Scan(&r.Number, &r.Ruleset, &r.SavedAt, &r.Note, &r.By); err != nil {
				return nil, err
			}
			r.SavedAt = Timestamp(r.SavedAt)
			list = append(list, r)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			// A live plan has revision 1, so none means the plan is
			// missing or revoked (revocation erases the revisions).
			return nil, missing(ctx, q, id, sql.ErrNoRows)
		}
		return list, nil
	}()
	if err != nil {
		return nil, fmt.Errorf("store: list revisions of plan %q: %w", id, err)
	}
	return list, nil
}

// UpdatePlan implements store.Store.
//
// The revision check and the bump of latest_revision are one conditional
// UPDATE, so it is atomic on both databases: SQLite runs one writer at a
// time, and PostgreSQL makes a concurrent UPDATE of the same row wait and
// then re-check its WHERE against the committed row, so of several callers
// expecting the same revision exactly one matches. The primary key on
// plan_revisions (plan_id, number) backs this up.
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
	t := now()
	p := store.Plan{ID: u.ID, Revision: u.ExpectedRevision + 1, Answers: u.Answers, Ruleset: u.Ruleset, Plan: nilIfEmpty(u.Plan), SavedAt: t,
		Note: u.Note, By: u.By}
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
		if !valid.Revision(u.ExpectedRevision) || u.ExpectedRevision >= s.lim.MaxRevisions {
			return s.cannotAppend(ctx, q, u.ID, u.ExpectedRevision)
		}
		err := q.QueryRow(ctx, `UPDATE plans SET latest_revision = $1
			WHERE id = $2 AND latest_revision = $3
			RETURNING edit_key_hash, created_at`,
			p.Revision, u.ID, u.ExpectedRevision).Scan(&p.EditKeyHash, &p.CreatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			if err := planState(ctx, q, u.ID); err != nil {
				return err
			}
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		return insertRevision(ctx, q, u.ID, p.Revision, u.Answers, u.Ruleset, u.Plan, u.Note, u.By, t)
	})
	if err != nil {
		if s.b.IsUniqueViolation(err) {
			err = store.ErrConflict
		}
		return fail(err)
	}
	p.CreatedAt = Timestamp(p.CreatedAt)
	return p, nil
}

// cannotAppend explains why no revision can follow expected, a number out
// of range or at the revision limit: the plan is missing or revoked, has
// moved on (ErrConflict), or is full (ErrTooManyRevisions).
func (s *Store) cannotAppend(ctx context.Context, q Querier, id string, expected int) error {
	if err := planState(ctx, q, id); err != nil {
		return err
	}
	var latest int
	if err := q.QueryRow(ctx, `SELECT latest_revision FROM plans WHERE id = $1`, id).Scan(&latest); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return planState(ctx, q, id) // revoked in between (PostgreSQL)
		}
		return err
	}
	if latest != expected {
		return store.ErrConflict
	}
	return fmt.Errorf("plan has %d revisions, the limit: %w", latest, store.ErrTooManyRevisions)
}

// RevokePlan implements store.Store. It erases the progress, the revisions,
// the device list and the plan row and leaves a tombstone. The first statement locks the plan row (a
// no-op UPDATE, as SQLite lacks SELECT … FOR UPDATE), so on PostgreSQL a
// concurrent UpdatePlan either commits first, and its revision is erased
// too, or waits and then finds the plan gone.
//
// Erasure reaches the files too: SQLite runs with secure_delete, which
// overwrites freed content with zeros; PostgreSQL's dead rows are reclaimed
// by (auto)vacuum.
func (s *Store) RevokePlan(ctx context.Context, id string) error {
	if !valid.ID(id) {
		return fmt.Errorf("store: revoke plan %q: %w", id, store.ErrNotFound)
	}
	t := now()
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
		var revisions int
		err := q.QueryRow(ctx, `UPDATE plans SET latest_revision = latest_revision WHERE id = $1
			RETURNING latest_revision`, id).Scan(&revisions)
		if errors.Is(err, sql.ErrNoRows) {
			if err := planState(ctx, q, id); err != nil {
				return err
			}
			return store.ErrNotFound // unreachable: a live plan has a row
		}
		if err != nil {
			return err
		}
		// Progress first: its rows refer to the plan row.
		for _, table := range []string{"progress_history", "progress_enrolled", "progress_tasks", "progress", "plan_revisions"} {
			if _, err := q.Exec(ctx, `DELETE FROM `+table+` WHERE plan_id = $1`, id); err != nil {
				return err
			}
		}
		if err := deleteDeviceList(ctx, q, store.PlanDevices(id)); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM plans WHERE id = $1`, id); err != nil {
			return err
		}
		_, err = q.Exec(ctx, `INSERT INTO plan_tombstones (id, revoked_at, revisions) VALUES ($1, $2, $3)`, id, t, revisions)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: revoke plan %q: %w", id, err)
	}
	s.progress.drop(id) // only memory: reads find no header for it any more
	return nil
}
