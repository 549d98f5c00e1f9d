package pages

import (
	"strings"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/components"
	"github.com/enrollplan/enrollplan/templates/layout"
)

// The wizard's view models. Handlers in package web fill them; the templ
// components in this package render them and never do I/O.

// WizardSteps are the six steps, in order; Nav.Current indexes it from 1.
// Short is the step's name in the stepper, where every step is named at
// every width; Title is its heading.
var WizardSteps = []StepInfo{
	{1, "Your organisation", "Organisation", "/wizard/organisation"},
	{2, "Device populations", "Devices", "/wizard/devices"},
	{3, "Review methods and factory resets", "Review", "/wizard/review"},
	{4, "Prerequisites", "Prerequisites", "/wizard/prerequisites"},
	{5, "Pilot and rollout", "Rollout", "/wizard/rollout"},
	{6, "Your plan", "Plan", "/wizard/plan"},
}

// StepInfo names a step and its address.
type StepInfo struct {
	Number int
	Title  string
	Short  string
	URL    string
}

// Nav is the progress indicator ("Step n of N"), the Back link and the CSRF-free
// form action of the current step.
type Nav struct {
	Current  int // 1-based
	Reached  int // highest step the planner may open
	BackURL  string
	Flash    string // one-off message, e.g. why the planner was sent back
	Org      string // organisation name, shown in the header once known
	Editing  string // share URL of the saved plan being edited, if any
	Revision int    // revision being edited
}

// Title of the current step.
func (n Nav) Title() string { return WizardSteps[n.Current-1].Title }

// Total is the number of steps.
func (n Nav) Total() int { return len(WizardSteps) }

// FormErrors are field errors in page order, addressed by answers path
// (for example "populations[1].devices").
type FormErrors []FormError

// FormError is one message beside one field.
type FormError struct {
	Field   string
	Message string
	// Where names the row the field belongs to ("Sales iPhones", "Wave 2"),
	// so that the error summary, read on its own, says which one; the
	// message beside the field, inside that row, does without it.
	Where string
	// Focus is the id the summary links to when it is not the field's own,
	// for example the month box of a date.
	Focus string
}

// Href is the summary link's target.
func (e FormError) Href() string {
	if e.Focus != "" {
		return "#" + e.Focus
	}
	return "#" + FieldID(e.Field)
}

// Summary is the message as the error summary shows it: prefixed with the
// row it belongs to ("Sales iPhones: enter how many devices").
func (e FormError) Summary() string {
	if e.Where == "" {
		return e.Message
	}
	return e.Where + ": " + lowerFirst(e.Message)
}

// sentenceStarts are the first words of the wizard's messages that become
// lower case after "Where: "; anything else (a product or platform name) keeps its capital.
var sentenceStarts = map[string]bool{"Enter": true, "Choose": true, "The": true, "Keep": true, "Tick": true, "Give": true,
	"This": true, "Check": true, "Personal": true, "App": true, "Name": true, "Use": true, "It": true, "Its": true,
	"A": true, "Each": true, "Starts": true, "Split": true, "Write": true, "No": true, "Is": true, "In": true}

func lowerFirst(s string) string {
	word, _, _ := strings.Cut(s, " ")
	word = strings.TrimRight(word, ",.:;")
	if sentenceStarts[word] {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

// For returns the message for a field, or "".
func (e FormErrors) For(field string) string {
	for _, fe := range e {
		if fe.Field == field {
			return fe.Message
		}
	}
	return ""
}

// FieldID turns an answers path into an HTML id: "populations[1].devices" →
// "f-populations-1-devices". Error summary links point at these ids.
func FieldID(path string) string {
	r := strings.NewReplacer("[", "-", "]", "", ".", "-", "_", "-")
	return "f-" + r.Replace(path)
}

// Choice is one option of a select or radio group.
type Choice struct {
	Value string
	Label string
	Hint  string
}

// TriQuestion is a yes / no / not sure question about the tenant.
type TriQuestion struct {
	Field string // answers path, e.g. "tenant.entra_premium"
	Label string
	Hint  string
	Value string // "yes", "no" or "unsure"
}

// OrgView is step 1: the organisation and what is already in place.
type OrgView struct {
	Head         layout.Head
	Nav          Nav
	Errors       FormErrors
	Organization string
	MDMAuthority string
	AdminRole    string
	Authorities  []Choice
	Roles        []Choice
	Questions    []TriQuestion
	Cloud        string
	Clouds       []Choice
	CanCheck     bool         // the server can read the tenant itself
	CanSignIn    bool         // visitors can sign in with Microsoft to check their own tenant
	Check        *CheckResult // what a check read, when one was run or uploaded
	Expiries     []ExpiryRow  // what in the tenant expires, as typed, ending with a row to fill in
	ExpiryKinds  []Choice
	MaxExpiries  int
}

// ExpiryRow is one certificate or token of the tenant that expires, as
// typed in step 1.
type ExpiryRow struct {
	Index   int
	What    string // a plan.ExpiryWhats value, or ""
	Name    string
	Expires DateParts
}

// CheckResult is a tenant check as step 1 and step 5 show it.
type CheckResult struct {
	When      string // "4 Jan 2027, 09:30 UTC"
	Findings  []plan.Finding
	Overruled []string // answers that differ from what was read, in words
}

// CheckProgressView is the page that follows a tenant check as it runs.
type CheckProgressView struct {
	Head     layout.Head
	State    string // running | done | failed
	Findings []plan.Finding
	Error    string
}

// PopulationRow is one row of step 2, holding what the planner typed.
type PopulationRow struct {
	Index       int
	ID          string
	Name        string
	Platform    string
	Ownership   string
	Usage       string
	Devices     string // kept as typed so an error can show it again
	PersonalUse string // "yes", "no" or ""
	InUse       string // new | in-use | unsure
	ManagedBy   string // none | configmgr | other-mdm | unsure
	Enroll      string // "enroll" or "app" (app protection only)
	// EnrolledBy is who enrolls the devices: "user" or "it" (IT staff, on
	// the users' behalf); asked of organisation-owned devices with users.
	EnrolledBy   string
	Manufacturer string // the maker, as typed; "" when not named
	// Summary is the row in one line ("Windows, organisation-owned, shared,
	// 600 devices, in use, Configuration Manager") for a row shown folded.
	Summary string
	// Folded shows a complete row as its name and Summary, with its fields
	// behind an Edit disclosure; new rows and rows with errors stay open.
	Folded bool
}

// Answer is the row's answer to a step 2 question by its field name, ""
// when not given; When conditions read it.
func (r PopulationRow) Answer(field string) string {
	switch field {
	case "platform":
		return r.Platform
	case "ownership":
		return r.Ownership
	case "usage":
		return r.Usage
	case "enroll":
		return r.Enroll
	}
	return ""
}

// Asks reports whether the row asks a question of step 2 (see questions.go).
func (r PopulationRow) Asks(q When) bool { return q.Holds(r.Answer) }

// RemovedRow is the row a "Remove" button just took out, offered back with
// an "Undo" where it was.
type RemovedRow struct {
	Index int    // where it was, and goes back
	Text  string // "Population 2, Office laptops, was removed."
}

// RowList is what the shared row machinery tells a page with rows (steps 2
// and 6): the element to focus after a row edit and the row to offer back.
type RowList struct {
	Focus   string // id of the element that gets autofocus, or ""
	Removed *RemovedRow
}

// DevicesView is step 2: the device populations.
type DevicesView struct {
	Head       layout.Head
	Nav        Nav
	Errors     FormErrors
	Rows       []PopulationRow
	Platforms  []Choice
	Ownerships []Choice
	Usages     []Choice
	MaxRows    int
	List       RowList
}

// MethodOption is one selectable method for a population.
type MethodOption struct {
	ID          string
	Name        string
	Text        string // why (recommended) or why not (alternative)
	Fits        bool
	Recommended bool
	Selected    bool
}

// ReviewPop is one population on the review page: its method and factory
// reset as the plan has them, why in a sentence each, and the choices that
// change them behind disclosures.
type ReviewPop struct {
	Index        int
	ID           string
	Name         string
	PlatformName string
	Devices      int
	AppOnly      bool // app protection without enrollment: chosen in step 2, nothing to change here
	Method       string
	Recommended  bool   // the method is the engine's recommendation
	MethodWhy    string // why, of which the page shows the first sentence
	ResetNeeded  bool   // the devices are factory reset
	Reset        string // the verdict in words
	ResetWhy     string // why, of which the page shows the first sentence
	Assumed      bool   // "new or in use?" was not answered: the plan assumes in use
	LeaveSteps   int    // steps to leave the MDM that manages the devices today
	Options      []MethodOption
	MethodOpen   bool // show the method choices: an error, or a method other than the recommendation
	AsksInUse    bool // whether the devices are new can change the reset (step 2 asks it too)
	InUse        string
}

// ReviewView is step 3: the methods and factory resets, read-only until the
// planner opens a choice.
type ReviewView struct {
	Head     layout.Head
	Nav      Nav
	Errors   FormErrors
	Pops     []ReviewPop
	Overview []plan.ResetRow
}

// BaselineOption is one baseline policy checkbox.
type BaselineOption struct {
	ID        string
	Title     string
	Detail    string
	Platforms string // "Android, iOS/iPadOS, …"
	Checked   bool
}

// PrereqView is step 5.
type PrereqView struct {
	Head          layout.Head
	Nav           Nav
	Errors        FormErrors
	Prerequisites []plan.Prerequisite
	Names         map[string]string // population id → name
	Baseline      []BaselineOption
	Custom        string // free-text baseline items, one per line
	Mapped        []plan.BaselineItem
	Check         *CheckResult      // what a tenant check read, when one was run or uploaded
	SourceTitles  map[string]string // source URL → its page's title, which names its link
}

// DateParts is a date as typed in three boxes (day, month, year).
type DateParts = components.DateValue

// WaveRow is one wave of step 6, as typed.
type WaveRow struct {
	Index       int
	Name        string
	Group       string
	Start       DateParts
	StartISO    string   // the start as YYYY-MM-DD when the boxes make a date, else ""
	Populations []string // ids of the populations ticked
	Devices     int      // devices this wave enrolls, as the plan divides them
	// PopDevices is what each population adds to the wave when ticked,
	// for app.js to follow the ticks (population id → devices).
	PopDevices map[string]int
	Counts     []WaveCount // a count box per ticked population that other waves tick too, or that has a count
}

// WaveCount is the box for how many of a population split over several
// waves one wave enrolls.
type WaveCount struct {
	ID      string
	Name    string
	Devices int    // the population's devices
	Value   string // as typed
	Also    string // the other waves that tick it, in words; "" when none does
	Pilot   int    // devices of it in the pilot
}

// WavePopulation is a population offered on every wave.
type WavePopulation struct {
	ID      string
	Name    string
	Devices int
}

// Timeline is the server-drawn SVG of the rollout; coordinates are precomputed.
type Timeline struct {
	Width, Height int
	Title, Desc   string
	Marks         []TimelineMark
}

// TimelineMark is one milestone on the timeline.
type TimelineMark struct {
	X       int
	Label   string // wave or pilot name, full
	Short   string // the label shortened to fit the drawing
	Group   string
	Date    string // "11 Jan 2027", or "" when not set
	Devices string // "850 devices", or ""
	Note    string // said after the devices in the list, e.g. that the plan proposed them
	Covers  string // names of the populations, for the list
	LabelY  int    // staggered so labels don't overlap
}

// RolloutView is step 6.
type RolloutView struct {
	Head         layout.Head
	Nav          Nav
	Errors       FormErrors
	Warnings     FormErrors // worth checking, never blocking
	WarnedKey    string     // fingerprint of Warnings, posted back so they are shown once before continuing
	Confirm      bool       // Continue was pressed with warnings not shown before: say so
	Today        string     // the server's date, "2 Dec 2026"
	PilotGroup   string
	PilotStart   DateParts
	PilotDevices string // as typed
	Waves        []WaveRow
	Unassigned   string // what no wave enrolls, in words ("Kiosks (40 devices)"); "" when all are
	Populations  []WavePopulation
	MaxWaves     int
	Timeline     Timeline
	List         RowList
}

// Saved is what the plan page shows after Save & share.
type Saved struct {
	ShareURL string
	EditURL  string // shown once, right after saving; "" afterwards
	// TrackerURL records progress with the same key; shown with EditURL.
	TrackerURL string
	Revision   int
	// Note says what else the planner must know about this save (a new
	// plan because the earlier one was revoked; an edit link shown before).
	Note string
}

// Stale explains that someone else saved the plan meanwhile.
type Stale struct {
	YourRevision   int
	LatestRevision int
	ShareURL       string
}

// PlanView is step 7: the plan and its actions.
type PlanView struct {
	Head      layout.Head
	Nav       Nav
	Plan      *plan.Plan
	Saved     *Saved
	Stale     *Stale
	Downloads []Link
	PrintURL  string
	Date      string
	Note      NoteForm // the save form's change note and name (wizard_plan.templ)
}

// PrintView is the print view: the plan document without site chrome.
type PrintView struct {
	Plan     *plan.Plan
	Date     string
	StyleURL string
}
