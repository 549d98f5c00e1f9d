package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// shareFormats are the suffixes a share link accepts (CONTRACT §6).
var shareFormats = map[string]string{"md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}

// splitRef splits "ID.md" into the id and format ("" for the HTML page).
func splitRef(ref string) (id, format string, ok bool) {
	id, format, _ = strings.Cut(ref, ".")
	if format != "" {
		if _, known := shareFormats[format]; !known {
			return "", "", false
		}
	}
	return id, format, store.ValidID(id)
}

// storedPlan rebuilds a saved revision's plan with the current ruleset.
func (s *Server) storedPlan(sp store.Plan) (*plan.Plan, error) {
	a, err := s.cat.DecodeAnswers(sp.Answers)
	if err != nil {
		return nil, fmt.Errorf("stored answers of %s no longer decode: %w", sp.ID, err)
	}
	p, err := s.cat.Build(a)
	if err != nil {
		return nil, fmt.Errorf("stored answers of %s no longer build: %w", sp.ID, err)
	}
	return p, nil
}

// writeFormat renders a plan as md, csv or json, buffered so a failure
// never ships a partial 200.
func writeFormat(w http.ResponseWriter, p *plan.Plan, format string) error {
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
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", shareFormats[format])
	writeBody(w, buf.Bytes())
	return nil
}

// handleShare is GET /p/{id}[.md|.csv|.json]: the read-only latest revision.
func (s *Server) handleShare(w http.ResponseWriter, r *http.Request) error {
	id, format, ok := splitRef(chi.URLParam(r, "ref"))
	if !ok {
		return errNotFound // malformed: answered without touching the database
	}
	sp, err := s.store.GetPlan(r.Context(), id)
	if err != nil {
		return err
	}
	return s.showRevision(w, r, sp, format)
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
	sp, err := s.store.GetRevision(r.Context(), id, n) // ErrGone when revoked, like GetPlan
	if err != nil {
		return err
	}
	return s.showRevision(w, r, sp, format)
}

// showRevision renders one revision; the HTML page also lists every revision,
// and the newest of that list tells whether this one is the latest.
func (s *Server) showRevision(w http.ResponseWriter, r *http.Request, sp store.Plan, format string) error {
	p, err := s.storedPlan(sp)
	if err != nil {
		return err
	}
	capabilityHeaders(w)
	if format != "" {
		w.Header().Set("ETag", etag(sp.Revision))
		return writeFormat(w, p, format)
	}
	revs, err := s.store.ListRevisions(r.Context(), sp.ID)
	if err != nil {
		return err
	}
	latest := revs[len(revs)-1].Number // a plan always has revision 1
	base := "/p/" + sp.ID
	self := base
	if sp.Revision != latest {
		self = base + "/r/" + strconv.Itoa(sp.Revision)
	}
	v := pages.ShareView{
		Head:         s.planHead("Plan for "+p.Organization, true),
		Plan:         p,
		Revision:     sp.Revision,
		Latest:       latest,
		SavedRuleset: sp.Ruleset,
		SavedAt:      sp.SavedAt.UTC().Format("2 Jan 2006 15:04 UTC"),
		Date:         sp.SavedAt.UTC().Format(time.DateOnly),
		Formats:      []pages.Link{{Label: "Markdown", URL: self + ".md"}, {Label: "CSV", URL: self + ".csv"}, {Label: "JSON", URL: self + ".json"}},
	}
	for _, rv := range revs {
		u := base + "/r/" + strconv.Itoa(rv.Number)
		if rv.Number == latest {
			u = base
		}
		v.Revisions = append(v.Revisions, pages.RevisionLink{Number: rv.Number, SavedAt: rv.SavedAt.UTC().Format("2 Jan 2006 15:04 UTC"), URL: u, Current: rv.Number == sp.Revision})
	}
	if sp.Revision == latest {
		v.PrintURL = base + "/print"
	}
	w.Header().Set("ETag", etag(sp.Revision))
	return s.render(w, r, http.StatusOK, pages.SharePage(v))
}
