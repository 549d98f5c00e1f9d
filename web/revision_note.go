package web

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// revisionNote is what a saved revision says about itself: a one-line
// change note ("Moved the porters to wave 2") and the name of whoever
// saved it, both optional. The wizard's save form and the API's POST and
// PUT (?note= and ?by=) send them; the share page, each revision's page
// and the "what changed" page show them, as text.
type revisionNote struct {
	Note, By string
}

// noteProblem is what is wrong with a note or a name as sent: "" when
// nothing, else tooLong (with its length in characters) or notText.
type noteProblem struct {
	field   string // "note" or "by"
	length  int    // in characters, when too long
	max     int
	notText bool // invalid UTF-8 or a control character other than white space
}

// readRevisionNote reads a note and a name as sent: white space, line
// breaks included, folds to single spaces (a note is one line) and is
// trimmed. Past store.MaxRevisionNote or store.MaxProgressBy characters,
// or text that is not UTF-8 or holds another control character, is a
// problem of its field; the planner is told, never the store.
func readRevisionNote(note, by string) (revisionNote, []noteProblem) {
	var out revisionNote
	var problems []noteProblem
	for _, f := range []struct {
		field, text string
		max         int
		into        *string
	}{{"note", note, store.MaxRevisionNote, &out.Note}, {"by", by, store.MaxProgressBy, &out.By}} {
		text := strings.Join(strings.Fields(f.text), " ")
		switch {
		case !utf8.ValidString(text) || strings.IndexFunc(text, unicode.IsControl) >= 0:
			problems = append(problems, noteProblem{field: f.field, notText: true})
		case utf8.RuneCountInString(text) > f.max:
			problems = append(problems, noteProblem{field: f.field, length: utf8.RuneCountInString(text), max: f.max})
		default:
			*f.into = text
		}
	}
	return out, problems
}

// apiErr is the problem in the API's words, after the field's name.
func (p noteProblem) apiErr() string {
	if p.notText {
		return "must be text on one line, without control characters"
	}
	return "is " + plan.Thousands(p.length) + " characters long; at most " + plan.Thousands(p.max) + " fit"
}

// formErr is the problem in the save form's words, beside its field.
func (p noteProblem) formErr() string {
	what := "what changed"
	if p.field == "by" {
		what = "your name"
	}
	if p.notText {
		return "Write " + what + " as plain text on one line"
	}
	return "Keep " + what + " to " + plan.Thousands(p.max) + " characters or fewer; it has " + plan.Thousands(p.length)
}
