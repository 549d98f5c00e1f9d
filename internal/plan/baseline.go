// The baseline policies, mapped to the populations they apply to.

package plan

import (
	"fmt"
	"strings"
)

// baseline maps the planner's baseline policies to populations. A free-text
// item that names a known policy (BitLocker, FileVault) goes to that
// policy's platforms only.
func (b *builder) baseline() []BaselineItem {
	var out []BaselineItem
	for _, raw := range b.a.Baseline {
		item := strings.TrimSpace(raw)
		def := b.c.baseline(item)
		bi := BaselineItem{ID: item, AppliesTo: []string{}, NotFor: []string{}}
		if def == nil {
			def = b.c.baselineFor(item)
			bi.ID = "custom"
			bi.Title = item
		} else {
			bi.Title = def.Title
		}
		bi.Detail, bi.Platforms, bi.Sources = def.Detail, def.Platforms, b.c.SourceURLs(def.Sources)
		for _, ps := range b.pops {
			ex := b.exceptFor(def, ps)
			switch {
			case !contains(def.Platforms, ps.f.Platform):
				bi.NotFor = append(bi.NotFor, fmt.Sprintf("%s: %s does not apply to %s.", ps.out.Name, bi.Title, ps.out.PlatformName))
			case ex != nil:
				bi.NotFor = append(bi.NotFor, fmt.Sprintf("%s: %s", ps.out.Name, ex.Text))
			default:
				bi.AppliesTo = append(bi.AppliesTo, ps.out.ID)
				ps.out.Baseline = append(ps.out.Baseline, bi.Title)
			}
		}
		out = append(out, bi)
	}
	return out
}

// exceptFor is the first exception of a baseline policy for a population's
// method whose condition the population meets (Shared iPad is ADE without a
// user, and takes no compliance policy where other ADE devices do).
func (b *builder) exceptFor(def *BaselineDef, ps *popState) *TextDef {
	for i := range def.Except {
		if e := &def.Except[i]; e.ID == ps.method.ID && b.match(e.When, ps.f) {
			return e
		}
	}
	return nil
}
