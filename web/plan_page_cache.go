package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/enrollplan/enrollplan/templates/pages"
)

// The wizard's plan page (step 7) is the whole plan document inside the
// wizard's frame: building the plan, rendering it and compressing it took
// about 8 ms of CPU for nine groups, on every view, although a planner
// mostly looks at the same answers again (back from the print view, a
// reload, a second tab). So the rendered page is cached per draft, and
// rendered again only when something it shows changes: the draft's
// version (planPageVersion) names all of that.
//
// The page is private: it is cached under the draft's id, which only the
// planner's signed session cookie names, so no other session can be
// answered with it; it stays Cache-Control: no-store for browsers and
// proxies (wizardDraft). One entry per draft: a newer version replaces the
// older one, and the render cache's bound and LRU order apply to all.

// planPageKind is the cache kind of a draft's plan page.
const planPageKind = "wizard-plan"

// planPageCacheKey is where a draft's plan page is cached: one entry per
// draft (the version is checked on the entry, not in the key), per
// ruleset and per day, as plans are built on the server's date.
func (s *Server) planPageCacheKey(draftID, today string) cacheKey {
	return cacheKey{id: "draft:" + draftID, ruleset: s.cat.Ruleset, kind: planPageKind, day: today}
}

// planPageVersion names everything the plan page shows that can change
// while its cache key stays: the answers the plan is built from, the
// steps the planner may open (the progress bar), the saved plan and
// revision being edited and the link to it (absolute, so it depends on the
// host asked when no public URL is set). A hash, so that the cache keeps a
// few bytes per page rather than the draft.
func (s *Server) planPageVersion(r *http.Request, d *draft) (string, error) {
	answers, err := marshalAnswers(d.Answers)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	var n [8]byte
	for _, v := range []int{d.Reached, d.Steps, d.Revision, len(answers)} {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	h.Write(answers)
	h.Write([]byte{0})
	h.Write([]byte(d.PlanID))
	h.Write([]byte{0})
	if d.PlanID != "" {
		h.Write([]byte(s.shareURL(r, d.PlanID)))
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// notBuiltError carries a build's failure out of a cache fill, so that the
// handler answers it as the wizard does (back to the step to fix).
type notBuiltError struct{ err error }

func (e *notBuiltError) Error() string { return e.err.Error() }
func (e *notBuiltError) Unwrap() error { return e.err }

// servePlanPage answers GET /wizard/plan (without a query: the messages a
// query asks for are rendered each time) from the cache of rendered
// pages, building and rendering the plan only when the draft's version
// has no page yet.
func (s *Server) servePlanPage(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepPlan)
	if !ok || err != nil {
		return err
	}
	version, err := s.planPageVersion(r, d)
	if err != nil {
		return err
	}
	today := s.now().UTC().Format(time.DateOnly)
	valid := func(rep *representation) bool { return rep.version == version }
	rep, err := s.cachedRepresentation(r.Context(), s.planPageCacheKey(d.ID, today), valid, func(ctx context.Context) (*representation, error) {
		p, err := s.build(ctx, d.Answers)
		if err != nil {
			return nil, &notBuiltError{err: err}
		}
		var buf bytes.Buffer
		if err := pages.PlanPage(s.planView(r, d, p)).Render(ctx, &buf); err != nil {
			return nil, err
		}
		rep := newRepresentation(buf.Bytes(), "text/html; charset=utf-8")
		rep.version = version
		rep.private, rep.fast = true, true
		return rep, nil
	})
	var nb *notBuiltError
	if errors.As(err, &nb) {
		return s.notBuilt(w, r, nb.err, stepOf(nb.err))
	}
	if err != nil {
		return err
	}
	rep.write(w, r, http.StatusOK)
	return nil
}
