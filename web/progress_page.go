package web

// The tracker page (/p/{id}/progress), its key and the progress the share
// page and the formats show (CONTRACT §8.3). The tracker works without
// JavaScript: each wave's population is one form that posts and comes
// back (Post/Redirect/Get); static/js/progress.js saves each change in
// place through the JSON API when the browser holds the edit key.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// ---- Who may record progress: the edit key, then a cookie ----

// trackerLifetime is how long a browser that showed the edit key keeps the
// tracker open; maxTrackerGrants bounds how many plans one cookie opens.
const (
	trackerLifetime  = 30 * 24 * time.Hour
	maxTrackerGrants = 20
)

// trackerCookieName is the cookie that remembers which plans' trackers
// this browser opened with their edit key: signed and encrypted like the
// wizard's, kept apart from it so that neither overwrites the other.
func (s *Server) trackerCookieName(r *http.Request) string {
	if s.secure(r) {
		return "__Host-enrollplan-tracker"
	}
	return "enrollplan-tracker"
}

// grantTag binds a grant to the plan's edit key without holding the key:
// a hash of its stored hash.
func grantTag(editKeyHash []byte) string {
	h := sha256.Sum256(append([]byte("enrollplan tracker grant:"), editKeyHash...))
	return hex.EncodeToString(h[:12])
}

// trackerGrants reads the cookie's grants, "id:tag" each, newest last.
func (s *Server) trackerGrants(r *http.Request) []string {
	sess, err := s.cookies.Get(r, s.trackerCookieName(r))
	if err != nil {
		return nil // tampered, expired or signed with a retired key
	}
	v, _ := sess.Values["plans"].(string)
	return strings.Fields(v)
}

// hasTrackerGrant reports whether this browser opened the plan's tracker
// with its edit key.
func (s *Server) hasTrackerGrant(r *http.Request, info store.PlanInfo) bool {
	return slices.Contains(s.trackerGrants(r), info.ID+":"+grantTag(info.EditKeyHash))
}

// grantTracker remembers in the cookie that this browser showed the plan's
// edit key; the oldest grants go past maxTrackerGrants.
func (s *Server) grantTracker(w http.ResponseWriter, r *http.Request, info store.PlanInfo) error {
	grant := info.ID + ":" + grantTag(info.EditKeyHash)
	grants := slices.DeleteFunc(s.trackerGrants(r), func(g string) bool { return g == grant })
	grants = append(grants, grant)
	if len(grants) > maxTrackerGrants {
		grants = grants[len(grants)-maxTrackerGrants:]
	}
	sess, _ := s.cookies.Get(r, s.trackerCookieName(r)) // on error Get still returns a new session
	values := map[any]any{"plans": strings.Join(grants, " ")}
	if b, ok := sess.Values["browser"].(string); ok {
		values["browser"] = b
	}
	sess.Values = values
	sess.Options = s.trackerCookieOptions(r)
	return sess.Save(r, w)
}

func (s *Server) trackerCookieOptions(r *http.Request) *sessions.Options {
	return &sessions.Options{Path: "/", MaxAge: int(trackerLifetime / time.Second), HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode}
}

// trackerBrowser is this browser's id in the tracker cookie: random, made
// when first needed (create), and kept with the grants. A sign-in started
// from the tracker is bound to it, so that only the browser that started
// it can finish it. "" when there is none and create is not set.
func (s *Server) trackerBrowser(w http.ResponseWriter, r *http.Request, create bool) (string, error) {
	sess, err := s.cookies.Get(r, s.trackerCookieName(r))
	if b, _ := sess.Values["browser"].(string); err == nil && b != "" {
		return b, nil
	}
	if !create {
		return "", nil
	}
	if err != nil { // tampered or under a retired key: it holds no grant to keep
		sess.Values = map[any]any{}
	}
	b := randomToken()
	sess.Values["browser"] = b
	sess.Options = s.trackerCookieOptions(r)
	return b, sess.Save(r, w)
}

// editKeyFrom takes the key out of what a team pastes: the key, the whole
// edit link (…#key=K) or an older link (…?key=K).
func editKeyFrom(s string) string {
	s = strings.TrimSpace(s)
	for _, marker := range []string{"#key=", "?key=", "&key="} {
		if i := strings.LastIndex(s, marker); i >= 0 {
			s = s[i+len(marker):]
			if j := strings.IndexAny(s, "&#"); j >= 0 {
				s = s[:j]
			}
		}
	}
	return strings.TrimSpace(s)
}

// renderTrackerKey asks for the edit key.
func (s *Server) renderTrackerKey(w http.ResponseWriter, r *http.Request, id string, t *tracker, msg string, status int) error {
	v := pages.TrackerKeyView{Head: s.head("Record progress", true), ID: id, Organization: t.Organization, Error: msg}
	if msg != "" {
		v.Head.Title = "Error: " + v.Head.Title
	}
	v.Head.JS = append(v.Head.JS, s.assets.URL("js/progress.js"))
	capabilityHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, pages.TrackerKeyPage(v))
}

// handleTrackerKey is POST /p/{id}/progress/key: with the plan's edit key,
// this browser may record progress; back to the tracker.
func (s *Server) handleTrackerKey(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	info, ps, err := s.latestProgress(r, id)
	if err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	if !store.KeyMatches(info.EditKeyHash, editKeyFrom(r.PostForm.Get("key"))) {
		return s.renderTrackerKey(w, r, id, ps.t, "This key does not open this plan. Paste the whole edit link, or the part after #key=; the read-only link cannot record progress.", http.StatusForbidden)
	}
	if err := s.grantTracker(w, r, info); err != nil {
		return err
	}
	http.Redirect(w, r, "/p/"+id+"/progress", http.StatusSeeOther)
	return nil
}

// ---- The tracker page ----

// handleTracker is GET /p/{id}/progress: the tracker, or the question for
// the edit key when this browser has not shown it.
func (s *Server) handleTracker(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	info, ps, err := s.latestProgress(r, id)
	if err != nil {
		return err
	}
	if !s.hasTrackerGrant(r, info) {
		return s.renderTrackerKey(w, r, id, ps.t, "", http.StatusOK)
	}
	v, err := s.trackerView(r, info, ps, nil)
	if err != nil {
		return err
	}
	v.Saved = r.URL.Query().Get("saved") != ""
	switch r.URL.Query().Get("checked") { // back from a re-check (recheck.go)
	case "1":
		v.Recheck.Applied = fmt.Sprintf("The tenant check read on %s is applied: it is revision %d of the plan, and the prerequisites it read are recorded below.", v.Recheck.ReadAt, info.Revision)
	case "same":
		v.Recheck.Applied = "The plan already holds this tenant check; the prerequisites it read are recorded below."
	}
	return s.renderTracker(w, r, v, http.StatusOK)
}

func (s *Server) renderTracker(w http.ResponseWriter, r *http.Request, v pages.TrackerView, status int) error {
	capabilityHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, pages.TrackerPage(v))
}

// submission is one tracker form as posted, kept to show it again beside
// its errors or a newer change.
type submission struct {
	section    string
	version    string
	status     map[string]string // task id → as chosen
	note       map[string]string
	oldStatus  map[string]string // as the form was filled
	oldNote    map[string]string
	enrolled   string
	oldCount   int
	by         string
	errs       map[string]string // "status.<id>", "note.<id>", "enrolled", "by" → message
	conflicts  map[string]string // task id, or "enrolled" → who changed it since
	keepOld    bool              // show the form's old values (422), not the recorded ones (409)
	sectionKey string            // wave id + "/" + population of the posted section
}

// historyShown is how many changes the tracker page lists; the API has
// the rest.
const historyShown = 50

// dateWords says a date in words for pages.
func dateWords(d string) string {
	if d == "" {
		return ""
	}
	return plan.LongDate(d)
}

// whenWords says an instant for pages, in UTC.
func whenWords(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// sectionKey names a section by wave and population.
func sectionKey(w *trackWave, sec *trackSection) string { return w.ID + "/" + sec.Population }

// sectionTitle names a section's population, or the whole wave or tenant.
func sectionTitle(t *tracker, w *trackWave, sec *trackSection) string {
	if sec.Population == "" {
		if w.ID == "" {
			return "The whole tenant"
		}
		return "The whole " + strings.ToLower(w.Name[:min(1, len(w.Name))]) + w.Name[min(1, len(w.Name)):]
	}
	if n := t.populationName(sec.Population); n != "" {
		return n
	}
	return sec.Population
}

// trackerView fills the tracker page; sub, when set, is a form shown again
// as it was posted.
func (s *Server) trackerView(r *http.Request, info store.PlanInfo, ps progressState, sub *submission) (pages.TrackerView, error) {
	today := s.now().UTC().Format(time.DateOnly)
	v := pages.TrackerView{
		Head:         s.head("Progress · plan for "+ps.t.Organization, true),
		ID:           info.ID,
		Organization: ps.t.Organization,
		ShareURL:     "/p/" + info.ID,
		Action:       "/p/" + info.ID + "/progress",
		Version:      "p" + strconv.FormatInt(ps.p.Version, 10),
		Revision:     info.Revision,
		HistoryURL:   "/api/v1/plans/" + info.ID + "/progress/history",
	}
	v.Head.CSS = append(v.Head.CSS, s.assets.URL("css/progress.css"))
	v.Head.JS = append(v.Head.JS, s.assets.URL("js/progress.js"))
	n := 0
	for wi, w := range ps.t.Waves {
		tw := pages.TrackerWave{Anchor: fmt.Sprintf("wave-%d", wi), Name: w.Name, Start: dateWords(w.Start)}
		var done, total, enrolled, planned int
		counted := false
		for si, sec := range w.Sections {
			key := sectionKey(w, sec)
			mine := sub != nil && sub.sectionKey == key
			ts := pages.TrackerSection{Anchor: fmt.Sprintf("sec-%d-%d", wi, si), Title: sectionTitle(ps.t, w, sec), Wave: w.ID, Population: sec.Population,
				Counted: sec.Counted, Planned: sec.Planned, CountID: fmt.Sprintf("count-%d-%d", wi, si), Version: v.Version}
			var sd, st int
			for _, tk := range sec.Tasks {
				n++
				status := ps.status(tk)
				st++
				if closedStatus(status) {
					sd++
				}
				tt := pages.TrackerTask{FieldID: fmt.Sprintf("t%d", n), TaskID: tk.ID, Title: tk.Title, Owner: tk.Owner, Date: dateWords(tk.Date),
					DateLabel: "Starts", Overdue: tk.Date != "" && tk.Date < today && !closedStatus(status), Status: status, OldStatus: status}
				if tk.Date != "" && tk.Date != w.Start {
					tt.DateLabel = "Due"
				}
				if tp, ok := ps.p.Tasks[tk.ID]; ok {
					tt.Note, tt.OldNote = tp.Note, tp.Note
					tt.Recorded = recordedWords(tp.Status, tp.By, tp.Updated)
				}
				if mine {
					if st, ok := sub.status[tk.ID]; ok {
						tt.Status = st
					}
					if nt, ok := sub.note[tk.ID]; ok {
						tt.Note = nt
					}
					if sub.keepOld {
						tt.OldStatus, tt.OldNote = sub.oldStatus[tk.ID], sub.oldNote[tk.ID]
					}
					for _, f := range []string{"status", "note"} {
						if msg := sub.errs[f+"."+tk.ID]; msg != "" && tt.Error == "" {
							tt.Error, tt.ErrorFor = msg, f
							v.Errors = append(v.Errors, pages.TrackerError{FieldID: tt.FieldID + "-" + f, Text: tk.Title + ": " + msg})
						}
					}
					if c := sub.conflicts[tk.ID]; c != "" {
						tt.Conflict = c
						v.Errors = append(v.Errors, pages.TrackerError{FieldID: tt.FieldID + "-status", Text: tk.Title + ": " + c})
					}
				}
				ts.Tasks = append(ts.Tasks, tt)
			}
			count := ps.enrolled(w.ID, sec.Population)
			ts.Enrolled, ts.OldCount = strconv.Itoa(count), count
			if mine {
				ts.By = sub.by
				if sec.Counted {
					ts.Enrolled = sub.enrolled
					if sub.keepOld {
						ts.OldCount = sub.oldCount
					}
					if msg := sub.errs["enrolled"]; msg != "" {
						ts.CountError = msg
						v.Errors = append(v.Errors, pages.TrackerError{FieldID: ts.CountID, Text: ts.Title + ": " + msg})
					}
					if c := sub.conflicts["enrolled"]; c != "" {
						ts.CountNote = c
						v.Errors = append(v.Errors, pages.TrackerError{FieldID: ts.CountID, Text: ts.Title + ": " + c})
					}
				}
				if msg := sub.errs["by"]; msg != "" {
					v.Errors = append(v.Errors, pages.TrackerError{FieldID: ts.Anchor + "-by", Text: "Your name: " + msg})
				}
				if sub.keepOld {
					ts.Version = sub.version // the form's values stand on the version it was filled from
				}
			}
			ts.Summary = fmt.Sprintf("%d of %d tasks done", sd, st)
			if sec.Counted {
				ts.Summary += " · " + devicesWords(count, sec.Planned)
				counted = true
				enrolled += count
				planned += sec.Planned
			}
			done += sd
			total += st
			tw.Sections = append(tw.Sections, ts)
		}
		tw.Summary = fmt.Sprintf("%d of %d tasks done", done, total)
		if counted {
			tw.Summary += " · " + devicesWords(enrolled, planned)
		}
		v.Waves = append(v.Waves, tw)
	}
	changes, err := s.store.ProgressHistory(r.Context(), info.ID, historyShown+1)
	if err != nil {
		return v, err
	}
	if len(changes) > historyShown {
		changes, v.HistoryMore = changes[:historyShown], true
	}
	for _, c := range changes {
		v.History = append(v.History, historyRow(ps.t, c))
	}
	if v.Recheck, err = s.recheckView(r.Context(), info); err != nil { // recheck.go
		return v, err
	}
	s.recheckRunView(r, info.ID, v.Recheck) // recheck_signin.go
	// The kept device list and its worklist: worklist.go.
	if v.Devices, err = s.trackerDeviceList(r, info.ID); err != nil {
		return v, err
	}
	return v, nil
}

// devicesWords says "40 of 250 devices enrolled".
func devicesWords(enrolled, planned int) string {
	if planned > 0 {
		return fmt.Sprintf("%s of %s enrolled", plan.Thousands(enrolled), plan.Count(planned, "device", "devices"))
	}
	return plan.Count(enrolled, "device", "devices") + " enrolled"
}

// recordedWords says who recorded a task's status and when.
func recordedWords(status, by string, at time.Time) string {
	out := "Recorded as " + strings.ToLower(pages.StatusWords(status))
	if by != "" {
		out += " by " + by
	}
	if !at.IsZero() {
		out += ", " + whenWords(at)
	}
	return out + "."
}

// historyRow says one change in words.
func historyRow(t *tracker, c store.ProgressChange) pages.HistoryRow {
	row := pages.HistoryRow{At: whenWords(c.At), By: c.By, Note: c.Note}
	if row.By == "" {
		row.By = "—"
	}
	if c.Task != "" {
		row.What = c.Task
		from := c.From
		if tk, ok := t.Tasks[c.Task]; ok {
			row.What = tk.Title
			if from == "" { // first recorded: it was what the plan says
				from = statusTodo
				if tk.PlanDone {
					from = statusDone
				}
			}
		}
		from = strings.ToLower(pages.StatusWords(from))
		row.Change = from + " → " + strings.ToLower(pages.StatusWords(c.To))
		return row
	}
	wave := c.Wave
	if w := t.wave(c.Wave); w != nil {
		wave = w.Name
	}
	pop := t.populationName(c.Population)
	if pop == "" {
		pop = c.Population
	}
	row.What = "Devices enrolled: " + pop + ", " + wave
	from := c.From
	if from == "" {
		from = "0"
	}
	row.Change = from + " → " + c.To
	return row
}

// handleTrackerSave is POST /p/{id}/progress: one form of the tracker.
// Only what the form changed is recorded, against the version the form
// was filled from: a change to another task since is kept, a change to
// the same one is shown beside it with the planner's input kept.
func (s *Server) handleTrackerSave(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	info, ps, err := s.latestProgress(r, id)
	if err != nil {
		return err
	}
	if !s.hasTrackerGrant(r, info) {
		return s.renderTrackerKey(w, r, id, ps.t, "Open the tracker with the plan's edit key first; nothing was recorded.", http.StatusForbidden)
	}
	if err := readForm(r); err != nil {
		return err
	}
	f := r.PostForm
	version, ok := parseProgressVersion(f.Get("version"))
	if !ok {
		return statusError(http.StatusBadRequest, "The form lacks the progress version it was filled from; reload the tracker and record your change again.")
	}
	sub := &submission{version: "p" + strconv.FormatInt(version, 10), status: map[string]string{}, note: map[string]string{}, oldStatus: map[string]string{},
		oldNote: map[string]string{}, errs: map[string]string{}, conflicts: map[string]string{}, by: f.Get("by"), enrolled: strings.TrimSpace(f.Get("enrolled")), keepOld: true}
	in := progressPatchIn{By: sub.by}
	wave, pop := f.Get("wave"), f.Get("population")
	var gone int
	for key := range f {
		tid, ok := strings.CutPrefix(key, "status.")
		if !ok {
			continue
		}
		tk, known := ps.t.Tasks[tid]
		if !known {
			gone++
			continue
		}
		if sub.sectionKey == "" {
			sub.sectionKey = tk.Wave + "/" + tk.Population
		}
		sub.status[tid], sub.note[tid] = f.Get(key), f.Get("note."+tid)
		sub.oldStatus[tid], sub.oldNote[tid] = f.Get("old-status."+tid), f.Get("old-note."+tid)
	}
	// The section the form belongs to: its count's, else its tasks'.
	if ps.t.section(wave, pop) != nil {
		sub.sectionKey = wave + "/" + pop
	}
	for _, tk := range trackerOrder(ps.t) {
		st, ok := sub.status[tk.ID]
		if !ok || st == sub.oldStatus[tk.ID] && strings.TrimSpace(sub.note[tk.ID]) == strings.TrimSpace(sub.oldNote[tk.ID]) {
			continue
		}
		note := sub.note[tk.ID]
		in.Tasks = append(in.Tasks, taskPatchIn{ID: tk.ID, Status: &st, Note: &note})
	}
	sub.oldCount, _ = strconv.Atoi(f.Get("old-enrolled"))
	if sec := ps.t.section(wave, pop); sec != nil && sub.enrolled != strconv.Itoa(sub.oldCount) {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.ReplaceAll(sub.enrolled, ",", ""), " ", ""))
		switch {
		case err != nil:
			sub.errs["enrolled"] = "Enter the number of devices enrolled so far, like 40."
		case n < 0:
			sub.errs["enrolled"] = "The number of devices enrolled cannot be negative."
		default:
			in.Enrolled = append(in.Enrolled, enrolledIn{Wave: wave, Population: pop, Count: n})
		}
	}
	patch, err := in.toPatch(ps.t, ps.p)
	var ve *plan.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			sub.errs[formField(fe.Field)] = fe.Message
		}
	} else if err != nil {
		return err
	}
	if len(sub.errs) > 0 {
		return s.showSubmission(w, r, info, ps, sub, "", http.StatusUnprocessableEntity)
	}
	anchor := "#" + f.Get("section")
	if !validAnchor(f.Get("section")) {
		anchor = ""
	}
	if len(patch.Tasks)+len(patch.Enrolled) == 0 {
		if gone > 0 {
			return s.showSubmission(w, r, info, ps, sub, "The plan was saved as a new revision since you loaded this page, and the tasks you changed are no longer in it: nothing was recorded.", http.StatusConflict)
		}
		http.Redirect(w, r, "/p/"+id+"/progress"+anchor, http.StatusSeeOther) // nothing changed
		return nil
	}
	patch.PlanID, patch.ExpectedVersion, patch.PlanRevision, patch.At = id, version, info.Revision, s.now()
	_, err = s.store.PatchProgress(ctxWithoutCancel(r.Context()), patch)
	if errors.Is(err, store.ErrConflict) {
		return s.staleSubmission(w, r, info, ps.t, sub, patch)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/p/"+id+"/progress?saved=1"+anchor, http.StatusSeeOther)
	return nil
}

// validAnchor accepts the ids the tracker gives its sections.
func validAnchor(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// formField maps an API field path to the tracker form's field.
func formField(apiField string) string {
	switch {
	case apiField == "by":
		return "by"
	case strings.HasPrefix(apiField, "enrolled"):
		return "enrolled"
	case strings.HasPrefix(apiField, "tasks."):
		rest := strings.TrimPrefix(apiField, "tasks.")
		for _, f := range []string{"status", "note", "by"} {
			if id, ok := strings.CutSuffix(rest, "."+f); ok {
				if f == "by" {
					return "by"
				}
				return f + "." + id
			}
		}
		return "status." + rest
	}
	return apiField
}

// trackerOrder lists the tasks in the tracker's order.
func trackerOrder(t *tracker) []*trackTask {
	var out []*trackTask
	for _, w := range t.Waves {
		for _, sec := range w.Sections {
			out = append(out, sec.Tasks...)
		}
	}
	return out
}

// staleSubmission answers a form filled from a version that someone else
// has since moved past on the same task or count: who changed what, with
// the planner's input kept and the form now on the latest version, so that
// saving again records it over theirs.
func (s *Server) staleSubmission(w http.ResponseWriter, r *http.Request, info store.PlanInfo, t *tracker, sub *submission, patch store.ProgressPatch) error {
	cur, err := s.store.GetProgress(r.Context(), info.ID)
	if err != nil {
		return err
	}
	expected, _ := parseProgressVersion(sub.version)
	for id := range patch.Tasks {
		tp := cur.Tasks[id]
		if tp.Version <= expected {
			continue
		}
		who := tp.By
		if who == "" {
			who = "Someone"
		}
		msg := fmt.Sprintf("%s recorded this as %s at %s since you loaded the page", who, strings.ToLower(pages.StatusWords(tp.Status)), whenWords(tp.Updated))
		if tp.Note != "" {
			msg += fmt.Sprintf(" (note: “%s”)", tp.Note)
		}
		sub.conflicts[id] = msg + ". Your choice is kept below: save again to record it over theirs."
	}
	for wave, pops := range patch.Enrolled {
		for pop := range pops {
			c := cur.Enrolled[wave][pop]
			if c.Version <= expected {
				continue
			}
			who := c.By
			if who == "" {
				who = "Someone"
			}
			sub.conflicts["enrolled"] = fmt.Sprintf("%s recorded %s at %s since you loaded the page. Your number is kept: save again to record it over theirs.", who, plan.Count(c.Count, "device", "devices"), whenWords(c.Updated))
		}
	}
	sub.keepOld = false // the form now stands on the latest version
	msg := ""
	if len(sub.conflicts) == 0 {
		msg = "The progress changed since you loaded the page; check your changes below and save again."
	}
	return s.showSubmission(w, r, info, progressState{t: t, p: cur}, sub, msg, http.StatusConflict)
}

// showSubmission renders the tracker with one form as it was posted.
func (s *Server) showSubmission(w http.ResponseWriter, r *http.Request, info store.PlanInfo, ps progressState, sub *submission, msg string, status int) error {
	v, err := s.trackerView(r, info, ps, sub)
	if err != nil {
		return err
	}
	v.Message = msg
	if len(v.Errors) > 0 || msg != "" {
		v.Head.Title = "Error: " + v.Head.Title
	}
	return s.renderTracker(w, r, v, status)
}

// ---- Progress on the share page and in the formats ----

// overdueShown is how many tasks past their date the share page lists.
const overdueShown = 20

// progressSummary is the share page's progress block.
func progressSummary(id string, ps progressState, today string) *pages.ProgressSummary {
	p := &pages.ProgressSummary{TrackerURL: "/p/" + id + "/progress", Recorded: ps.p.Version > 0, Updated: whenWords(ps.p.Updated), Today: dateWords(today)}
	popRows := map[string]*pages.ProgressRow{}
	for _, pop := range ps.t.Populations {
		popRows[pop.ID] = &pages.ProgressRow{Name: pop.Name, Planned: pop.Devices}
	}
	for _, w := range ps.t.Waves {
		row := pages.ProgressRow{Name: w.Name, Start: dateWords(w.Start)}
		for _, sec := range w.Sections {
			if sec.Counted {
				n := ps.enrolled(w.ID, sec.Population)
				row.Counted, row.Enrolled, row.Planned = true, row.Enrolled+n, row.Planned+sec.Planned
				if pr := popRows[sec.Population]; pr != nil {
					pr.Counted, pr.Enrolled = true, pr.Enrolled+n
				}
			}
			for _, tk := range sec.Tasks {
				status := ps.status(tk)
				row.Total++
				pr := popRows[tk.Population]
				if pr != nil {
					pr.Total++
				}
				if closedStatus(status) {
					row.Done++
					if pr != nil {
						pr.Done++
					}
				} else if tk.Date != "" && tk.Date < today {
					if len(p.Overdue) < overdueShown {
						where := w.Name
						if tk.Population != "" {
							where += ", " + sectionTitle(ps.t, w, sec)
						}
						p.Overdue = append(p.Overdue, pages.OverdueTask{Title: tk.Title, Where: where, Date: dateWords(tk.Date), Status: pages.StatusWords(status)})
					} else {
						p.OverdueMore++
					}
				}
			}
		}
		p.Waves = append(p.Waves, row)
	}
	for _, pop := range ps.t.Populations {
		p.Populations = append(p.Populations, *popRows[pop.ID])
	}
	return p
}

// withProgress returns the plan with each task's recorded status, for the
// formats: the CSV's status column takes it as recorded (CONTRACT §8.1
// allows doing, blocked and skipped there); the Markdown and the page tick
// a task done, and show any other recorded status as to do. Tasks nobody
// recorded keep the plan's own status, so a plan without progress renders
// byte for byte as before.
func withProgress(p *plan.Plan, ps progressState, format string) *plan.Plan {
	if ps.p.Version == 0 {
		return p
	}
	out := *p
	out.Tasks = slices.Clone(p.Tasks)
	for i, t := range out.Tasks {
		tp, ok := ps.p.Tasks[t.ID]
		if _, inPlan := ps.t.Tasks[t.ID]; !ok || !inPlan || tp.Status == "" {
			continue
		}
		out.Tasks[i].Done = tp.Status == statusDone
		switch {
		case format == "csv":
			out.Tasks[i].Status = tp.Status
		case tp.Status == statusDone:
			out.Tasks[i].Status = plan.StatusDone
		default:
			out.Tasks[i].Status = plan.StatusTodo
		}
	}
	return &out
}

// planJSONWithProgress is the share link's .json once progress is
// recorded: the plan document unchanged, and the progress beside it under
// "progress" (the API's shape), an addition the contract's additive rule
// allows. Without recorded progress it is the plan alone.
func planJSONWithProgress(p *plan.Plan, ps progressState) ([]byte, error) {
	if ps.p.Version == 0 {
		return formatBytes(p, "json")
	}
	doc := progressDoc(ps.filtered())
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	err := enc.Encode(struct {
		*plan.Plan
		Progress *progressJSON `json:"progress"`
	}{p, &doc})
	return buf.Bytes(), err
}
