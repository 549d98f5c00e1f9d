// Package store keeps saved plans (with immutable revisions) and wizard drafts.
// It knows nothing of HTTP or of the rules engine: answers are opaque JSON
// bytes and a revision's built plan (its snapshot) is opaque bytes too.
// Two implementations live in sub-packages: sqlite (the default) and postgres
// (for several replicas); storetest holds the conformance suite both must pass.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every implementation returns, so callers can map them to statuses.
// They are wrapped with context; match them with errors.Is.
var (
	// ErrNotFound: no plan or draft with that id, or no such revision
	// (including a revision number below 1 or above MaxRevision).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the plan has moved past the revision the caller expected
	// (including an expected revision below 1 or above MaxRevision).
	ErrConflict = errors.New("store: revision conflict")
	// ErrGone: the plan was revoked by its owner; only a tombstone is left.
	ErrGone = errors.New("store: plan revoked")
	// ErrExists: a plan or draft with that id already exists (a revoked
	// plan's id stays taken).
	ErrExists = errors.New("store: id already exists")
	// ErrTooLarge: answers, a snapshot, a draft or an id is over its
	// limit (Limits); nothing was stored. The web layer answers 413.
	ErrTooLarge = errors.New("store: too large")
	// ErrTooManyRevisions: UpdatePlan on a plan that already has
	// Limits.MaxRevisions revisions; nothing was stored. The plan stays
	// readable; its owner can save the answers as a new plan instead.
	ErrTooManyRevisions = errors.New("store: plan has too many revisions")
)

// MaxRevision is the largest revision number any store keeps (the range of
// a 32-bit integer column). Asking for a larger one, or for one below 1, is
// ErrNotFound (GetRevision) or ErrConflict (UpdatePlan), never a driver error.
const MaxRevision = 1<<31 - 1

// MaxIDBytes is the longest plan or draft id, and ruleset name, a store
// accepts (NewID makes 22 characters). Reads of a longer id answer
// ErrNotFound, writes ErrTooLarge.
const MaxIDBytes = 128

// NewPlan is what CreatePlan stores as revision 1.
type NewPlan struct {
	ID          string
	EditKeyHash []byte // only the hash of the edit key is ever stored
	Answers     []byte // answers JSON: UTF-8 without NUL (else an error)
	Ruleset     string // ruleset version the plan was built with, ≤ MaxIDBytes
	Plan        []byte // the built plan (snapshot), opaque; nil stores none
}

// Update appends a revision when ExpectedRevision is still the latest.
type Update struct {
	ID               string
	ExpectedRevision int
	Answers          []byte
	Ruleset          string
	Plan             []byte // as NewPlan.Plan
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
	Number  int
	Ruleset string
	SavedAt time.Time
}

// Draft is a wizard in progress; Data is owned by the web layer.
type Draft struct {
	ID        string
	Data      []byte
	UpdatedAt time.Time
}

// Store is implemented by sqlite.DB and postgres.DB.
type Store interface {
	// CreatePlan stores revision 1. ErrExists if the id is taken (also by
	// a revoked plan), ErrTooLarge past Limits.
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
	// RevokePlan erases every revision (answers and snapshots), keeping a
	// tombstone (id, revocation time, number of revisions) so that every
	// later read answers ErrGone and the id is never reused.
	// ErrNotFound, ErrGone (already revoked).
	RevokePlan(ctx context.Context, id string) error

	// SaveDraft inserts or replaces a draft. ErrTooLarge past
	// Limits.MaxDraftBytes. Inserting drafts beyond Limits.MaxDrafts
	// deletes the least recently saved others, so the newest MaxDrafts
	// remain (never the one being saved; see Limits.MaxDrafts for the 1%
	// slack).
	SaveDraft(ctx context.Context, d Draft) error
	// GetDraft returns a draft. ErrNotFound.
	GetDraft(ctx context.Context, id string) (Draft, error)
	// DeleteDraft removes a draft; deleting a missing draft is not an error.
	DeleteDraft(ctx context.Context, id string) error
	// DeleteDraftsBefore removes drafts not updated since t and says how many.
	DeleteDraftsBefore(ctx context.Context, t time.Time) (int, error)

	// Ping reports whether the database answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}
