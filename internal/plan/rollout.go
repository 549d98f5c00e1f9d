// The rollout: the pilot, then the waves.

package plan

import (
	"fmt"
	"strings"
)

// PilotWaveID is the pilot's id among the waves; no wave after it takes it.
const PilotWaveID = "pilot"

// rollout lays out the pilot and the waves: the pilot's steps, then one step
// per wave with the devices it covers, and the populations no wave covers.
func (b *builder) rollout(p *Plan) RolloutPlan {
	r := RolloutPlan{PilotGroup: strings.TrimSpace(b.a.Rollout.PilotGroup), PilotStart: b.a.Rollout.PilotStart, Waves: []WavePlan{}, Unassigned: []string{}, Warnings: []Warning{}}
	named := r.PilotGroup != ""
	if !named {
		r.PilotGroup = b.c.Rollout.DefaultPilotGroup
	}
	r.LastStart = r.PilotStart
	for i, s := range b.c.Rollout.Steps {
		st := Step{ID: s.ID, Actor: ActorAdmin, Kind: s.Kind, Title: s.Title, Detail: s.Detail, Sources: b.c.SourceURLs(s.Sources)}
		if i == 0 {
			st.Title += fmt.Sprintf(" %q", r.PilotGroup)
			if !named {
				st.Detail = fmt.Sprintf("No pilot group was named; %q is a suggestion. ", r.PilotGroup) + st.Detail
			}
			if r.PilotStart != "" {
				st.Title += " before the pilot starts on " + LongDate(r.PilotStart)
			}
		}
		r.Steps = append(r.Steps, st)
	}
	var all []string
	for _, pop := range p.Populations {
		all = append(all, pop.ID)
	}
	// One division of the devices over the pilot and the waves, the one
	// validation checked.
	al := Allocate(b.a, all)
	r.PilotDevices, r.PilotProposed = al.Pilot, al.PilotProposed
	covered := map[string]bool{}
	ws := b.c.Rollout.WaveStep
	ids := waveIDs(b.a.Rollout.Waves)
	for i, w := range b.a.Rollout.Waves {
		wp := WavePlan{ID: ids[i], Name: strings.TrimSpace(w.Name), Group: strings.TrimSpace(w.Group), Start: w.Start, Populations: w.Populations,
			DevicesByPopulation: al.Waves[i]}
		if wp.Populations == nil {
			wp.Populations = all
		}
		for _, id := range wp.Populations {
			wp.Devices += wp.DevicesByPopulation[id]
			covered[id] = true
		}
		r.Waves = append(r.Waves, wp)
		if wp.Start > r.LastStart {
			r.LastStart = wp.Start
		}
		when := ""
		if wp.Start != "" {
			when = " from " + LongDate(wp.Start)
		}
		r.Steps = append(r.Steps, Step{
			ID: fmt.Sprintf("%s-%d", ws.ID, i+1), Actor: ActorAdmin, Kind: ws.Kind,
			Title:   fmt.Sprintf("%s%s: %s %q (%s)", wp.Name, when, strings.ToLower(ws.Title[:1])+ws.Title[1:], wp.Group, Count(wp.Devices, "device", "devices")),
			Detail:  ws.Detail,
			Sources: b.c.SourceURLs(ws.Sources),
		})
	}
	if len(b.a.Rollout.Waves) == 0 {
		r.Steps = append(r.Steps, Step{ID: ws.ID, Actor: ActorAdmin, Kind: ws.Kind, Title: ws.Title + " of each wave, once the pilot passes",
			Detail: "No waves were given: plan them by department or site, a few hundred users each. " + ws.Detail, Sources: b.c.SourceURLs(ws.Sources)})
	} else {
		for _, id := range all {
			if !covered[id] {
				r.Unassigned = append(r.Unassigned, id)
			}
		}
	}
	r.Warnings = append(r.Warnings, b.allocationNotes(p, al)...)
	return r
}

// Ids of the notes the rollout makes about its device counts.
const (
	NotePilotProposed  = "rollout.pilot-proposed"
	NoteSplitEvenly    = "rollout.split-evenly"
	NoteNoPilotDevices = "rollout.no-pilot-devices"
	NoteDevicesLeft    = "rollout.devices-left"
)

// allocationNotes say how the devices were divided where the answers did not
// say it themselves, and what the division leaves out: populations with no
// device in the pilot, devices in no wave.
func (b *builder) allocationNotes(p *Plan, al Allocation) []Warning {
	var out []Warning
	sources := b.c.SourceURLs(b.c.Rollout.Steps[0].Sources)
	note := func(id, sev, text string) {
		out = append(out, Warning{ID: id, Severity: sev, Text: text, Sources: sources})
	}
	var noPilot, split, left []string
	pilot := 0
	for _, pop := range p.Populations {
		pilot += al.Pilot[pop.ID]
		if pop.Devices > 0 && al.Pilot[pop.ID] == 0 {
			noPilot = append(noPilot, pop.Name)
		}
		if al.Split[pop.ID] {
			split = append(split, pop.Name)
		}
		if n := al.Left[pop.ID]; n > 0 {
			left = append(left, fmt.Sprintf("%s of %s's %s", Thousands(n), pop.Name, Thousands(pop.Devices)))
		}
	}
	if al.PilotProposed && pilot > 0 {
		note(NotePilotProposed, SevInfo, fmt.Sprintf("No pilot size was given: the plan proposes %s, about 1 in %d of each group's devices, 1 to %d per group.",
			Count(pilot, "device", "devices"), pilotShare, pilotMax))
	}
	switch {
	case len(split) > 0 && len(split) == len(p.Populations):
		note(NoteSplitEvenly, SevInfo, "Every group is in several waves with no count for each: its devices are shared evenly over them. Give each wave its counts to divide them otherwise.")
	case len(split) > 0:
		note(NoteSplitEvenly, SevInfo, fmt.Sprintf("%s %s in several waves with no count for each: %s devices are shared evenly over them. "+
			"Give each wave its counts to divide them otherwise.", JoinAnd(split), Plural(len(split), "is", "are"), Plural(len(split), "its", "their")))
	}
	if len(noPilot) > 0 {
		note(NoteNoPilotDevices, SevWarning, fmt.Sprintf("No device of %s is in the pilot: the waves' counts take all of them. "+
			"Lower a wave's count to leave a few for the pilot, so that a problem shows on a few devices first.", JoinAnd(noPilot)))
	}
	if len(left) > 0 {
		note(NoteDevicesLeft, SevWarning, fmt.Sprintf("Devices in no wave yet: %s. Add them to a wave's count.", JoinAnd(left)))
	}
	return out
}

// WaveStep is the rollout step of the wave at index i of r.Waves: assign
// the enrollment profiles to its group. The waves' steps close r.Steps.
func (r RolloutPlan) WaveStep(i int) Step { return r.Steps[len(r.Steps)-len(r.Waves)+i] }

// waveIDs gives each wave an id that stays the same while its name does.
func waveIDs(waves []Wave) []string {
	names := make([]string, len(waves))
	for i, w := range waves {
		names[i] = w.Name
	}
	return WaveIDs(names)
}

// WaveIDs gives waves, named in order, their ids (CONTRACT §8.2): a slug of
// the name ("Wave 2" → wave-2, "Nursing PCs" → nursing-pcs), with -2, -3 …
// when an earlier wave (or the pilot) has it already. A name without a
// letter or digit of its own takes wave-N, N its position.
func WaveIDs(names []string) []string {
	taken := map[string]bool{PilotWaveID: true}
	ids := make([]string, len(names))
	for i, n := range names {
		base := Slug(n)
		if base == "" {
			base = fmt.Sprintf("wave-%d", i+1)
		}
		id := base
		for k := 2; taken[id]; k++ {
			id = fmt.Sprintf("%s-%d", base, k)
		}
		taken[id] = true
		ids[i] = id
	}
	return ids
}

// slugMax bounds a slug, so that an id built of several stays short.
const slugMax = 40

// Slug keeps the lower-case ASCII letters and digits of s, with one hyphen
// between words, at most 40 characters: "Nursing PCs (2nd floor)" →
// "nursing-pcs-2nd-floor". It is "" when s has no ASCII letter or digit.
func Slug(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if gap && b.Len() > 0 {
				b.WriteByte('-')
			}
			gap = false
			b.WriteRune(r)
			if b.Len() >= slugMax {
				break
			}
			continue
		}
		gap = true
	}
	return strings.TrimRight(b.String()[:min(b.Len(), slugMax)], "-")
}
