package store

import "time"

// Limits bound the disk one plan and the drafts can take. A zero field
// means its default (DefaultLimits); Configure also clamps each to a
// sane range, so there is no "unlimited".
//
// The worst case is MaxRevisions × (MaxAnswerBytes + MaxPlanBytes) per plan
// and MaxDrafts × MaxDraftBytes for all drafts, plus a device list of up
// to MaxDeviceListBytes for each plan and each draft; the number of plans is
// bounded by the web layer's create rate limit, not here.
type Limits struct {
	// MaxRevisions is how many revisions a plan may have; UpdatePlan past
	// it is ErrTooManyRevisions. Default 200, at most MaxRevision.
	MaxRevisions int
	// MaxAnswerBytes caps NewPlan.Answers and Update.Answers (ErrTooLarge).
	// Default 256 KiB.
	MaxAnswerBytes int
	// MaxPlanBytes caps NewPlan.Plan and Update.Plan, the compressed
	// snapshot (ErrTooLarge). Default 1 MiB.
	MaxPlanBytes int
	// MaxDraftBytes caps Draft.Data (ErrTooLarge). Default 256 KiB.
	MaxDraftBytes int
	// MaxDrafts is how many drafts are kept: a new draft beyond it purges
	// drafts idle for MinDraftIdle, or is refused (ErrFull) when there are
	// none. Default 10,000. On PostgreSQL, new drafts saved at the same
	// moment by several connections may each see room for one, so the
	// count may pass MaxDrafts by fewer than the writers at once.
	MaxDrafts int
	// MinDraftIdle is how long a draft must have gone unsaved before the
	// cap may purge it: a draft used within it is never pushed out by new
	// ones. Default 24 hours, at most a year.
	MinDraftIdle time.Duration
	// MaxDeviceListBytes caps a kept device list (SaveDeviceList,
	// ErrTooLarge). Default 32 MiB. There is at most one list per plan
	// and per draft.
	MaxDeviceListBytes int
}

// Defaults for Limits and Options.
const (
	DefaultMaxRevisions   = 200
	DefaultMaxAnswerBytes = 256 << 10
	DefaultMaxPlanBytes   = 1 << 20
	DefaultMaxDraftBytes  = 256 << 10
	DefaultMaxDrafts      = 10_000
	DefaultMaxBatch       = 64
	DefaultMinDraftIdle   = 24 * time.Hour

	DefaultMaxDeviceListBytes = 32 << 20
)

// DefaultLimits returns the limits a store has when not told otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxRevisions:   DefaultMaxRevisions,
		MaxAnswerBytes: DefaultMaxAnswerBytes,
		MaxPlanBytes:   DefaultMaxPlanBytes,
		MaxDraftBytes:  DefaultMaxDraftBytes,
		MaxDrafts:      DefaultMaxDrafts,
		MinDraftIdle:   DefaultMinDraftIdle,

		MaxDeviceListBytes: DefaultMaxDeviceListBytes,
	}
}

// Options configure a store when it is opened; build them with Option
// values (WithLimits, WithMaxBatch) passed to sqlite.Open or postgres.Open.
type Options struct {
	Limits Limits
	// MaxBatch is the most writes one group commit holds: concurrent
	// saves share one transaction and one fsync. 1 turns grouping off.
	// Default 64. SQLite only; PostgreSQL commits each save on its own
	// connection (its WAL flush already groups concurrent commits).
	MaxBatch int
}

// Option changes Options.
type Option func(*Options)

// WithLimits sets the limits; zero fields keep their defaults.
func WithLimits(l Limits) Option {
	return func(o *Options) { o.Limits = l }
}

// WithMaxBatch sets Options.MaxBatch.
func WithMaxBatch(n int) Option {
	return func(o *Options) { o.MaxBatch = n }
}

// Configure applies opts over the defaults and clamps every value to its
// range. Drivers call it; callers may, to see the effective values.
func Configure(opts ...Option) Options {
	var o Options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	d := DefaultLimits()
	l := &o.Limits
	l.MaxRevisions = orDefault(l.MaxRevisions, d.MaxRevisions, MaxRevision)
	l.MaxAnswerBytes = orDefault(l.MaxAnswerBytes, d.MaxAnswerBytes, 1<<30)
	l.MaxPlanBytes = orDefault(l.MaxPlanBytes, d.MaxPlanBytes, 1<<30)
	l.MaxDraftBytes = orDefault(l.MaxDraftBytes, d.MaxDraftBytes, 1<<30)
	l.MaxDrafts = orDefault(l.MaxDrafts, d.MaxDrafts, 1<<30)
	l.MinDraftIdle = orDefault(l.MinDraftIdle, d.MinDraftIdle, 365*24*time.Hour)
	l.MaxDeviceListBytes = orDefault(l.MaxDeviceListBytes, d.MaxDeviceListBytes, 1<<30)
	o.MaxBatch = orDefault(o.MaxBatch, DefaultMaxBatch, 1024)
	return o
}

// orDefault is v, or def when v is not positive, and at most hi.
func orDefault[T int | time.Duration](v, def, hi T) T {
	if v <= 0 {
		v = def
	}
	return min(v, hi)
}
