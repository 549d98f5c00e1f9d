package pages

import "github.com/enrollplan/enrollplan/templates/layout"

// StartView is the landing page at /: start a new plan or continue a draft.
type StartView struct {
	Head       layout.Head
	ResumeURL  string // the draft's furthest step, "" when there is no draft
	ResumeStep int
	Flash      string
	// Fleets are the starting fleets: Value is the form's template value,
	// Label the button, Hint the line that says what the fleet holds.
	Fleets []Choice
}
