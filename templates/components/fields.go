// Package components holds form building blocks shared by the wizard pages.
// It knows nothing of the wizard's view models: every component takes plain
// strings, so package pages can import it without a cycle.
package components

import "strconv"

// Field is what every form control needs: its form name, its HTML id, a
// visible label, an optional hint and the error message ("" when valid).
type Field struct {
	Name  string
	ID    string
	Label string
	Hint  string
	Error string
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
}

// HintID and ErrorID are the ids of a field's hint and error message.
func (f Field) HintID() string  { return f.ID + "-hint" }
func (f Field) ErrorID() string { return f.ID + "-error" }

// DescribedBy lists the ids of the hint and error message that exist.
func (f Field) DescribedBy() string {
	s := ""
	if f.Hint != "" {
		s = f.HintID()
	}
	if f.Error != "" {
		if s != "" {
			s += " "
		}
		s += f.ErrorID()
	}
	return s
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
