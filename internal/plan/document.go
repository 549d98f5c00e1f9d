package plan

import (
	"fmt"
	"slices"
	"strings"
)

// Document is a plan arranged as the hand-over document a customer reads:
// the summary first, then what to prepare, one section per population, the
// rollout, the checklist, an appendix and numbered sources. The HTML and the
// Markdown renderers both draw it, so both say the same thing in the same
// order, in words (no rule ids, tags or field names).
type Document struct {
	Plan        *Plan
	Knowledge   string // "Based on Microsoft's documentation dated up to …"
	Groups      []GroupLine
	Blockers    []DocBlocker
	First       []DocFirst
	Late        []string // what no longer fits before its date, in words (summary.late)
	Timeline    []TimelineLine
	Dated       []TimelineLine // page one's timeline: Timeline with the marks (an expiry, say) in date order
	Unassigned  string         // populations in no wave, in words; "" when none
	Assumptions []DocNote
	Tenant      *DocTenant // what a tenant check read, when one was run
	RolloutWarn []DocNote  // e.g. a certificate expiring before the last wave
	Prereqs     []DocPrereq
	Baseline    []DocBaseline
	Populations []DocPopulation
	Rollout     []DocStep // the rollout's set-up: fill the pilot group, assign the profiles to it
	Waves       []DocWave // the pilot, then the waves by date (docwaves.go)
	ByGroup     []DocGroupWaves
	RolloutNote []DocNote // how the devices were divided, where the answers did not say
	Checklist   []DocPhase
	Refs        []Reference // numbered from 1 in this order
	PrintedRefs int         // Refs[:PrintedRefs] are cited by what a printed copy shows
	refIndex    map[string]int
	names       map[string]string
}

// DocTenant is the tenant check on page one: when it read, what needs
// attention, and where the answers overrule it.
type DocTenant struct {
	When      string
	Counts    string    // e.g. "9 readings: 6 fine, 2 need attention, 1 not readable"
	Attention []DocNote // warnings and missing, then unknown readings
	Overruled []string
}

// GroupLine is one row of the summary table.
type GroupLine struct {
	ID, Name, Platform string
	Devices            int
	Method             string
	Reset              string // "Yes", "No", "No (new devices)"
	Wave               string
}

// DocBlocker is one distinct blocker, once.
type DocBlocker struct {
	Title, Owner, Task, Blocks string
}

// TimelineLine is the pilot or one wave, or a dated mark between them
// (then only When and Mark are set).
type TimelineLine struct {
	Name, When, Group, Populations string
	Devices                        int
	Mark                           string // e.g. "The Automated Device Enrollment token “Contoso” expires"
	date                           string
}

// DocFirst is one first action with its due date and what it unblocks.
type DocFirst struct {
	FirstAction
	When string // e.g. "Due 9 Jan 2027 (takes 1 day, a planning estimate); unblocks Sales iPhones."
}

// DocNote is a sentence with its numbered sources.
type DocNote struct {
	Label string // e.g. a population's name, or a severity
	Text  string
	Refs  []int
}

// DocPrereq is one prerequisite, in words.
type DocPrereq struct {
	Title, Status, Owner, Task, Detail, NeededBy, Blocks string
	Done                                                 bool
	Refs                                                 []int
}

// DocBaseline is one baseline policy and whom it applies to.
type DocBaseline struct {
	Title, Detail, AppliesTo, NotFor string
	Refs                             []int
}

// DocPopulation is one population's section.
type DocPopulation struct {
	ID, Name, Facts, Wave string
	Method, MethodWhy     string
	Recommended           bool
	MethodRefs            []int
	MinOS                 string
	ResetTitle, ResetWhy  string
	ResetRefs             []int
	Assumptions           []string
	Blockers, Warnings    []DocNote
	Notes                 []DocNote // information, shown smaller
	Stages                []DocStage
	Baseline              string
	Alternatives          []DocNote // other methods that fit, for the appendix
	Unsuitable            []DocNote // methods that don't, for the appendix
}

// DocStage groups a population's steps of one kind.
type DocStage struct {
	Kind, Heading string
	Intro         string // on the first stage that touches devices: which waves do it, for how many
	Steps         []DocStep
}

// DocStep is one step or rollout step.
type DocStep struct {
	Actor, Title, Detail string
	Also                 string // a set-up step already described under this group
	Refs                 []int
}

// DocPhase is one phase of the checklist.
type DocPhase struct {
	Heading string
	Tasks   []DocTask
}

// DocTask is one checklist line.
type DocTask struct {
	Title, Who, For, Status string
	Due                     string // "due 4 Jan 2027", or ""
	Done                    bool
}

// StageHeadings names each kind of step for a reader.
var StageHeadings = map[string]string{
	KindTenant:     "Set up once",
	KindDevicePrep: "Prepare the device records",
	KindLeaveMDM:   "Leave the current MDM",
	KindWipe:       "Factory reset",
	KindEnroll:     "Enroll",
	KindVerify:     "Check",
	KindHandover:   "Hand over",
}

// NewDocument arranges a plan for reading. Sources are numbered in the
// order the document first cites them.
func NewDocument(p *Plan) *Document {
	d := &Document{Plan: p, refIndex: map[string]int{}, names: populationNames(p)}
	byURL := make(map[string]*Reference, len(p.References)) // pointers: read only, and a Reference is several strings
	for i := range p.References {
		byURL[p.References[i].URL] = &p.References[i]
	}
	cite := func(urls []string) []int {
		out := make([]int, 0, len(urls))
		for _, u := range urls {
			n, ok := d.refIndex[u]
			if !ok {
				var ref Reference
				if known := byURL[u]; known != nil && known.URL != "" {
					ref = *known
				} else {
					ref = Reference{URL: u, Title: SourceLabel(u)}
				}
				d.Refs = append(d.Refs, ref)
				n = len(d.Refs)
				d.refIndex[u] = n
			}
			out = append(out, n)
		}
		return out
	}
	k := p.Knowledge
	d.Knowledge = fmt.Sprintf("Based on Microsoft's documentation dated up to %s, checked on %s, for %s.", LongDate(k.DocsDatedUpTo), LongDate(k.CheckedOn), orWord(k.CloudName, "the commercial cloud"))

	waveOf := d.waveOf
	for _, pop := range p.Populations {
		d.Groups = append(d.Groups, GroupLine{ID: pop.ID, Name: pop.Name, Platform: pop.PlatformName, Devices: pop.Devices,
			Method: pop.Method.Name, Reset: resetWord(pop), Wave: waveOf(pop)})
	}
	for _, bl := range p.Summary.Blockers {
		d.Blockers = append(d.Blockers, DocBlocker{Title: bl.Title, Owner: bl.Owner, Task: bl.Task, Blocks: d.nameList(bl.Blocks)})
	}
	d.firstActions(p)
	pilotWhen := "date not set"
	if p.Rollout.PilotStart != "" {
		pilotWhen = "from " + LongDate(p.Rollout.PilotStart)
	}
	pilotPops, pilotDevices := d.pilotLine()
	d.Timeline = append(d.Timeline, TimelineLine{Name: PilotWaveName, When: pilotWhen, Group: p.Rollout.PilotGroup, Populations: pilotPops, Devices: pilotDevices, date: p.Rollout.PilotStart})
	for _, w := range p.Rollout.Waves {
		when := "date not set"
		if w.Start != "" {
			when = "from " + LongDate(w.Start)
		}
		d.Timeline = append(d.Timeline, TimelineLine{Name: w.Name, When: when, Group: w.Group, Populations: d.enrolling(w), Devices: w.Devices, date: w.Start})
	}
	d.Dated = datedTimeline(d.Timeline, p.Rollout.Marks)
	d.Unassigned = d.nameList(p.Rollout.Unassigned)
	for _, as := range p.Summary.Assumptions {
		d.Assumptions = append(d.Assumptions, DocNote{Label: d.names[as.Population], Text: as.Text})
	}

	if tc := p.TenantCheck; tc != nil {
		dt := &DocTenant{When: LongDate(strings.SplitN(tc.ReadAt, "T", 2)[0])}
		counts := map[string]int{}
		for _, f := range tc.Findings {
			counts[f.Status]++
		}
		for _, st := range []string{FindingWarning, FindingMissing, FindingUnknown} {
			for _, f := range tc.Findings {
				if f.Status == st {
					text := f.Detail
					if f.Permission != "" {
						text += " (the sign-in lacked the read permission " + f.Permission + ")"
					}
					dt.Attention = append(dt.Attention, DocNote{Label: f.Title, Text: strings.TrimSpace(text)})
				}
			}
		}
		dt.Counts = fmt.Sprintf("%s: %s fine, %s to act on, %s not readable", Count(len(tc.Findings), "reading", "readings"),
			Thousands(counts[FindingOK]), Thousands(counts[FindingWarning]+counts[FindingMissing]), Thousands(counts[FindingUnknown]))
		for _, o := range tc.Overruled {
			dt.Overruled = append(dt.Overruled, o.Text)
		}
		d.Tenant = dt
	}
	for _, w := range p.Rollout.Warnings {
		// Page one carries what needs acting on; how the devices were
		// divided is said where the pilot and the waves are (RolloutNote).
		if w.Severity == SevInfo {
			continue
		}
		d.RolloutWarn = append(d.RolloutWarn, DocNote{Label: SeverityLabel(w.Severity), Text: w.Text, Refs: cite(w.Sources)})
	}
	d.Prereqs = make([]DocPrereq, 0, len(p.Prerequisites)) // sized once: a document is built per render
	for _, pr := range p.Prerequisites {
		// Each population section gives its own minimum OS, so the
		// document's prerequisite does not repeat them all.
		detail := pr.Detail
		if i := strings.Index(detail, minimumsIntro); i >= 0 && len(pr.Minimums) > 0 {
			detail = detail[:i] + " Each device group below gives its method's minimum."
		}
		dp := DocPrereq{Title: pr.Title, Status: StatusLabel(pr.Status), Owner: pr.Owner, Task: pr.Task, Detail: detail,
			NeededBy: orWord(d.nameList(pr.AppliesTo), "no population of this plan"), Blocks: d.nameList(pr.Blocks), Done: pr.Status == StatusDone, Refs: cite(pr.Sources)}
		d.Prereqs = append(d.Prereqs, dp)
	}
	for _, bi := range p.Baseline {
		d.Baseline = append(d.Baseline, DocBaseline{Title: bi.Title, Detail: bi.Detail, AppliesTo: orWord(d.nameList(bi.AppliesTo), "no population"),
			NotFor: strings.Join(bi.NotFor, " "), Refs: cite(bi.Sources)})
	}
	shown := map[string]string{} // step id → the first group whose section describes it
	d.Populations = make([]DocPopulation, 0, len(p.Populations))
	for _, pop := range p.Populations {
		dp := DocPopulation{ID: pop.ID, Name: pop.Name, Facts: populationFacts(pop), Wave: d.perWave(pop.ID),
			Method: pop.Method.Name, MethodWhy: pop.Method.Why, Recommended: pop.Method.Recommended, MethodRefs: cite(pop.Method.Sources), MinOS: pop.Method.MinOS}
		dp.ResetTitle = "Factory reset: " + strings.ToLower(resetWord(pop))
		dp.ResetWhy, dp.ResetRefs = pop.FactoryReset.Why, cite(pop.FactoryReset.Sources)
		for _, as := range p.Summary.Assumptions {
			if as.Population == pop.ID {
				dp.Assumptions = append(dp.Assumptions, as.Text)
			}
		}
		for _, w := range pop.Warnings {
			if strings.Contains(dp.ResetWhy, w.Text) {
				continue // already said with the reset decision
			}
			n := DocNote{Label: SeverityLabel(w.Severity), Text: w.Text}
			switch w.Severity {
			case SevBlocker:
				n.Refs = cite(w.Sources)
				dp.Blockers = append(dp.Blockers, n)
			case SevWarning:
				n.Refs = cite(w.Sources)
				dp.Warnings = append(dp.Warnings, n)
			default:
				// numbered with the other online-only citations, below
				dp.Notes = append(dp.Notes, n)
			}
		}
		for _, s := range pop.Steps {
			if len(dp.Stages) == 0 || dp.Stages[len(dp.Stages)-1].Kind != s.Kind {
				st := DocStage{Kind: s.Kind, Heading: StageHeadings[s.Kind]}
				if touchesDevice(s.Kind) && (len(dp.Stages) == 0 || !touchesDevice(dp.Stages[len(dp.Stages)-1].Kind)) {
					st.Intro = PerWaveIntro
				}
				dp.Stages = append(dp.Stages, st)
			}
			st := &dp.Stages[len(dp.Stages)-1]
			ds := DocStep{Actor: ActorLabel(s.Actor), Title: s.Title, Detail: s.Detail}
			// A set-up step shared with an earlier group is done once: say
			// where it is described instead of repeating it.
			if first, seen := shown[s.ID]; seen && !touchesDevice(s.Kind) {
				ds.Detail, ds.Also = "", first
			} else {
				ds.Refs = cite(s.Sources)
				if _, seen := shown[s.ID]; !seen {
					shown[s.ID] = pop.Name
				}
			}
			st.Steps = append(st.Steps, ds)
		}
		dp.Baseline = strings.Join(pop.Baseline, ", ")
		d.Populations = append(d.Populations, dp)
	}
	d.rollout(cite)
	// The checklist lists set-up once; the pilot and the waves list their
	// groups (d.Waves), each doing the steps of its own section.
	dph := DocPhase{Heading: PhaseHeading(PhasePrepare)}
	for _, t := range p.Tasks {
		if t.Phase == PhasePrepare {
			dph.Tasks = append(dph.Tasks, d.docTask(t))
		}
	}
	d.Checklist = append(d.Checklist, dph)
	// The appendix comes last, so its citations number last; then what only
	// the screen and the Markdown show (notes, why a method is unsuitable),
	// so that a printed copy lists sources 1 to PrintedRefs without gaps.
	for i, pop := range p.Populations {
		for _, a := range pop.Alternatives {
			d.Populations[i].Alternatives = append(d.Populations[i].Alternatives, DocNote{Label: a.Name, Text: a.WhyNot, Refs: cite(a.Sources)})
		}
	}
	d.PrintedRefs = len(d.Refs)
	for i, pop := range p.Populations {
		dp := &d.Populations[i]
		j := 0
		for _, w := range pop.Warnings {
			if w.Severity == SevInfo && j < len(dp.Notes) && dp.Notes[j].Text == w.Text {
				dp.Notes[j].Refs = cite(w.Sources)
				j++
			}
		}
		for _, a := range pop.Unsuitable {
			dp.Unsuitable = append(dp.Unsuitable, DocNote{Label: a.Name, Text: a.WhyNot, Refs: cite(a.Sources)})
		}
	}
	return d
}

func (d *Document) nameList(ids []string) string {
	if len(ids) > 1 && len(ids) == len(d.Plan.Populations) {
		return "every population"
	}
	return JoinAnd(mapNamesRaw(ids, d.names))
}

// resetWord says whether a population's devices are wiped.
func resetWord(pop PopulationPlan) string {
	switch {
	case !pop.FactoryReset.Required:
		return "No"
	case pop.InUse:
		return "Yes"
	}
	return "No (new devices)"
}

// populationFacts is a population's one-line description.
func populationFacts(pop PopulationPlan) string {
	own := "organisation-owned"
	if pop.Ownership == OwnPersonal {
		own = "personal"
	}
	state := "new, not yet handed out"
	if pop.InUse {
		state = "already in use"
	}
	managed := map[string]string{ManagedNone: "no MDM today", ManagedConfigMgr: "Configuration Manager today", ManagedOtherMDM: "another MDM today"}[pop.ManagedBy]
	facts := []string{pop.PlatformName, own, UsageLabel(pop.Usage), Count(pop.Devices, "device", "devices"), state, managed}
	if pop.Manufacturer != "" {
		facts = append(facts, "made by "+pop.Manufacturer) // planner-typed: renderers escape Facts
	}
	if pop.Enroll {
		facts = append(facts, EnrolledByLabel(pop.EnrolledBy))
	}
	return strings.Join(facts, " · ")
}

// PhaseHeading names a checklist phase.
func PhaseHeading(ph string) string {
	switch ph {
	case PhasePrepare:
		return "Before the pilot"
	case PhasePilot:
		return "Pilot"
	}
	return "Rollout waves"
}

func orWord(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

// firstActions puts each first action's due date, its lead time when a
// prerequisite sets it, and whom it unblocks in words, and the late ones.
func (d *Document) firstActions(p *Plan) {
	leads := map[string]Prerequisite{}
	for _, pr := range p.Prerequisites {
		leads["prereq."+pr.ID] = pr
	}
	for _, f := range p.Summary.FirstActions {
		var parts []string
		if f.Due != "" {
			due := "Due " + LongDate(f.Due)
			if pr, ok := leads[f.ID]; ok {
				due += " (takes " + leadWords(pr.LeadDays, pr.LeadCited) + ")"
			}
			parts = append(parts, due)
		}
		if len(f.Unblocks) > 0 {
			parts = append(parts, "unblocks "+d.nameList(f.Unblocks))
		}
		when := capitalize(strings.Join(parts, "; "))
		if when != "" {
			when += "."
		}
		d.First = append(d.First, DocFirst{FirstAction: f, When: when})
	}
	for _, l := range p.Summary.Late {
		d.Late = append(d.Late, l.Text)
	}
}

// datedTimeline puts each mark after the pilot and waves that start on or
// before its date, so that page one reads in date order.
func datedTimeline(lines []TimelineLine, marks []Mark) []TimelineLine {
	out := slices.Clone(lines)
	for _, m := range marks {
		at := len(out)
		lastDated := -1
		for i, l := range out {
			if l.date == "" {
				continue
			}
			if l.date > m.Date {
				at = i
				break
			}
			lastDated = i
		}
		if at == len(out) && lastDated >= 0 {
			at = lastDated + 1
		}
		out = slices.Insert(out, at, TimelineLine{When: LongDate(m.Date), Mark: m.Title, date: m.Date})
	}
	return out
}
