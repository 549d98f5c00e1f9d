// Package components holds form building blocks shared by the wizard pages.
// It knows nothing of the wizard's view models: every component takes plain
// strings, so package pages can import it without a cycle.
package components

import (
	"strconv"
	"strings"
)

// Field is what every form control needs: its form name, its HTML id, a
// visible label, an optional hint and the error message ("" when valid).
type Field struct {
	Name  string
	ID    string
	Label string
	Hint  string
	Error string
	// Warning is a message worth reading that does not stop the planner
	// (a date in the past); "" when there is none.
	Warning string
	// Heading makes a group's legend an h2, for pages made of several
	// top-level groups.
	Heading bool
}

// Option is one choice of a select, radio or checkbox group.
type Option struct {
	Value string
	Label string
	Tag   string // short badge after the label, e.g. "Recommended"
	Note  string // bold prefix of the hint, e.g. "Does not fit these devices:"
	Hint  string
	// Default marks the choice a script-added row starts with.
	Default bool
	// Attrs adds attributes to the input, e.g. data-devices for app.js.
	Attrs map[string]any
}

// DateValue is a date as typed in three boxes, kept as typed.
type DateValue struct {
	Day, Month, Year string
}

// Empty reports whether nothing was typed.
func (d DateValue) Empty() bool { return d.Day == "" && d.Month == "" && d.Year == "" }

// DatePart names one box of a date field ("day", "month", "year").
type DatePart string

// Date parts, in the order the boxes appear.
const (
	PartDay   DatePart = "day"
	PartMonth DatePart = "month"
	PartYear  DatePart = "year"
)

// DateBoxID is the id of one box of a date field: the day box carries the
// field's own id, so a link to the field lands on it.
func DateBoxID(f Field, p DatePart) string {
	if p == PartDay {
		return f.ID
	}
	return f.ID + "-" + string(p)
}

// HintID, ErrorID and WarningID are the ids of a field's hint, error and
// warning messages.
func (f Field) HintID() string    { return f.ID + "-hint" }
func (f Field) ErrorID() string   { return f.ID + "-error" }
func (f Field) WarningID() string { return f.ID + "-warning" }

// DescribedBy lists the ids of the hint, error and warning messages that exist.
func (f Field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.HintID())
	}
	if f.Error != "" {
		ids = append(ids, f.ErrorID())
	}
	if f.Warning != "" {
		ids = append(ids, f.WarningID())
	}
	return strings.Join(ids, " ")
}

// optionID is the id of the i-th choice of a group: the first one carries
// the field's own id, so an error summary link lands on it.
func optionID(f Field, i int) string {
	if i == 0 {
		return f.ID
	}
	return f.ID + "-" + strconv.Itoa(i)
}

func optionHintID(f Field, i int) string { return f.ID + "-" + strconv.Itoa(i) + "-hint" }

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// badPart reports whether a date box is one an error concerns.
func badPart(bad []DatePart, p DatePart) bool {
	if len(bad) == 0 {
		return true
	}
	for _, b := range bad {
		if b == p {
			return true
		}
	}
	return false
}
