package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// Device counts the wizard accepts: a population has devices, and more than
// a million in one population is a typo (an extra zero) far more often than
// a fleet; the engine's own limit is wider, for tools.
const (
	minDevices = 1
	maxDevices = 1_000_000
)

// devicesSpec is step 2's row list: one row per population.
var devicesSpec = rowSpec{
	key: "devices", step: stepDevices, prefix: "populations", re: popField,
	fields: []string{"id", "name", "platform", "manufacturer", "ownership", "usage", "devices", "personal_use", "in_use", "managed_by", "enroll", "enrolled_by"},
	first:  "name", noun: "Population", max: plan.MaxPopulations,
	blank: func([]url.Values) url.Values {
		return url.Values{"in_use": {"unsure"}, "managed_by": {"unsure"}, "enroll": {"enroll"}, "enrolled_by": {plan.EnrolledByUser}}
	},
	label: func(row url.Values) string { return strings.TrimSpace(row.Get("name")) },
}

// devicesBase is what step 2's kept form was made from: the populations,
// less the methods the review (step 3) chooses.
func devicesBase(d *draft) string {
	pops := slices.Clone(d.Answers.Populations)
	for i := range pops {
		pops[i].Method = ""
	}
	return fingerprint(pops)
}

// populationRows writes saved populations as step 2's form, each with the id
// the engine knows it by, so that the waves of the rollout step keep pointing at it.
// Who enrolls each is its answer or what it stands for (bulkByStaff is the
// older tenant-wide answer), so that saving step 2 keeps it.
func populationRows(pops []plan.Population, bulkByStaff bool) []url.Values {
	ids := plan.PopulationIDs(pops)
	var rows []url.Values
	for i, p := range pops {
		row := url.Values{"id": {ids[i]}, "name": {p.Name}, "platform": {p.Platform}, "ownership": {p.Ownership}, "usage": {p.Usage},
			"devices": {strconv.Itoa(p.Devices)}, "in_use": {"unsure"}, "managed_by": {"unsure"}, "enroll": {"enroll"},
			"enrolled_by": {p.EffectiveEnrolledBy(bulkByStaff)}, "manufacturer": {p.Manufacturer}}
		if p.InUse != nil {
			row.Set("in_use", map[bool]string{true: "in-use", false: "new"}[*p.InUse])
		}
		if m := p.KnownManagedBy(); m != "" {
			row.Set("managed_by", m)
		}
		if p.PersonalUse != nil {
			row.Set("personal_use", map[bool]string{true: "yes", false: "no"}[*p.PersonalUse])
		}
		if !p.Enrolls() {
			row.Set("enroll", "app")
		}
		rows = append(rows, row)
	}
	return rows
}

// newPopulationID makes an id for a population that has none, from its
// name ("Sales iPhones" → "sales-iphones"), unique among taken.
func newPopulationID(p plan.Population, taken map[string]bool) string {
	base := slug(p.Name)
	if base == "" {
		base = slug(p.Platform + "-" + p.Ownership)
	}
	if base == "" {
		base = "population"
	}
	id := base
	for n := 2; taken[id]; n++ {
		suffix := "-" + strconv.Itoa(n)
		id = strings.TrimRight(base[:min(len(base), 40-len(suffix))], "-") + suffix
	}
	taken[id] = true
	return id
}

// slug keeps lower-case ASCII letters and digits, with single hyphens
// between words, at most 40 characters.
func slug(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.TrimRight(b.String()[:min(b.Len(), 40)], "-")
}

// parseDeviceCount reads a number of devices as people type it ("1,490",
// "1 490"); the message says what is wrong in words.
func parseDeviceCount(typed string) (int, string) {
	s := strings.TrimSpace(typed)
	if s == "" {
		return 0, "Enter how many devices, for example 250"
	}
	digits := strings.NewReplacer(",", "", " ", "", "\u00a0", "", "\u202f", "", "_", "", "\u2212", "-").Replace(s)
	n, err := strconv.Atoi(digits)
	switch {
	case err != nil && strings.ContainsAny(digits, ".") && strings.Trim(digits, "0123456789.-+") == "":
		return 0, fmt.Sprintf("Enter a whole number of devices in digits, like 1490 or 1,490, not “%s”", s)
	case err != nil:
		return 0, fmt.Sprintf("Enter the number of devices in digits, like 250, not “%s”", s)
	case n < minDevices:
		return 0, fmt.Sprintf("Enter a number of devices from 1 to 1,000,000, not “%s”; remove the population if it has no devices", s)
	case n > maxDevices:
		return 0, fmt.Sprintf("Enter a number of devices from 1 to 1,000,000, not “%s”: check for an extra digit, or split the fleet into several populations", s)
	}
	return n, ""
}

// rowNames names each row for the error summary: its name, or "Population
// 2" while it has none or shares it with another row.
func rowNames(noun string, names []string) []string {
	count := map[string]int{}
	for _, n := range names {
		count[strings.ToLower(n)]++
	}
	out := make([]string, len(names))
	for i, n := range names {
		switch {
		case n == "":
			out[i] = fmt.Sprintf("%s %d", noun, i+1)
		case count[strings.ToLower(n)] > 1:
			out[i] = fmt.Sprintf("%s %d (%s)", noun, i+1, n)
		default:
			out[i] = n
		}
	}
	return out
}

// parseDevices turns step 2's rows into the view (as typed), the
// populations and the problems, each naming its population.
func (s *Server) parseDevices(rows []url.Values, previous []plan.Population) ([]pages.PopulationRow, []plan.Population, pages.FormErrors) {
	var names []string
	for _, row := range rows {
		names = append(names, strings.TrimSpace(row.Get("name")))
	}
	where := rowNames("Population", names)
	prevIDs := plan.PopulationIDs(previous)
	mam := s.cat.Method(plan.MethodMAMWE)
	var view []pages.PopulationRow
	var pops []plan.Population
	var errs pages.FormErrors
	for n, row := range rows {
		dropUnasked(row)
		path := fmt.Sprintf("populations[%d].", n)
		fail := func(field, format string, args ...any) {
			errs = append(errs, pages.FormError{Field: path + field, Message: fmt.Sprintf(format, args...), Where: where[n]})
		}
		r := pages.PopulationRow{Index: n, ID: row.Get("id"), Name: row.Get("name"), Platform: row.Get("platform"),
			Ownership: row.Get("ownership"), Usage: row.Get("usage"), Devices: row.Get("devices"),
			PersonalUse: row.Get("personal_use"), InUse: row.Get("in_use"), ManagedBy: row.Get("managed_by"), Enroll: row.Get("enroll"),
			EnrolledBy: row.Get("enrolled_by"), Manufacturer: row.Get("manufacturer")}
		if r.Enroll != "app" {
			r.Enroll = "enroll"
		}
		if r.EnrolledBy == "" {
			r.EnrolledBy = plan.EnrolledByUser // a row from before the question, or one whose answer was hidden
		}
		if r.InUse == "" {
			r.InUse = "unsure"
		}
		if r.ManagedBy == "" {
			r.ManagedBy = "unsure"
		}
		view = append(view, r)
		p := plan.Population{ID: r.ID, Name: names[n], Platform: r.Platform, Ownership: r.Ownership, Usage: r.Usage}

		if p.Name == "" {
			fail("name", "Enter a name for this group of devices, for example Sales iPhones")
		} else if c := utf8.RuneCountInString(p.Name); c > plan.MaxText {
			fail("name", "Keep the name to %d characters or fewer; it has %d", plan.MaxText, c)
		}
		platform := s.cat.Platform(p.Platform)
		switch {
		case p.Platform == "":
			fail("platform", "Choose the platform of these devices")
		case platform == nil || !slices.Contains(plan.Platforms, p.Platform):
			fail("platform", "Choose one of the platforms in the list")
			platform = nil
		}
		if !slices.Contains(plan.Ownerships, p.Ownership) {
			fail("ownership", "Choose who owns the devices")
		}
		switch {
		case p.Ownership == plan.OwnPersonal && (p.Usage == "" || p.Usage == plan.UsageUser):
			p.Usage = plan.UsageUser
		case p.Ownership == plan.OwnPersonal && slices.Contains(plan.Usages, p.Usage):
			fail("usage", "Personal devices have one user each: choose One user, or choose Owned by the organisation if several people share these devices")
		case !slices.Contains(plan.Usages, p.Usage):
			fail("usage", "Choose how the devices are used")
		}
		if devices, msg := parseDeviceCount(r.Devices); msg != "" {
			fail("devices", "%s", msg)
		} else {
			p.Devices = devices
		}
		if p.Platform == "android" && p.Ownership == plan.OwnCorporate && p.Usage == plan.UsageUser {
			switch r.PersonalUse {
			case "yes":
				p.PersonalUse = ptr(true)
			case "no":
				p.PersonalUse = ptr(false)
			}
		}
		switch r.InUse {
		case "new":
			p.InUse = ptr(false)
		case "in-use":
			p.InUse = ptr(true)
		}
		switch {
		case r.ManagedBy == "unsure":
		case !slices.Contains(plan.ManagedByValues, r.ManagedBy):
			fail("managed_by", "Choose what manages the devices today")
		case r.ManagedBy == plan.ManagedConfigMgr && platform != nil && p.Platform != "windows":
			fail("managed_by", "Configuration Manager co-manages Windows PCs only: choose what manages these %s devices today", platform.Name)
		default:
			p.ManagedBy = r.ManagedBy
		}
		if r.Enroll == "app" {
			p.Enroll = ptr(false)
			// pages.AskEnroll asks only where app protection exists; these
			// stay in case the catalog's app protection changes.
			switch {
			case platform != nil && mam != nil && !slices.Contains(mam.Platforms, p.Platform):
				fail("enroll", "App protection without enrollment is for %s; %s devices must enroll: choose Enroll the devices", s.platformNames(mam.Platforms), platform.Name)
			case p.Usage == plan.UsageShared || p.Usage == plan.UsageDedicated:
				fail("enroll", "App protection without enrollment needs one signed-in user per device: choose Enroll the devices, or One user")
			}
		}
		// Who enrolls: asked of organisation-owned devices with users that
		// enroll; IT staff is kept as the answer, the users are the default.
		switch {
		case !slices.Contains(plan.EnrolledByValues, r.EnrolledBy):
			fail("enrolled_by", "Choose who enrolls these devices: the person who uses each device, or IT staff")
		case r.EnrolledBy == plan.EnrolledByIT && p.Ownership == plan.OwnCorporate && p.Usage != plan.UsageDedicated && p.Enrolls():
			p.EnrolledBy = plan.EnrolledByIT
		}
		if m := strings.TrimSpace(r.Manufacturer); m != "" {
			if n := utf8.RuneCountInString(m); n > plan.MaxManufacturer {
				fail("manufacturer", "Keep the maker's name to %d characters or fewer; it has %d", plan.MaxManufacturer, n)
			} else {
				p.Manufacturer = m
			}
		}
		// Keep an earlier method choice while it still fits.
		if i := slices.Index(prevIDs, p.ID); p.ID != "" && i >= 0 {
			if m := s.cat.Method(previous[i].Method); m != nil && slices.Contains(m.Platforms, p.Platform) && m.Enrolls == p.Enrolls() {
				p.Method = previous[i].Method
			}
		}
		view[n].Summary = s.rowSummary(p, platform)
		pops = append(pops, p)
	}
	// Whatever the engine still finds (rules the wizard has no words for
	// yet) is shown too, once per field.
	a := plan.Answers{Schema: plan.AnswersSchema, Organization: "-", Populations: withIDs(pops)}
	for _, e := range stepErrors(s.cat.Validate(&a), func(f string) bool {
		return strings.HasPrefix(f, "populations[") && !strings.HasSuffix(f, ".method") && !strings.HasSuffix(f, ".id")
	}) {
		if slices.ContainsFunc(errs, func(x pages.FormError) bool { return x.Field == e.Field }) {
			continue
		}
		if m := popField.FindStringSubmatch(e.Field); m != nil {
			i, _ := strconv.Atoi(m[1])
			e.Where = where[min(i, len(where)-1)]
		}
		e.Message = "Check this answer (" + e.Message + ")"
		errs = append(errs, e)
	}
	errs = sortErrors(errs, rowOrder("populations", len(rows), devicesSpec.fields[1:]))
	return view, pops, errs
}

// withIDs gives every population without an id (or with one that is not
// valid or not unique) a new one made from its name.
func withIDs(pops []plan.Population) []plan.Population {
	out := slices.Clone(pops)
	taken := map[string]bool{}
	for i, p := range out {
		if p.ID != "" && (taken[p.ID] || slug(p.ID) != p.ID) {
			out[i].ID = ""
		}
		if out[i].ID != "" {
			taken[out[i].ID] = true
		}
	}
	for i := range out {
		if out[i].ID == "" {
			out[i].ID = newPopulationID(out[i], taken)
		}
	}
	return out
}

// dropUnasked removes from a row of step 2 the answers to the questions
// its other answers don't ask (pages.FollowUps), so that an answer hidden
// on the page neither reaches the plan nor stays in the draft. Enroll
// comes first: the others read it.
func dropUnasked(row url.Values) {
	for _, q := range pages.FollowUps {
		if !q.When.Holds(row.Get) {
			row.Del(q.Field)
		}
	}
}

// rowSummary is a population in one line, as a folded row of step 2 shows
// it: "Windows, organisation-owned, shared, 600 devices, in use,
// Configuration Manager". Answers left open ("Not sure") are left out.
func (s *Server) rowSummary(p plan.Population, platform *plan.PlatformDef) string {
	var parts []string
	if platform != nil {
		parts = append(parts, platform.Name)
	}
	parts = append(parts, map[string]string{plan.OwnCorporate: "organisation-owned", plan.OwnPersonal: "personal"}[p.Ownership],
		map[string]string{plan.UsageUser: "one user", plan.UsageShared: "shared", plan.UsageDedicated: "kiosk or single purpose"}[p.Usage],
		plan.Count(p.Devices, "device", "devices"))
	if !p.Enrolls() {
		parts = append(parts, "app protection only")
	}
	if p.PersonalUse != nil {
		parts = append(parts, map[bool]string{true: "private use allowed", false: "for work only"}[*p.PersonalUse])
	}
	if p.Manufacturer != "" {
		parts = append(parts, "made by "+p.Manufacturer)
	}
	if p.InUse != nil {
		parts = append(parts, map[bool]string{true: "in use", false: "new"}[*p.InUse])
	}
	if m := map[string]string{plan.ManagedNone: "no MDM today", plan.ManagedConfigMgr: "Configuration Manager", plan.ManagedOtherMDM: "another MDM today"}[p.ManagedBy]; m != "" {
		parts = append(parts, m)
	}
	if p.EnrolledBy == plan.EnrolledByIT {
		parts = append(parts, "enrolled by IT staff")
	}
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), ", ")
}

// foldRows folds the rows of step 2 that are complete (problems holds every
// problem found, shown or not), so that the page lists saved groups one line
// each; the row just added or restored stays open.
func foldRows(rows []pages.PopulationRow, problems pages.FormErrors, l pages.RowList) {
	for i := range rows {
		prefix := fmt.Sprintf("populations[%d].", i)
		open := slices.ContainsFunc(problems, func(e pages.FormError) bool { return strings.HasPrefix(e.Field, prefix) })
		rows[i].Folded = !open && l.Focus != pages.FieldID(prefix+devicesSpec.first)
	}
}

func (s *Server) platformNames(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id
		if p := s.cat.Platform(id); p != nil {
			names[i] = p.Name
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// devicesView is step 2's page; errs are the problems it shows, problems
// all it found (a row just added shows none yet, but is not complete).
func (s *Server) devicesView(r *http.Request, d *draft, rows []pages.PopulationRow, errs, problems pages.FormErrors) pages.DevicesView {
	v := pages.DevicesView{Head: s.head(pages.WizardSteps[1].Title, false), Nav: s.nav(r, d, stepDevices), Errors: errs, Rows: rows, MaxRows: plan.MaxPopulations,
		Ownerships: []pages.Choice{{Value: "corporate", Label: "Owned by the organisation"}, {Value: "personal", Label: "Personal (bring your own device)"}},
		Usages: []pages.Choice{{Value: "user", Label: "One user", Hint: "Each device has one primary user."}, {Value: "shared", Label: "Shared", Hint: "Several people sign in to the same device."},
			{Value: "dedicated", Label: "Kiosk or single purpose", Hint: "No user signs in, for example a check-in tablet."}},
		List: rowList(r, d, devicesSpec, devicesBase(d), len(rows)),
	}
	foldRows(v.Rows, problems, v.List)
	for _, id := range plan.Platforms {
		v.Platforms = append(v.Platforms, pages.Choice{Value: id, Label: s.cat.Platform(id).Name})
	}
	return v
}

// devicesRows is step 2's form as it stands: what was last typed, while it
// stands for the saved populations, else the populations themselves.
func (s *Server) devicesRows(d *draft) (rows []url.Values, checked bool) {
	if f := d.form(devicesSpec.key, devicesBase(d)); f != nil {
		rows, checked = devicesSpec.split(f.Values).rows, f.Checked
		// A form kept from before step 2 asked who enrolls stands for the
		// saved populations row by row: it gets their answer.
		for i, row := range rows {
			if _, ok := row["enrolled_by"]; !ok && i < len(d.Answers.Populations) {
				row.Set("enrolled_by", d.Answers.Populations[i].EffectiveEnrolledBy(d.Answers.BulkEnrollmentByStaff))
			}
		}
	} else {
		rows = populationRows(d.Answers.Populations, d.Answers.BulkEnrollmentByStaff)
	}
	if len(rows) == 0 {
		rows = []url.Values{devicesSpec.blank(nil)}
	}
	return rows, checked
}

// handleDevicesGet is GET /wizard/devices.
func (s *Server) handleDevicesGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepDevices)
	if !ok || err != nil {
		return err
	}
	rows, checked := s.devicesRows(d)
	view, _, problems := s.parseDevices(rows, d.Answers.Populations)
	errs := problems
	if !checked {
		errs = nil // a row just added is not wrong yet
	}
	return s.render(w, r, http.StatusOK, pages.DevicesPage(s.devicesView(r, d, view, errs, problems)))
}

// handleDevicesPost is POST /wizard/devices: Continue, Add another, Remove, Undo.
func (s *Server) handleDevicesPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepDevices)
	if !ok || err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	rf := devicesSpec.split(r.PostForm)
	for _, row := range rf.rows {
		dropUnasked(row)
	}
	base := devicesBase(d)
	if e := parseRowEdit(r.PostForm.Get("action"), len(rf.rows), devicesSpec.max); e.kind != "" {
		return s.applyRowEdit(w, r, d, devicesSpec, rf, e, base)
	}
	if len(rf.rows) == 0 {
		rf.rows = []url.Values{devicesSpec.blank(nil)}
	}
	view, pops, errs := s.parseDevices(rf.rows, d.Answers.Populations)
	if len(errs) > 0 {
		d.setForm(devicesSpec.key, &rawForm{Values: devicesSpec.values(rf), Base: base, Checked: true})
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
		return s.renderStep(w, r, errs, pages.DevicesPage(s.devicesView(r, d, view, errs, errs)))
	}
	d.Answers.Populations = withIDs(pops)
	// Who enrolls is now each population's answer, read from the rows (which
	// showed what the older tenant-wide answer stood for).
	d.Answers.BulkEnrollmentByStaff = false
	for i := range rf.rows {
		rf.rows[i].Set("id", d.Answers.Populations[i].ID)
	}
	s.populationsChanged(d)
	d.setForm(devicesSpec.key, &rawForm{Values: devicesSpec.values(rf), Base: devicesBase(d)})
	return s.advance(w, r, d, stepDevices)
}
