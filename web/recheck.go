package web

// A re-check against the plan (issue 16, CONTRACT §8.3 and §8.4): from the
// tracker, whoever holds the edit link uploads a newer check-tenant file.
// It becomes a new revision of the plan (the tenant answers it read, its
// expiries), the prerequisites it reads are recorded on the tracker with
// the date of the reading, and the devices it counted are shown against
// the device groups planned. This is where the plan meets what happened.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// recheckBy is who the tracker says recorded what a check read.
const recheckBy = "Tenant check"

// recheckPatchTries bounds how often recording the prerequisites is tried
// again when someone records progress at the same moment.
const recheckPatchTries = 3

// errRecheckNoGrant answers an upload from a browser that has not opened
// the tracker with the edit link: nothing is read or changed.
var errRecheckNoGrant = statusError(http.StatusForbidden, "Only whoever holds the plan's edit link can check the tenant again. Open the tracker with the edit link first; nothing was changed.")

// handleRecheck is POST /p/{id}/progress/tenant-check: a newer
// check-tenant file, applied to the plan.
func (s *Server) handleRecheck(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	info, err := s.planInfo(r, id)
	if err != nil {
		return err
	}
	if !s.hasTrackerGrant(r, info) { // before reading the body: a stranger's upload costs nothing
		return errRecheckNoGrant
	}
	tc, status, msg, err := s.readRecheckUpload(w, r)
	if err != nil {
		return err
	}
	if msg != "" {
		return s.recheckRefused(w, r, id, status, msg)
	}
	res, err := s.applyRecheck(r.Context(), id, tc, uploadWords)
	var rf *recheckRefusal
	if errors.As(err, &rf) {
		return s.recheckRefused(w, r, id, rf.status, rf.msg)
	}
	if err != nil {
		return err
	}
	result := "same"
	if res.changed {
		result = "1"
	}
	http.Redirect(w, r, "/p/"+id+"/progress?checked="+result+"#tenant", http.StatusSeeOther)
	return nil
}

// recheckWords are how a refused re-check tells the planner to try again,
// by the way the check came.
type recheckWords struct {
	rerun string // the check is older than the plan's: read the tenant afresh
	retry string // someone saved a revision meanwhile
}

var uploadWords = recheckWords{
	rerun: "Run enrollplan check-tenant again and upload the file it prints.",
	retry: "Upload the file again: it is applied to their revision.",
}

// recheckRefusal is a check the plan cannot take, in words: nothing was
// changed.
type recheckRefusal struct {
	status int
	msg    string
}

func (e *recheckRefusal) Error() string { return e.msg }

// recheckResult is what applying a check did.
type recheckResult struct {
	revision int            // the plan's revision that holds the check
	changed  bool           // it is a new revision
	recorded []recheckEntry // what was recorded on the tracker
}

// recheckEntry is one prerequisite's progress a check recorded.
type recheckEntry struct {
	title  string
	status string // statusDone, or statusTodo when read missing after being recorded done
}

// applyRecheck applies a newer tenant check to plan id, however it came
// (an uploaded file, a check signed in from the tracker): the tenant
// answers it read, the check itself and the tenant's expiries as it read
// them make a new revision (none when nothing changed), and the
// prerequisites it read are recorded on the tracker with the date of the
// reading. A check the plan cannot take is a *recheckRefusal.
func (s *Server) applyRecheck(ctx context.Context, id string, tc *plan.TenantCheck, words recheckWords) (recheckResult, error) {
	latest, err := s.store.GetPlan(ctx, id)
	if err != nil {
		return recheckResult{}, err
	}
	a, err := s.storedAnswers(latest)
	if err != nil {
		return recheckResult{}, err
	}
	readAt, _ := time.Parse(time.RFC3339, tc.ReadAt) // DecodeTenantCheck checked it; a check the server ran wrote it
	if old := a.TenantCheck; old != nil {
		if was, err := time.Parse(time.RFC3339, old.ReadAt); err == nil && readAt.Before(was) {
			return recheckResult{}, &recheckRefusal{http.StatusUnprocessableEntity, fmt.Sprintf(
				"This check was read on %s, before the one the plan already holds (read on %s); nothing was changed. %s",
				whenWords(readAt), whenWords(was), words.rerun)}
		}
	}

	// The new answers: the tenant fields the check read, the check itself,
	// and the tenant's expiries as it read them.
	d := &draft{Answers: a}
	applyCheck(d, tc)
	a = d.Answers
	a.Tenant.Expiries = plan.RecheckExpiries(a.Tenant.Expiries, tc)
	p, err := s.build(ctx, a)
	var ve *plan.ValidationError
	if errors.As(err, &ve) && len(ve.Errors) > 0 {
		return recheckResult{}, &recheckRefusal{http.StatusUnprocessableEntity,
			"The plan cannot take this check: " + ve.Errors[0].Field + " " + ve.Errors[0].Message + ". Nothing was changed."}
	}
	if err != nil {
		return recheckResult{}, err
	}
	data, err := marshalAnswers(a)
	if err != nil {
		return recheckResult{}, err
	}
	res := recheckResult{revision: latest.Revision}
	if !bytes.Equal(data, latest.Answers) {
		updated, err := s.updatePlan(ctxWithoutCancel(ctx), store.Update{ID: id, ExpectedRevision: latest.Revision, Answers: data, Ruleset: s.cat.Ruleset}, p)
		if errors.Is(err, store.ErrConflict) {
			return recheckResult{}, &recheckRefusal{http.StatusConflict,
				"Someone saved a new revision of the plan while this check was being applied, so nothing was changed. " + words.retry}
		}
		if err != nil {
			return recheckResult{}, err
		}
		res.revision, res.changed = updated.Revision, true
	}
	res.recorded, err = s.recordRecheck(ctx, id, res.revision, p, tc)
	return res, err
}

// readRecheckUpload reads the uploaded check. A file the planner can mend
// comes back as a status and a message for beside the field; err is for
// everything else.
func (s *Server) readRecheckUpload(w http.ResponseWriter, r *http.Request) (*plan.TenantCheck, int, string, error) {
	tooLarge := fmt.Sprintf("That file is larger than %d KB; a tenant check is a few kilobytes. Upload the JSON file that enrollplan check-tenant printed.", maxCheckUpload>>10)
	const choose = "Choose the JSON file that enrollplan check-tenant printed, then apply it."
	if r.ContentLength > maxCheckUpload+4<<10 {
		return nil, http.StatusRequestEntityTooLarge, tooLarge, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCheckUpload+4<<10)
	if err := r.ParseMultipartForm(maxCheckUpload); err != nil {
		var mbe *http.MaxBytesError
		var pe *fs.PathError
		switch {
		case errors.As(err, &mbe), errors.Is(err, multipart.ErrMessageTooLarge):
			return nil, http.StatusRequestEntityTooLarge, tooLarge, nil
		case errors.As(err, &pe): // a temporary file for the upload: ours
			return nil, 0, "", fmt.Errorf("keep the uploaded check: %w", err)
		}
		return nil, http.StatusBadRequest, choose, nil // not multipart, cut off or malformed: the client's
	}
	defer r.MultipartForm.RemoveAll()
	f, _, err := r.FormFile("check")
	if err != nil {
		return nil, http.StatusBadRequest, choose, nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCheckUpload+1))
	if err != nil { // the parsed form is in memory or a temporary file: a failure is ours
		return nil, 0, "", fmt.Errorf("read the uploaded check: %w", err)
	}
	if len(data) > maxCheckUpload {
		return nil, http.StatusRequestEntityTooLarge, tooLarge, nil
	}
	tc, err := plan.DecodeTenantCheck(data)
	if err != nil {
		var ve *plan.ValidationError
		msg := "That file is not a tenant check: upload the JSON that enrollplan check-tenant printed."
		if errors.As(err, &ve) && len(ve.Errors) > 0 && ve.For("schema") == "" && ve.For("answers") == "" {
			msg = "That tenant check could not be read: " + ve.Errors[0].Field + " " + ve.Errors[0].Message + "."
		}
		return nil, http.StatusUnprocessableEntity, msg, nil
	}
	if tc.ReadAt == "" {
		// Without it, neither the tracker's dates nor which reading is
		// newer could be told.
		return nil, http.StatusUnprocessableEntity, "That tenant check does not say when the tenant was read (read_at), so it cannot be held against the plan. Upload the file exactly as enrollplan check-tenant printed it.", nil
	}
	return tc, 0, "", nil
}

// recheckRefused shows the tracker with the upload refused beside its
// field; nothing was changed.
func (s *Server) recheckRefused(w http.ResponseWriter, r *http.Request, id string, status int, msg string) error {
	info, ps, err := s.latestProgress(r, id)
	if err != nil {
		return err
	}
	v, err := s.trackerView(r, info, ps, nil)
	if err != nil {
		return err
	}
	if v.Recheck != nil {
		v.Recheck.Error = msg
	}
	v.Errors = append(v.Errors, pages.TrackerError{FieldID: "recheck-file", Text: "Check the tenant again: " + msg})
	v.Head.Title = "Error: " + v.Head.Title
	return s.renderTracker(w, r, v, status)
}

// readDay is the day a check was read, as it wrote it (YYYY-MM-DD).
func readDay(readAt string) string { return strings.SplitN(readAt, "T", 2)[0] }

// recordRecheck records on the tracker what revision rev's plan p reads
// from check tc: each prerequisite read as in place is done, with the
// date of the reading; one read as missing that was recorded done is to
// do again. Someone recording progress at the same moment is tried around.
// It returns what it recorded, in the plan's order.
func (s *Server) recordRecheck(ctx context.Context, id string, rev int, p *plan.Plan, tc *plan.TenantCheck) ([]recheckEntry, error) {
	ctx = ctxWithoutCancel(ctx)
	t, err := s.revisionTracker(ctx, id, rev)
	if err != nil {
		return nil, err
	}
	day := plan.LongDate(readDay(tc.ReadAt))
	for try := 1; ; try++ {
		cur, err := s.store.GetProgress(ctx, id)
		if err != nil {
			return nil, err
		}
		var recorded []recheckEntry
		patch := store.ProgressPatch{PlanID: id, ExpectedVersion: cur.Version, PlanRevision: rev, By: recheckBy, At: s.now(), Tasks: map[string]store.TaskProgress{}}
		for _, pr := range p.Prerequisites {
			tid := "prereq." + pr.ID
			if pr.ReadAt != tc.ReadAt || t.Tasks[tid] == nil {
				continue // not read by this check, or not a task of the plan
			}
			switch {
			case pr.Status == plan.StatusDone:
				patch.Tasks[tid] = store.TaskProgress{Status: statusDone, Note: "Read as in place from the tenant on " + day, By: recheckBy}
			case pr.Status == plan.StatusTodo && cur.Tasks[tid].Status == statusDone:
				patch.Tasks[tid] = store.TaskProgress{Status: statusTodo, Note: "The tenant check on " + day + " found this not in place, though it was recorded as done.", By: recheckBy}
			default:
				continue
			}
			recorded = append(recorded, recheckEntry{title: t.Tasks[tid].Title, status: patch.Tasks[tid].Status})
		}
		if len(patch.Tasks) == 0 {
			return nil, nil
		}
		_, err = s.store.PatchProgress(ctx, patch)
		if errors.Is(err, store.ErrConflict) && try < recheckPatchTries {
			continue
		}
		if err != nil {
			return nil, err
		}
		return recorded, nil
	}
}

// ---- The devices a revision's check counted ----

// deviceReading is what a revision's tenant check counted, held against
// the revision's plan.
type deviceReading struct {
	readAt  string // the check's read_at; "" when the revision holds no check
	counted bool   // the check counted devices (none managed is a count too)
	managed plan.ManagedDevices
}

// devicesCounted reports whether a check counted managed devices: counts,
// or a reading of them that found none. A check from before counts existed,
// or whose reading was refused, says nothing of the devices.
func devicesCounted(tc *plan.TenantCheck) bool {
	if len(tc.Devices) > 0 {
		return true
	}
	for _, f := range tc.Findings {
		if f.ID == "managed-devices" && f.Status != plan.FindingUnknown {
			return true
		}
	}
	return false
}

func (d *deviceReading) size() int64 {
	n := int64(128 + len(d.readAt))
	for _, g := range d.managed.Groups {
		n += int64(96 + len(g.Platform) + len(g.PlatformName) + len(g.Ownership))
		for i := range g.Populations {
			n += int64(32 + len(g.Populations[i]) + len(g.Names[i]))
		}
	}
	return n + int64(48*len(d.managed.Outside))
}

// revisionDevices reads a revision's tenant check and plan once (a
// revision never changes) and matches its device counts to the plan.
func (s *Server) revisionDevices(ctx context.Context, id string, rev int) (*deviceReading, error) {
	v, err := s.cache.do(ctx, cacheKey{id: id, rev: rev, ruleset: s.cat.Ruleset, kind: "devices"}, nil, func(ctx context.Context) (any, int64, error) {
		sp, err := s.store.GetRevision(ctx, id, rev)
		if err != nil {
			return nil, 0, err
		}
		var a struct {
			TenantCheck *plan.TenantCheck `json:"tenant_check"`
		}
		if err := json.Unmarshal(sp.Answers, &a); err != nil {
			return nil, 0, &storedDataError{id: id, rev: rev, err: err}
		}
		d := &deviceReading{}
		if tc := a.TenantCheck; tc != nil {
			p, _, _, err := s.revisionPlan(ctx, sp)
			if err != nil {
				return nil, 0, err
			}
			d.readAt, d.counted, d.managed = tc.ReadAt, devicesCounted(tc), plan.ManagedAgainstPlan(p, tc.Devices)
		}
		return d, d.size(), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*deviceReading), nil
}

// recheckView is the tracker's tenant block for the plan's latest revision.
func (s *Server) recheckView(ctx context.Context, info store.PlanInfo) (*pages.TrackerRecheck, error) {
	d, err := s.revisionDevices(ctx, info.ID, info.Revision)
	if err != nil {
		return nil, err
	}
	rc := &pages.TrackerRecheck{Action: "/p/" + info.ID + "/progress/tenant-check"}
	if d.readAt == "" {
		return rc, nil
	}
	day := plan.LongDate(readDay(d.readAt))
	rc.ReadAt, rc.Counted = day, d.counted
	if !d.counted {
		return rc, nil
	}
	for _, g := range d.managed.Groups {
		noun := "devices"
		if g.Managed == 1 {
			noun = "device"
		}
		m := pages.TrackerManaged{Text: fmt.Sprintf("Intune manages %s %s %s %s (read %s), against %s planned for %s.",
			plan.Thousands(g.Managed), g.PlatformName, g.Ownership, noun, day, plan.Thousands(g.Planned), togetherWords(g.Names))}
		if g.Unknown > 0 {
			m.Unknown = fmt.Sprintf("Also %s, which may be among them.",
				s.countWords(plan.DeviceCount{Platform: g.Platform, Ownership: "unknown", Count: g.Unknown}))
		}
		rc.Devices = append(rc.Devices, m)
	}
	for _, c := range d.managed.Outside {
		rc.Outside = append(rc.Outside, s.countWords(c))
	}
	return rc, nil
}

// togetherWords names the device groups one count is held against:
// "Sales iPhones", or "Sales iPhones and Field iPhones together".
func togetherWords(names []string) string {
	switch len(names) {
	case 0:
		return "no device group"
	case 1:
		return names[0]
	}
	return plan.JoinAnd(names) + " together"
}

// countWords says a device count no device group can be: "30 iOS/iPadOS
// personal devices", "4 Android devices of unknown ownership".
func (s *Server) countWords(c plan.DeviceCount) string {
	noun := "devices"
	if c.Count == 1 {
		noun = "device"
	}
	n := plan.Thousands(c.Count)
	pd := s.cat.Platform(c.Platform)
	switch {
	case pd == nil:
		return fmt.Sprintf("%s %s of other platforms", n, noun)
	case c.Ownership == "unknown":
		return fmt.Sprintf("%s %s %s of unknown ownership", n, pd.Name, noun)
	}
	return fmt.Sprintf("%s %s %s %s", n, pd.Name, c.Ownership, noun)
}
