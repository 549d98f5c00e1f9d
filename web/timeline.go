package web

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// Timeline geometry, in SVG user units; the SVG scales to its container.
// Labels have three lines (name, date, devices) and alternate above and
// below the line, so neighbours never share a side.
const (
	tlMinWidth = 720
	tlHeight   = 210
	tlMargin   = 70
	tlGap      = 75 // least distance between two marks
	tlLabelHi  = 24
	tlLabelLo  = 146
	tlShort    = 18 // characters of a label drawn; the list below has them all
)

// timelineWave is the pilot or one wave as the timeline draws it: what
// was typed, and the devices the plan gives it.
type timelineWave struct {
	Name, Group string
	Start       string // YYYY-MM-DD or ""
	Devices     int
	Proposed    bool     // the pilot's size is the plan's proposal: nobody typed it
	Covers      []string // population names
}

// timeline places the pilot and the waves on a line: by date when all of
// them have one (and no two marks come too close), else evenly, in order.
// Nothing on it is text nobody typed: a pilot without a group is "Pilot
// (name not given yet)".
func timeline(pilot timelineWave, waves []timelineWave) pages.Timeline {
	n := len(waves) + 1
	width := max(tlMinWidth, 2*tlMargin+(n-1)*tlGap)
	t := pages.Timeline{Width: width, Height: tlHeight, Title: "Rollout timeline"}
	dates := make([]time.Time, 0, n)
	for _, s := range append([]string{pilot.Start}, starts(waves)...) {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			dates = nil
			break
		}
		dates = append(dates, d)
	}
	span := width - 2*tlMargin
	xs := make([]int, n)
	for i := range xs {
		xs[i] = tlMargin
		if n > 1 {
			xs[i] = tlMargin + i*span/(n-1)
		}
	}
	if len(dates) == n && n > 1 && dates[n-1].After(dates[0]) {
		byDate := make([]int, n)
		total := float64(dates[n-1].Sub(dates[0]))
		ok := true
		for i, d := range dates {
			byDate[i] = tlMargin + int(float64(d.Sub(dates[0]))/total*float64(span))
			if i > 0 && byDate[i]-byDate[i-1] < tlGap {
				ok = false
			}
		}
		if ok {
			xs = byDate
		}
	}
	pilotMark := pages.TimelineMark{X: xs[0], Label: "Pilot", Short: "Pilot", Group: pilot.Group, Date: plan.LongDate(pilot.Start), LabelY: tlLabelHi}
	if pilot.Devices > 0 {
		pilotMark.Devices = plan.Count(pilot.Devices, "device", "devices")
		if pilot.Proposed {
			pilotMark.Note = "proposed by the plan"
		}
	}
	t.Marks = append(t.Marks, pilotMark)
	for i, w := range waves {
		name := w.Name
		if name == "" {
			name = fmt.Sprintf("Wave %d", i+1)
		}
		y := tlLabelLo
		if i%2 == 1 {
			y = tlLabelHi
		}
		t.Marks = append(t.Marks, pages.TimelineMark{X: xs[i+1], Label: name, Short: shorten(name, tlShort), Group: w.Group,
			Date: plan.LongDate(w.Start), Devices: plan.Count(w.Devices, "device", "devices"), Covers: strings.Join(w.Covers, ", "), LabelY: y})
	}
	var parts []string
	for i, m := range t.Marks {
		p := m.Label + " (" + pages.MarkGroup(i, m) + ")"
		if m.Date != "" {
			p += " from " + m.Date
		}
		if m.Devices != "" {
			p += ", " + m.Devices
		}
		parts = append(parts, p)
	}
	t.Desc = "The rollout in order: " + strings.Join(parts, ", then ") + "."
	return t
}

func starts(waves []timelineWave) []string {
	out := make([]string, len(waves))
	for i, w := range waves {
		out[i] = w.Start
	}
	return out
}

// shorten cuts a label to n characters, ending it with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
