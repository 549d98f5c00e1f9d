// The schedule: each population's device work in the pilot and in every
// wave that enrolls some of its devices (CONTRACT §8.2).

package plan

import (
	"slices"
	"strings"
)

// ScheduleEntry is one population's device work in one wave: the wave, its
// date, how many of the population's devices it enrolls, and the tasks that
// do it, in the order they are done.
type ScheduleEntry struct {
	Wave       string   `json:"wave"`    // PilotWaveName or the wave's name
	WaveID     string   `json:"wave_id"` // PilotWaveID or the wave's WavePlan.ID
	Start      string   `json:"start"`   // the wave's date, "" when not set
	Population string   `json:"population"`
	Devices    int      `json:"devices"`
	Tasks      []string `json:"tasks"` // task ids
}

// PilotWaveName is the pilot's name in tasks and in the schedule.
const PilotWaveName = "Pilot"

// Owners of tasks, in words (CONTRACT §8.2 tasks[].owner). Prerequisites
// and the rollout's own steps name theirs in the catalog.
const (
	OwnerAdmin = "An Intune administrator"
	OwnerUser  = "Each device's user"
	OwnerStaff = "IT staff" // a user step on devices that have no one user of their own
)

// stepOwner says who does a population's step: the administrator, each
// device's user, or IT staff where the devices have no one user (kiosks,
// shared devices).
func stepOwner(pop PopulationPlan, actor string) string {
	switch {
	case actor != ActorUser:
		return OwnerAdmin
	case pop.Usage == UsageDedicated || pop.Usage == UsageShared:
		return OwnerStaff
	}
	return OwnerUser
}

// slot is the pilot or one wave, as the schedule runs them.
type slot struct {
	id, name, start string
	wave            int            // index in RolloutPlan.Waves; -1 for the pilot
	counts          map[string]int // population id → devices it enrolls
}

// slots lists the pilot, then the waves by date: waves without a date come
// after the dated ones, in the order the answers give them.
func slots(r RolloutPlan) []slot {
	out := make([]slot, 0, 1+len(r.Waves))
	out = append(out, slot{id: PilotWaveID, name: PilotWaveName, start: r.PilotStart, wave: -1, counts: r.PilotDevices})
	order := make([]int, len(r.Waves))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := r.Waves[i].Start, r.Waves[j].Start
		switch {
		case a == b:
			return 0
		case a == "":
			return 1
		case b == "":
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, i := range order {
		w := r.Waves[i]
		out = append(out, slot{id: w.ID, name: w.Name, start: w.Start, wave: i, counts: w.DevicesByPopulation})
	}
	return out
}

// DeviceTaskID is the id of a population's step in a wave:
// w/<wave id>/<population id>/<rule id>.
func DeviceTaskID(wave, population, rule string) string {
	return "w/" + wave + "/" + population + "/" + rule
}

// WaveTaskID is the id of a wave's own step: w/<wave id>/<rule id>.
func WaveTaskID(wave, rule string) string { return "w/" + wave + "/" + rule }
