// Package valid holds the checks every store.Store applies before it stores
// or looks up anything, shared by sqlcore (both SQL drivers) and memstore so
// that the implementations refuse exactly the same inputs with the same
// errors.
package valid

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/store"
)

// MaxEditKeyHashBytes is the longest edit key hash a store keeps (SHA-512
// would fit; HashKey makes 32 bytes).
const MaxEditKeyHashBytes = 64

// Timestamp normalizes t the way stored timestamps are: UTC, truncated to
// the microsecond, the finest both databases keep, so that what a write
// returns equals what a later read gives.
func Timestamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// Now is the time stored for a new row (Timestamp of the clock).
func Now() time.Time {
	return Timestamp(time.Now())
}

// Revision reports whether n can name a stored revision. Checking it
// before a query keeps out-of-range numbers from reaching the driver
// (PostgreSQL refuses to bind 2^31 to an integer column).
func Revision(n int) bool {
	return n >= 1 && n <= store.MaxRevision
}

// ID reports whether id could have been stored: both databases then
// answer "no such row" rather than a driver error (PostgreSQL rejects
// invalid UTF-8 and NUL in text parameters).
func ID(id string) bool {
	return len(id) <= store.MaxIDBytes && Text(id)
}

// Text reports whether s is what a text column keeps alike in both
// databases: UTF-8 without NUL.
func Text(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// CheckID is ID for writes, with a reason.
func CheckID(id string) error {
	switch {
	case id == "":
		return errors.New("empty id")
	case len(id) > store.MaxIDBytes:
		return fmt.Errorf("id is %d bytes, more than %d: %w", len(id), store.MaxIDBytes, store.ErrTooLarge)
	case !ID(id):
		return errors.New("id is not UTF-8 text without NUL")
	}
	return nil
}

// EditKeyHash checks the hash a new plan stores.
func EditKeyHash(h []byte) error {
	switch {
	case len(h) == 0:
		return errors.New("empty edit key hash")
	case len(h) > MaxEditKeyHashBytes:
		return fmt.Errorf("edit key hash is %d bytes: %w", len(h), store.ErrTooLarge)
	}
	return nil
}

// RevisionData applies lim to what a revision would store.
func RevisionData(lim store.Limits, answers, snapshot []byte, ruleset string) error {
	if len(answers) > lim.MaxAnswerBytes {
		return fmt.Errorf("answers are %d bytes, more than the limit of %d: %w", len(answers), lim.MaxAnswerBytes, store.ErrTooLarge)
	}
	if len(snapshot) > lim.MaxPlanBytes {
		return fmt.Errorf("plan snapshot is %d bytes, more than the limit of %d: %w", len(snapshot), lim.MaxPlanBytes, store.ErrTooLarge)
	}
	// Answers and ruleset are text columns, which PostgreSQL keeps only
	// as valid UTF-8 without NUL; refuse the same in every store.
	if !utf8.Valid(answers) || bytes.IndexByte(answers, 0) >= 0 {
		return errors.New("answers are not UTF-8 text without NUL")
	}
	if len(ruleset) > store.MaxIDBytes {
		return fmt.Errorf("ruleset is %d bytes, more than %d: %w", len(ruleset), store.MaxIDBytes, store.ErrTooLarge)
	}
	if !Text(ruleset) {
		return errors.New("ruleset is not UTF-8 text without NUL")
	}
	return nil
}

// RevisionNote checks a revision's change note and who saved it
// (NewPlan.Note and .By, Update.Note and .By).
func RevisionNote(note, by string) error {
	if !Text(note) {
		return errors.New("revision note is not UTF-8 text without NUL")
	}
	if n := utf8.RuneCountInString(note); n > store.MaxRevisionNote {
		return fmt.Errorf("revision note is %d characters, more than %d: %w", n, store.MaxRevisionNote, store.ErrTooLarge)
	}
	if !Text(by) {
		return errors.New("revision by is not UTF-8 text without NUL")
	}
	if n := utf8.RuneCountInString(by); n > store.MaxProgressBy {
		return fmt.Errorf("revision by is %d characters, more than %d: %w", n, store.MaxProgressBy, store.ErrTooLarge)
	}
	return nil
}

// DraftData applies lim to a draft's bytes.
func DraftData(lim store.Limits, data []byte) error {
	if len(data) > lim.MaxDraftBytes {
		return fmt.Errorf("draft is %d bytes, more than the limit of %d: %w", len(data), lim.MaxDraftBytes, store.ErrTooLarge)
	}
	return nil
}

// DraftID checks NewPlan.DraftID: empty (none) or an id.
func DraftID(id string) error {
	if id == "" {
		return nil
	}
	if err := CheckID(id); err != nil {
		return fmt.Errorf("draft id: %w", err)
	}
	return nil
}

// Full is the ErrFull of a SaveDraft refused at the draft cap, where room
// comes once the draft saved at last has been idle for lim.MinDraftIdle
// (with those saved before it: the least recently saved draft, unless
// there are more drafts than the cap). The wait is rounded up to a second
// and kept within [1s, MinDraftIdle] (a draft saved with a time ahead of
// the store's clock must not promise a longer wait).
func Full(lim store.Limits, last, now time.Time) error {
	wait := last.Add(lim.MinDraftIdle).Sub(now)
	wait = min(max(wait, time.Second), lim.MinDraftIdle)
	wait = (wait + time.Second - 1).Truncate(time.Second)
	return &store.FullError{RetryAfter: wait}
}

// Owner is a device list owner split into its plan or draft id (one of
// them is set); an owner not made by store.PlanDevices or
// store.DraftDevices is neither.
type Owner struct {
	Plan, Draft string
}

// ParseOwner splits owner; ok is false for a string PlanDevices and
// DraftDevices cannot make.
func ParseOwner(owner string) (o Owner, ok bool) {
	if id, found := strings.CutPrefix(owner, store.PlanDevices("")); found {
		return Owner{Plan: id}, true
	}
	if id, found := strings.CutPrefix(owner, store.DraftDevices("")); found {
		return Owner{Draft: id}, true
	}
	return Owner{}, false
}

// ID is the plan or draft id.
func (o Owner) ID() string { return o.Plan + o.Draft }

// errOwner is the refusal of an owner neither PlanDevices nor DraftDevices
// made: a programming error, not a missing list.
func errOwner(owner string) error {
	return fmt.Errorf("device list owner %q is not a store.PlanDevices or store.DraftDevices name", owner)
}

// CheckOwner parses the owner of a device list to be saved and applies
// lim to its data.
func CheckOwner(lim store.Limits, owner string, data []byte) (Owner, error) {
	o, ok := ParseOwner(owner)
	if !ok {
		return Owner{}, errOwner(owner)
	}
	if err := CheckID(o.ID()); err != nil {
		return Owner{}, err
	}
	if len(data) > lim.MaxDeviceListBytes {
		return Owner{}, fmt.Errorf("device list is %d bytes, more than the limit of %d: %w", len(data), lim.MaxDeviceListBytes, store.ErrTooLarge)
	}
	return o, nil
}

// ReadOwner parses the owner of a device list to be read or deleted:
// exists is false when its id could not have been stored (no such list);
// err is set for an owner neither PlanDevices nor DraftDevices made.
func ReadOwner(owner string) (o Owner, exists bool, err error) {
	o, ok := ParseOwner(owner)
	if !ok {
		return Owner{}, false, errOwner(owner)
	}
	return o, o.ID() != "" && ID(o.ID()), nil
}
