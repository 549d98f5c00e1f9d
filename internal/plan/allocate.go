package plan

import (
	"fmt"
	"slices"
	"strings"
)

// Allocation says how many devices of each population the pilot and each
// wave enroll (CONTRACT §8.1 rollout.pilot_devices, rollout.waves[].devices).
// Validation and the schedule both read it, so that what is refused and what
// is planned never disagree.
type Allocation struct {
	Pilot         map[string]int   // population id → devices in the pilot
	PilotProposed bool             // no pilot_devices was given: the numbers are the plan's proposal
	Waves         []map[string]int // per wave (answers order): population id → devices it enrolls
	// Split names the populations whose devices were divided evenly over
	// several waves because a wave without a populations list (every
	// population) covers them too and no counts were given.
	Split map[string]bool
	// Left is what no wave enrolls: population id → devices after the pilot
	// and the waves' counts, when the counts leave some over.
	Left map[string]int

	errs []FieldError
}

// Pilot size proposed when the answers give none: about 5% of each
// population, at least one device and at most ten.
const (
	pilotShare = 20 // 1 in 20
	pilotMax   = 10
)

// ProposedPilot is the pilot size the plan proposes for a population of n
// devices.
func ProposedPilot(n int) int {
	if n <= 0 {
		return 0
	}
	return min(pilotMax, max(1, (n+pilotShare-1)/pilotShare))
}

// Allocate divides each population's devices over the pilot and the waves.
// ids are the populations' ids, as assignIDs makes them.
func Allocate(a *Answers, ids []string) Allocation {
	al := Allocation{Pilot: map[string]int{}, PilotProposed: a.Rollout.PilotDevices == nil, Waves: make([]map[string]int, len(a.Rollout.Waves)),
		Split: map[string]bool{}, Left: map[string]int{}}
	for i := range al.Waves {
		al.Waves[i] = map[string]int{}
	}
	for pi, id := range ids {
		if pi >= len(a.Populations) {
			break
		}
		al.population(a, id, a.Populations[pi])
	}
	return al
}

func (al *Allocation) population(a *Answers, id string, pop Population) {
	devices := pop.Devices
	var members, uncounted []int // wave indexes: all that enroll it, and those without a count
	implicit := 0                // uncounted waves that cover every population
	explicit, lastCounted := 0, -1
	for i, w := range a.Rollout.Waves {
		if w.Populations != nil && !contains(w.Populations, id) {
			continue
		}
		members = append(members, i)
		if n, ok := w.Devices[id]; ok {
			explicit += n
			lastCounted = i
			al.Waves[i][id] = n
			continue
		}
		uncounted = append(uncounted, i)
		if w.Populations == nil {
			implicit++
		}
	}
	pilot := 0
	if a.Rollout.PilotDevices != nil {
		pilot = min(*a.Rollout.PilotDevices, devices)
	} else {
		pilot = max(0, min(ProposedPilot(devices), devices-explicit))
	}
	al.Pilot[id] = pilot
	if pilot+explicit > devices {
		path := "rollout.pilot_devices"
		if lastCounted >= 0 {
			path = fieldPath(indexPath("rollout.waves", lastCounted)+".devices", id)
		}
		al.errs = append(al.errs, FieldError{Field: path, Message: fmt.Sprintf(
			"the pilot and the waves enroll %s of %s's %s; lower the counts so that they add up to %s at most",
			Thousands(pilot+explicit), popLabel(pop, id), Count(devices, "device", "devices"), Thousands(devices))})
		return
	}
	rest := devices - pilot - explicit
	switch {
	case len(uncounted) == 1:
		al.Waves[uncounted[0]][id] = rest
	case len(uncounted) > 1 && implicit == 0:
		// The planner put the population in several waves by name: only
		// they know how to divide it.
		for _, i := range uncounted {
			al.errs = append(al.errs, FieldError{Field: indexPath("rollout.waves", i) + ".devices", Message: fmt.Sprintf(
				"%s is in %s: say how many of its %s each of them enrolls, for example {%q: %d}",
				popLabel(pop, id), waveNames(a, members), Count(devices, "device", "devices"), id, rest/len(uncounted))})
		}
	case len(uncounted) > 1:
		// A wave that covers every population (the older answers) meets
		// another that has it: share the devices out in order, the earlier
		// waves taking the remainder, and say so.
		al.Split[id] = true
		for k, i := range uncounted {
			n := rest / len(uncounted)
			if k < rest%len(uncounted) {
				n++
			}
			al.Waves[i][id] = n
		}
	case len(members) > 0 && rest > 0:
		al.Left[id] = rest
	}
}

func popLabel(p Population, id string) string {
	if n := strings.TrimSpace(p.Name); n != "" {
		return n
	}
	return id
}

func waveNames(a *Answers, idx []int) string {
	names := make([]string, len(idx))
	for k, i := range idx {
		names[k] = strings.TrimSpace(a.Rollout.Waves[i].Name)
		if names[k] == "" {
			names[k] = fmt.Sprintf("wave %d", i+1)
		}
	}
	return JoinAnd(names)
}

// PrerequisiteIDs lists the catalog's prerequisite ids in catalog order.
func (c *Catalog) PrerequisiteIDs() []string {
	ids := make([]string, len(c.Prerequisites))
	for i, p := range c.Prerequisites {
		ids[i] = p.ID
	}
	return ids
}

// sortedKeys returns a map's keys in order, so that errors come out the same
// way every time.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
