package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/enrollplan/enrollplan/templates/pages"
)

// Timeline geometry, in SVG user units; the SVG scales to its container.
const (
	tlWidth   = 720
	tlHeight  = 150
	tlMargin  = 60
	tlPilotX  = tlMargin
	tlFirstX  = tlMargin + 110
	tlAxisY   = 75
	tlLabelHi = 35
	tlLabelLo = 125
)

// timeline places the pilot and the waves on a line: by date when every
// wave has a valid one, else evenly, in the order given.
func timeline(pilot, defaultPilot string, waves []pages.WaveRow) pages.Timeline {
	if pilot == "" {
		pilot = defaultPilot
	}
	t := pages.Timeline{Width: tlWidth, Height: tlHeight, Title: "Rollout timeline"}
	t.Marks = append(t.Marks, pages.TimelineMark{X: tlPilotX, Label: "Pilot", Group: pilot, LabelY: tlLabelHi})
	var dates []time.Time
	for _, w := range waves {
		d, err := time.Parse(time.DateOnly, w.Start)
		if err != nil {
			dates = nil
			break
		}
		dates = append(dates, d)
	}
	span := tlWidth - tlMargin - tlFirstX
	for i, w := range waves {
		x := tlFirstX
		switch {
		case len(dates) == len(waves) && len(waves) > 1 && dates[len(dates)-1].After(dates[0]):
			frac := float64(dates[i].Sub(dates[0])) / float64(dates[len(dates)-1].Sub(dates[0]))
			x = tlFirstX + int(frac*float64(span))
		case len(waves) > 1:
			x = tlFirstX + i*span/(len(waves)-1)
		}
		y := tlLabelLo
		if i%2 == 1 {
			y = tlLabelHi
		}
		name := w.Name
		if name == "" {
			name = fmt.Sprintf("Wave %d", i+1)
		}
		t.Marks = append(t.Marks, pages.TimelineMark{X: x, Label: name, Group: w.Group, Date: w.Start, LabelY: y})
	}
	var parts []string
	for _, m := range t.Marks {
		p := m.Label
		if m.Group != "" {
			p += " (" + m.Group + ")"
		}
		if m.Date != "" {
			p += " from " + m.Date
		}
		parts = append(parts, p)
	}
	t.Desc = "The rollout in order: " + strings.Join(parts, ", then ") + "."
	return t
}
