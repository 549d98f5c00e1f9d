// Package store keeps saved plans (with immutable revisions) and wizard drafts.
// It knows nothing of HTTP or of the rules engine: answers are opaque JSON
// bytes and a revision's built plan (its snapshot) is opaque bytes too.
// Two implementations live in sub-packages: sqlite (the default) and postgres
// (for several replicas); storetest holds the conformance suite both must pass.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors every implementation returns, so callers can map them to statuses.
// They are wrapped with context; match them with errors.Is.
var (
	// ErrNotFound: no plan or draft with that id, or no such revision
	// (including a revision number below 1 or above MaxRevision).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the plan has moved past the revision the caller expected
	// (including an expected revision below 1 or above MaxRevision), or
	// progress was recorded since the version the caller read
	// (PatchProgress).
	ErrConflict = errors.New("store: revision conflict")
	// ErrGone: the plan was revoked by its owner; only a tombstone is left.
	ErrGone = errors.New("store: plan revoked")
	// ErrExists: a plan or draft with that id already exists (a revoked
	// plan's id stays taken).
	ErrExists = errors.New("store: id already exists")
	// ErrTooLarge: answers, a snapshot, a draft, a device list or an id
	// is over its limit (Limits), or progress over its bounds (MaxProgressNote and the
	// rest); nothing was stored. The web layer answers 413 (or, for
	// progress it validates first, 422).
	ErrTooLarge = errors.New("store: too large")
	// ErrTooManyRevisions: UpdatePlan on a plan that already has
	// Limits.MaxRevisions revisions; nothing was stored. The plan stays
	// readable; its owner can save the answers as a new plan instead.
	ErrTooManyRevisions = errors.New("store: plan has too many revisions")
	// ErrFull: SaveDraft of a new draft when Limits.MaxDrafts are kept and
	// none of them has gone unsaved for Limits.MinDraftIdle, so none may
	// be purged to make room; nothing was stored. The error is a
	// *FullError, which says when a draft will next be old enough. The web
	// layer answers 429. Replacing a draft never fails so.
	ErrFull = errors.New("store: as many drafts as the limit, all in recent use")
	// ErrDraftSaved: CreatePlan with a DraftID that a live plan was
	// already created from; nothing was stored. The error is a
	// *DraftSavedError, which names that plan.
	ErrDraftSaved = errors.New("store: draft already saved as a plan")
)

// FullError is ErrFull with when to try again.
type FullError struct {
	// RetryAfter is how long until the least recently saved draft has
	// gone unsaved for Limits.MinDraftIdle and so may be purged (at least
	// a second). Another new draft may take that room first.
	RetryAfter time.Duration
}

func (e *FullError) Error() string {
	return fmt.Sprintf("%v (one may be purged in %s)", ErrFull, e.RetryAfter)
}

// Is makes errors.Is(err, ErrFull) hold.
func (e *FullError) Is(target error) bool { return target == ErrFull }

// DraftSavedError is ErrDraftSaved naming the plan made from the draft.
type DraftSavedError struct {
	DraftID string
	PlanID  string // the live plan created from DraftID
}

func (e *DraftSavedError) Error() string {
	return fmt.Sprintf("store: draft %q already saved as plan %q", e.DraftID, e.PlanID)
}

// Is makes errors.Is(err, ErrDraftSaved) hold.
func (e *DraftSavedError) Is(target error) bool { return target == ErrDraftSaved }

// MaxRevision is the largest revision number any store keeps (the range of
// a 32-bit integer column). Asking for a larger one, or for one below 1, is
// ErrNotFound (GetRevision) or ErrConflict (UpdatePlan), never a driver error.
const MaxRevision = 1<<31 - 1

// MaxIDBytes is the longest plan or draft id, and ruleset name, a store
// accepts (NewID makes 22 characters). Reads of a longer id answer
// ErrNotFound, writes ErrTooLarge.
const MaxIDBytes = 128

// MaxRevisionNote is the most characters of a revision's Note; its By is at
// most MaxProgressBy characters. Longer is ErrTooLarge.
const MaxRevisionNote = 200

// NewPlan is what CreatePlan stores as revision 1.
type NewPlan struct {
	ID          string
	EditKeyHash []byte // only the hash of the edit key is ever stored
	Answers     []byte // answers JSON: UTF-8 without NUL (else an error)
	Ruleset     string // ruleset version the plan was built with, ≤ MaxIDBytes
	Plan        []byte // the built plan (snapshot), opaque; nil stores none
	// DraftID, when not empty, is the wizard draft the plan is made from
	// (≤ MaxIDBytes). At most one live plan is made from a draft: a second
	// CreatePlan with the same DraftID fails with a *DraftSavedError
	// naming the first, even from another process on the same database.
	// Revoking that plan frees the DraftID.
	DraftID string
	// Note is a one-line change note for the revision and By an optional
	// name of who saved it; both may be empty. At most MaxRevisionNote
	// and MaxProgressBy characters, UTF-8 without NUL (else an error).
	Note, By string
}

// Update appends a revision when ExpectedRevision is still the latest.
type Update struct {
	ID               string
	ExpectedRevision int
	Answers          []byte
	Ruleset          string
	Plan             []byte // as NewPlan.Plan
	Note, By         string // as NewPlan.Note and NewPlan.By
}

// Plan is one revision of a saved plan.
type Plan struct {
	ID       string
	Revision int
	Answers  []byte
	Ruleset  string
	// Plan is the snapshot saved with this revision, exactly as given; nil
	// for revisions saved before snapshots existed (rebuild from Answers
	// with Ruleset then).
	Plan        []byte
	EditKeyHash []byte
	CreatedAt   time.Time // when the plan (revision 1) was created
	SavedAt     time.Time // when this revision was saved
	// Note and By are this revision's change note and who saved it, as
	// given; empty when none was given (and for revisions saved before
	// they existed).
	Note, By string
}

// PlanInfo describes a plan's latest revision without its answers and
// snapshot: the cheap read for checking revocation and the latest revision
// (e.g. for a cache of rendered revisions) on every request.
type PlanInfo struct {
	ID          string
	Revision    int // the latest; revisions are numbered 1..Revision without gaps
	Ruleset     string
	EditKeyHash []byte
	CreatedAt   time.Time
	SavedAt     time.Time
}

// RevisionInfo lists a revision without its answers.
type RevisionInfo struct {
	Number   int
	Ruleset  string
	SavedAt  time.Time
	Note, By string // as Plan.Note and Plan.By
}

// Draft is a wizard in progress; Data is owned by the web layer.
type Draft struct {
	ID        string
	Data      []byte
	UpdatedAt time.Time
}

// Device list owners (PlanDevices, DraftDevices) name what a kept device list (CONTRACT §8.5: device
// names, serial numbers, users; personal data) belongs to: a saved plan,
// for its per-device worklist, or a wizard draft, while an imported
// inventory is grouped. A plan's and a draft's list never clash, even when
// their ids are equal.
const (
	planDevicesPrefix  = "plan:"
	draftDevicesPrefix = "draft:"
)

// PlanDevices is the device list owner for plan planID.
func PlanDevices(planID string) string { return planDevicesPrefix + planID }

// DraftDevices is the device list owner for draft draftID.
func DraftDevices(draftID string) string { return draftDevicesPrefix + draftID }

// Store is implemented by sqlite.DB and postgres.DB.
type Store interface {
	// CreatePlan stores revision 1. ErrExists if the id is taken (also by
	// a revoked plan), ErrDraftSaved (a *DraftSavedError) if a live plan
	// was already made from p.DraftID, ErrTooLarge past Limits.
	CreatePlan(ctx context.Context, p NewPlan) (Plan, error)
	// GetPlan returns the latest revision. ErrNotFound, ErrGone.
	GetPlan(ctx context.Context, id string) (Plan, error)
	// GetPlanInfo returns the latest revision's metadata without reading
	// its answers or snapshot. ErrNotFound, ErrGone.
	GetPlanInfo(ctx context.Context, id string) (PlanInfo, error)
	// GetRevision returns one revision. ErrNotFound (plan or revision,
	// including numbers outside 1..MaxRevision), ErrGone.
	GetRevision(ctx context.Context, id string, number int) (Plan, error)
	// ListRevisions returns every revision, oldest first. ErrNotFound, ErrGone.
	ListRevisions(ctx context.Context, id string) ([]RevisionInfo, error)
	// UpdatePlan appends revision ExpectedRevision+1 atomically.
	// ErrNotFound, ErrGone, ErrConflict when ExpectedRevision is not the
	// latest, ErrTooManyRevisions when the plan is at Limits.MaxRevisions,
	// ErrTooLarge past Limits.
	UpdatePlan(ctx context.Context, u Update) (Plan, error)
	// RevokePlan erases every revision (answers and snapshots), the
	// plan's device list and its progress with its history, keeping a tombstone (id,
	// revocation time, number of revisions) so that every later read
	// answers ErrGone and the id is never reused.
	// ErrNotFound, ErrGone (already revoked).
	RevokePlan(ctx context.Context, id string) error

	// SaveDraft inserts or replaces a draft; a zero d.UpdatedAt means now.
	// ErrTooLarge past Limits.MaxDraftBytes. Replacing a draft always
	// works. Inserting one when Limits.MaxDrafts are kept first purges the
	// least recently saved drafts not saved for Limits.MinDraftIdle (by
	// the store's clock), as many as it takes to make room; when that is
	// not enough, because the others are all in recent use, nothing is
	// stored and the error is ErrFull (a *FullError). Purged drafts lose
	// their device lists too. So a flood of new
	// drafts can never push out a draft someone used within MinDraftIdle.
	SaveDraft(ctx context.Context, d Draft) error
	// GetDraft returns a draft. ErrNotFound.
	GetDraft(ctx context.Context, id string) (Draft, error)
	// DeleteDraft removes a draft and its device list; deleting a missing
	// draft is not an error.
	DeleteDraft(ctx context.Context, id string) error
	// DeleteDraftsBefore removes drafts not updated since t, with their
	// device lists, and says how many.
	DeleteDraftsBefore(ctx context.Context, t time.Time) (int, error)

	// GetProgress returns the progress recorded for a plan; Version 0 and
	// empty maps when none is yet. ErrNotFound, ErrGone.
	GetProgress(ctx context.Context, planID string) (Progress, error)
	// PatchProgress records a patch atomically and returns the whole
	// progress after it. It fails with ErrConflict, recording nothing,
	// when ExpectedVersion is above the current version (or negative), when
	// any entry of the patch was recorded at a version above
	// ExpectedVersion (someone changed that same entry since the caller
	// read it: the later of two ticks of one task is told), or when
	// PlanRevision is not one of the plan's revisions. Otherwise every
	// entry of the patch gets Version current+1 (with Updated = At and its
	// By), the progress gets Version current+1 and PlanRevision, and the
	// history gets one row per entry whose status, note or count changed
	// (an entry recorded again unchanged succeeds without one). Patches
	// of different entries from the same version therefore both succeed.
	// A patch without entries records nothing and returns the progress.
	// Task, wave and population ids are non-empty text of at most
	// MaxIDBytes. ErrNotFound, ErrGone, ErrTooLarge past the MaxProgress
	// bounds; a negative count or text that is not UTF-8 without NUL is
	// an error too.
	PatchProgress(ctx context.Context, p ProgressPatch) (Progress, error)
	// ProgressHistory returns the latest limit changes of a plan's
	// progress, newest first (a patch's own changes in task id order, then
	// wave and population). limit ≤ 0 or above MaxProgressHistory means
	// MaxProgressHistory: only that many are kept. ErrNotFound, ErrGone.
	ProgressHistory(ctx context.Context, planID string, limit int) ([]ProgressChange, error)

	// SaveDeviceList inserts or replaces the device list of owner (a
	// PlanDevices or DraftDevices name; any other owner is an error), kept
	// as the opaque bytes given (the web layer's compressed inventory).
	// ErrTooLarge past Limits.MaxDeviceListBytes (or an id over
	// MaxIDBytes). For a plan: ErrNotFound when there is no such plan,
	// ErrGone when it was revoked. For a draft: ErrNotFound when there is
	// no such draft. Saving does not count as saving the draft (its
	// UpdatedAt, which the idle purge goes by, stays as it was).
	SaveDeviceList(ctx context.Context, owner string, data []byte) error
	// GetDeviceList returns owner's device list and when it was saved.
	// ErrNotFound when there is none; ErrGone for a revoked plan's.
	GetDeviceList(ctx context.Context, owner string) ([]byte, time.Time, error)
	// DeleteDeviceList removes owner's device list; deleting a missing
	// list (also of a missing or revoked plan) is not an error.
	// RevokePlan, DeleteDraft, DeleteDraftsBefore and SaveDraft's purge
	// erase the lists of what they delete on their own, in the same
	// transaction.
	DeleteDeviceList(ctx context.Context, owner string) error

	// Ping reports whether the database answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}
