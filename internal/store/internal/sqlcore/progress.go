package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/progress"
	"github.com/enrollplan/enrollplan/internal/store/internal/valid"
)

// progressQuery reads a plan's whole progress in one statement, so that on
// both databases it sees one snapshot: the header (kind 'p': plan
// revision, history sequence, version), the tasks ('t') and the counts
// ('e'). Reading the header and the entries in separate statements could
// pair an old version with newer entries, and a caller could then patch an
// entry it never saw without a conflict.
const progressQuery = `
	SELECT 'p', '', '', '', '', '', plan_revision, history_seq, version, updated_at
		FROM progress WHERE plan_id = $1
	UNION ALL
	SELECT 't', task, '', status, note, changed_by, 0, 0, version, updated_at
		FROM progress_tasks WHERE plan_id = $1
	UNION ALL
	SELECT 'e', wave, population, '', '', changed_by, devices, 0, version, updated_at
		FROM progress_enrolled WHERE plan_id = $1`

// readProgress returns the plan's progress and the sequence number of its
// newest history row; found is false when nothing was ever recorded (or
// the plan is missing or revoked: the caller asks planState).
func readProgress(ctx context.Context, q Querier, id string) (pr store.Progress, seq int64, found bool, err error) {
	pr = progress.Empty(id)
	rows, err := q.Query(ctx, progressQuery, id)
	if err != nil {
		return pr, 0, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, k1, k2, status, note, by string
		var n int
		var n2, version int64
		var at time.Time
		if err := rows.Scan(&kind, &k1, &k2, &status, &note, &by, &n, &n2, &version, &at); err != nil {
			return pr, 0, false, err
		}
		at = Timestamp(at)
		switch kind {
		case "p":
			found = true
			pr.PlanRevision, seq, pr.Version, pr.Updated = n, n2, version, at
		case "t":
			pr.Tasks[k1] = store.TaskProgress{Status: status, Note: note, By: by, Updated: at, Version: version}
		case "e":
			if pr.Enrolled[k1] == nil {
				pr.Enrolled[k1] = map[string]store.EnrolledCount{}
			}
			pr.Enrolled[k1][k2] = store.EnrolledCount{Count: n, Updated: at, By: by, Version: version}
		}
	}
	if err := rows.Err(); err != nil {
		return pr, 0, false, err
	}
	return pr, seq, found, nil
}

// progressHeaderQuery reads only the header: enough, with the cache, to
// know the whole progress.
const progressHeaderQuery = `SELECT plan_revision, history_seq, version, updated_at FROM progress WHERE plan_id = $1`

// currentProgress is readProgress through the cache: the header row, then
// the entries from the transaction's memo or the cache when one holds the
// header's version, else from a full read. Outside a write transaction
// (no memo in ctx) a full read is cached: it is committed data.
func (s *Store) currentProgress(ctx context.Context, q Querier, id string) (pr store.Progress, seq int64, found bool, err error) {
	var version int64
	var rev int
	var at time.Time
	err = q.QueryRow(ctx, progressHeaderQuery, id).Scan(&rev, &seq, &version, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return progress.Empty(id), 0, false, nil
	}
	if err != nil {
		return pr, 0, false, err
	}
	memo := memoOf(ctx)
	known, ok := memo.get(id, version)
	if !ok {
		known, ok = s.progress.get(id, version)
	}
	if ok {
		known.PlanRevision, known.Updated = rev, Timestamp(at) // as stored: equal
		return known, seq, true, nil
	}
	pr, seq, found, err = readProgress(ctx, q, id)
	if err == nil && found && memo == nil {
		s.progress.put(pr)
	}
	return pr, seq, found, err
}

// GetProgress implements store.Store.
func (s *Store) GetProgress(ctx context.Context, planID string) (store.Progress, error) {
	fail := func(err error) (store.Progress, error) {
		return store.Progress{}, fmt.Errorf("store: get progress of plan %q: %w", planID, err)
	}
	if !valid.ID(planID) {
		return fail(store.ErrNotFound)
	}
	q := s.b.Reader()
	pr, _, found, err := s.currentProgress(ctx, q, planID)
	if err != nil {
		return fail(err)
	}
	if !found {
		// Nothing recorded, or no plan: RevokePlan deletes the header in
		// the transaction that deletes the plan, so a header read means
		// the plan was live.
		if err := planState(ctx, q, planID); err != nil {
			return fail(err)
		}
		return progress.Empty(planID), nil
	}
	return cloneProgress(pr), nil
}

// lockPlanQuery locks the plan row for the rest of the transaction and
// reads its latest revision: the no-op UPDATE RevokePlan also uses (one
// text for both databases, as SQLite lacks SELECT … FOR UPDATE).
const lockPlanQuery = `UPDATE plans SET latest_revision = latest_revision WHERE id = $1
			RETURNING latest_revision`

// readPlanQuery is lockPlanQuery where writes are serial (SQLite): the
// UPDATE would only rewrite the row's page into the WAL at every patch.
const readPlanQuery = `SELECT latest_revision FROM plans WHERE id = $1`

// PatchProgress implements store.Store.
//
// Its first statement locks the plan row (lockPlanQuery), so on PostgreSQL
// patches of one plan from any replica take turns: each reads the progress
// only once the previous one committed, and checks the versions against
// it. A patch and a RevokePlan take turns the same way, so a patch never
// writes rows of a revoked plan. SQLite has one writer at a time anyway,
// so there the statement only reads (readPlanQuery).
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
	at := now()
	if !pp.At.IsZero() {
		at = Timestamp(pp.At)
	}
	var res progress.Result
	err := s.write(ctx, func(ctx context.Context, q Querier) error {
		lock := lockPlanQuery
		if s.b.SerialWrites() {
			lock = readPlanQuery
		}
		var latest int
		err := q.QueryRow(ctx, lock, pp.PlanID).Scan(&latest)
		if errors.Is(err, sql.ErrNoRows) {
			if err := planState(ctx, q, pp.PlanID); err != nil {
				return err
			}
			return store.ErrNotFound // unreachable: a live plan has a row
		}
		if err != nil {
			return err
		}
		cur, seq, _, err := s.currentProgress(ctx, q, pp.PlanID)
		if err != nil {
			return err
		}
		r, err := progress.Apply(cur, pp, latest, at)
		if err != nil {
			return err
		}
		if len(r.Tasks)+len(r.Enrolled) > 0 {
			if err := writeProgress(ctx, q, r, seq); err != nil {
				return err
			}
			memoOf(ctx).put(r.Next) // for a later patch of the plan in this transaction
		}
		res = r // set last: in a group commit fn may run twice
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return cloneProgress(res.Next), nil // the cache has it: see txMemo.committed
}

// writeProgress stores the entries r recorded, the header and r's history
// rows, and trims the history to the newest MaxProgressHistory rows. seq is
// the header's history sequence before the patch.
func writeProgress(ctx context.Context, q Querier, r progress.Result, seq int64) error {
	pr := r.Next
	for _, id := range r.Tasks {
		t := pr.Tasks[id]
		if _, err := q.Exec(ctx, `INSERT INTO progress_tasks (plan_id, task, status, note, changed_by, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (plan_id, task) DO UPDATE SET status = excluded.status, note = excluded.note,
				changed_by = excluded.changed_by, updated_at = excluded.updated_at, version = excluded.version`,
			pr.PlanID, id, t.Status, t.Note, t.By, t.Updated, t.Version); err != nil {
			return err
		}
	}
	for _, k := range r.Enrolled {
		e := pr.Enrolled[k.Wave][k.Population]
		if _, err := q.Exec(ctx, `INSERT INTO progress_enrolled (plan_id, wave, population, devices, changed_by, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (plan_id, wave, population) DO UPDATE SET devices = excluded.devices,
				changed_by = excluded.changed_by, updated_at = excluded.updated_at, version = excluded.version`,
			pr.PlanID, k.Wave, k.Population, e.Count, e.By, e.Updated, e.Version); err != nil {
			return err
		}
	}
	newSeq := seq + int64(len(r.Changes))
	if _, err := q.Exec(ctx, `INSERT INTO progress (plan_id, plan_revision, version, history_seq, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (plan_id) DO UPDATE SET plan_revision = excluded.plan_revision, version = excluded.version,
			history_seq = excluded.history_seq, updated_at = excluded.updated_at`,
		pr.PlanID, pr.PlanRevision, pr.Version, newSeq, pr.Updated); err != nil {
		return err
	}
	// The first change gets the highest number: ProgressHistory reads
	// newest first and so lists a patch's changes in r.Changes order.
	for i, c := range r.Changes {
		if _, err := q.Exec(ctx, `INSERT INTO progress_history
			(plan_id, seq, changed_at, changed_by, task, wave, population, from_value, to_value, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			pr.PlanID, newSeq-int64(i), c.At, c.By, c.Task, c.Wave, c.Population, c.From, c.To, c.Note); err != nil {
			return err
		}
	}
	if oldest := newSeq - store.MaxProgressHistory; oldest > 0 && len(r.Changes) > 0 {
		if _, err := q.Exec(ctx, `DELETE FROM progress_history WHERE plan_id = $1 AND seq <= $2`, pr.PlanID, oldest); err != nil {
			return err
		}
	}
	return nil
}

// ProgressHistory implements store.Store.
func (s *Store) ProgressHistory(ctx context.Context, planID string, limit int) ([]store.ProgressChange, error) {
	fail := func(err error) ([]store.ProgressChange, error) {
		return nil, fmt.Errorf("store: get progress history of plan %q: %w", planID, err)
	}
	if !valid.ID(planID) {
		return fail(store.ErrNotFound)
	}
	if limit <= 0 || limit > store.MaxProgressHistory {
		limit = store.MaxProgressHistory
	}
	q := s.b.Reader()
	list, err := func() ([]store.ProgressChange, error) {
		rows, err := q.Query(ctx, `SELECT changed_at, changed_by, task, wave, population, from_value, to_value, note
			FROM progress_history WHERE plan_id = $1 ORDER BY seq DESC LIMIT $2`, planID, limit)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		list := []store.ProgressChange{}
		for rows.Next() {
			var c store.ProgressChange
			if err := rows.Scan(&c.At, &c.By, &c.Task, &c.Wave, &c.Population, &c.From, &c.To, &c.Note); err != nil {
				return nil, err
			}
			c.At = Timestamp(c.At)
			list = append(list, c)
		}
		return list, rows.Err()
	}()
	if err != nil {
		return fail(err)
	}
	if len(list) == 0 {
		// As in GetProgress: rows mean a live plan, none needs asking.
		if err := planState(ctx, q, planID); err != nil {
			return fail(err)
		}
	}
	return list, nil
}
