package plan

// PlanSchema identifies the output format.
const PlanSchema = "enrollplan.plan/v1"

// Plan is the engine's output (CONTRACT §3). Fields beyond the contract are
// additions; none of the contract's names change.
type Plan struct {
	Schema        string           `json:"schema"`
	Ruleset       string           `json:"ruleset"`
	Organization  string           `json:"organization"`
	Prerequisites []Prerequisite   `json:"prerequisites"`
	Populations   []PopulationPlan `json:"populations"`
	Rollout       RolloutPlan      `json:"rollout"`
	Tasks         []Task           `json:"tasks"`
	Schedule      []ScheduleEntry  `json:"schedule"` // each population's device work in each wave (schedule.go)
	Baseline      []BaselineItem   `json:"baseline"`
	ResetOverview []ResetRow       `json:"reset_overview"`
	Summary       Summary          `json:"summary"`
	Knowledge     Knowledge        `json:"knowledge"`
	TenantCheck   *TenantReading   `json:"tenant_check,omitempty"` // what a tenant check read, when the answers carry one
	References    []Reference      `json:"references"`             // every source the plan cites, once, in order of first citation
}

// TenantReading is what a tenant check read, and where the planner's
// answers overrule it.
type TenantReading struct {
	ReadAt    string     `json:"read_at"`
	Findings  []Finding  `json:"findings"`
	Overruled []Overrule `json:"overruled"`
}

// Overrule is an answer that differs from what the tenant check read.
type Overrule struct {
	Field    string `json:"field"`    // tenant answer, e.g. "apple_mdm_push_certificate"
	Read     string `json:"read"`     // yes, no, or the enum value read
	Answered string `json:"answered"` // what the answers say instead
	Text     string `json:"text"`
}

// Reference names one cited page.
type Reference struct {
	URL   string `json:"url"`
	Title string `json:"title"`
	Date  string `json:"date"` // the page's own date
}

// Knowledge says how current the catalog behind a plan is.
type Knowledge struct {
	DocsDatedUpTo string `json:"docs_dated_up_to"` // the newest page date among the sources
	CheckedOn     string `json:"checked_on"`       // the last date the sources were compared with the catalog
	Sources       int    `json:"sources"`
	Cloud         string `json:"cloud"`      // the cloud the plan was made for
	CloudName     string `json:"cloud_name"` // in words
}

// Prerequisite is one aggregated prerequisite and the populations that need it.
type Prerequisite struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Status    string   `json:"status"` // done | todo | unknown
	AppliesTo []string `json:"applies_to"`
	Blocks    []string `json:"blocks"` // populations it blocks while not done
	Task      string   `json:"task"`
	Owner     string   `json:"owner"`             // who clears it
	ReadAt    string   `json:"read_at,omitempty"` // set when a tenant check read this status (and the answers agree)
	Detail    string   `json:"detail"`
	Minimums  []string `json:"minimums,omitempty"` // supported-os: each method's minimum, also appended to Detail
	Sources   []string `json:"sources"`
	// The critical path (critical.go): the prerequisites of this plan that
	// must be done first, the days it takes (cited from a page, or a
	// planning estimate), and the date it is due; no due when done or when
	// no date needs it.
	Needs     []string `json:"needs"`
	LeadDays  int      `json:"lead_days"`
	LeadCited bool     `json:"lead_cited"`
	LeadNote  string   `json:"lead_note"`
	Due       string   `json:"due,omitempty"`
}

// Prerequisite statuses.
const (
	StatusDone    = "done"
	StatusTodo    = "todo"
	StatusUnknown = "unknown"
)

// PopulationPlan is the plan for one population.
type PopulationPlan struct {
	ID                         string        `json:"id"`
	Name                       string        `json:"name"`
	Platform                   string        `json:"platform"`
	PlatformName               string        `json:"platform_name"`
	Ownership                  string        `json:"ownership"`
	Usage                      string        `json:"usage"`
	Devices                    int           `json:"devices"`
	Enroll                     bool          `json:"enroll"`
	InUse                      bool          `json:"in_use"`     // as planned: the answer, or the assumption the summary records
	ManagedBy                  string        `json:"managed_by"` // likewise
	CurrentlyManagedByOtherMDM bool          `json:"currently_managed_by_other_mdm"`
	EnrolledBy                 string        `json:"enrolled_by"`            // user | it, as planned: the answer or its default (CONTRACT §8.1)
	Manufacturer               string        `json:"manufacturer,omitempty"` // the maker the answers name
	DEMAccounts                int           `json:"dem_accounts,omitempty"` // DEM accounts this population's devices need, when IT staff enroll it with one
	Method                     Method        `json:"method"`
	Alternatives               []Alternative `json:"alternatives"` // methods these devices could use as they are
	Unsuitable                 []Alternative `json:"unsuitable"`   // methods they cannot, with the reason
	FactoryReset               FactoryReset  `json:"factory_reset"`
	Prerequisites              []string      `json:"prerequisites"`
	Steps                      []Step        `json:"steps"`
	Warnings                   []Warning     `json:"warnings"`
	Baseline                   []string      `json:"baseline"` // baseline item ids that apply
}

// Method is the method a population uses.
type Method struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Recommended  bool     `json:"recommended"`
	Why          string   `json:"why"`
	Rule         string   `json:"rule"` // the recommendation rule that picked it, or "chosen"
	Summary      string   `json:"summary"`
	UserAffinity string   `json:"user_affinity"`
	MinOS        string   `json:"min_os"`
	DEM          string   `json:"dem"`
	Sources      []string `json:"sources"`
}

// Alternative is another method of the platform, with why it is not the
// one used. Fits is false for a method these devices cannot use as they are.
type Alternative struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Fits    bool     `json:"fits"`
	WhyNot  string   `json:"why_not"`
	Sources []string `json:"sources"`
}

// FactoryReset says whether devices must be wiped before enrolling.
type FactoryReset struct {
	Required bool     `json:"required"`
	Why      string   `json:"why"`
	Rule     string   `json:"rule"`
	Sources  []string `json:"sources"`
}

// Step is one admin or end-user step. Kind (a StepKinds value) orders the
// steps: a population's steps are in kind order.
type Step struct {
	ID      string   `json:"id"`
	Actor   string   `json:"actor"` // admin | user
	Kind    string   `json:"kind"`
	Title   string   `json:"title"`
	Detail  string   `json:"detail"`
	Sources []string `json:"sources"`
}

// Actors of a step or task.
const (
	ActorAdmin = "admin"
	ActorUser  = "user"
)

// Warning is something the planner must know; blockers stop enrollment.
type Warning struct {
	ID       string   `json:"id"`
	Severity string   `json:"severity"`
	Text     string   `json:"text"`
	Sources  []string `json:"sources"`
}

// RolloutPlan is the pilot-first rollout.
type RolloutPlan struct {
	PilotGroup string `json:"pilot_group"`
	PilotStart string `json:"pilot_start"`
	// PilotDevices is how many devices of each population the pilot
	// enrolls (population id → count); PilotProposed says the plan proposed
	// them because the answers gave no pilot size.
	PilotDevices  map[string]int `json:"pilot_devices"`
	PilotProposed bool           `json:"pilot_proposed"`
	// Waves are in the answers' order; Plan.Schedule orders them by date.
	Waves      []WavePlan `json:"waves"`
	Steps      []Step     `json:"steps"`
	Unassigned []string   `json:"unassigned"` // populations that no wave covers
	Warnings   []Warning  `json:"warnings"`   // e.g. a certificate that expires before the last wave
	LastStart  string     `json:"last_start"` // the latest date of the pilot and the waves, "" if none is set
	Marks      []Mark     `json:"marks"`      // dated events beside the waves, e.g. a token that expires
}

// Mark is a dated event on the timeline that is not a wave.
type Mark struct {
	ID    string `json:"id"` // e.g. expiry.ade-token
	Date  string `json:"date"`
	Title string `json:"title"`
}

// WavePlan is one wave after the pilot.
type WavePlan struct {
	// ID is the wave's stable id inside the plan (see waveIDs); task ids
	// are derived from it (CONTRACT §8.2).
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Group       string   `json:"group"`
	Start       string   `json:"start"`
	Populations []string `json:"populations"` // ids the wave covers
	Devices     int      `json:"devices"`     // devices the wave enrolls
	// DevicesByPopulation is how many devices of each population the wave
	// enrolls (population id → count), as Allocate divides them.
	DevicesByPopulation map[string]int `json:"devices_by_population"`
}

// Task is one line of the project checklist. A task shared by several
// populations appears once and lists them all in Populations; Population is
// the id when it serves exactly one, and "" otherwise.
//
// Set-up tasks (phase prepare) have no wave; device work is one task per
// step, population and wave (CONTRACT §8.2), with that wave's date and
// device count. tasks.go says how ids are made.
type Task struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Phase       string   `json:"phase"` // prepare | pilot | rollout
	Population  string   `json:"population"`
	Populations []string `json:"populations"`
	Actor       string   `json:"actor"`
	Kind        string   `json:"kind"`
	Status      string   `json:"status"` // done | todo | unknown
	Done        bool     `json:"done"`
	Wave        string   `json:"wave,omitempty"`    // "Pilot" or a wave's name; absent for set-up
	WaveID      string   `json:"wave_id,omitempty"` // PilotWaveID or the wave's WavePlan.ID
	Start       string   `json:"start,omitempty"`   // that wave's date, where set
	// Due is the date by which a set-up task must be done, from the
	// critical path; "" when no date is known (CONTRACT §8.2).
	Due       string   `json:"due,omitempty"`
	Devices   int      `json:"devices,omitempty"` // the devices it concerns: its wave's count of its populations
	DependsOn []string `json:"depends_on"`        // task ids that must be done first
	Owner     string   `json:"owner"`             // the role that does it, in words
	Sources   []string `json:"sources"`
}

// Phases of the checklist, in order.
const (
	PhasePrepare = "prepare"
	PhasePilot   = "pilot"
	PhaseRollout = "rollout"
)

// BaselineItem is a baseline policy mapped to the populations it applies to.
type BaselineItem struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Detail    string   `json:"detail"`
	Platforms []string `json:"platforms"`
	AppliesTo []string `json:"applies_to"`
	NotFor    []string `json:"not_for"` // "population: reason"
	Sources   []string `json:"sources"`
}

// ResetRow is one row of the seed guide's factory-reset overview.
type ResetRow struct {
	Mode     string   `json:"mode"`
	Required bool     `json:"required"`
	Note     string   `json:"note"`
	Sources  []string `json:"sources"`
}

// Summary is the one-page view (CONTRACT §3): each distinct blocker once,
// the actions to take first, and every assumption made for an unknown answer.
type Summary struct {
	Devices      int              `json:"devices"`
	Populations  int              `json:"populations"`
	Blockers     []SummaryBlocker `json:"blockers"`
	FirstActions []FirstAction    `json:"first_actions"`
	AsOf         string           `json:"as_of"` // the date the plan was built on (BuildOptions.Today), "" when none
	Late         []Late           `json:"late"`  // prerequisites whose lead time no longer fits
	Assumptions  []Assumption     `json:"assumptions"`
	Warnings     int              `json:"warnings"` // populations' warnings of severity warning
	ResetNeeded  int              `json:"populations_needing_reset"`
}

// SummaryBlocker is one thing that stops enrollment, and whom it stops.
type SummaryBlocker struct {
	Prerequisite string   `json:"prerequisite"` // prerequisite id, or "" for a blocker of the method itself
	ID           string   `json:"id"`           // the warning id the populations carry
	Title        string   `json:"title"`
	Owner        string   `json:"owner"` // who clears it
	Task         string   `json:"task"`  // what clears it
	Blocks       []string `json:"blocks"`
}

// FirstAction is one of the first things to do, in order: never before
// one it needs.
type FirstAction struct {
	ID       string   `json:"id"` // the task, e.g. prereq.apple-id; renew.<what> for an expiry
	Title    string   `json:"title"`
	Actor    string   `json:"actor"`
	Owner    string   `json:"owner"`
	Why      string   `json:"why"`
	Due      string   `json:"due,omitempty"` // the date it must be done by, when a date needs it
	Unblocks []string `json:"unblocks"`      // population ids
}

// Late is a prerequisite whose lead time no longer fits before the date
// that needs it (CONTRACT §8.2).
type Late struct {
	Prerequisite  string   `json:"prerequisite"`
	Title         string   `json:"title"`
	NeededDays    int      `json:"needed_days"`
	AvailableDays int      `json:"available_days"`
	Blocks        []string `json:"blocks"`
	NeededBy      string   `json:"needed_by"` // the date it must be done by
	Text          string   `json:"text"`      // in words, for page one
}

// Assumption records the reading the engine chose for an unknown answer
// that would change the plan.
type Assumption struct {
	Population string `json:"population"`
	Field      string `json:"field"` // the answer that was unknown, e.g. "in_use"
	Text       string `json:"text"`
}

// Blockers returns the population's blocker warnings.
func (p PopulationPlan) Blockers() []Warning {
	var out []Warning
	for _, w := range p.Warnings {
		if w.Severity == SevBlocker {
			out = append(out, w)
		}
	}
	return out
}

// StepsBy returns the steps of one actor, in order.
func (p PopulationPlan) StepsBy(actor string) []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Actor == actor {
			out = append(out, s)
		}
	}
	return out
}
