package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

func popRow(i int, p plan.Population) pages.PopulationRow {
	row := pages.PopulationRow{Index: i, ID: p.ID, Name: p.Name, Platform: p.Platform, Ownership: p.Ownership, Usage: p.Usage,
		Devices: strconv.Itoa(p.Devices), ManagedBy: p.KnownManagedBy(), Enroll: "enroll"}
	if p.InUse != nil {
		row.InUse = map[bool]string{true: "in-use", false: "new"}[*p.InUse]
	} else if p.Platform != "" {
		row.InUse = "unsure"
	}
	if row.ManagedBy == "" && p.Platform != "" {
		row.ManagedBy = "unsure"
	}
	if p.PersonalUse != nil {
		row.PersonalUse = map[bool]string{true: "yes", false: "no"}[*p.PersonalUse]
	}
	if !p.Enrolls() {
		row.Enroll = "app"
	}
	return row
}

func (s *Server) devicesView(r *http.Request, d *draft, rows []pages.PopulationRow, errs pages.FormErrors) pages.DevicesView {
	v := pages.DevicesView{Head: s.head(pages.WizardSteps[1].Title, false), Nav: s.nav(r, d, stepDevices), Errors: errs, Rows: rows, MaxRows: plan.MaxPopulations,
		Ownerships: []pages.Choice{{Value: "corporate", Label: "Owned by the organisation"}, {Value: "personal", Label: "Personal (bring your own device)"}},
		Usages: []pages.Choice{{Value: "user", Label: "One user", Hint: "Each device has one primary user."}, {Value: "shared", Label: "Shared", Hint: "Several people sign in to the same device."},
			{Value: "dedicated", Label: "Kiosk or single purpose", Hint: "No user signs in, for example a check-in tablet."}},
	}
	for _, id := range plan.Platforms {
		v.Platforms = append(v.Platforms, pages.Choice{Value: id, Label: s.cat.Platform(id).Name})
	}
	if len(v.Rows) == 0 {
		v.Rows = []pages.PopulationRow{{Index: 0, Enroll: "enroll"}}
	}
	return v
}

// handleDevicesGet is GET /wizard/devices.
func (s *Server) handleDevicesGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepDevices)
	if !ok || err != nil {
		return err
	}
	var rows []pages.PopulationRow
	for i, p := range d.Answers.Populations {
		rows = append(rows, popRow(i, p))
	}
	return s.renderStep(w, r, nil, pages.DevicesPage(s.devicesView(r, d, rows, nil)))
}

// handleDevicesPost is POST /wizard/devices: Continue, Add another, Remove.
func (s *Server) handleDevicesPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepDevices)
	if !ok || err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostForm
	previous := d.Answers.Populations
	var rows []pages.PopulationRow
	var pops []plan.Population
	var errs pages.FormErrors
	for n, i := range rowIndexes(r, popField, plan.MaxPopulations) {
		pre := fmt.Sprintf("populations[%d].", i)
		path := fmt.Sprintf("populations[%d].", n)
		row := pages.PopulationRow{Index: n, ID: f.Get(pre + "id"), Name: strings.TrimSpace(f.Get(pre + "name")), Platform: f.Get(pre + "platform"),
			Ownership: f.Get(pre + "ownership"), Usage: f.Get(pre + "usage"), Devices: strings.TrimSpace(f.Get(pre + "devices")),
			PersonalUse: f.Get(pre + "personal_use"), InUse: f.Get(pre + "in_use"), ManagedBy: f.Get(pre + "managed_by"), Enroll: f.Get(pre + "enroll")}
		if row.Enroll == "" {
			row.Enroll = "enroll"
		}
		rows = append(rows, row)
		p := plan.Population{ID: row.ID, Name: row.Name, Platform: row.Platform, Ownership: row.Ownership, Usage: row.Usage}
		switch row.InUse {
		case "new":
			p.InUse = ptr(false)
		case "in-use":
			p.InUse = ptr(true)
		}
		if row.ManagedBy != "unsure" {
			p.ManagedBy = row.ManagedBy // "" or a value; validation names a bad one
		}
		if row.Name == "" {
			errs = append(errs, pages.FormError{Field: path + "name", Message: "Enter a name for this group of devices, for example Sales iPhones"})
		}
		switch devices, err := strconv.Atoi(strings.ReplaceAll(row.Devices, ",", "")); {
		case row.Devices == "":
			errs = append(errs, pages.FormError{Field: path + "devices", Message: "Enter how many devices, for example 250"})
		case err != nil:
			errs = append(errs, pages.FormError{Field: path + "devices", Message: fmt.Sprintf("Enter the number of devices as a whole number, like 250, not %q", row.Devices)})
		default:
			p.Devices = devices
		}
		if row.Platform == "android" && row.Ownership == plan.OwnCorporate && (row.Usage == plan.UsageUser || row.Usage == "") {
			switch row.PersonalUse {
			case "yes":
				p.PersonalUse = ptr(true)
			case "no":
				p.PersonalUse = ptr(false)
			}
		}
		if row.Enroll == "app" {
			p.Enroll = ptr(false)
		}
		if n < len(previous) { // keep an earlier method choice while it still fits
			if m := s.cat.Method(previous[n].Method); m != nil && slices.Contains(m.Platforms, p.Platform) && m.Enrolls == p.Enrolls() {
				p.Method = previous[n].Method
			}
		}
		if p.Usage == "" && p.Ownership == plan.OwnPersonal {
			p.Usage = plan.UsageUser
		}
		pops = append(pops, p)
	}
	d.Answers.Populations = pops

	if e := parseRowEdit(f.Get("action"), len(rows), plan.MaxPopulations); e.edit {
		switch {
		case e.add:
			rows = append(rows, pages.PopulationRow{Index: len(rows), Enroll: "enroll"})
		case e.remove >= 0:
			rows = without(rows, e.remove, func(r *pages.PopulationRow, i int) { r.Index = i })
			d.Answers.Populations = slices.Delete(d.Answers.Populations, e.remove, e.remove+1)
		}
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
		return s.render(w, r, http.StatusOK, pages.DevicesPage(s.devicesView(r, d, rows, nil)))
	}

	errs = append(errs, stepErrors(s.cat.Validate(&d.Answers), func(field string) bool {
		return strings.HasPrefix(field, "populations") && !strings.HasSuffix(field, ".method") && !slices.ContainsFunc(errs, func(e pages.FormError) bool { return e.Field == field })
	})...)
	for i := range errs {
		if errs[i].Field == "populations" {
			errs[i].Field = "populations[0].name"
		}
	}
	if len(errs) > 0 {
		errs = sortErrors(errs, rowOrder("populations", len(rows), []string{"name", "platform", "ownership", "usage", "devices", "personal_use", "in_use", "managed_by", "enroll"}))
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
		return s.renderStep(w, r, errs, pages.DevicesPage(s.devicesView(r, d, rows, errs)))
	}
	return s.advance(w, r, d, stepDevices)
}
