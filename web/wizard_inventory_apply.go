package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// What becomes of an inventory import (wizard_inventory.go): its groups
// applied as step 2's populations, its devices kept or erased, and a kept
// list moved to the saved plan or forgotten.

// applyInventory is "Use these groups": they become step 2's populations
// (replacing those there, or added to them), the answers get the
// inventory's counts, and the device list is kept only when the planner
// chose to keep it.
func (s *Server) applyInventory(w http.ResponseWriter, r *http.Request, d *draft) error {
	inv := d.Inventory
	fail := func(field, msg string) error {
		return s.render(w, r, http.StatusUnprocessableEntity, pages.InventoryGroupsPage(s.groupsView(r, d, pages.FormErrors{{Field: field, Message: msg}})))
	}
	var pops []plan.Population
	var from []string // the group each of pops came from
	for _, g := range inv.Groups {
		n := g.devices(inv)
		if g.InIntune || n == 0 {
			continue
		}
		p := g.Pop
		p.Devices = n
		pops = append(pops, p)
		from = append(from, g.Pop.ID)
	}
	if len(pops) == 0 {
		return fail("apply", "No group has devices to enroll: every device is stale or already in Intune. Choose Enroll them with their groups, or upload another file.")
	}
	add := inv.Mode == "add" && len(d.Answers.Populations) > 0
	kept := 0
	if add {
		kept = len(d.Answers.Populations)
	}
	if n := kept + len(pops); n > plan.MaxPopulations {
		return fail("apply", fmt.Sprintf("That makes %d populations, more than the %d a plan holds: merge some groups first.", n, plan.MaxPopulations))
	}
	all := append(slices.Clone(d.Answers.Populations[:kept]), pops...)
	all = withIDs(all)
	idOf := map[string]string{}
	for k, id := range from {
		idOf[id] = all[kept+k].ID
	}
	// The devices kept from earlier files stay only when the groups are
	// added and the list kept, each in its population, unless the planner
	// removed that population from step 2 meanwhile.
	keptOf := map[string]string{}
	for i, p := range d.Answers.Populations[:kept] {
		keptOf[p.ID] = all[i].ID
	}
	var devices []inventory.Device
	if inv.Keep {
		list, err := s.groupingDevices(r.Context(), d)
		if err != nil {
			return err
		}
		for _, dev := range list {
			if id, ok := strings.CutPrefix(dev.Population, keptMark); ok {
				if dev.Population = keptOf[id]; dev.Population != "" && add {
					devices = append(devices, dev)
				}
				continue
			}
			id, stale := strings.CutPrefix(dev.Population, staleMark)
			if stale && !inv.Enroll {
				continue // retired: not kept
			}
			if dev.Population = idOf[id]; dev.Population != "" {
				devices = append(devices, dev)
			}
		}
	}
	summary := &plan.Inventory{Rows: inv.Rows, Columns: map[string]string{}, Devices: []plan.InventoryDevice{}}
	if prev := d.Answers.Inventory; add && prev != nil {
		// Added to an earlier file's groups: the rows add up, and each
		// field keeps the heading it was first read from.
		summary.Rows += prev.Rows
		for f, h := range prev.Columns {
			summary.Columns[f] = h
		}
		summary.Devices = append(summary.Devices, prev.Devices...)
	}
	for _, c := range inv.Columns {
		if c.Field != "" && summary.Columns[c.Field] == "" {
			summary.Columns[c.Field] = c.Heading
		}
	}
	if d.Answers.Schema == "" {
		d.Answers.Schema = plan.AnswersSchema
	}
	d.Answers.Populations = all
	d.Answers.Inventory = summary
	delete(d.Forms, devicesSpec.key) // step 2 shows the populations as they now are
	s.populationsChanged(d)
	d.Reached = max(d.Reached, stepDevices)
	placed := 0
	for _, p := range pops {
		placed += p.Devices
	}
	applied := &inventoryDraft{Applied: true, Keep: inv.Keep, PlanList: "drop"}
	if inv.Keep {
		blob, err := inventory.EncodeList(devices)
		if err != nil {
			return err
		}
		if err := s.store.SaveDeviceList(keepCtx(r), store.DraftDevices(d.ID), blob); err != nil {
			return err
		}
		applied.PlanList, applied.Devices = "keep", len(devices)
	} else if err := s.store.DeleteDeviceList(keepCtx(r), store.DraftDevices(d.ID)); err != nil {
		return err
	}
	d.Inventory = applied
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	// Step 2 shows the groups; before it, step 1 when its answers are
	// missing (the planner started from the inventory): the later steps
	// need the organisation's name.
	target := stepURL(stepDevices)
	if d.Answers.Organization == "" {
		target = stepURL(stepOrg)
	}
	http.Redirect(w, r, fmt.Sprintf("%s?imported=%d-%d", target, len(pops), placed), http.StatusSeeOther)
	return nil
}

// discardInventory is "Upload another file": the grouping and its devices
// are dropped, and the upload page shown again; a list kept from earlier
// files, carried by the upload, is the draft's again.
func (s *Server) discardInventory(w http.ResponseWriter, r *http.Request, d *draft) error {
	restored, err := s.restoreKept(keepCtx(r), d)
	if err != nil {
		return err
	}
	if !restored {
		if err := s.store.DeleteDeviceList(keepCtx(r), store.DraftDevices(d.ID)); err != nil {
			return err
		}
		d.Inventory = nil
	}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, inventoryPath, http.StatusSeeOther)
	return nil
}

// handleInventoryForget is POST /wizard/inventory/forget: "Forget the
// device list" erases the list kept with the draft and with the saved plan
// it edits, at once; the answers keep their counts.
func (s *Server) handleInventoryForget(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	if d.ID != "" {
		if err := s.store.DeleteDeviceList(keepCtx(r), store.DraftDevices(d.ID)); err != nil {
			return err
		}
		if d.PlanID != "" {
			if err := s.store.DeleteDeviceList(keepCtx(r), store.PlanDevices(d.PlanID)); err != nil {
				return err
			}
		}
		d.Inventory = nil
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
	}
	http.Redirect(w, r, inventoryPath+"?forgotten=1", http.StatusSeeOther)
	return nil
}

// keepDeviceList is called by Save & share once the draft's answers are
// plan planID (new, or a new revision): a device list the planner kept
// moves from the draft to the plan, replacing the plan's; one they chose
// not to keep leaves the plan without a list. The caller saves the draft
// next. A failure is logged and tried again at the next save: the plan is
// saved either way, and the share page says whether a list is kept.
func (s *Server) keepDeviceList(ctx context.Context, d *draft, planID string) {
	inv := d.Inventory
	if inv == nil || inv.PlanList == "" || d.ID == "" {
		return
	}
	ctx = ctxWithoutCancel(ctx)
	var err error
	switch inv.PlanList {
	case "keep":
		var data []byte
		data, _, err = s.store.GetDeviceList(ctx, store.DraftDevices(d.ID))
		switch {
		case errors.Is(err, store.ErrNotFound): // forgotten since
			err = s.store.DeleteDeviceList(ctx, store.PlanDevices(planID))
		case err == nil:
			if err = s.store.SaveDeviceList(ctx, store.PlanDevices(planID), data); err == nil {
				err = s.store.DeleteDeviceList(ctx, store.DraftDevices(d.ID))
			}
		}
	default:
		err = s.store.DeleteDeviceList(ctx, store.PlanDevices(planID))
	}
	if err != nil {
		s.log.Warn("device list not moved to the saved plan; the next save tries again", "plan", planID, "err", err)
		return
	}
	inv.PlanList = ""
}

// inventoryFlash is the message after the groups were applied
// (?imported=groups-devices), on step 2, or on step 1 when the planner must
// answer it first: numbers only, so a link made elsewhere can say nothing else.
func inventoryFlash(r *http.Request, step int) string {
	g, n, ok := strings.Cut(r.URL.Query().Get("imported"), "-")
	groups, err1 := strconv.Atoi(g)
	devices, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || groups < 1 || devices < 0 || groups > plan.MaxPopulations || devices > plan.MaxInventoryRows {
		return ""
	}
	what := fmt.Sprintf("%s from your inventory (%s)", plural(groups, "group", "groups"), plural(devices, "device", "devices"))
	switch step {
	case stepDevices:
		return what + " — check them and continue."
	case stepOrg:
		return what + " are in step 2. First, say who the plan is for; step 2 follows."
	}
	return ""
}

// deviceListKept reports whether the list stored under the draft's
// device-list owner is one the planner chose to keep (for the draft's
// worklist), rather than the devices of an import still being grouped,
// which hold stale marks or the upload itself and are no worklist.
func (d *draft) deviceListKept() bool {
	inv := d.Inventory
	return inv != nil && inv.Applied && inv.PlanList == "keep"
}
