// Apple's migration of devices from another MDM without an erase (iOS,
// iPadOS and macOS 26): the admin moves the devices to Intune in Apple
// Business with a deadline, at most 90 days ahead, and at the deadline the
// device migrates whether or not its user did. The catalog's warning says
// so; the engine holds the deadline against the dates of the waves that
// move a population's devices.

package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A method warning whose id ends in migrationDeadlineSuffix is the
// migration deadline: the engine appends the days the deadline must fall
// between for each wave of the population.
const migrationDeadlineSuffix = ".migration-deadline"

// migrationMaxDays is how far ahead Apple Business accepts a deadline.
const migrationMaxDays = 90

// movingWave is the pilot or a wave that moves some of a population's
// devices.
// It is named by its date, never by the name a planner typed: warning text
// is the catalog's and renderers don't escape it.
type movingWave struct {
	pilot bool
	start string // YYYY-MM-DD, or "" when the answers give none
}

func (w movingWave) name() string {
	switch {
	case w.pilot:
		return "the pilot"
	case w.start == "":
		return "a wave without a date"
	}
	return "the wave of " + LongDate(w.start)
}

// migrationDeadlines adds the wave dates to a population's migration
// deadline warning, if it has one.
func (b *builder) migrationDeadlines(ps *popState) {
	for i := range ps.out.Warnings {
		w := &ps.out.Warnings[i]
		if strings.HasSuffix(w.ID, migrationDeadlineSuffix) {
			if s := deadlineWindows(b.movingWaves(ps.out.ID)); s != "" {
				w.Text += " " + s
			}
		}
	}
}

// movingWaves lists the pilot and the waves that enroll some of a
// population's devices, by the one division of devices the rollout uses,
// in date order (undated ones last).
func (b *builder) movingWaves(id string) []movingWave {
	al := Allocate(b.a, PopulationIDs(b.a.Populations))
	var out []movingWave
	if al.Pilot[id] > 0 {
		out = append(out, movingWave{true, b.a.Rollout.PilotStart})
	}
	for i, w := range b.a.Rollout.Waves {
		if i < len(al.Waves) && al.Waves[i][id] > 0 {
			out = append(out, movingWave{false, w.Start})
		}
	}
	slices.SortStableFunc(out, func(x, y movingWave) int {
		switch {
		case x.start == y.start:
			return 0
		case x.start == "":
			return 1
		case y.start == "":
			return -1
		}
		return strings.Compare(x.start, y.start)
	})
	return out
}

// deadlineWindows says, for each wave, after which day and by which day the
// deadline must fall: after the wave's first day, when its devices are
// moved, and no later than 90 days on, or the day before the population's
// next wave starts if that comes first.
func deadlineWindows(ws []movingWave) string {
	var dated []string
	undated := 0
	for i, w := range ws {
		from, err := time.Parse(time.DateOnly, w.start)
		if err != nil {
			undated++
			continue
		}
		to, why := from.AddDate(0, 0, migrationMaxDays), fmt.Sprintf("%d days after you move its devices on its first day", migrationMaxDays)
		if i+1 < len(ws) {
			next, err := time.Parse(time.DateOnly, ws[i+1].start)
			// A next wave starting the day after leaves no room: the 90 days stand.
			if day := next.AddDate(0, 0, -1); err == nil && day.After(from) && day.Before(to) {
				to, why = day, "the day before the next wave of these devices starts"
			}
		}
		name := w.name()
		if w.pilot {
			name += " (from " + LongDate(w.start) + ")"
		}
		dated = append(dated, fmt.Sprintf("%s after %s and no later than %s, %s", name, LongDate(w.start), LongDate(to.Format(time.DateOnly)), why))
	}
	var parts []string
	if len(dated) > 0 {
		parts = append(parts, "For these devices, set the deadline of "+strings.Join(dated, "; of ")+".")
	}
	switch {
	case undated == 1:
		parts = append(parts, fmt.Sprintf("One of their waves has no start date yet: set its deadline after it starts and no more than %d days after the day you move its devices.", migrationMaxDays))
	case undated > 1:
		parts = append(parts, fmt.Sprintf("%d of their waves have no start date yet: set each one's deadline after it starts and no more than %d days after the day you move its devices.", undated, migrationMaxDays))
	}
	return strings.Join(parts, " ")
}
