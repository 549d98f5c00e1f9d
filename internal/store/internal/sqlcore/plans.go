package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
)

// CreatePlan implements store.Store.
func (s *Store) CreatePlan(ctx context.Context, p store.NewPlan) (store.Plan, error) {
	if len(p.EditKeyHash) == 0 {
		return store.Plan{}, fmt.Errorf("store: create plan %q: empty edit key hash", p.ID)
	}
	t := now()
	err := s.b.WriteTx(ctx, func(q Querier) error {
		// ON CONFLICT DO NOTHING turns a taken id into "0 rows" instead of
		// an error that would abort a PostgreSQL transaction.
		n, err := q.Exec(ctx, `INSERT INTO plans (id, edit_key_hash, latest_revision, created_at)
			VALUES ($1, $2, 1, $3) ON CONFLICT (id) DO NOTHING`, p.ID, p.EditKeyHash, t)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrExists
		}
		return insertRevision(ctx, q, p.ID, 1, p.Answers, p.Ruleset, t)
	})
	if err != nil {
		if s.b.IsUniqueViolation(err) {
			err = store.ErrExists
		}
		return store.Plan{}, fmt.Errorf("store: create plan %q: %w", p.ID, err)
	}
	return store.Plan{
		ID:          p.ID,
		Revision:    1,
		Answers:     p.Answers,
		Ruleset:     p.Ruleset,
		EditKeyHash: p.EditKeyHash,
		CreatedAt:   t,
		SavedAt:     t,
	}, nil
}

// insertRevision stores answers as text: they are JSON, and text keeps the
// bytes exactly as given (unlike jsonb) while staying readable to operators.
func insertRevision(ctx context.Context, q Querier, id string, number int, answers []byte, ruleset string, t time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO plan_revisions (plan_id, number, answers, ruleset, saved_at)
		VALUES ($1, $2, $3, $4, $5)`, id, number, string(answers), ruleset, t)
	return err
}

// planColumns and planJoin select a store.Plan, scanned by scanPlan.
const planColumns = `p.revoked_at IS NOT NULL, p.id, r.number, r.answers, r.ruleset, p.edit_key_hash, p.created_at, r.saved_at`

func scanPlan(row Row) (store.Plan, error) {
	var p store.Plan
	var revoked bool
	if err := row.Scan(&revoked, &p.ID, &p.Revision, &p.Answers, &p.Ruleset, &p.EditKeyHash, &p.CreatedAt, &p.SavedAt); err != nil {
		return store.Plan{}, err
	}
	if revoked {
		return store.Plan{}, store.ErrGone
	}
	p.CreatedAt, p.SavedAt = Timestamp(p.CreatedAt), Timestamp(p.SavedAt)
	return p, nil
}

// GetPlan implements store.Store.
func (s *Store) GetPlan(ctx context.Context, id string) (store.Plan, error) {
	q := s.b.Reader()
	p, err := scanPlan(q.QueryRow(ctx, `SELECT `+planColumns+`
		FROM plans p JOIN plan_revisions r ON r.plan_id = p.id AND r.number = p.latest_revision
		WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Plan{}, fmt.Errorf("store: get plan %q: %w", id, err)
	}
	return p, nil
}

// GetRevision implements store.Store.
func (s *Store) GetRevision(ctx context.Context, id string, number int) (store.Plan, error) {
	q := s.b.Reader()
	p, err := scanPlan(q.QueryRow(ctx, `SELECT `+planColumns+`
		FROM plans p JOIN plan_revisions r ON r.plan_id = p.id AND r.number = $2
		WHERE p.id = $1`, id, number))
	if errors.Is(err, sql.ErrNoRows) {
		// No such plan, a revoked plan, or no such revision.
		err = planState(ctx, q, id)
		if err == nil {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return store.Plan{}, fmt.Errorf("store: get plan %q revision %d: %w", id, number, err)
	}
	return p, nil
}

// planState returns ErrNotFound or ErrGone when the plan is missing or
// revoked, and nil when it is live.
func planState(ctx context.Context, q Querier, id string) error {
	var revoked bool
	err := q.QueryRow(ctx, `SELECT revoked_at IS NOT NULL FROM plans WHERE id = $1`, id).Scan(&revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	case revoked:
		return store.ErrGone
	}
	return nil
}

// ListRevisions implements store.Store.
func (s *Store) ListRevisions(ctx context.Context, id string) ([]store.RevisionInfo, error) {
	q := s.b.Reader()
	list, err := func() ([]store.RevisionInfo, error) {
		// Revisions are append-only, so checking the plan first and then
		// listing needs no shared snapshot.
		if err := planState(ctx, q, id); err != nil {
			return nil, err
		}
		rows, err := q.Query(ctx, `SELECT number, ruleset, saved_at FROM plan_revisions
			WHERE plan_id = $1 ORDER BY number`, id)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var list []store.RevisionInfo
		for rows.Next() {
			var r store.RevisionInfo
			if err := rows.Scan(&r.Number, &r.Ruleset, &r.SavedAt); err != nil {
				return nil, err
			}
			r.SavedAt = Timestamp(r.SavedAt)
			list = append(list, r)
		}
		return list, rows.Err()
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
	t := now()
	p := store.Plan{ID: u.ID, Revision: u.ExpectedRevision + 1, Answers: u.Answers, Ruleset: u.Ruleset, SavedAt: t}
	err := s.b.WriteTx(ctx, func(q Querier) error {
		err := q.QueryRow(ctx, `UPDATE plans SET latest_revision = $1
			WHERE id = $2 AND latest_revision = $3 AND revoked_at IS NULL
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
		return insertRevision(ctx, q, u.ID, p.Revision, u.Answers, u.Ruleset, t)
	})
	if err != nil {
		if s.b.IsUniqueViolation(err) {
			err = store.ErrConflict
		}
		return store.Plan{}, fmt.Errorf("store: update plan %q from revision %d: %w", u.ID, u.ExpectedRevision, err)
	}
	p.CreatedAt = Timestamp(p.CreatedAt)
	return p, nil
}

// RevokePlan implements store.Store.
func (s *Store) RevokePlan(ctx context.Context, id string) error {
	err := s.b.WriteTx(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, `UPDATE plans SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, now(), id)
		if err != nil {
			return err
		}
		if n == 0 {
			return planState(ctx, q, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: revoke plan %q: %w", id, err)
	}
	return nil
}
