package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-chi/chi/v5"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// shareFormats are the suffixes a share link accepts (CONTRACT §6).
var shareFormats = map[string]string{"md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}

// splitRef splits "ID.md" into the id and format ("" for the HTML page,
// calendarFormat for the calendar).
func splitRef(ref string) (id, format string, ok bool) {
	id, format, _ = strings.Cut(ref, ".")
	if format != "" && format != calendarFormat {
		if _, known := shareFormats[format]; !known {
			return "", "", false
		}
	}
	return id, format, store.ValidID(id)
}

// storedPlan rebuilds a saved revision's plan with the current ruleset.
func (s *Server) storedPlan(ctx context.Context, sp store.Plan) (*plan.Plan, error) {
	_, p, err := s.storedRevision(ctx, sp)
	return p, err
}

// storedAnswers decodes a saved revision's answers. Answers today's rules
// refuse are a storedDataError: the server's problem, never the visitor's.
func (s *Server) storedAnswers(sp store.Plan) (plan.Answers, error) {
	a, err := s.cat.DecodeAnswers(sp.Answers)
	if err != nil {
		return plan.Answers{}, &storedDataError{id: sp.ID, rev: sp.Revision, err: err}
	}
	return a, nil
}

// storedRevision decodes a saved revision's answers and rebuilds its plan
// with the current ruleset.
func (s *Server) storedRevision(ctx context.Context, sp store.Plan) (plan.Answers, *plan.Plan, error) {
	a, err := s.storedAnswers(sp)
	if err != nil {
		return plan.Answers{}, nil, err
	}
	p, err := s.build(ctx, a)
	var ve *plan.ValidationError
	if errors.As(err, &ve) {
		return plan.Answers{}, nil, &storedDataError{id: sp.ID, rev: sp.Revision, err: err}
	}
	if err != nil {
		return plan.Answers{}, nil, fmt.Errorf("rebuild %s r%d: %w", sp.ID, sp.Revision, err)
	}
	return a, p, nil
}

// revisionPlan is the plan of a saved revision: its snapshot when it has
// one (snapshot true), else rebuilt from its answers with today's ruleset.
// compact is the snapshot's JSON, nil when rebuilt. A snapshot that does
// not read is logged and the plan rebuilt, so the link keeps working.
func (s *Server) revisionPlan(ctx context.Context, sp store.Plan) (p *plan.Plan, compact []byte, snapshot bool, err error) {
	if sp.Plan != nil {
		compact, err = snapshotJSON(sp.Plan)
		if err == nil {
			p = new(plan.Plan)
			if err = json.Unmarshal(compact, p); err == nil {
				return p, compact, true, nil
			}
		}
		s.log.Error("stored snapshot does not read; rebuilding the plan from its answers", "plan", sp.ID, "revision", sp.Revision, "err", err)
	}
	p, err = s.storedPlan(ctx, sp)
	return p, nil, false, err
}

// formatBytes renders a plan as md, csv or json (indented).
func formatBytes(p *plan.Plan, format string) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch format {
	case "md":
		err = plan.WriteMarkdown(&buf, p)
	case "csv":
		err = plan.WriteCSV(&buf, p)
	default:
		err = plan.WriteJSON(&buf, p)
	}
	return buf.Bytes(), err
}

// revisionFormatBytes renders a saved revision's plan as formatBytes does;
// its Markdown names the revision under the title, with who saved it and
// why (plan.DocRevision).
func revisionFormatBytes(p *plan.Plan, format string, sp store.Plan) ([]byte, error) {
	if format != "md" {
		return formatBytes(p, format)
	}
	var buf bytes.Buffer
	err := plan.WriteMarkdownRevision(&buf, p, plan.DocRevision{Number: sp.Revision, SavedAt: savedAtText(sp.SavedAt), By: sp.By, Note: sp.Note})
	return buf.Bytes(), err
}

// writeFormat renders a plan as md, csv or json, buffered so a failure
// never ships a partial 200.
func writeFormat(w http.ResponseWriter, p *plan.Plan, format string) error {
	body, err := formatBytes(p, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", shareFormats[format])
	writeBody(w, body)
	return nil
}

// planInfo asks the store, on every request, whether a plan may be shown
// and which revision is its latest. A revoked plan's cached bytes are
// dropped here too, for a plan revoked through another replica.
func (s *Server) planInfo(r *http.Request, id string) (store.PlanInfo, error) {
	info, err := s.store.GetPlanInfo(r.Context(), id)
	if errors.Is(err, store.ErrGone) {
		s.cache.dropPlan(id)
	}
	return info, err
}

// handleShare is GET /p/{id}[.md|.csv|.json|.ics]: the read-only latest
// revision, or its calendar.
func (s *Server) handleShare(w http.ResponseWriter, r *http.Request) error {
	id, format, ok := splitRef(chi.URLParam(r, "ref"))
	if !ok {
		return errNotFound // malformed: answered without touching the database
	}
	info, progress, err := s.shareInfo(r, id) // share_live.go
	if err != nil {
		return err
	}
	if format == calendarFormat {
		return s.showCalendar(w, r, info)
	}
	return s.showRevision(w, r, info, progress, info.Revision, format)
}

// handleShareRevision is GET /p/{id}/r/{n}[.fmt]: one earlier revision.
func (s *Server) handleShareRevision(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	revStr, format, _ := strings.Cut(chi.URLParam(r, "rev"), ".")
	n, err := strconv.Atoi(revStr)
	if !store.ValidID(id) || err != nil || n < 1 {
		return errNotFound
	}
	if _, known := shareFormats[format]; format != "" && !known {
		return errNotFound
	}
	info, progress, err := s.shareInfo(r, id) // ErrGone when revoked
	if err != nil {
		return err
	}
	if n > info.Revision {
		return errNotFound
	}
	return s.showRevision(w, r, info, progress, n, format)
}

// showRevision answers one revision's page or format from the cache of
// rendered bytes, rendering it on a miss; the caller has just learned
// whether the plan may be shown (shareInfo), its latest revision and the
// progress version of that revision. A page is cached with the latest
// revision its list shows, and rendered again once a newer one is saved.
// The latest revision's page and formats carry the progress recorded on
// the plan (CONTRACT §8.3), so they are cached by its version too, and the
// page, which lists the tasks past their date, by today's date. A render
// reads the progress itself, so it is never older than the version its
// key names.
func (s *Server) showRevision(w http.ResponseWriter, r *http.Request, info store.PlanInfo, progress int64, rev int, format string) error {
	kind := format
	if kind == "" {
		kind = "html"
	}
	var valid func(*representation) bool
	if kind == "html" {
		valid = func(rep *representation) bool { return rep.latest == info.Revision }
	}
	key := cacheKey{id: info.ID, rev: rev, ruleset: s.cat.Ruleset, kind: kind}
	if rev == info.Revision {
		key.progress = progress
		if kind == "html" {
			key.day = s.now().UTC().Format(time.DateOnly)
		}
	}
	rep, err := s.cachedRepresentation(r.Context(), key, valid, func(ctx context.Context) (*representation, error) {
		sp, err := s.store.GetRevision(ctx, info.ID, rev)
		if err != nil {
			return nil, err
		}
		p, _, snapshot, err := s.revisionPlan(ctx, sp)
		if err != nil {
			return nil, err
		}
		if kind != "html" {
			var body []byte
			switch {
			case rev != info.Revision:
				body, err = revisionFormatBytes(p, format, sp)
			default:
				var ps progressState
				if ps, err = s.revisionProgress(ctx, info.ID, rev); err != nil {
					return nil, err
				}
				if format == "json" {
					body, err = planJSONWithProgress(p, ps)
				} else {
					body, err = revisionFormatBytes(withProgress(p, ps, format), format, sp)
				}
			}
			if err != nil {
				return nil, err
			}
			rep := newRepresentation(body, shareFormats[format])
			rep.disposition = fileNameHeader("attachment", exportName(p.Organization, revisionLabel(sp.Revision), format))
			return rep, nil
		}
		return s.renderSharePage(ctx, sp, p, snapshot)
	})
	if err != nil {
		return err
	}
	if rep.latest > info.Revision {
		s.live.forget(info.ID) // saved through another replica since this one asked: ask again
	}
	capabilityHeaders(w)
	rep.write(w, r, http.StatusOK)
	return nil
}

// revisionProgress is the progress recorded on a plan as seen through
// its revision rev (the latest).
func (s *Server) revisionProgress(ctx context.Context, id string, rev int) (progressState, error) {
	t, err := s.revisionTracker(ctx, id, rev)
	if err != nil {
		return progressState{}, err
	}
	p, err := s.store.GetProgress(ctx, id)
	if err != nil {
		return progressState{}, err
	}
	return progressState{t: t, p: p}, nil
}

// renderSharePage renders the HTML page of one revision: the plan, every
// revision (the newest of that list tells whether this one is the latest),
// for a snapshot saved with another edition of the guidance, what today's
// edition would change, and, for the latest, the progress recorded on it
// (read here, so never older than the version its cache key names).
func (s *Server) renderSharePage(ctx context.Context, sp store.Plan, p *plan.Plan, snapshot bool) (*representation, error) {
	revs, err := s.store.ListRevisions(ctx, sp.ID)
	if err != nil {
		return nil, err
	}
	latest := revs[len(revs)-1].Number // a plan always has revision 1
	base := "/p/" + sp.ID
	self := base
	if sp.Revision != latest {
		self = base + "/r/" + strconv.Itoa(sp.Revision)
	}
	v := pages.ShareView{
		Head:           s.planHead("Plan for "+p.Organization, true),
		Plan:           p,
		Revision:       sp.Revision,
		Latest:         latest,
		SavedRuleset:   sp.Ruleset,
		CurrentRuleset: s.cat.Ruleset,
		Snapshot:       snapshot,
		SavedAt:        savedAtText(sp.SavedAt),
		SavedBy:        sp.By,
		Note:           sp.Note,
		Date:           sp.SavedAt.UTC().Format(time.DateOnly),
		PrintURL:       self + "/print",
		Formats:        []pages.Link{{Label: "Markdown", URL: self + ".md"}, {Label: "CSV", URL: self + ".csv"}, {Label: "JSON", URL: self + ".json"}},
		Revisions:      revisionLinks(sp.ID, revs, sp.Revision),
		ChangesURL:     base + "/changes",
	}
	if sp.Revision == latest {
		v.CalendarURL = base + "." + calendarFormat
	}
	if snapshot && sp.Ruleset != s.cat.Ruleset {
		kd, err := s.knowledgeChanges(ctx, sp, p)
		if err != nil {
			return nil, err
		}
		v.KnowledgeChanges, v.KnowledgeUnreadable = kd.changes, kd.unreadable
	}
	if sp.Revision == latest {
		t, err := s.revisionTracker(ctx, sp.ID, sp.Revision)
		if err != nil {
			return nil, err
		}
		prog, err := s.store.GetProgress(ctx, sp.ID)
		if err != nil {
			return nil, err
		}
		ps := progressState{t: t, p: prog}
		v.Plan = withProgress(p, ps, "html") // after knowledgeChanges, which compares the plan as saved
		v.Progress = progressSummary(sp.ID, ps, s.now().UTC().Format(time.DateOnly))
		if v.Devices, err = s.shareDeviceList(ctx, sp.ID); err != nil { // worklist.go
			return nil, err
		}
		v.Head.CSS = append(v.Head.CSS, s.assets.URL("css/progress.css"))
	}
	var buf bytes.Buffer
	if err := pages.SharePage(v).Render(ctx, &buf); err != nil {
		return nil, err
	}
	rep := newRepresentation(buf.Bytes(), "text/html; charset=utf-8")
	rep.latest = latest
	return rep, nil
}

// knowledgeDiff is what today's ruleset would change in a revision saved
// with another: DiffPlans's sentences, or unreadable when today's rules no
// longer accept its answers.
type knowledgeDiff struct {
	changes    []string
	unreadable bool
}

// knowledgeChanges rebuilds a snapshot's answers with today's ruleset and
// says what that changes against the stored plan, once per (id, revision,
// ruleset): the page itself is rendered again whenever a revision is added.
func (s *Server) knowledgeChanges(ctx context.Context, sp store.Plan, stored *plan.Plan) (knowledgeDiff, error) {
	v, err := s.cache.do(ctx, cacheKey{id: sp.ID, rev: sp.Revision, ruleset: s.cat.Ruleset, kind: "changes"}, nil, func(ctx context.Context) (any, int64, error) {
		a, err := s.cat.DecodeAnswers(sp.Answers)
		if err != nil {
			return knowledgeDiff{unreadable: true}, 64, nil
		}
		cur, err := s.build(ctx, a)
		var ve *plan.ValidationError
		if errors.As(err, &ve) {
			return knowledgeDiff{unreadable: true}, 64, nil
		}
		if err != nil {
			return nil, 0, err
		}
		kd := knowledgeDiff{changes: plan.DiffPlans(a, a, stored, cur)}
		size := int64(64)
		for _, c := range kd.changes {
			size += int64(len(c)) + 16
		}
		return kd, size, nil
	})
	if err != nil {
		return knowledgeDiff{}, err
	}
	return v.(knowledgeDiff), nil
}

// savedAtText is how pages show when a revision was saved.
func savedAtText(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// revisionLinks lists a plan's revisions, oldest first, each with its page
// and, from revision 2 on, what changed since the one before.
func revisionLinks(id string, revs []store.RevisionInfo, current int) []pages.RevisionLink {
	base := "/p/" + id
	latest := revs[len(revs)-1].Number
	out := make([]pages.RevisionLink, 0, len(revs))
	for _, rv := range revs {
		l := pages.RevisionLink{Number: rv.Number, SavedAt: savedAtText(rv.SavedAt), URL: base + "/r/" + strconv.Itoa(rv.Number), Current: rv.Number == current, By: rv.By, Note: rv.Note}
		if rv.Number == latest {
			l.URL = base
		}
		if rv.Number > 1 {
			l.ChangesURL = fmt.Sprintf("%s/changes?from=%d&to=%d", base, rv.Number-1, rv.Number)
		}
		out = append(out, l)
	}
	return out
}

// handleShareChanges is GET /p/{id}/changes?from=N&to=M: what changed
// between two revisions, in words. Without from, the revision before to;
// without to, the latest. A value that is not a revision number is a 400,
// a revision the plan does not have a 404, each saying which it has.
func (s *Server) handleShareChanges(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if !store.ValidID(id) {
		return errNotFound
	}
	revs, err := s.store.ListRevisions(r.Context(), id) // ErrGone when revoked
	if err != nil {
		return err
	}
	if len(revs) == 0 {
		return errNotFound
	}
	capabilityHeaders(w)
	latest := revs[len(revs)-1].Number
	q := r.URL.Query()
	from, to, err := changesRange(q.Get("from"), q.Get("to"), latest)
	if err != nil {
		return err
	}
	base := "/p/" + id
	v := pages.ChangesView{ShareURL: base, Revisions: revisionLinks(id, revs, to), ChangesURL: base + "/changes"}
	if from == 0 { // one revision: nothing to compare, and only its name to show
		sp, err := s.store.GetRevision(r.Context(), id, latest)
		if err != nil {
			return err
		}
		a, err := s.storedAnswers(sp)
		if err != nil {
			return err
		}
		v.Organization = strings.TrimSpace(a.Organization)
		v.Head = s.head("What changed · plan for "+v.Organization, true)
		return s.render(w, r, http.StatusOK, pages.ChangesPage(v))
	}
	diff, err := s.diffRevisions(r.Context(), id, from, to)
	if err != nil {
		return err
	}
	v.Organization = diff.organization
	v.Head = s.head(fmt.Sprintf("What changed from revision %d to %d · plan for %s", from, to, diff.organization), true)
	for _, l := range v.Revisions {
		switch l.Number {
		case from:
			v.From = l
		case to:
			v.To = l
		}
	}
	v.Changes, v.Note = diff.changes, diff.note
	return s.render(w, r, http.StatusOK, pages.ChangesPage(v))
}

// revisionDiff is what changed from one saved revision to another, in
// words, as today's ruleset reads both.
type revisionDiff struct {
	organization string // the newer revision's
	changes      []string
	note         string
}

// diffRevisions builds two revisions with today's ruleset and compares
// them, once per (id, from, to, ruleset) while the cache keeps it: saved
// revisions never change, and the page around it (the revision list,
// which grows) is rendered on every request.
func (s *Server) diffRevisions(ctx context.Context, id string, from, to int) (revisionDiff, error) {
	k := cacheKey{id: id, rev: to, ruleset: s.cat.Ruleset, kind: "diff-from-" + strconv.Itoa(from)}
	v, err := s.cache.do(ctx, k, nil, func(ctx context.Context) (any, int64, error) {
		older, err := s.store.GetRevision(ctx, id, from)
		if err != nil {
			return nil, 0, err
		}
		newer, err := s.store.GetRevision(ctx, id, to)
		if err != nil {
			return nil, 0, err
		}
		oa, op, err := s.storedRevision(ctx, older)
		if err != nil {
			return nil, 0, err
		}
		na, np, err := s.storedRevision(ctx, newer)
		if err != nil {
			return nil, 0, err
		}
		d := revisionDiff{organization: np.Organization, changes: plan.DiffPlans(oa, na, op, np), note: changesNote(older, newer, s.cat.Ruleset)}
		size := int64(128 + len(d.organization) + len(d.note))
		for _, c := range d.changes {
			size += int64(len(c)) + 16
		}
		return d, size, nil
	})
	if err != nil {
		return revisionDiff{}, err
	}
	return v.(revisionDiff), nil
}

// changesRange reads ?from= and ?to= against a plan's revisions 1..latest.
// from is 0 when the plan has a single revision and none was asked for.
func changesRange(fromText, toText string, latest int) (from, to int, err error) {
	parse := func(text string, def int) (int, error) {
		if strings.TrimSpace(text) == "" {
			return def, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil || n < 1 {
			if r := []rune(text); len(r) > 20 {
				text = string(r[:20]) + "…"
			}
			return 0, statusError(http.StatusBadRequest, fmt.Sprintf("“%s” is not a revision number. Choose two of this plan's revisions, 1 to %d, to compare.", text, latest))
		}
		if n > latest {
			return 0, statusError(http.StatusNotFound, fmt.Sprintf("This plan has no revision %d: its revisions are 1 to %d.", n, latest))
		}
		return n, nil
	}
	if to, err = parse(toText, latest); err != nil {
		return 0, 0, err
	}
	if from, err = parse(fromText, to-1); err != nil {
		return 0, 0, err
	}
	if from == 0 && fromText == "" && latest == 1 {
		return 0, 1, nil
	}
	if from == 0 { // ?to=1 alone: nothing comes before revision 1
		return 0, 0, statusError(http.StatusBadRequest, "Revision 1 is the first: choose a later revision to compare it with.")
	}
	if from == to {
		if latest == 1 {
			return 0, 0, statusError(http.StatusBadRequest, "This plan has only one revision so far: there is nothing to compare yet.")
		}
		return 0, 0, statusError(http.StatusBadRequest, fmt.Sprintf("Choose two different revisions to compare: both are revision %d.", from))
	}
	if from > to {
		from, to = to, from // always read forwards in time
	}
	return from, to, nil
}

// changesNote says that both revisions are read with today's guidance
// when either was saved with another edition, so that the differences
// come from the answers alone.
func changesNote(older, newer store.Plan, current string) string {
	var old []string
	for _, sp := range []store.Plan{older, newer} {
		if sp.Ruleset != "" && sp.Ruleset != current {
			old = append(old, fmt.Sprintf("revision %d with edition %s", sp.Revision, sp.Ruleset))
		}
	}
	if len(old) == 0 {
		return ""
	}
	return fmt.Sprintf("Saved with an earlier edition of the Intune guidance: %s. Both revisions are compared as today's edition (%s) reads their answers, so the differences above come from the answers alone.", strings.Join(old, " and "), current)
}

// File names of exports: the organisation as a slug, "plan", the revision
// ("r2", or "draft" for unsaved wizard answers) and the format, for
// example northwind-traders-plan-r2.md. Slugs are lower-case ASCII letters,
// digits and single hyphens, at most slugMax characters: safe on every
// operating system and in every header. A name without a Latin letter
// (only digits, symbols or another script) falls back to slugFallback.
const (
	slugMax      = 40
	slugFallback = "enrollment"
)

// exportName is the file name of one export.
func exportName(org, label, ext string) string {
	return orgSlug(org) + "-plan-" + label + "." + ext
}

// revisionLabel is "r2" for revision 2.
func revisionLabel(n int) string { return "r" + strconv.Itoa(n) }

// setFileName sets Content-Disposition; name is already header-safe ASCII.
func setFileName(w http.ResponseWriter, disposition, name string) {
	w.Header().Set("Content-Disposition", fileNameHeader(disposition, name))
}

// fileNameHeader is the Content-Disposition value for a file name.
func fileNameHeader(disposition, name string) string {
	return disposition + `; filename="` + name + `"`
}

// latinFold spells accented Latin letters in ASCII.
var latinFold = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ð': "d", 'ĳ': "ij", 'ŋ': "n", '&': " and ", '+': " plus "}
	for ascii, letters := range map[string]string{
		"a": "àáâãäåāăąǎ", "c": "çćĉċč", "d": "ďđ", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "ìíîïĩīĭįıǐ", "j": "ĵ", "k": "ķ", "l": "ĺļľŀł", "n": "ñńņňŉ", "o": "òóôõöøōŏőǒ",
		"r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț", "u": "ùúûüũūŭůűųǔ", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, l := range letters {
			m[l] = ascii
		}
	}
	return m
}()

// orgSlug turns an organisation name into a file-name slug.
func orgSlug(org string) string {
	var b strings.Builder
	hyphen, letter := false, false
	for _, r := range strings.ToLower(org) {
		r = unicode.ToLower(r)
		text, ok := latinFold[r]
		if !ok {
			text = string(r)
		}
		for _, c := range text {
			switch {
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
				if hyphen && b.Len() > 0 {
					b.WriteByte('-')
				}
				hyphen = false
				letter = letter || c >= 'a'
				b.WriteRune(c)
			default:
				hyphen = true
			}
		}
	}
	slug := b.String()
	if !letter {
		return slugFallback
	}
	if len(slug) > slugMax {
		slug = slug[:slugMax]
		if i := strings.LastIndexByte(slug, '-'); i >= slugMax/2 {
			slug = slug[:i]
		}
		slug = strings.TrimRight(slug, "-")
	}
	return slug
}

// draftLabel names the wizard's answers in a file name: the revision they
// were loaded or saved as while they still match it, else "draft".
func (s *Server) draftLabel(r *http.Request, d *draft) string {
	if d == nil || d.PlanID == "" || d.Revision < 1 {
		return "draft"
	}
	sp, err := s.store.GetRevision(r.Context(), d.PlanID, d.Revision)
	if err != nil {
		return "draft" // the download does not fail over its name
	}
	saved, err := s.cat.DecodeAnswers(sp.Answers)
	if err != nil {
		return "draft"
	}
	x, err1 := json.Marshal(saved)
	y, err2 := json.Marshal(d.Answers)
	if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
		return "draft"
	}
	return revisionLabel(d.Revision)
}

// printScreen is the print view's page: the plan, the document title the
// browser offers as the PDF's name, and the screen-only way back.
func (s *Server) printScreen(p *plan.Plan, date, label string, revision int, backURL, backLabel string) pages.PrintScreen {
	return pages.PrintScreen{
		PrintView: pages.PrintView{Plan: p, Date: date, StyleURL: s.assets.URL("css/plan.css")},
		Title:     strings.TrimSuffix(exportName(p.Organization, label, "html"), ".html"),
		Revision:  revision,
		BackURL:   backURL,
		BackLabel: backLabel,
		ToolsCSS:  s.assets.URL("css/print.css"),
		ScriptURL: s.assets.URL("js/app.js"),
	}
}
