package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/components"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// rolloutSpec is step 6's row list: one row per wave, with a count box for
// each population (the page shows those of the populations split over
// several waves). ids are the draft's population ids.
func rolloutSpec(ids []string) rowSpec {
	fields := []string{"name", "group", "start.day", "start.month", "start.year", "populations"}
	for _, id := range ids {
		fields = append(fields, countKey(id))
	}
	return rowSpec{
		key: "rollout", step: stepRollout, prefix: "rollout.waves", re: waveField,
		fields: fields,
		rest:   []string{"rollout.pilot_group", "rollout.pilot_start.day", "rollout.pilot_start.month", "rollout.pilot_start.year", "rollout.pilot_devices"},
		first:  "name", noun: "Wave", max: plan.MaxWaves,
		// A new wave enrolls nothing until the planner ticks what it
		// enrolls: one that came with every population ticked put a whole
		// fleet into a wave its planner named "Windows".
		blank: func(rows []url.Values) url.Values { return url.Values{"name": {defaultWaveName(len(rows))}} },
		label: func(row url.Values) string {
			if n := strings.TrimSpace(row.Get("name")); n != "" && !isDefaultWaveName(n) {
				return n
			}
			return ""
		},
		renumber: func(row url.Values, from, to int) {
			if strings.TrimSpace(row.Get("name")) == defaultWaveName(from) {
				row.Set("name", defaultWaveName(to))
			}
		},
	}
}

// countKey is a wave's field for how many devices of a population it
// enrolls (rollout.waves[i].devices.<population id>).
func countKey(id string) string { return "devices." + id }

// wavePath is the answers path of a wave's field.
func wavePath(i int, f string) string { return fmt.Sprintf("rollout.waves[%d].%s", i, f) }

func defaultWaveName(i int) string { return fmt.Sprintf("Wave %d", i+1) }

func isDefaultWaveName(s string) bool {
	n, ok := strings.CutPrefix(s, "Wave ")
	_, err := strconv.Atoi(n)
	return ok && err == nil
}

// rolloutBase is what step 6's kept form was made from.
func rolloutBase(d *draft) string { return fingerprint(d.Answers.Rollout) }

// rolloutValues is step 6's form as it stands: what was last typed, while
// it stands for the saved rollout, else the saved rollout itself (a first
// visit offers one wave with nothing ticked).
func rolloutValues(d *draft) (vals url.Values, checked bool) {
	if f := d.form("rollout", rolloutBase(d)); f != nil {
		return f.Values, f.Checked
	}
	ids := plan.PopulationIDs(d.Answers.Populations)
	sp := rolloutSpec(ids)
	ro := d.Answers.Rollout
	rf := rowForm{rest: url.Values{"rollout.pilot_group": {ro.PilotGroup}}}
	setDate(rf.rest, "rollout.pilot_start.", ro.PilotStart)
	if ro.PilotDevices != nil {
		rf.rest.Set("rollout.pilot_devices", strconv.Itoa(*ro.PilotDevices))
	}
	for _, w := range ro.Waves {
		row := url.Values{"name": {w.Name}, "group": {w.Group}}
		setDate(row, "start.", w.Start)
		row["populations"] = slices.Clone(w.Populations)
		if w.Populations == nil {
			row["populations"] = slices.Clone(ids) // absent: every population
		}
		for id, n := range w.Devices {
			row.Set(countKey(id), strconv.Itoa(n))
		}
		rf.rows = append(rf.rows, row)
	}
	if len(rf.rows) == 0 {
		rf.rows = []url.Values{sp.blank(nil)}
	}
	return sp.values(rf), false
}

// readCount reads a whole number from 1 to max as people type it ("1,200");
// given is false when the box is empty.
func readCount(typed string, max int) (n int, given bool, msg string) {
	s := strings.TrimSpace(typed)
	if s == "" {
		return 0, false, ""
	}
	n, err := strconv.Atoi(strings.NewReplacer(",", "", " ", "", "\u00a0", "", "\u202f", "", "_", "").Replace(s))
	switch {
	case err != nil:
		return 0, true, fmt.Sprintf("Enter a whole number in digits, like 10, not “%s”", s)
	case n < 1 || n > max:
		return 0, true, fmt.Sprintf("Enter a number from 1 to %s, not “%s”", plan.Thousands(max), s)
	}
	return n, true, ""
}

// rolloutStep is step 6 read from its form: the page as typed, the
// rollout for the answers, and what is wrong or worth checking.
type rolloutStep struct {
	view    pages.RolloutView
	rollout plan.Rollout
	errs    pages.FormErrors
	warns   pages.FormErrors
}

// parseRollout reads step 6's form against the draft's populations; today
// is the server's date, for the warnings about dates in the past. A whole
// date pasted into a day box is written back into rf as its three boxes.
func (s *Server) parseRollout(rf rowForm, d *draft, today string) rolloutStep {
	var st rolloutStep
	v := &st.view
	ids := plan.PopulationIDs(d.Answers.Populations)
	pops := map[string]plan.Population{}
	for i, p := range d.Answers.Populations {
		pops[ids[i]] = p
		v.Populations = append(v.Populations, pages.WavePopulation{ID: ids[i], Name: p.Name, Devices: p.Devices})
	}
	fail := func(list *pages.FormErrors, field, where string, part components.DatePart, format string, args ...any) {
		e := pages.FormError{Field: field, Message: fmt.Sprintf(format, args...), Where: where}
		e.Focus = dateFocus(field, part)
		*list = append(*list, e)
	}

	// The pilot.
	v.PilotGroup = rf.rest.Get("rollout.pilot_group")
	st.rollout.PilotGroup = strings.TrimSpace(v.PilotGroup)
	if c := utf8.RuneCountInString(st.rollout.PilotGroup); c > plan.MaxText {
		fail(&st.errs, "rollout.pilot_group", "Pilot", "", "Keep the group's name to %d characters or fewer; it has %d", plan.MaxText, c)
	}
	pilotISO, part, msg := readDate(rf.rest, "rollout.pilot_start.", "start date")
	v.PilotStart = dateParts(rf.rest, "rollout.pilot_start.")
	if msg != "" {
		fail(&st.errs, "rollout.pilot_start", "Pilot", part, "%s", msg)
	}
	st.rollout.PilotStart = pilotISO
	if pilotISO != "" && pilotISO < today {
		fail(&st.warns, "rollout.pilot_start", "Pilot", "", "The start date, %s, is in the past (today is %s)", plan.LongDate(pilotISO), plan.LongDate(today))
	}
	v.PilotDevices = rf.rest.Get("rollout.pilot_devices")
	if n, given, msg := readCount(v.PilotDevices, maxDevices); msg != "" {
		fail(&st.errs, "rollout.pilot_devices", "Pilot", "", "%s", msg)
	} else if given {
		st.rollout.PilotDevices = &n
	}
	st.rollout.LeadTimes = d.Answers.Rollout.LeadTimes // not asked here; kept as they are

	// The waves as typed, and which of them tick each population.
	var waveNames []string
	for _, row := range rf.rows {
		waveNames = append(waveNames, strings.TrimSpace(row.Get("name")))
	}
	where := rowNames("Wave", waveNames)
	for i := range where { // a wave named "Wave 3" in place 2 is named by its place too
		if isDefaultWaveName(waveNames[i]) && waveNames[i] != defaultWaveName(i) {
			where[i] = fmt.Sprintf("Wave %d (%s)", i+1, waveNames[i])
		}
	}
	type dateRead struct {
		part components.DatePart
		msg  string
	}
	dates := make([]dateRead, len(rf.rows))
	tickedIn := map[string][]int{} // population id → the rows that tick it
	for i, row := range rf.rows {
		w := pages.WaveRow{Index: i, Name: row.Get("name"), Group: row.Get("group")}
		w.StartISO, dates[i].part, dates[i].msg = readDate(row, "start.", "start date")
		w.Start = dateParts(row, "start.")
		for _, id := range row["populations"] {
			if _, ok := pops[id]; ok && !slices.Contains(w.Populations, id) {
				w.Populations = append(w.Populations, id)
				tickedIn[id] = append(tickedIn[id], i)
			}
		}
		v.Waves = append(v.Waves, w)
	}

	prevISO, prevName := pilotISO, "the pilot"
	var kept []int                // view rows that go into the answers
	counted := map[string][]int{} // population id → the rows with a count of it
	for i := range v.Waves {
		w, row := &v.Waves[i], rf.rows[i]
		path := func(f string) string { return wavePath(i, f) }
		name, group := strings.TrimSpace(w.Name), strings.TrimSpace(w.Group)
		// A wave with nothing typed or ticked but its default name is one
		// the planner did not need.
		if group == "" && w.Start.Empty() && len(w.Populations) == 0 && (name == "" || name == defaultWaveName(i)) {
			continue
		}
		kept = append(kept, i)
		if name == "" {
			fail(&st.errs, path("name"), where[i], "", "Enter a name for the wave, for example %s", defaultWaveName(i))
		} else if c := utf8.RuneCountInString(name); c > plan.MaxText {
			fail(&st.errs, path("name"), where[i], "", "Keep the name to %d characters or fewer; it has %d", plan.MaxText, c)
		}
		if group == "" {
			fail(&st.errs, path("group"), where[i], "", "Enter the Microsoft Entra group this wave adds, for example Sales")
		} else if c := utf8.RuneCountInString(group); c > plan.MaxText {
			fail(&st.errs, path("group"), where[i], "", "Keep the group's name to %d characters or fewer; it has %d", plan.MaxText, c)
		}
		switch iso := w.StartISO; {
		case dates[i].msg != "":
			fail(&st.errs, path("start"), where[i], dates[i].part, "%s", dates[i].msg)
		case iso != "" && prevISO != "" && iso < prevISO:
			fail(&st.errs, path("start"), where[i], "", "Starts on %s, before %s (%s): the pilot comes first and the waves follow in date order; change a date or move the wave",
				plan.LongDate(iso), prevName, plan.LongDate(prevISO))
		case iso != "" && iso < today:
			fail(&st.warns, path("start"), where[i], "", "The start date, %s, is in the past (today is %s)", plan.LongDate(iso), plan.LongDate(today))
		}
		if w.StartISO != "" {
			prevISO, prevName = w.StartISO, where[i]
		}
		wave := plan.Wave{Name: name, Group: group, Start: w.StartISO, Populations: w.Populations}
		if len(v.Populations) > 0 && len(w.Populations) == 0 {
			fail(&st.errs, path("populations"), where[i], "", "Tick the populations this wave enrolls")
			wave.Populations = []string{} // none, not every population
		}
		// A population ticked in several waves takes a count in each. One
		// in this wave alone may have one too (typed while it was split,
		// or given through the API): kept, and shown, while it is there.
		for _, id := range w.Populations {
			p := pops[id]
			c := pages.WaveCount{ID: id, Name: p.Name, Devices: p.Devices, Value: row.Get(countKey(id))}
			if len(tickedIn[id]) < 2 && strings.TrimSpace(c.Value) == "" {
				continue
			}
			var others []string
			for _, j := range tickedIn[id] {
				if j != i {
					others = append(others, where[j])
				}
			}
			c.Also = plan.JoinAnd(others)
			switch n, given, msg := readCount(c.Value, p.Devices); {
			case msg != "":
				fail(&st.errs, path(countKey(id)), where[i], "", "%s", msg)
			case !given:
				fail(&st.errs, path(countKey(id)), where[i], "", "Enter how many of the %s %s this wave enrolls; the others are in %s",
					plan.Thousands(p.Devices), p.Name, c.Also)
			default:
				if wave.Devices == nil {
					wave.Devices = map[string]int{}
				}
				wave.Devices[id] = n
				counted[id] = append(counted[id], i)
			}
			w.Counts = append(w.Counts, c)
		}
		st.rollout.Waves = append(st.rollout.Waves, wave)
	}

	// How many devices the pilot and each wave enroll, as the plan will
	// divide them.
	a := d.Answers
	a.Rollout = st.rollout
	al := plan.Allocate(&a, ids)
	answersIndex := map[int]int{} // view row → its index in the answers
	for k, i := range kept {
		answersIndex[i] = k
	}
	for i := range v.Waves {
		w := &v.Waves[i]
		w.PopDevices = map[string]int{}
		for _, p := range v.Populations { // what ticking it would add, in one wave
			w.PopDevices[p.ID] = max(0, p.Devices-al.Pilot[p.ID])
		}
		k, ok := answersIndex[i]
		if !ok {
			continue
		}
		for _, id := range w.Populations {
			w.PopDevices[id] = al.Waves[k][id]
			w.Devices += al.Waves[k][id]
		}
		for j := range w.Counts {
			w.Counts[j].Pilot = al.Pilot[w.Counts[j].ID]
		}
	}
	// The counts of a population may not add up to more than it has.
	for _, p := range v.Populations {
		at := counted[p.ID]
		if len(at) == 0 {
			continue
		}
		pilot, total := al.Pilot[p.ID], al.Pilot[p.ID]
		var parts []string
		if pilot > 0 {
			parts = append(parts, "the pilot's "+plan.Thousands(pilot))
		}
		for _, i := range at {
			n := st.rollout.Waves[answersIndex[i]].Devices[p.ID]
			total += n
			parts = append(parts, where[i]+"'s "+plan.Thousands(n))
		}
		last := wavePath(at[len(at)-1], countKey(p.ID))
		if total > p.Devices && st.errs.For(last) == "" {
			msg := fmt.Sprintf("%s make %s of the %s %s: lower a count so that they add up to %s at most",
				plan.JoinAnd(parts), plan.Thousands(total), plan.Thousands(p.Devices), p.Name, plan.Thousands(p.Devices))
			fail(&st.errs, last, where[at[len(at)-1]], "", "%s", strings.ToUpper(msg[:1])+msg[1:])
		}
	}

	// What no wave enrolls is named beside the waves, and worth checking
	// once there are waves.
	var none []string
	for _, p := range v.Populations {
		switch {
		case len(tickedIn[p.ID]) == 0:
			none = append(none, fmt.Sprintf("%s (%s)", p.Name, plan.Count(p.Devices, "device", "devices")))
		case al.Left[p.ID] > 0:
			none = append(none, fmt.Sprintf("%s of the %s %s", plan.Thousands(al.Left[p.ID]), plan.Thousands(p.Devices), p.Name))
		}
	}
	v.Unassigned = plan.JoinAnd(none)
	if len(kept) > 0 && len(none) > 0 {
		fail(&st.warns, "rollout.waves", "", "", "Not in any wave: %s. After the pilot, no wave enrolls %s", v.Unassigned, plan.Plural(len(none), "it", "them"))
	}

	// Whatever the engine still finds is shown too, once per field, at the
	// wave it concerns. Counts the page found wrong are left out of the
	// answers, so the engine's words about them would only repeat its own.
	countsWrong := slices.ContainsFunc(st.errs, func(e pages.FormError) bool {
		return e.Field == "rollout.pilot_devices" || strings.Contains(e.Field, "].devices.")
	})
	for _, e := range stepErrors(s.cat.Validate(&a), func(f string) bool { return strings.HasPrefix(f, "rollout.") }) {
		if countsWrong && (e.Field == "rollout.pilot_devices" || strings.Contains(e.Field, "].devices")) {
			continue
		}
		field, row, ok := rolloutFieldOnPage(e.Field, kept)
		if !ok {
			continue
		}
		e.Field, e.Where = field, "Pilot"
		if row >= 0 {
			e.Where = where[row]
		}
		if slices.ContainsFunc(st.errs, func(x pages.FormError) bool { return x.Field == e.Field }) {
			continue
		}
		e.Message = "Check this answer (" + e.Message + ")"
		st.errs = append(st.errs, e)
	}
	order := append([]string{"rollout.pilot_group", "rollout.pilot_start", "rollout.pilot_devices"},
		rowOrder("rollout.waves", len(rf.rows), []string{"name", "group", "start", "populations", "devices"})...)
	st.errs = sortErrors(st.errs, order)
	st.warns = sortErrors(st.warns, order)

	// The timeline draws the form as it stands, once something is typed:
	// only what was typed, never a name nobody gave.
	if st.rollout.PilotGroup == "" && v.PilotStart.Empty() && len(kept) == 0 {
		return st
	}
	pilot := timelineWave{Group: st.rollout.PilotGroup, Start: pilotISO, Proposed: st.rollout.PilotDevices == nil}
	for _, n := range al.Pilot {
		pilot.Devices += n
	}
	var tw []timelineWave
	for _, i := range kept {
		w := v.Waves[i]
		var covers []string
		for _, id := range w.Populations {
			covers = append(covers, pops[id].Name)
		}
		tw = append(tw, timelineWave{Name: strings.TrimSpace(w.Name), Group: strings.TrimSpace(w.Group), Start: w.StartISO, Devices: w.Devices, Covers: covers})
	}
	v.Timeline = timeline(pilot, tw)
	return st
}

// rolloutFieldOnPage is the form field of an answers path the engine
// names: rollout.waves[k] is the k-th wave kept, which is row kept[k] on the
// page (waves nobody touched are not in the answers). A count keeps its
// population (rollout.waves[k].devices.<id>); the counts of a wave as a whole
// go to its ticks. row is -1 for the pilot's fields; ok is false for a wave
// the page does not have.
func rolloutFieldOnPage(path string, kept []int) (field string, row int, ok bool) {
	m := waveField.FindStringSubmatch(path)
	if m == nil {
		return path, -1, true
	}
	k, _ := strconv.Atoi(m[1])
	if k >= len(kept) {
		return "", 0, false
	}
	rest := strings.SplitN(path[len(m[0]):], "[", 2)[0]
	if rest == "devices" {
		rest = "populations"
	}
	return wavePath(kept[k], rest), kept[k], true
}

// warningsKey fingerprints the warnings a page shows, so that Continue goes
// ahead once they have been shown.
func warningsKey(warns pages.FormErrors) string {
	if len(warns) == 0 {
		return ""
	}
	return fingerprint(warns)
}

func (s *Server) today() string { return s.now().Format(time.DateOnly) }

func (s *Server) rolloutPage(r *http.Request, d *draft, st rolloutStep, errs pages.FormErrors, n int, confirm bool) pages.RolloutView {
	v := st.view
	v.Head, v.Nav, v.Errors, v.MaxWaves = s.head(pages.WizardSteps[stepRollout-1].Title, false), s.nav(r, d, stepRollout), errs, plan.MaxWaves
	v.Warnings, v.WarnedKey, v.Confirm, v.Today = st.warns, warningsKey(st.warns), confirm, plan.LongDate(s.today())
	v.List = rowList(r, d, rolloutSpec(nil), rolloutBase(d), n) // the list needs no field names
	return v
}

// handleRolloutGet is GET /wizard/rollout.
func (s *Server) handleRolloutGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepRollout)
	if !ok || err != nil {
		return err
	}
	vals, checked := rolloutValues(d)
	rf := rolloutSpec(plan.PopulationIDs(d.Answers.Populations)).split(vals)
	st := s.parseRollout(rf, d, s.today())
	errs := st.errs
	if !checked {
		errs = nil
	}
	return s.render(w, r, http.StatusOK, pages.RolloutPage(s.rolloutPage(r, d, st, errs, len(rf.rows), false)))
}

// handleRolloutPost is POST /wizard/rollout: Continue, Add another, Remove,
// Undo, Move up and Move down. Continue with warnings not shown before
// shows them once; pressed again, it goes ahead.
func (s *Server) handleRolloutPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepRollout)
	if !ok || err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	sp := rolloutSpec(plan.PopulationIDs(d.Answers.Populations))
	rf := sp.split(r.PostForm)
	base := rolloutBase(d)
	if e := parseRowEdit(r.PostForm.Get("action"), len(rf.rows), sp.max); e.kind != "" {
		return s.applyRowEdit(w, r, d, sp, rf, e, base)
	}
	if len(rf.rows) == 0 {
		rf.rows = []url.Values{sp.blank(nil)}
	}
	st := s.parseRollout(rf, d, s.today())
	keep := &rawForm{Values: sp.values(rf), Base: base, Checked: len(st.errs) > 0}
	if len(st.errs) > 0 || (len(st.warns) > 0 && r.PostForm.Get("warnings_seen") != warningsKey(st.warns)) {
		d.setForm(sp.key, keep)
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
		return s.renderStep(w, r, st.errs, pages.RolloutPage(s.rolloutPage(r, d, st, st.errs, len(rf.rows), len(st.errs) == 0)))
	}
	d.Answers.Rollout = st.rollout
	keep.Base = rolloutBase(d)
	d.setForm(sp.key, keep)
	return s.advance(w, r, d, stepRollout)
}

// populationsChanged follows step 2's populations into step 6: a wave no
// longer covers a population that is gone. A wave left covering nothing
// leaves the answers and stays on step 6's page, which the planner must
// then pass again.
func (s *Server) populationsChanged(d *draft) {
	ids := plan.PopulationIDs(d.Answers.Populations)
	var raw *rawForm
	if f := d.Forms["rollout"]; f != nil && f.Base == rolloutBase(d) {
		raw = f
	}
	var vals url.Values
	if raw != nil {
		vals = raw.Values
	}
	emptied := false
	var waves []plan.Wave
	for _, w := range d.Answers.Rollout.Waves {
		if w.Populations != nil {
			w.Populations = slices.DeleteFunc(slices.Clone(w.Populations), func(id string) bool { return !slices.Contains(ids, id) })
			if len(w.Populations) == 0 {
				emptied = true
				continue
			}
		}
		if w.Devices != nil {
			w.Devices = maps.Clone(w.Devices)
			maps.DeleteFunc(w.Devices, func(id string, _ int) bool { return !slices.Contains(ids, id) })
		}
		waves = append(waves, w)
	}
	if raw == nil && emptied {
		vals, _ = rolloutValues(d) // before the answers change
	}
	d.Answers.Rollout.Waves = waves
	if vals == nil {
		return
	}
	for k, vs := range vals {
		if !waveField.MatchString(k) {
			continue
		}
		if strings.HasSuffix(k, ".populations") {
			vals[k] = slices.DeleteFunc(vs, func(id string) bool { return !slices.Contains(ids, id) })
		} else if _, id, ok := strings.Cut(k, "]."+countKey("")); ok && !slices.Contains(ids, id) {
			delete(vals, k)
		}
	}
	checked := raw != nil && raw.Checked
	d.setForm("rollout", &rawForm{Values: vals, Base: rolloutBase(d), Checked: checked})
	if emptied {
		d.Reached = min(d.Reached, stepRollout)
	}
}
