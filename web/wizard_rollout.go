package web

import (
	"fmt"
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

// rolloutSpec is step 6's row list: one row per wave. A wave added by
// "Add another" covers the populations no other wave covers yet.
func rolloutSpec(ids []string) rowSpec {
	return rowSpec{
		key: "rollout", step: stepRollout, prefix: "rollout.waves", re: waveField,
		fields: []string{"name", "group", "start.day", "start.month", "start.year", "populations"},
		rest:   []string{"rollout.pilot_group", "rollout.pilot_start.day", "rollout.pilot_start.month", "rollout.pilot_start.year"},
		first:  "name", noun: "Wave", max: plan.MaxWaves,
		blank: func(rows []url.Values) url.Values {
			covered := map[string]bool{}
			for _, row := range rows {
				for _, id := range row["populations"] {
					covered[id] = true
				}
			}
			w := url.Values{"name": {fmt.Sprintf("Wave %d", len(rows)+1)}}
			for _, id := range ids {
				if !covered[id] {
					w.Add("populations", id)
				}
			}
			return w
		},
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
// visit offers one wave with every population).
func rolloutValues(d *draft) (vals url.Values, checked bool) {
	if f := d.form("rollout", rolloutBase(d)); f != nil {
		return f.Values, f.Checked
	}
	ids := plan.PopulationIDs(d.Answers.Populations)
	sp := rolloutSpec(ids)
	ro := d.Answers.Rollout
	rf := rowForm{rest: url.Values{"rollout.pilot_group": {ro.PilotGroup}}}
	setDate(rf.rest, "rollout.pilot_start.", ro.PilotStart)
	for _, w := range ro.Waves {
		row := url.Values{"name": {w.Name}, "group": {w.Group}}
		setDate(row, "start.", w.Start)
		row["populations"] = slices.Clone(w.Populations)
		if w.Populations == nil {
			row["populations"] = slices.Clone(ids) // absent: every population
		}
		rf.rows = append(rf.rows, row)
	}
	if len(rf.rows) == 0 {
		rf.rows = []url.Values{sp.blank(nil)}
	}
	return sp.values(rf), false
}

// setDate writes a YYYY-MM-DD date into the three boxes, as a person would
// type it (4 1 2027).
func setDate(v url.Values, prefix, iso string) {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return
	}
	v.Set(prefix+"day", strconv.Itoa(t.Day()))
	v.Set(prefix+"month", strconv.Itoa(int(t.Month())))
	v.Set(prefix+"year", strconv.Itoa(t.Year()))
}

func dateParts(v url.Values, prefix string) pages.DateParts {
	return pages.DateParts{Day: v.Get(prefix + "day"), Month: v.Get(prefix + "month"), Year: v.Get(prefix + "year")}
}

// monthNames are the month names (and their first three letters) a
// planner may type in the month box instead of its number.
var monthNames = func() map[string]time.Month {
	names := map[string]time.Month{"sept": time.September}
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		names[name], names[name[:3]] = m, m
	}
	return names
}()

// parseDate reads a date typed in three boxes. A date left empty is no
// date; a date typed in part is an error naming the missing box, never
// dropped. part is the box the message concerns.
func parseDate(dp pages.DateParts) (iso string, part components.DatePart, msg string) {
	day, month, year := strings.TrimSpace(dp.Day), strings.TrimSpace(dp.Month), strings.TrimSpace(dp.Year)
	if day == "" && month == "" && year == "" {
		return "", "", ""
	}
	var missing []string
	for _, p := range []struct {
		v    string
		part components.DatePart
	}{{day, components.PartDay}, {month, components.PartMonth}, {year, components.PartYear}} {
		if p.v == "" {
			if part == "" {
				part = p.part
			}
			missing = append(missing, "a "+string(p.part))
		}
	}
	if len(missing) > 0 {
		return "", part, "The start date must include " + strings.Join(missing, " and ")
	}
	d, err := strconv.Atoi(day)
	if err != nil || d < 1 || d > 31 {
		return "", components.PartDay, fmt.Sprintf("The day of the start date must be a number from 1 to 31, not “%s”", day)
	}
	m, ok := monthNames[strings.TrimSuffix(strings.ToLower(month), ".")]
	if !ok {
		n, err := strconv.Atoi(month)
		if err != nil || n < 1 || n > 12 {
			return "", components.PartMonth, fmt.Sprintf("The month of the start date must be a number from 1 to 12, or its name, not “%s”", month)
		}
		m = time.Month(n)
	}
	y, err := strconv.Atoi(year)
	if err != nil || len(year) != 4 || y < 2000 {
		return "", components.PartYear, fmt.Sprintf("The year of the start date must have 4 digits, like 2027, not “%s”", year)
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		days := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return "", components.PartDay, fmt.Sprintf("The start date must be a real date: %s %d has %d days", m, y, days)
	}
	return t.Format(time.DateOnly), "", ""
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
// is the server's date, for the warnings about dates in the past.
func (s *Server) parseRollout(rf rowForm, d *draft, today string) rolloutStep {
	var st rolloutStep
	v := &st.view
	ids := plan.PopulationIDs(d.Answers.Populations)
	devices, names := map[string]int{}, map[string]string{}
	for i, p := range d.Answers.Populations {
		devices[ids[i]], names[ids[i]] = p.Devices, p.Name
		v.Populations = append(v.Populations, pages.WavePopulation{ID: ids[i], Name: p.Name, Devices: p.Devices})
	}
	fail := func(list *pages.FormErrors, field, where string, part components.DatePart, format string, args ...any) {
		e := pages.FormError{Field: field, Message: fmt.Sprintf(format, args...), Where: where}
		if part != "" && part != components.PartDay {
			e.Focus = pages.FieldID(field) + "-" + string(part)
		}
		*list = append(*list, e)
	}

	v.PilotGroup = rf.rest.Get("rollout.pilot_group")
	v.PilotStart = dateParts(rf.rest, "rollout.pilot_start.")
	st.rollout.PilotGroup = strings.TrimSpace(v.PilotGroup)
	if c := utf8.RuneCountInString(st.rollout.PilotGroup); c > plan.MaxText {
		fail(&st.errs, "rollout.pilot_group", "Pilot", "", "Keep the group's name to %d characters or fewer; it has %d", plan.MaxText, c)
	}
	pilotISO, part, msg := parseDate(v.PilotStart)
	if msg != "" {
		fail(&st.errs, "rollout.pilot_start", "Pilot", part, "%s", msg)
	}
	st.rollout.PilotStart = pilotISO
	if pilotISO != "" && pilotISO < today {
		fail(&st.warns, "rollout.pilot_start", "Pilot", "", "The start date, %s, is in the past (today is %s)", plan.LongDate(pilotISO), plan.LongDate(today))
	}

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
	prevISO, prevName := pilotISO, "the pilot"
	var kept []int // view rows that go into the answers
	inWaves := map[string][]int{}
	for i, row := range rf.rows {
		path := func(f string) string { return fmt.Sprintf("rollout.waves[%d].%s", i, f) }
		w := pages.WaveRow{Index: i, Name: row.Get("name"), Group: row.Get("group"), Start: dateParts(row, "start.")}
		for _, id := range row["populations"] {
			if _, ok := devices[id]; ok && !slices.Contains(w.Populations, id) {
				w.Populations = append(w.Populations, id)
				w.Devices += devices[id]
			}
		}
		iso, part, msg := parseDate(w.Start)
		w.StartISO = iso
		v.Waves = append(v.Waves, w)
		name, group := strings.TrimSpace(w.Name), strings.TrimSpace(w.Group)
		// A wave with nothing typed but its default name is one the
		// planner did not need.
		if group == "" && w.Start.Empty() && (name == "" || name == defaultWaveName(i)) {
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
		switch {
		case msg != "":
			fail(&st.errs, path("start"), where[i], part, "%s", msg)
		case iso != "" && prevISO != "" && iso < prevISO:
			fail(&st.errs, path("start"), where[i], "", "Starts on %s, before %s (%s): the pilot comes first and the waves follow in date order; change a date or move the wave",
				plan.LongDate(iso), prevName, plan.LongDate(prevISO))
		case iso != "" && iso < today:
			fail(&st.warns, path("start"), where[i], "", "The start date, %s, is in the past (today is %s)", plan.LongDate(iso), plan.LongDate(today))
		}
		if iso != "" {
			prevISO, prevName = iso, where[i]
		}
		if len(v.Populations) > 0 && len(w.Populations) == 0 {
			fail(&st.errs, path("populations"), where[i], "", "Tick the populations this wave enrolls")
		}
		for _, id := range w.Populations {
			inWaves[id] = append(inWaves[id], i)
		}
		st.rollout.Waves = append(st.rollout.Waves, plan.Wave{Name: name, Group: group, Start: iso, Populations: w.Populations})
	}

	// Worth checking: populations in no wave, or in several.
	if len(kept) > 0 {
		var none []string
		for _, p := range v.Populations {
			switch at := inWaves[p.ID]; {
			case len(at) == 0:
				none = append(none, p.Name)
			case len(at) > 1:
				var in []string
				for _, i := range at {
					in = append(in, where[i])
				}
				fail(&st.warns, fmt.Sprintf("rollout.waves[%d].populations", at[1]), "", "", "%s is in %s: its devices count in each", p.Name, plan.JoinAnd(in))
			}
		}
		if len(none) > 0 {
			verb := "is"
			if len(none) > 1 {
				verb = "are"
			}
			fail(&st.warns, fmt.Sprintf("rollout.waves[%d].populations", kept[0]), "", "", "%s %s in no wave: tick %s on a wave, or %s will not be enrolled after the pilot",
				plan.JoinAnd(none), verb, map[bool]string{true: "them", false: "it"}[len(none) > 1], map[bool]string{true: "they", false: "it"}[len(none) > 1])
		}
	}

	// Whatever the engine still finds is shown too, once per field, at the
	// wave it concerns.
	a := d.Answers
	a.Rollout = st.rollout
	for _, e := range stepErrors(s.cat.Validate(&a), func(f string) bool { return strings.HasPrefix(f, "rollout.") }) {
		if m := waveField.FindStringSubmatch(e.Field); m != nil {
			k, _ := strconv.Atoi(m[1])
			if k >= len(kept) {
				continue
			}
			i := kept[k]
			e.Field = fmt.Sprintf("rollout.waves[%d].%s", i, strings.SplitN(e.Field[len(m[0]):], "[", 2)[0])
			e.Where = where[i]
		} else {
			e.Where = "Pilot"
		}
		if slices.ContainsFunc(st.errs, func(x pages.FormError) bool { return x.Field == e.Field }) {
			continue
		}
		e.Message = "Check this answer (" + e.Message + ")"
		st.errs = append(st.errs, e)
	}
	order := append([]string{"rollout.pilot_group", "rollout.pilot_start"}, rowOrder("rollout.waves", len(rf.rows), []string{"name", "group", "start", "populations"})...)
	st.errs = sortErrors(st.errs, order)
	st.warns = sortErrors(st.warns, order)

	// The timeline shows the waves on the page, as they stand.
	pilot := st.rollout.PilotGroup
	if pilot == "" {
		pilot = s.cat.Rollout.DefaultPilotGroup
	}
	var tw []timelineWave
	for _, w := range v.Waves {
		var covers []string
		for _, id := range w.Populations {
			covers = append(covers, names[id])
		}
		tw = append(tw, timelineWave{Name: strings.TrimSpace(w.Name), Group: strings.TrimSpace(w.Group), Start: w.StartISO, Devices: w.Devices, Covers: covers})
	}
	v.Timeline = timeline(pilot, pilotISO, tw)
	return st
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
	v.Head, v.Nav, v.Errors, v.MaxWaves = s.head(pages.WizardSteps[5].Title, false), s.nav(r, d, stepRollout), errs, plan.MaxWaves
	v.Warnings, v.WarnedKey, v.Confirm, v.Today = st.warns, warningsKey(st.warns), confirm, plan.LongDate(s.today())
	v.List = rowList(r, d, rolloutSpec(nil), rolloutBase(d), n)
	return v
}

// handleRolloutGet is GET /wizard/rollout.
func (s *Server) handleRolloutGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepRollout)
	if !ok || err != nil {
		return err
	}
	vals, checked := rolloutValues(d)
	rf := rolloutSpec(nil).split(vals)
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
		if waveField.MatchString(k) && strings.HasSuffix(k, ".populations") {
			vals[k] = slices.DeleteFunc(vs, func(id string) bool { return !slices.Contains(ids, id) })
		}
	}
	checked := raw != nil && raw.Checked
	d.setForm("rollout", &rawForm{Values: vals, Base: rolloutBase(d), Checked: checked})
	if emptied {
		d.Reached = min(d.Reached, stepRollout)
	}
}
