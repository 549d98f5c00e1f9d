package inventory

import (
	"slices"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// Answers returns the proposed populations and the inventory summary for
// the answers (CONTRACT §8.5). Groups already in Intune are left out, and
// so are their rows, as are stale and unplaced rows: the summary places
// only rows of the populations returned.
func (r *Result) Answers() ([]plan.Population, *plan.Inventory) {
	var pops []plan.Population
	kept := map[string]bool{}
	for _, g := range r.Groups {
		if g.InIntune {
			continue
		}
		pops = append(pops, g.Population)
		kept[g.ID] = true
	}
	inv := &plan.Inventory{Rows: r.Rows, Columns: map[string]string{}, Devices: []plan.InventoryDevice{}}
	for _, c := range r.Columns {
		if c.Field != "" && inv.Columns[c.Field] == "" {
			inv.Columns[c.Field] = c.Heading
		}
	}
	for _, d := range r.Devices {
		if kept[d.Population] {
			inv.Devices = append(inv.Devices, plan.InventoryDevice{Row: d.Row, Population: d.Population})
		}
	}
	slices.SortFunc(inv.Devices, func(a, b plan.InventoryDevice) int { return a.Row - b.Row })
	return pops, inv
}

// Placed counts the devices Answers places in a population.
func (r *Result) Placed() int {
	n := 0
	for _, g := range r.Groups {
		if !g.InIntune {
			n += g.Devices
		}
	}
	return n
}

// Merge appends the result's populations to existing answers (an
// `enrollplan inventory --answers` run, or the wizard's upload) and sets the
// answers' inventory summary, replacing an earlier one (whose rows were
// another file's). A group whose id the answers already use is given a new
// one, in res as well (its groups and devices), so the kept device list
// matches the answers.
func Merge(a *plan.Answers, res *Result) {
	used, taken := map[string]bool{}, map[string]bool{}
	for _, p := range a.Populations {
		if p.ID != "" {
			used[p.ID], taken[p.ID] = true, true
		}
	}
	for _, g := range res.Groups {
		taken[g.ID] = true
	}
	renamed := map[string]string{}
	for i, g := range res.Groups {
		if used[g.ID] && !g.InIntune {
			id := uniqueID(g.ID, taken)
			renamed[g.ID] = id
			res.Groups[i].ID = id
		}
	}
	if len(renamed) > 0 {
		res.Devices = slices.Clone(res.Devices)
		for i, d := range res.Devices {
			if id, ok := renamed[d.Population]; ok {
				res.Devices[i].Population = id
			}
		}
	}
	pops, inv := res.Answers()
	if a.Schema == "" {
		a.Schema = plan.AnswersSchema
	}
	a.Populations = append(a.Populations, pops...)
	a.Inventory = inv
}
