package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
)

// V1Fixture returns SQL that fills a database at schema version 1 (before
// tombstones and snapshots): two live plans and one revoked plan whose
// answers hold RevokedMarker. blob writes a blob literal from hex digits
// (X'…' in SQLite, '\x…'::bytea in PostgreSQL); the rest is common SQL.
func V1Fixture(blob func(hex string) string) string {
	return strings.NewReplacer("X'01'", blob("01"), "X'02'", blob("02"), "X'03'", blob("03"), "X'7B7D'", blob("7B7D")).Replace(v1Fixture)
}

const v1Fixture = `
INSERT INTO plans (id, edit_key_hash, latest_revision, created_at, revoked_at) VALUES
	('live1', X'01', 2, '2026-01-01T00:00:00.000000Z', NULL),
	('gone1', X'02', 3, '2026-01-02T00:00:00.000000Z', '2026-01-05T00:00:00.000000Z'),
	('live2', X'03', 1, '2026-01-03T00:00:00.000000Z', NULL);
INSERT INTO plan_revisions (plan_id, number, answers, ruleset, saved_at) VALUES
	('live1', 1, '{"v":"live1-1"}', 'r1', '2026-01-01T00:00:00.000000Z'),
	('live1', 2, '{"v":"live1-2"}', 'r2', '2026-01-01T01:00:00.000000Z'),
	('gone1', 1, '{"v":"REVOKED-MARKER-1"}', 'r1', '2026-01-02T00:00:00.000000Z'),
	('gone1', 2, '{"v":"REVOKED-MARKER-2"}', 'r1', '2026-01-03T00:00:00.000000Z'),
	('gone1', 3, '{"v":"REVOKED-MARKER-3"}', 'r1', '2026-01-04T00:00:00.000000Z'),
	('live2', 1, '{"v":"live2-1"}', 'r1', '2026-01-03T00:00:00.000000Z');
INSERT INTO drafts (id, data, updated_at) VALUES ('draft1', X'7B7D', '2026-01-06T00:00:00.000000Z');
`

// RevokedMarker is in every answer of the revoked plan of V1Fixture.
const RevokedMarker = "REVOKED-MARKER"

// Count runs a query returning one integer (a count) on the driver's own
// connection, for checks the Store interface cannot make.
type Count func(t *testing.T, query string) int

// CheckV1Upgrade checks a store opened (and so migrated) on V1Fixture:
// live plans keep their revisions and have no snapshots, the revoked plan
// is erased down to its tombstone, drafts are untouched.
func CheckV1Upgrade(t *testing.T, s store.Store, count Count) {
	t.Helper()
	ctx := context.Background()
	p, err := s.GetPlan(ctx, "live1")
	if err != nil {
		t.Fatalf("GetPlan live1 after upgrade: %v", err)
	}
	if p.Revision != 2 || string(p.Answers) != `{"v":"live1-2"}` || p.Ruleset != "r2" || p.Plan != nil ||
		!bytes.Equal(p.EditKeyHash, []byte{1}) || p.CreatedAt.Format("2006-01-02") != "2026-01-01" {
		t.Errorf("live1 after upgrade: %+v", p)
	}
	r1, err := s.GetRevision(ctx, "live1", 1)
	if err != nil || string(r1.Answers) != `{"v":"live1-1"}` || r1.Plan != nil {
		t.Errorf("live1 revision 1 after upgrade: %+v, %v", r1, err)
	}
	if list, err := s.ListRevisions(ctx, "live2"); err != nil || len(list) != 1 {
		t.Errorf("live2 revisions after upgrade: %v, %v", list, err)
	}

	_, err = s.GetPlan(ctx, "gone1")
	wantErr(t, "GetPlan of a plan revoked before the upgrade", err, store.ErrGone)
	_, err = s.GetRevision(ctx, "gone1", 1)
	wantErr(t, "GetRevision of a plan revoked before the upgrade", err, store.ErrGone)
	_, err = s.CreatePlan(ctx, store.NewPlan{ID: "gone1", EditKeyHash: []byte{9}, Answers: []byte(`{}`), Ruleset: "r"})
	wantErr(t, "CreatePlan reusing an id revoked before the upgrade", err, store.ErrExists)
	if n := count(t, `SELECT count(*) FROM plan_revisions WHERE plan_id = 'gone1'`); n != 0 {
		t.Errorf("%d revisions of the revoked plan survived the upgrade, want 0", n)
	}
	if n := count(t, `SELECT count(*) FROM plan_revisions WHERE answers LIKE '%`+RevokedMarker+`%'`); n != 0 {
		t.Errorf("%d rows still hold the revoked answers", n)
	}
	if n := count(t, `SELECT count(*) FROM plans WHERE id = 'gone1'`); n != 0 {
		t.Errorf("the revoked plan's row survived the upgrade")
	}
	if n := count(t, `SELECT revisions FROM plan_tombstones WHERE id = 'gone1'`); n != 3 {
		t.Errorf("tombstone records %d revisions, want 3", n)
	}
	if n := count(t, `SELECT count(*) FROM plan_tombstones`); n != 1 {
		t.Errorf("%d tombstones, want 1", n)
	}

	if d, err := s.GetDraft(ctx, "draft1"); err != nil || string(d.Data) != "{}" {
		t.Errorf("draft after upgrade: %+v, %v", d, err)
	}
	up, err := s.UpdatePlan(ctx, store.Update{ID: "live1", ExpectedRevision: 2, Answers: []byte(`{"v":3}`), Ruleset: "r3", Plan: []byte("snap")})
	if err != nil || up.Revision != 3 {
		t.Fatalf("UpdatePlan after upgrade: %+v, %v", up, err)
	}
	CheckRevokeErasesRows(t, s, count, "live1", 3)
}

// CheckRevokeErasesRows records progress on the live plan id, which has
// revisions revisions, keeps a device list with it (unless it has one),
// revokes it and checks the rows: none of its revisions, progress or
// history, no device list, no plan row, one tombstone counting them.
func CheckRevokeErasesRows(t *testing.T, s store.Store, count Count, id string, revisions int) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.GetDeviceList(ctx, store.PlanDevices(id)); errors.Is(err, store.ErrNotFound) {
		if err := s.SaveDeviceList(ctx, store.PlanDevices(id), []byte(RevokedMarker)); err != nil {
			t.Fatalf("SaveDeviceList %s: %v", id, err)
		}
	}
	if n := count(t, `SELECT count(*) FROM device_lists WHERE owner = 'plan:`+id+`'`); n != 1 {
		t.Fatalf("%d device lists of %s before RevokePlan, want 1", n, id)
	}
	if _, err := s.PatchProgress(ctx, store.ProgressPatch{PlanID: id, PlanRevision: revisions,
		Tasks:    map[string]store.TaskProgress{"t": {Status: "done", Note: RevokedMarker}},
		Enrolled: map[string]map[string]int{"w": {"p": 1}}}); err != nil {
		t.Fatalf("PatchProgress %s: %v", id, err)
	}
	if err := s.RevokePlan(ctx, id); err != nil {
		t.Fatalf("RevokePlan %s: %v", id, err)
	}
	for _, table := range []string{"progress", "progress_tasks", "progress_enrolled", "progress_history"} {
		if n := count(t, `SELECT count(*) FROM `+table+` WHERE plan_id = '`+id+`'`); n != 0 {
			t.Errorf("%d rows of %s left after RevokePlan, want 0", n, table)
		}
	}
	if n := count(t, `SELECT count(*) FROM plan_revisions WHERE plan_id = '`+id+`'`); n != 0 {
		t.Errorf("%d revisions left after RevokePlan, want 0", n)
	}
	if n := count(t, `SELECT count(*) FROM device_lists WHERE owner = 'plan:`+id+`'`); n != 0 {
		t.Errorf("device list left after RevokePlan")
	}
	if n := count(t, `SELECT count(*) FROM plans WHERE id = '`+id+`'`); n != 0 {
		t.Errorf("plan row left after RevokePlan")
	}
	if n := count(t, `SELECT revisions FROM plan_tombstones WHERE id = '`+id+`'`); n != revisions {
		t.Errorf("tombstone records %d revisions, want %d", n, revisions)
	}
}
