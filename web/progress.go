package web

// Progress: the shared plan as the team's tracker (CONTRACT §8.3). The
// store keeps each task's status and the devices enrolled per wave and
// population; this file is the JSON API over it and the reading of a plan
// that the API, the tracker page, the share page and the calendar share.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// Task statuses a team records (CONTRACT §8.3), in the order the tracker
// offers them.
const (
	statusTodo    = "todo"
	statusDoing   = "doing"
	statusDone    = "done"
	statusBlocked = "blocked"
	statusSkipped = "skipped"
)

var taskStatuses = []string{statusTodo, statusDoing, statusDone, statusBlocked, statusSkipped}

// closedStatus reports whether a task needs nothing more: done, or skipped
// on purpose. Only open tasks are ever "past their date".
func closedStatus(s string) bool { return s == statusDone || s == statusSkipped }

// ---- The plan as progress reads it ----

// planView is what progress reads of a plan: the contract's names (§3,
// §8.2) decoded from the plan's JSON. Reading the JSON rather than the Go
// model keeps this layer to what the contract promises, and a snapshot
// saved before a field existed (schedule[], tasks[].due, marks) simply
// reads with it empty.
type planView struct {
	Organization string `json:"organization"`
	Populations  []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Devices int    `json:"devices"`
	} `json:"populations"`
	Rollout struct {
		PilotGroup string `json:"pilot_group"`
		PilotStart string `json:"pilot_start"`
		Waves      []struct {
			ID          string   `json:"id"`
			Name        string   `json:"name"`
			Group       string   `json:"group"`
			Start       string   `json:"start"`
			Populations []string `json:"populations"`
		} `json:"waves"`
		Marks []struct {
			ID    string `json:"id"`
			Date  string `json:"date"`
			Title string `json:"title"`
		} `json:"marks"`
	} `json:"rollout"`
	Tasks []struct {
		ID          string   `json:"id"`
		Title       string   `json:"title"`
		Phase       string   `json:"phase"`
		Population  string   `json:"population"`
		Populations []string `json:"populations"`
		Done        bool     `json:"done"`
		Wave        string   `json:"wave"`
		WaveID      string   `json:"wave_id"`
		Start       string   `json:"start"`
		Due         string   `json:"due"`
		Devices     int      `json:"devices"`
		Owner       string   `json:"owner"`
	} `json:"tasks"`
	Schedule []struct {
		Wave       string   `json:"wave"`
		WaveID     string   `json:"wave_id"`
		Start      string   `json:"start"`
		Population string   `json:"population"`
		Devices    int      `json:"devices"`
		Tasks      []string `json:"tasks"`
	} `json:"schedule"`
	Summary struct {
		FirstActions []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
			Due   string `json:"due"`
		} `json:"first_actions"`
	} `json:"summary"`
}

// tracker is one revision's plan arranged for tracking: every task once,
// in sections by wave (set-up first, then the pilot and the waves in
// schedule order) and, inside a wave, by population, with the devices
// each wave is planned to enroll of each population.
type tracker struct {
	Organization string
	PilotGroup   string
	Waves        []*trackWave // Waves[0] is set-up (ID ""), then the pilot and the waves
	Tasks        map[string]*trackTask
	IDs          []string          // the keys of Tasks in byte order, as the API lists them
	Populations  []trackPopulation // in the plan's order
	Actions      []trackAction     // first actions with a due date
	Marks        []trackAction     // dated marks of the timeline (expiries)
}

// trackWave is set-up, the pilot or one wave.
type trackWave struct {
	ID       string // "" for set-up, plan.PilotWaveID for the pilot
	Name     string
	Group    string // the wave's group in Entra ID, "" when none is named
	Start    string
	Sections []*trackSection // the tasks of the whole wave first, then each population's
}

// trackSection is the tasks of one population in one wave (Population ""
// for the tasks of the whole wave, or of the whole tenant in set-up).
type trackSection struct {
	Population string
	Planned    int // devices the wave is planned to enroll (0 when unknown)
	Counted    bool
	Tasks      []*trackTask
}

// trackTask is one task of the plan.
type trackTask struct {
	ID, Title  string
	Wave       string // wave id; "" for set-up
	Population string // "" when the task concerns several
	// Date is the task's due date, else its wave's start ("" when neither
	// is known): past it, an open task is overdue.
	Date     string
	PlanDone bool // the plan itself says it is done (a prerequisite answered done)
	Owner    string
}

// trackPopulation is a population and its devices.
type trackPopulation struct {
	ID, Name string
	Devices  int
}

// trackAction is a dated item of the calendar: a first action's due date
// or a mark of the timeline.
type trackAction struct {
	ID, Title, Date string
}

// wave returns a wave by id, or nil.
func (t *tracker) wave(id string) *trackWave {
	for _, w := range t.Waves {
		if w.ID == id {
			return w
		}
	}
	return nil
}

// section returns the counted section of a population in a wave, or nil.
func (t *tracker) section(wave, pop string) *trackSection {
	w := t.wave(wave)
	if w == nil || wave == "" {
		return nil
	}
	for _, s := range w.Sections {
		if s.Population == pop && s.Counted {
			return s
		}
	}
	return nil
}

// populationName names a population ("" for one the plan does not have).
func (t *tracker) populationName(id string) string {
	for _, p := range t.Populations {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}

// newTracker arranges a plan's JSON for tracking.
func newTracker(planJSON []byte) (*tracker, error) {
	var v planView
	if err := json.Unmarshal(planJSON, &v); err != nil {
		return nil, fmt.Errorf("read plan for progress: %w", err)
	}
	t := &tracker{Organization: v.Organization, PilotGroup: v.Rollout.PilotGroup, Tasks: map[string]*trackTask{}}
	popIndex := map[string]int{}
	for i, p := range v.Populations {
		t.Populations = append(t.Populations, trackPopulation{ID: p.ID, Name: p.Name, Devices: p.Devices})
		popIndex[p.ID] = i
	}

	// The waves: set-up, the pilot, then the plan's waves.
	setup := &trackWave{Name: "Set-up"}
	pilot := &trackWave{ID: plan.PilotWaveID, Name: "Pilot", Start: v.Rollout.PilotStart}
	waves := []*trackWave{pilot}
	names := make([]string, len(v.Rollout.Waves))
	for i, w := range v.Rollout.Waves {
		names[i] = w.Name
	}
	ids := plan.WaveIDs(names) // as the engine names them, for plans whose JSON does not carry them
	byName := map[string]*trackWave{"Pilot": pilot}
	for i, w := range v.Rollout.Waves {
		id := w.ID
		if id == "" {
			id = ids[i]
		}
		tw := &trackWave{ID: id, Name: w.Name, Group: w.Group, Start: w.Start}
		waves = append(waves, tw)
		if _, ok := byName[w.Name]; !ok {
			byName[w.Name] = tw
		}
	}
	byID := func(id string) *trackWave {
		for _, w := range waves {
			if w.ID == id {
				return w
			}
		}
		return nil
	}

	// Where each task belongs: the schedule says it for device work; a
	// task outside it by its wave id, its phase or its wave's name.
	type place struct {
		wave *trackWave
		pop  string
	}
	placed := map[string]place{}
	sections := map[*trackWave]map[string]*trackSection{}
	sectionOf := func(w *trackWave, pop string) *trackSection {
		if sections[w] == nil {
			sections[w] = map[string]*trackSection{}
		}
		s := sections[w][pop]
		if s == nil {
			s = &trackSection{Population: pop}
			sections[w][pop] = s
		}
		return s
	}
	order := []*trackWave{} // waves in schedule order
	for _, e := range v.Schedule {
		w := byID(e.WaveID)
		if w == nil {
			w = byName[e.Wave]
		}
		if w == nil {
			continue
		}
		if !slices.Contains(order, w) {
			order = append(order, w)
		}
		s := sectionOf(w, e.Population)
		s.Counted, s.Planned = true, s.Planned+e.Devices
		for _, id := range e.Tasks {
			if p, ok := placed[id]; ok && p.wave == w && p.pop != e.Population {
				placed[id] = place{w, ""} // listed for several populations: the whole wave's
			} else if !ok {
				placed[id] = place{w, e.Population}
			}
		}
	}
	if len(v.Schedule) == 0 {
		// A plan from before schedule[]: the waves' populations are counted,
		// planned counts unknown; the pilot's are those it has tasks for.
		for i, w := range v.Rollout.Waves {
			for _, pop := range w.Populations {
				s := sectionOf(waves[i+1], pop)
				s.Counted = true
			}
		}
		for _, tk := range v.Tasks {
			if tk.Phase == plan.PhasePilot && tk.Population != "" {
				sectionOf(pilot, tk.Population).Counted = true
			}
		}
	}
	for _, w := range waves {
		if !slices.Contains(order, w) {
			order = append(order, w)
		}
	}

	for _, tk := range v.Tasks {
		if _, dup := t.Tasks[tk.ID]; dup || tk.ID == "" {
			continue // one entry per id: progress is keyed on it
		}
		p, ok := placed[tk.ID]
		if !ok {
			p.pop = tk.Population
			switch {
			case tk.WaveID != "":
				p.wave = byID(tk.WaveID)
			case tk.Phase == plan.PhasePilot:
				p.wave = pilot
			case tk.Wave != "":
				p.wave = byName[tk.Wave]
			}
			if p.wave == nil {
				p.wave = setup
			}
		}
		tt := &trackTask{ID: tk.ID, Title: tk.Title, Wave: p.wave.ID, Population: p.pop, PlanDone: tk.Done, Owner: tk.Owner, Date: tk.Due}
		if tt.Date == "" {
			tt.Date = tk.Start
		}
		if tt.Date == "" && p.wave != setup {
			tt.Date = p.wave.Start
		}
		t.Tasks[tk.ID] = tt
		s := sectionOf(p.wave, p.pop)
		s.Tasks = append(s.Tasks, tt)
	}

	// Sections in order: the whole wave's first, then the populations in
	// the plan's order (one the plan does not know, last).
	for _, w := range append([]*trackWave{setup}, order...) {
		for _, s := range sections[w] {
			w.Sections = append(w.Sections, s)
		}
		rank := func(s *trackSection) int {
			if s.Population == "" {
				return -1
			}
			if i, ok := popIndex[s.Population]; ok {
				return i
			}
			return len(popIndex)
		}
		slices.SortStableFunc(w.Sections, func(a, b *trackSection) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a.Population, b.Population)
		})
		if len(w.Sections) > 0 || w.ID != "" {
			t.Waves = append(t.Waves, w)
		}
	}
	if t.wave("") == nil {
		t.Waves = append([]*trackWave{setup}, t.Waves...)
	}
	for _, fa := range v.Summary.FirstActions {
		if fa.Due != "" {
			t.Actions = append(t.Actions, trackAction{ID: fa.ID, Title: fa.Title, Date: fa.Due})
		}
	}
	for _, m := range v.Rollout.Marks {
		if m.Date != "" {
			t.Marks = append(t.Marks, trackAction{ID: m.ID, Title: m.Title, Date: m.Date})
		}
	}
	t.IDs = slices.Sorted(maps.Keys(t.Tasks))
	return t, nil
}

// size estimates the memory a tracker holds, as the cache counts it.
func (t *tracker) size() int64 {
	n := int64(256 + len(t.Organization) + len(t.PilotGroup) + 16*len(t.IDs))
	for _, tk := range t.Tasks {
		n += int64(160 + 2*len(tk.ID) + len(tk.Title) + len(tk.Wave) + len(tk.Population) + len(tk.Date) + len(tk.Owner))
	}
	for _, w := range t.Waves {
		n += int64(96 + len(w.ID) + len(w.Name) + len(w.Group) + len(w.Start) + 64*len(w.Sections))
	}
	for _, p := range t.Populations {
		n += int64(64 + len(p.ID) + len(p.Name))
	}
	for _, a := range append(slices.Clip(t.Actions), t.Marks...) {
		n += int64(64 + len(a.ID) + len(a.Title) + len(a.Date))
	}
	return n
}

// revisionTracker is the tracker of one saved revision, through the cache
// (a revision never changes; its plan is read once per ruleset).
func (s *Server) revisionTracker(ctx context.Context, id string, rev int) (*tracker, error) {
	v, err := s.cache.do(ctx, cacheKey{id: id, rev: rev, ruleset: s.cat.Ruleset, kind: "tracker"}, nil, func(ctx context.Context) (any, int64, error) {
		sp, err := s.store.GetRevision(ctx, id, rev)
		if err != nil {
			return nil, 0, err
		}
		if sp.Plan != nil {
			// The tracker reads the snapshot's JSON itself: decoding it
			// into a plan.Plan first, as revisionPlan does, would be
			// half the work for nothing.
			if compact, err := snapshotJSON(sp.Plan); err == nil {
				if t, err := newTracker(compact); err == nil {
					return t, t.size(), nil
				}
			}
			// A snapshot that does not read: revisionPlan logs it and
			// rebuilds the plan.
		}
		p, compact, _, err := s.revisionPlan(ctx, sp)
		if err != nil {
			return nil, 0, err
		}
		if compact == nil {
			var buf bytes.Buffer
			if err := plan.WriteCompactJSON(&buf, p); err != nil {
				return nil, 0, err
			}
			compact = buf.Bytes()
		}
		t, err := newTracker(compact)
		if err != nil {
			return nil, 0, err
		}
		return t, t.size(), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*tracker), nil
}

// ---- Progress against one revision ----

// progressState is the recorded progress seen through one revision's
// plan: only the tasks it has and the counts of its waves' populations.
type progressState struct {
	t *tracker
	p store.Progress
}

// filtered returns the progress restricted to the plan's tasks and counted
// (wave, population) pairs.
func (ps progressState) filtered() store.Progress {
	out := ps.p
	out.Tasks = map[string]store.TaskProgress{}
	for id, tp := range ps.p.Tasks {
		if _, ok := ps.t.Tasks[id]; ok {
			out.Tasks[id] = tp
		}
	}
	out.Enrolled = map[string]map[string]store.EnrolledCount{}
	for wave, pops := range ps.p.Enrolled {
		for pop, c := range pops {
			if ps.t.section(wave, pop) == nil {
				continue
			}
			if out.Enrolled[wave] == nil {
				out.Enrolled[wave] = map[string]store.EnrolledCount{}
			}
			out.Enrolled[wave][pop] = c
		}
	}
	return out
}

// status is a task's status: the recorded one, else done when the plan
// says so, else todo.
func (ps progressState) status(tk *trackTask) string {
	if tp, ok := ps.p.Tasks[tk.ID]; ok && tp.Status != "" {
		return tp.Status
	}
	if tk.PlanDone {
		return statusDone
	}
	return statusTodo
}

// enrolled is the count recorded for a population in a wave.
func (ps progressState) enrolled(wave, pop string) int {
	return ps.p.Enrolled[wave][pop].Count
}

// progressJSON is the API's progress (CONTRACT §8.3).
type progressJSON struct {
	PlanRevision int                         `json:"plan_revision"`
	Version      int64                       `json:"version"`
	Tasks        map[string]taskProgressJSON `json:"tasks"`
	Enrolled     map[string]map[string]int   `json:"enrolled"`
}

type taskProgressJSON struct {
	Status  string `json:"status"`
	Note    string `json:"note"`
	Updated string `json:"updated"`
	By      string `json:"by"`
}

// apiTime is how the API writes an instant: RFC 3339 in UTC, to the second.
func apiTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// progressDoc turns (filtered) progress into its JSON shape.
func progressDoc(p store.Progress) progressJSON {
	out := progressJSON{PlanRevision: p.PlanRevision, Version: p.Version, Tasks: map[string]taskProgressJSON{}, Enrolled: map[string]map[string]int{}}
	for id, tp := range p.Tasks {
		out.Tasks[id] = taskProgressJSON{Status: tp.Status, Note: tp.Note, Updated: apiTime(tp.Updated), By: tp.By}
	}
	for wave, pops := range p.Enrolled {
		out.Enrolled[wave] = map[string]int{}
		for pop, c := range pops {
			out.Enrolled[wave][pop] = c.Count
		}
	}
	return out
}

// progressETag is the validator of progress: "p<version>" (CONTRACT §8.3).
func progressETag(version int64) string { return `"p` + strconv.FormatInt(version, 10) + `"` }

// latestProgress reads a plan's latest revision's tracker and its progress.
// The store is asked first whether the plan may be shown (404, 410).
func (s *Server) latestProgress(r *http.Request, id string) (store.PlanInfo, progressState, error) {
	info, err := s.planInfo(r, id)
	if err != nil {
		return store.PlanInfo{}, progressState{}, err
	}
	t, err := s.revisionTracker(r.Context(), id, info.Revision)
	if err != nil {
		return store.PlanInfo{}, progressState{}, err
	}
	p, err := s.store.GetProgress(r.Context(), id)
	if err != nil {
		return store.PlanInfo{}, progressState{}, err
	}
	return info, progressState{t: t, p: p}, nil
}

// writeProgress answers progress, as seen through its revision, as JSON
// with its ETag; 304 when the client holds that version.
func writeProgress(w http.ResponseWriter, r *http.Request, ps progressState) {
	body := appendProgressJSON(make([]byte, 0, progressJSONSize(ps.p)), ps)
	rep := &representation{body: body, contentType: "application/json; charset=utf-8", etag: "p" + strconv.FormatInt(ps.p.Version, 10), fixedETag: true}
	capabilityHeaders(w)
	rep.write(w, r, http.StatusOK)
}

// handleGetProgress is GET /api/v1/plans/{id}/progress: anyone with the
// share link reads it.
func (s *Server) handleGetProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	_, ps, err := s.latestProgress(r, id)
	if err != nil {
		return err
	}
	writeProgress(w, r, ps)
	return nil
}

// progressIfMatch parses If-Match: "p<version>"; 428 when absent.
func progressIfMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		return 0, statusError(http.StatusPreconditionRequired, `Send If-Match: "p<version>" with the progress version you read (its ETag), so a newer change is never overwritten.`)
	}
	n, ok := parseProgressVersion(strings.Trim(strings.TrimPrefix(v, "W/"), `"`))
	if !ok {
		return 0, statusError(http.StatusPreconditionFailed, `If-Match must be a progress version such as "p3", as the progress's ETag says.`)
	}
	return n, nil
}

// parseProgressVersion reads "p3". A bare "3" is refused: it is the
// plan's revision (its ETag), not the progress's version.
func parseProgressVersion(s string) (int64, bool) {
	digits, ok := strings.CutPrefix(s, "p")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil && n >= 0
}

// handlePatchProgress is PATCH /api/v1/plans/{id}/progress: records what
// changes, with the edit key and If-Match "p<version>".
func (s *Server) handlePatchProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	// The plan's info is all a patch needs of it (its latest revision and
	// edit key hash): its answers and snapshot are not read.
	sp, err := s.planInfo(r, id)
	if err != nil {
		return err
	}
	if err := s.authorize(r, store.Plan{ID: sp.ID, EditKeyHash: sp.EditKeyHash}); err != nil {
		return err
	}
	expected, err := progressIfMatch(r)
	if err != nil {
		return err
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return statusError(http.StatusUnsupportedMediaType, "Send the progress as JSON with Content-Type: application/json.")
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return readBodyError(err)
	}
	in, err := decodeProgressPatch(data)
	if err != nil {
		return err
	}
	t, err := s.revisionTracker(r.Context(), sp.ID, sp.Revision)
	if err != nil {
		return err
	}
	cur, err := s.store.GetProgress(r.Context(), sp.ID)
	if err != nil {
		return err
	}
	patch, err := in.toPatch(t, cur)
	if err != nil {
		return err
	}
	patch.PlanID, patch.ExpectedVersion, patch.PlanRevision, patch.At = sp.ID, expected, sp.Revision, s.now()
	saved, err := s.store.PatchProgress(ctxWithoutCancel(r.Context()), patch)
	if errors.Is(err, store.ErrConflict) {
		return statusError(http.StatusPreconditionFailed, "Someone recorded progress on the same task or count since you read it. Read the progress again, and apply your change on top if it still holds.")
	}
	if err != nil {
		return err
	}
	writeProgress(w, r, progressState{t: t, p: saved})
	return nil
}

// progressPatchIn is a PATCH body: only what changes. A task's field left
// out keeps its recorded value.
type progressPatchIn struct {
	Tasks    []taskPatchIn // in the body's order
	Enrolled []enrolledIn
	By       string // who records the patch, for the counts and tasks without their own
}

type taskPatchIn struct {
	ID               string
	Status, Note, By *string
}

type enrolledIn struct {
	Wave, Population string
	Count            int
}

// fieldErrors collects 422 field errors.
type fieldErrors []plan.FieldError

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, plan.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	if len(fe) > 100 {
		fe = append(fe[:100:100], plan.FieldError{Message: fmt.Sprintf("…and %d more; fix the ones above first", len(fe)-100)})
	}
	return &plan.ValidationError{Errors: fe}
}

// decodeProgressPatch reads a PATCH body strictly: every unknown field,
// wrong type or malformed value is a 422 naming its field. The body has
// the shape of the progress it patches (plan_revision and version are
// accepted and ignored: If-Match says which version was read), plus an
// optional "by" for the whole patch.
func decodeProgressPatch(data []byte) (progressPatchIn, error) {
	var in progressPatchIn
	var errs fieldErrors
	var top map[string]json.RawMessage
	if err := strictObject(data, &top); err != nil {
		errs.add("", "The body is not a JSON object: %v.", err)
		return in, errs.err()
	}
	for key, raw := range top {
		switch key {
		case "plan_revision", "version":
			var n int64
			if json.Unmarshal(raw, &n) != nil {
				errs.add(key, "must be a whole number, when sent at all")
			}
		case "by":
			if json.Unmarshal(raw, &in.By) != nil {
				errs.add("by", "must be text: the name of whoever records this")
			}
		case "tasks":
			in.Tasks = decodeTaskPatches(raw, &errs)
		case "enrolled":
			in.Enrolled = decodeEnrolled(raw, &errs)
		default:
			errs.add(key, "is not a field of progress; send tasks, enrolled and by")
		}
	}
	if n := len(in.Tasks) + len(in.Enrolled); n > store.MaxProgressPatch {
		errs.add("tasks", "A patch records at most %d tasks and counts together; this one has %d. Send it in parts.", store.MaxProgressPatch, n)
	}
	return in, errs.err()
}

// strictObject decodes a JSON object into raw members, refusing trailing
// data and, on the way, duplicate keys.
func strictObject(data []byte, out *map[string]json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(out); err != nil {
		return err
	}
	if *out == nil {
		return errors.New("null")
	}
	if dec.More() {
		return errors.New("more than one value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	return nil
}

// orderedKeys lists an object's keys in the order they appear.
func orderedKeys(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not an object")
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

func decodeTaskPatches(raw json.RawMessage, errs *fieldErrors) []taskPatchIn {
	var m map[string]json.RawMessage
	keys, err := orderedKeys(raw)
	if err != nil || json.Unmarshal(raw, &m) != nil {
		errs.add("tasks", "must be an object of task ids, each with its status, note and by")
		return nil
	}
	var out []taskPatchIn
	seen := map[string]bool{}
	for _, id := range keys {
		if seen[id] {
			errs.add("tasks."+id, "appears twice")
			continue
		}
		seen[id] = true
		path := "tasks." + id
		var fields map[string]json.RawMessage
		if json.Unmarshal(m[id], &fields) != nil || fields == nil {
			errs.add(path, "must be an object with status, note and by")
			continue
		}
		tp := taskPatchIn{ID: id}
		for k, v := range fields {
			var s string
			switch k {
			case "status", "note", "by":
				if json.Unmarshal(v, &s) != nil {
					errs.add(path+"."+k, "must be text")
					continue
				}
				switch k {
				case "status":
					tp.Status = &s
				case "note":
					tp.Note = &s
				case "by":
					tp.By = &s
				}
			case "updated":
				// read back from a GET: the store sets it
			default:
				errs.add(path+"."+k, "is not a field of a task's progress; send status, note and by")
			}
		}
		out = append(out, tp)
	}
	return out
}

func decodeEnrolled(raw json.RawMessage, errs *fieldErrors) []enrolledIn {
	var waves map[string]json.RawMessage
	waveKeys, err := orderedKeys(raw)
	if err != nil || json.Unmarshal(raw, &waves) != nil {
		errs.add("enrolled", "must be an object of wave ids, each an object of population ids and counts")
		return nil
	}
	var out []enrolledIn
	for _, wave := range waveKeys {
		var pops map[string]json.RawMessage
		popKeys, err := orderedKeys(waves[wave])
		if err != nil || json.Unmarshal(waves[wave], &pops) != nil {
			errs.add("enrolled."+wave, "must be an object of population ids and counts")
			continue
		}
		for _, pop := range popKeys {
			path := "enrolled." + wave + "." + pop
			var f float64
			if json.Unmarshal(pops[pop], &f) != nil || f != float64(int64(f)) {
				errs.add(path, "must be a whole number of devices")
				continue
			}
			if f < 0 {
				errs.add(path, "cannot be negative: it counts the devices enrolled so far")
				continue
			}
			if f > store.MaxEnrolledCount {
				errs.add(path, "is larger than any fleet: at most %s", plan.Thousands(store.MaxEnrolledCount))
				continue
			}
			out = append(out, enrolledIn{Wave: wave, Population: pop, Count: int(f)})
		}
	}
	return out
}

// checkText validates free text a team types: its length in characters
// and no control characters (a note may have line breaks and tabs).
func checkText(errs *fieldErrors, path, s string, max int, multiline bool) {
	if !utf8.ValidString(s) {
		errs.add(path, "is not valid UTF-8 text")
		return
	}
	if n := utf8.RuneCountInString(s); n > max {
		errs.add(path, "is %d characters long; at most %d fit", n, max)
	}
	for _, r := range s {
		if r < 0x20 && !(multiline && (r == '\n' || r == '\t' || r == '\r')) || r == 0x7f {
			errs.add(path, "contains a control character")
			return
		}
	}
}

// toPatch validates the patch against the revision's plan (task ids it
// has, waves and their populations) and merges what each task leaves out
// with what is recorded, so that the store records whole entries.
func (in progressPatchIn) toPatch(t *tracker, cur store.Progress) (store.ProgressPatch, error) {
	var errs fieldErrors
	checkText(&errs, "by", in.By, store.MaxProgressBy, false)
	patch := store.ProgressPatch{By: strings.TrimSpace(in.By), Tasks: map[string]store.TaskProgress{}, Enrolled: map[string]map[string]int{}}
	for _, tp := range in.Tasks {
		path := "tasks." + tp.ID
		tk, ok := t.Tasks[tp.ID]
		if !ok {
			errs.add(path, "The plan's latest revision has no task %q. Read the plan again for its task ids.", tp.ID)
			continue
		}
		entry, recorded := cur.Tasks[tp.ID]
		if !recorded || entry.Status == "" {
			entry.Status = progressState{t: t, p: cur}.status(tk)
		}
		if tp.Status != nil {
			entry.Status = strings.TrimSpace(*tp.Status)
			if !slices.Contains(taskStatuses, entry.Status) {
				errs.add(path+".status", "%q is not a status; use one of %s", *tp.Status, strings.Join(taskStatuses, ", "))
			}
		}
		if tp.Note != nil {
			entry.Note = strings.TrimSpace(*tp.Note)
			checkText(&errs, path+".note", entry.Note, store.MaxProgressNote, true)
		}
		entry.By = ""
		if tp.By != nil {
			entry.By = strings.TrimSpace(*tp.By)
			checkText(&errs, path+".by", entry.By, store.MaxProgressBy, false)
		}
		patch.Tasks[tp.ID] = store.TaskProgress{Status: entry.Status, Note: entry.Note, By: entry.By}
	}
	for _, e := range in.Enrolled {
		path := "enrolled." + e.Wave + "." + e.Population
		switch {
		case t.wave(e.Wave) == nil || e.Wave == "":
			errs.add("enrolled."+e.Wave, "The plan has no wave %q; its waves are %s.", e.Wave, strings.Join(t.waveIDs(), ", "))
		case t.section(e.Wave, e.Population) == nil:
			errs.add(path, "Wave %q enrolls no devices of population %q in the plan's latest revision.", e.Wave, e.Population)
		default:
			if patch.Enrolled[e.Wave] == nil {
				patch.Enrolled[e.Wave] = map[string]int{}
			}
			patch.Enrolled[e.Wave][e.Population] = e.Count
		}
	}
	return patch, errs.err()
}

// waveIDs lists the ids of the pilot and the waves.
func (t *tracker) waveIDs() []string {
	var ids []string
	for _, w := range t.Waves {
		if w.ID != "" {
			ids = append(ids, w.ID)
		}
	}
	return ids
}

// progressChangeJSON is one row of the history (CONTRACT §8.3).
type progressChangeJSON struct {
	At       string           `json:"at"`
	By       string           `json:"by"`
	Task     string           `json:"task,omitempty"`
	Enrolled *enrolledRefJSON `json:"enrolled,omitempty"`
	From     string           `json:"from"`
	To       string           `json:"to"`
	Note     *string          `json:"note,omitempty"`
}

// enrolledRefJSON names the count a history row changed.
type enrolledRefJSON struct {
	Wave       string `json:"wave"`
	Population string `json:"population"`
}

// handleProgressHistory is GET /api/v1/plans/{id}/progress/history: who
// changed what and when, newest first, as many as the store keeps.
func (s *Server) handleProgressHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	if _, err := s.planInfo(r, id); err != nil {
		return err
	}
	changes, err := s.store.ProgressHistory(r.Context(), id, store.MaxProgressHistory)
	if err != nil {
		return err
	}
	out := make([]progressChangeJSON, 0, len(changes))
	for _, c := range changes {
		row := progressChangeJSON{At: apiTime(c.At), By: c.By, From: c.From, To: c.To}
		if c.Task != "" {
			note := c.Note
			row.Task, row.Note = c.Task, &note
		} else {
			row.Enrolled = &enrolledRefJSON{Wave: c.Wave, Population: c.Population}
		}
		out = append(out, row)
	}
	capabilityHeaders(w)
	writeJSON(w, http.StatusOK, map[string]any{"changes": out})
	return nil
}
