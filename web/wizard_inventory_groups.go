package web

import (
	"cmp"
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

// The grouping page of the inventory import (wizard_inventory.go): the
// columns to confirm, then the proposed groups to rename, merge and split.

// inventoryFields are what a column not recognised may hold, in the words
// of the mapping form; "" ignores the column.
var inventoryFields = []pages.Choice{
	{Value: "", Label: "Ignore this column"},
	{Value: "name", Label: "Device name"},
	{Value: "serial", Label: "Serial number"},
	{Value: "os", Label: "Operating system"},
	{Value: "os_version", Label: "OS version"},
	{Value: "model", Label: "Model"},
	{Value: "manufacturer", Label: "Maker"},
	{Value: "ownership", Label: "Ownership (company or personal)"},
	{Value: "user", Label: "Primary user"},
	{Value: "last_seen", Label: "Last check-in"},
	{Value: "managed_by", Label: "Managed by"},
	{Value: "usage", Label: "Use (one user, shared, kiosk)"},
}

func fieldLabel(field string) string {
	for _, c := range inventoryFields {
		if c.Value == field {
			return c.Label
		}
	}
	return field
}

// splitChoices are what a group can be split by (inventory.SplitGroup).
var splitChoices = []pages.Choice{
	{Value: inventory.ByMaker, Label: "Maker"},
	{Value: inventory.ByModel, Label: "Model"},
	{Value: inventory.ByOSVersion, Label: "OS version"},
	{Value: inventory.ByNamePrefix, Label: "Start of the device name"},
	{Value: inventory.ByUser, Label: "With or without a user"},
}

// inventoryDraftOf is the grouping under way, or a redirect to the upload
// when there is none (it was applied, discarded, or never made).
func (s *Server) inventoryDraftOf(w http.ResponseWriter, r *http.Request) (*draft, bool, error) {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return nil, false, err
	}
	if inv := d.Inventory; d.ID == "" || inv == nil || inv.Applied {
		http.Redirect(w, r, inventoryPath, http.StatusSeeOther)
		return nil, false, nil
	}
	return d, true, nil
}

func (s *Server) groupsView(r *http.Request, d *draft, errs pages.FormErrors) pages.InventoryGroupsView {
	inv := d.Inventory
	v := pages.InventoryGroupsView{Head: s.inventoryHead("Groups from your inventory"), Nav: s.nav(r, d, stepDevices), Errors: errs,
		File: inv.File, Summary: inventorySummary(inv), Pending: inv.Pending, Fields: inventoryFields, SplitBy: splitChoices,
		Existing: len(d.Answers.Populations), Mode: cmp.Or(inv.Mode, "replace"), Keep: inv.Keep}
	v.Nav.BackURL = inventoryPath
	v.Why = inv.Why
	if inv.Carried && inv.KeptDevices > 0 {
		v.KeptDevices = plural(inv.KeptDevices, "device", "devices")
	}
	v.Unused = strings.Join(inv.Unused, ", ")
	for i, c := range inv.Columns {
		if !c.Asked {
			if c.Field != "" {
				v.Recognised = append(v.Recognised, fmt.Sprintf("%s (%s)", c.Heading, strings.ToLower(fieldLabel(c.Field))))
			}
			continue
		}
		v.Columns = append(v.Columns, pages.InventoryColumn{Index: i, Heading: c.Heading, Samples: strings.Join(c.Samples, ", "), Field: c.Field})
	}
	for i, g := range inv.Groups {
		p := g.Pop
		row := pages.InventoryGroup{Index: i, Name: p.Name, Platform: s.platformName(p.Platform), Ownership: ownershipWords(p.Ownership),
			Usage: usageWords(p.Usage), ManagedBy: managedByWords(p.KnownManagedBy(), g.InIntune), Maker: cmp.Or(p.Manufacturer, "—"),
			Devices: plan.Thousands(g.devices(inv)), Reason: g.Reason}
		switch {
		case g.Stale > 0 && inv.Enroll:
			row.Stale = "with " + plan.Thousands(g.Stale) + " stale"
		case g.Stale > 0:
			row.Stale = "and " + plan.Thousands(g.Stale) + " stale left out"
		}
		for j, o := range inv.Groups {
			if j != i {
				row.Others = append(row.Others, pages.Choice{Value: strconv.Itoa(j), Label: o.Pop.Name})
			}
		}
		v.Groups = append(v.Groups, row)
	}
	if inv.Stale > 0 {
		v.Stale = &pages.InventoryStale{Devices: plan.Thousands(inv.Stale), Days: plan.Thousands(inv.StaleDays), Retire: !inv.Enroll}
	}
	if inv.Unplaced > 0 {
		v.Unplaced = plural(inv.Unplaced, "row", "rows")
		for _, u := range inv.First {
			v.FirstRows = append(v.FirstRows, pages.InventoryRow{Row: plan.Thousands(u.Row), Reason: u.Reason})
		}
	}
	if errs != nil {
		for i := range v.Groups { // what was typed, not what was saved
			v.Groups[i].Name = r.PostForm.Get(groupField(i, "name"))
		}
	}
	return v
}

// devices is how many devices the group's population gets: all of them
// (Pop.Devices counts the stale too), less the stale unless they enroll.
func (g invGroup) devices(inv *inventoryDraft) int {
	if inv.Enroll {
		return g.Pop.Devices
	}
	return g.Pop.Devices - g.Stale
}

// inventorySummary is the line above the groups: "1,998 devices in 8
// groups; 22 stale; 3 left out".
func inventorySummary(inv *inventoryDraft) string {
	if inv.Pending {
		return fmt.Sprintf("%s read; %s not recognised.", plural(inv.Rows, "row", "rows"), plural(countAsked(inv), "column was", "columns were"))
	}
	n := 0
	for _, g := range inv.Groups {
		n += g.devices(inv)
	}
	parts := []string{fmt.Sprintf("%s in %s", plural(n, "device", "devices"), plural(len(inv.Groups), "group", "groups"))}
	if inv.Stale > 0 {
		parts = append(parts, plan.Thousands(inv.Stale)+" stale")
	}
	if inv.Unplaced > 0 {
		parts = append(parts, plan.Thousands(inv.Unplaced)+" left out")
	}
	return strings.Join(parts, "; ")
}

func countAsked(inv *inventoryDraft) int {
	n := 0
	for _, c := range inv.Columns {
		if c.Asked {
			n++
		}
	}
	return n
}

// plural is "1 device" or "1,998 devices"; a "one" ending in " was" /
// "many" in " were" reads "1 column was", "2 columns were".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return plan.Thousands(n) + " " + many
}

func (s *Server) platformName(id string) string {
	if p := s.cat.Platform(id); p != nil {
		return p.Name
	}
	return cmp.Or(id, "—")
}

func ownershipWords(o string) string {
	switch o {
	case plan.OwnCorporate:
		return "Organisation"
	case plan.OwnPersonal:
		return "Personal"
	}
	return "Not known"
}

func usageWords(u string) string {
	switch u {
	case plan.UsageUser:
		return "One user"
	case plan.UsageShared:
		return "Shared"
	case plan.UsageDedicated:
		return "Kiosk or single purpose"
	}
	return "Not known"
}

func managedByWords(m string, inIntune bool) string {
	switch {
	case inIntune:
		return "Intune already: left out of the plan"
	}
	switch m {
	case plan.ManagedNone:
		return "Nothing"
	case plan.ManagedConfigMgr:
		return "Configuration Manager"
	case plan.ManagedOtherMDM:
		return "Another MDM"
	}
	return "Not known"
}

func groupField(i int, name string) string { return fmt.Sprintf("groups[%d].%s", i, name) }

// handleInventoryGroupsGet is GET /wizard/inventory/groups.
func (s *Server) handleInventoryGroupsGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.inventoryDraftOf(w, r)
	if !ok || err != nil {
		return err
	}
	v := s.groupsView(r, d, nil)
	return s.render(w, r, http.StatusOK, pages.InventoryGroupsPage(v))
}

// handleInventoryGroupsPost is POST /wizard/inventory/groups: every button
// of the grouping page, named by its action; each posts the names and the
// choices with it, and redirects back when done (Post/Redirect/Get).
func (s *Server) handleInventoryGroupsPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.inventoryDraftOf(w, r)
	if !ok || err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	inv := d.Inventory
	action := r.PostForm.Get("action")
	if action == "another" {
		return s.discardInventory(w, r, d)
	}
	if inv.Pending {
		return s.confirmColumns(w, r, d)
	}
	again := func(errs pages.FormErrors) error {
		return s.render(w, r, http.StatusUnprocessableEntity, pages.InventoryGroupsPage(s.groupsView(r, d, errs)))
	}
	// The choices of the page, whatever the button.
	inv.Enroll = r.PostForm.Get("stale") == "enroll"
	inv.Keep = r.PostForm.Get("keep") == "1"
	if m := r.PostForm.Get("mode"); m == "add" || m == "replace" {
		inv.Mode = m
	}
	if errs := renameGroups(inv, r.PostForm); len(errs) > 0 {
		return again(errs)
	}
	target := inventoryGroupsPath
	kind, i := groupAction(action, len(inv.Groups))
	var op func(*inventory.Result) (*inventory.Result, error)
	switch kind {
	case "merge":
		j, err := strconv.Atoi(r.PostForm.Get(groupField(i, "merge")))
		if err != nil || j < 0 || j >= len(inv.Groups) || j == i {
			break // a forged or outdated choice: nothing is merged
		}
		into, from := inv.Groups[j].Pop.ID, inv.Groups[i].Pop.ID
		op = func(res *inventory.Result) (*inventory.Result, error) { return inventory.MergeGroups(res, into, from) }
		target += "#" + pages.FieldID(groupField(min(i, j), "name"))
	case "split":
		by := r.PostForm.Get(groupField(i, "split"))
		if !slices.Contains(inventory.SplitBys, by) {
			break
		}
		id := inv.Groups[i].Pop.ID
		op = func(res *inventory.Result) (*inventory.Result, error) { return inventory.SplitGroup(res, id, by) }
		target += "#" + pages.FieldID(groupField(i, "name"))
	case "apply":
		return s.applyInventory(w, r, d)
	}
	if op != nil {
		if err := s.regroup(r.Context(), d, op); err != nil {
			var ie *inventory.Error
			if !errors.As(err, &ie) {
				return err
			}
			return again(pages.FormErrors{{Field: groupField(i, kind), Message: ie.Msg, Where: inv.Groups[i].Pop.Name}})
		}
	}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// groupAction reads "merge-3" or "split-0" for a page of n groups.
func groupAction(action string, n int) (string, int) {
	for _, kind := range []string{"merge", "split"} {
		if num, ok := strings.CutPrefix(action, kind+"-"); ok {
			if i, err := strconv.Atoi(num); err == nil && i >= 0 && i < n {
				return kind, i
			}
			return "", -1
		}
	}
	return action, -1
}

// renameGroups takes the names typed: each needs one (inventory.RenameGroup
// says what a name may be), and no two groups may share one, as they
// become the populations of step 2; a name used twice is an error beside
// the one just typed.
func renameGroups(inv *inventoryDraft, f map[string][]string) pages.FormErrors {
	res := &inventory.Result{}
	for _, g := range inv.Groups {
		res.Groups = append(res.Groups, inventory.Group{Population: g.Pop})
	}
	msgs := map[int]string{} // by group, one each
	fail := func(i int, msg string) {
		if msgs[i] == "" {
			msgs[i] = msg
		}
	}
	for i, g := range inv.Groups {
		name := g.Pop.Name
		if vs := f[groupField(i, "name")]; len(vs) > 0 {
			name = strings.Join(strings.Fields(vs[0]), " ")
		}
		next, err := inventory.RenameGroup(res, g.Pop.ID, name)
		var ie *inventory.Error
		switch {
		case errors.As(err, &ie):
			fail(i, ie.Msg)
		case err != nil:
			fail(i, "Give the group a name, for example “Ward iPads”.")
		default:
			res = next
		}
	}
	first := map[string]int{}
	for i, g := range res.Groups {
		key := strings.ToLower(g.Name)
		j, dup := first[key]
		if !dup {
			first[key] = i
			continue
		}
		blame, other := i, j
		if g.Name == inv.Groups[i].Pop.Name && res.Groups[j].Name != inv.Groups[j].Pop.Name {
			blame, other = j, i // the earlier one was just renamed
		}
		fail(blame, fmt.Sprintf("Group %d is called “%s” already; give each group a name of its own.", other+1, res.Groups[other].Name))
	}
	if len(msgs) > 0 {
		var errs pages.FormErrors
		for i := range inv.Groups {
			if msg := msgs[i]; msg != "" {
				errs = append(errs, pages.FormError{Field: groupField(i, "name"), Message: msg, Where: fmt.Sprintf("Group %d", i+1)})
			}
		}
		return errs
	}
	for i := range inv.Groups {
		inv.Groups[i].Pop.Name = res.Groups[i].Name
	}
	return nil
}

// regroup carries out a merge or a split on the devices stored while
// grouping. The stale devices take part as members of the group they
// would be in, and stay marked.
func (s *Server) regroup(ctx context.Context, d *draft, op func(*inventory.Result) (*inventory.Result, error)) error {
	inv := d.Inventory
	devices, err := s.groupingDevices(ctx, d)
	if err != nil {
		return err
	}
	stale := map[int]bool{}
	for i, dev := range devices {
		if id, ok := strings.CutPrefix(dev.Population, staleMark); ok {
			stale[dev.Row], devices[i].Population = true, id
		}
	}
	devices, kept := splitKept(devices) // carried from earlier files: not regrouped
	res := &inventory.Result{Devices: devices}
	for _, g := range inv.Groups {
		res.Groups = append(res.Groups, inventory.Group{Population: g.Pop, Reason: g.Reason, InIntune: g.InIntune})
	}
	out, err := op(res)
	if err != nil {
		return err
	}
	for i := range out.Devices {
		if stale[out.Devices[i].Row] {
			out.Devices[i].Population = staleMark + out.Devices[i].Population
		}
	}
	blob, err := withKept(out.Devices, kept)
	if err != nil {
		return err
	}
	if err := s.store.SaveDeviceList(ctxWithoutCancel(ctx), store.DraftDevices(d.ID), blob); err != nil {
		return err
	}
	inv.Groups = nil
	for _, g := range out.Groups {
		inv.Groups = append(inv.Groups, invGroup{Pop: g.Population, Reason: g.Reason, InIntune: g.InIntune})
	}
	inv.countStale(out.Devices)
	return nil
}

// groupingDevices reads the devices stored while grouping.
func (s *Server) groupingDevices(ctx context.Context, d *draft) ([]inventory.Device, error) {
	data, _, err := s.store.GetDeviceList(ctx, store.DraftDevices(d.ID))
	if err != nil {
		return nil, err
	}
	if isRawUpload(data) {
		return nil, errors.New("inventory: the stored upload waits on its columns")
	}
	return inventory.DecodeList(data)
}

// confirmColumns is "Use these columns": the upload is read again with
// the planner's word on each column asked about, and the groups proposed.
func (s *Server) confirmColumns(w http.ResponseWriter, r *http.Request, d *draft) error {
	inv := d.Inventory
	mapping := map[string]string{}
	var errs pages.FormErrors
	chosen := map[string]int{}
	for i := range inv.Columns {
		c := &inv.Columns[i]
		if !c.Asked {
			continue
		}
		field := r.PostForm.Get(columnField(i))
		if field != "" && !slices.ContainsFunc(inventoryFields, func(ch pages.Choice) bool { return ch.Value == field }) {
			field = ""
		}
		c.Field = field
		mapping[c.Heading] = field
		if field == "" {
			continue
		}
		if j, dup := chosen[field]; dup {
			errs = append(errs, pages.FormError{Field: columnField(i), Message: fmt.Sprintf("Column “%s” holds the %s already; choose it for one column only", inv.Columns[j].Heading, strings.ToLower(fieldLabel(field)))})
		}
		chosen[field] = i
	}
	if len(errs) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, pages.InventoryGroupsPage(s.groupsView(r, d, errs)))
	}
	data, _, err := s.store.GetDeviceList(r.Context(), store.DraftDevices(d.ID))
	if errors.Is(err, store.ErrNotFound) { // erased meanwhile (Forget, another tab)
		return s.discardInventory(w, r, d)
	}
	if err != nil {
		return err
	}
	raw, kept, ok, err := splitRawBlob(data)
	if err != nil {
		return err
	}
	if !ok {
		return s.discardInventory(w, r, d)
	}
	res, err := readAgain(raw, s.inventoryOptions(inv.StaleDays, mapping))
	var blob []byte
	if err == nil {
		var devices []inventory.Device
		if devices, err = s.groupInventory(inv, res, raw, mapping); err == nil {
			blob, err = withKept(devices, kept)
		}
	}
	if err != nil {
		var ue *uploadError
		if !errors.As(err, &ue) {
			return err
		}
		// Still nothing to place by: said above the columns, to choose again.
		first := 0
		for i, c := range inv.Columns {
			if c.Asked {
				first = i
				break
			}
		}
		return s.render(w, r, http.StatusUnprocessableEntity, pages.InventoryGroupsPage(s.groupsView(r, d, pages.FormErrors{{Field: columnField(first), Message: ue.msg}})))
	}
	if err := s.store.SaveDeviceList(keepCtx(r), store.DraftDevices(d.ID), blob); err != nil {
		return err
	}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, inventoryGroupsPath, http.StatusSeeOther)
	return nil
}

func columnField(i int) string { return fmt.Sprintf("columns[%d]", i) }
