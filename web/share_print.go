package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// handleSharePrint is GET /p/{id}/print: the print view of a shared plan's
// latest revision.
func (s *Server) handleSharePrint(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	info, err := s.planInfo(r, id)
	if err != nil {
		return err
	}
	return s.showPrint(w, r, info, info.Revision)
}

// handleShareRevisionPrint is GET /p/{id}/r/{n}/print: the print view of
// one revision, which that revision's page offers as its Print link.
func (s *Server) handleShareRevisionPrint(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	n, err := strconv.Atoi(chi.URLParam(r, "rev"))
	if !store.ValidID(id) || err != nil || n < 1 {
		return errNotFound
	}
	info, err := s.planInfo(r, id) // ErrGone when revoked
	if err != nil {
		return err
	}
	if n > info.Revision {
		return errNotFound
	}
	return s.showPrint(w, r, info, n)
}

// showPrint answers a revision's print view from its snapshot, through the
// cache of rendered bytes; the caller has just asked the store whether the
// plan may be shown. Its way back leads to the revision's page, which is
// the plan's own address while the revision is the latest, so the page is
// rendered again once a newer one is saved.
func (s *Server) showPrint(w http.ResponseWriter, r *http.Request, info store.PlanInfo, rev int) error {
	valid := func(rep *representation) bool { return rep.latest == info.Revision }
	rep, err := s.cachedRepresentation(r.Context(), cacheKey{id: info.ID, rev: rev, ruleset: s.cat.Ruleset, kind: "print"}, valid, func(ctx context.Context) (*representation, error) {
		sp, err := s.store.GetRevision(ctx, info.ID, rev)
		if err != nil {
			return nil, err
		}
		p, _, _, err := s.revisionPlan(ctx, sp)
		if err != nil {
			return nil, err
		}
		back, backLabel := "/p/"+sp.ID, "Back to the shared plan"
		if rev != info.Revision {
			back, backLabel = back+"/r/"+strconv.Itoa(rev), "Back to revision "+strconv.Itoa(rev)
		}
		label := revisionLabel(sp.Revision)
		var buf bytes.Buffer
		ps := s.printScreen(p, sp.SavedAt.UTC().Format(time.DateOnly), label, sp.Revision, back, backLabel)
		ps.RevisionBy, ps.RevisionNote = sp.By, sp.Note
		if err := pages.PrintPage(ps).Render(ctx, &buf); err != nil {
			return nil, err
		}
		rep := newRepresentation(buf.Bytes(), "text/html; charset=utf-8")
		rep.disposition = fileNameHeader("inline", exportName(p.Organization, label, "html"))
		rep.latest = info.Revision
		return rep, nil
	})
	if err != nil {
		return err
	}
	capabilityHeaders(w)
	rep.write(w, r, http.StatusOK)
	return nil
}
