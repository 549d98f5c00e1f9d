// Package store keeps saved plans (with immutable revisions) and wizard drafts.
// It knows nothing of HTTP or of the rules engine: answers are opaque JSON bytes.
// Two implementations live in sub-packages: sqlite (the default) and postgres
// (for several replicas); storetest holds the conformance suite both must pass.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every implementation returns, so callers can map them to statuses.
var (
	// ErrNotFound: no plan or draft with that id.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the plan has moved past the revision the caller expected.
	ErrConflict = errors.New("store: revision conflict")
	// ErrGone: the plan was revoked by its owner.
	ErrGone = errors.New("store: plan revoked")
	// ErrExists: a plan or draft with that id already exists.
	ErrExists = errors.New("store: id already exists")
)

// NewPlan is what CreatePlan stores as revision 1.
type NewPlan struct {
	ID          string
	EditKeyHash []byte // only the hash of the edit key is ever stored
	Answers     []byte // answers JSON
	Ruleset     string // ruleset version the plan was computed with
}

// Update appends a revision when ExpectedRevision is still the latest.
type Update struct {
	ID               string
	ExpectedRevision int
	Answers          []byte
	Ruleset          string
}

// Plan is one revision of a saved plan.
type Plan struct {
	ID          string
	Revision    int
	Answers     []byte
	Ruleset     string
	EditKeyHash []byte
	CreatedAt   time.Time // when the plan (revision 1) was created
	SavedAt     time.Time // when this revision was saved
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
	// CreatePlan stores revision 1. ErrExists if the id is taken.
	CreatePlan(ctx context.Context, p NewPlan) (Plan, error)
	// GetPlan returns the latest revision. ErrNotFound, ErrGone.
	GetPlan(ctx context.Context, id string) (Plan, error)
	// GetRevision returns one revision. ErrNotFound (plan or revision), ErrGone.
	GetRevision(ctx context.Context, id string, number int) (Plan, error)
	// ListRevisions returns every revision, oldest first. ErrNotFound, ErrGone.
	ListRevisions(ctx context.Context, id string) ([]RevisionInfo, error)
	// UpdatePlan appends revision ExpectedRevision+1 atomically.
	// ErrNotFound, ErrGone, ErrConflict when ExpectedRevision is not the latest.
	UpdatePlan(ctx context.Context, u Update) (Plan, error)
	// RevokePlan marks the plan revoked; every later read answers ErrGone.
	// ErrNotFound, ErrGone (already revoked).
	RevokePlan(ctx context.Context, id string) error

	// SaveDraft inserts or replaces a draft.
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
