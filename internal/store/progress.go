package store

import "time"

// Progress is the shared plan used as the team's tracker (CONTRACT §8.3):
// each task's status and the devices enrolled so far per wave and
// population, with a history of who changed what. It is stored beside a
// plan's revisions but is not one: recording it changes neither answers nor
// revision, and it survives UpdatePlan (the web layer shows the tasks the
// latest revision still has). RevokePlan erases it with the plan.
//
// Progress has its own version, bumped by every PatchProgress that changes
// something; the web layer's ETag is "p<version>".
type Progress struct {
	PlanID string
	// PlanRevision is the revision the progress was last recorded
	// against (0 when nothing is recorded yet).
	PlanRevision int
	// Version is 0 when nothing is recorded yet.
	Version int64
	// Updated is when the progress last changed (zero when Version is 0).
	Updated time.Time
	// Tasks maps a task id to its recorded state; never nil.
	Tasks map[string]TaskProgress
	// Enrolled maps a wave id to population ids to their count; never nil.
	Enrolled map[string]map[string]EnrolledCount
}

// TaskProgress is the recorded state of one task of a plan.
type TaskProgress struct {
	// Status is todo, doing, done, blocked or skipped: the web layer
	// validates it; the store bounds only its size (MaxProgressStatusBytes).
	Status string
	Note   string // at most MaxProgressNote characters
	By     string // who recorded it, at most MaxProgressBy characters
	// Updated and Version are set by the store: when and at which progress
	// version the task was last recorded (they are ignored in a patch).
	Updated time.Time
	Version int64
}

// EnrolledCount is how many devices of one population a wave has enrolled.
type EnrolledCount struct {
	Count   int
	Updated time.Time
	By      string
	Version int64 // the progress version at which it was last recorded
}

// ProgressPatch is what PatchProgress records: only the entries that
// change, as the team sees them.
type ProgressPatch struct {
	PlanID string
	// ExpectedVersion is the progress version the caller read (the web
	// layer's If-Match "p<version>"); 0 when it read none.
	ExpectedVersion int64
	// PlanRevision is the plan revision the caller validated the task ids
	// against; it must be one of the plan's revisions.
	PlanRevision int
	// Tasks holds Status, Note and By of each task to record; a task's By,
	// when empty, is the patch's By.
	Tasks map[string]TaskProgress
	// Enrolled maps wave id → population id → count (0 to MaxEnrolledCount).
	Enrolled map[string]map[string]int
	By       string // who records the patch, at most MaxProgressBy characters
	// At is the caller's clock, used as the time of the change (the
	// store's clock when zero); stored in UTC microseconds.
	At time.Time
}

// ProgressChange is one row of the history: one task's or one enrolled
// count's change, by one patch.
type ProgressChange struct {
	At time.Time
	By string
	// Task is set for a task change; Wave and Population for a change of
	// an enrolled count. Exactly one of the two kinds is set.
	Task             string
	Wave, Population string
	// From and To are the status (or the count, in decimal) before and
	// after; From is "" when the entry was new.
	From, To string
	// Note is the task's note after the change ("" for counts).
	Note string
}

// Bounds of progress, the same in every store: exceeding one is ErrTooLarge
// and nothing is recorded. Characters are Unicode code points.
const (
	MaxProgressNote        = 500   // characters of a task's note
	MaxProgressBy          = 80    // characters of a name (By)
	MaxProgressStatusBytes = 32    // bytes of a status
	MaxProgressTasks       = 5_000 // task entries per plan
	MaxProgressEnrolled    = 1_000 // (wave, population) counts per plan
	MaxProgressPatch       = 1_000 // entries in one patch, tasks and counts together
	MaxProgressHistory     = 2_000 // history rows kept per plan (the newest)
	MaxEnrolledCount       = 1<<31 - 1
)
