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
	Baseline      []BaselineItem   `json:"baseline"`
	ResetOverview []ResetRow       `json:"reset_overview"`
	Summary       Summary          `json:"summary"`
}

// Prerequisite is one aggregated prerequisite and the populations that need it.
type Prerequisite struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Status    string   `json:"status"` // done | todo | unknown
	AppliesTo []string `json:"applies_to"`
	Blocks    []string `json:"blocks"` // populations it blocks while not done
	Task      string   `json:"task"`
	Detail    string   `json:"detail"`
	Sources   []string `json:"sources"`
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
	CurrentlyManagedByOtherMDM bool          `json:"currently_managed_by_other_mdm"`
	Method                     Method        `json:"method"`
	Alternatives               []Alternative `json:"alternatives"`
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

// Alternative is a method not used, with the reason.
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

// Step is one admin or end-user step.
type Step struct {
	ID      string   `json:"id"`
	Actor   string   `json:"actor"` // admin | user
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
	PilotGroup string     `json:"pilot_group"`
	Waves      []WavePlan `json:"waves"`
	Steps      []Step     `json:"steps"`
}

// WavePlan is one wave after the pilot.
type WavePlan struct {
	Name  string `json:"name"`
	Group string `json:"group"`
	Start string `json:"start"`
}

// Task is one line of the project checklist.
type Task struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Phase      string   `json:"phase"`      // prepare | pilot | rollout
	Population string   `json:"population"` // population id, "" for tenant-wide
	Actor      string   `json:"actor"`
	Done       bool     `json:"done"`
	Sources    []string `json:"sources"`
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

// Summary counts what a reader looks at first.
type Summary struct {
	Devices     int `json:"devices"`
	Populations int `json:"populations"`
	Blockers    int `json:"blockers"`
	Warnings    int `json:"warnings"`
	ResetNeeded int `json:"populations_needing_reset"`
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
