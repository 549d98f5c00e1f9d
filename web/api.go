package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// decodeAnswers reads a JSON answers body: 415 for another content type,
// 413 past the body limit, 422 with field errors for invalid answers.
func (s *Server) decodeAnswers(r *http.Request) (plan.Answers, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return plan.Answers{}, statusError(http.StatusUnsupportedMediaType, "Send the answers as JSON with Content-Type: application/json.")
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return plan.Answers{}, readBodyError(err)
	}
	return s.cat.DecodeAnswers(data)
}

// handleComputePlan is POST /api/v1/plan: answers in, plan out, nothing
// stored (compute.go writes the answer).
func (s *Server) handleComputePlan(w http.ResponseWriter, r *http.Request) error {
	a, err := s.decodeAnswers(r)
	if err != nil {
		return err
	}
	p, err := s.build(r.Context(), a)
	if err != nil {
		return err
	}
	return writeComputedPlan(w, r, p)
}

// marshalAnswers encodes answers for storage as they were written: without
// HTML escaping, which would grow "<" to "\u003c" and change nothing else.
func marshalAnswers(a plan.Answers) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// createdPlan is the answer to POST /api/v1/plans.
type createdPlan struct {
	ID       string `json:"id"`
	Revision int    `json:"revision"`
	URL      string `json:"url"`
	EditKey  string `json:"edit_key"`
	EditURL  string `json:"edit_url"`
	// TrackerURL opens the progress tracker with the edit key (an addition
	// to CONTRACT §6): where the team records what was done.
	TrackerURL string `json:"tracker_url"`
}

// handleCreatePlan is POST /api/v1/plans: stores revision 1 and returns the
// share link and, once, the edit key.
func (s *Server) handleCreatePlan(w http.ResponseWriter, r *http.Request) error {
	rn, err := noteFromQuery(r)
	if err != nil {
		return err
	}
	a, err := s.decodeAnswers(r)
	if err != nil {
		return err
	}
	p, err := s.build(r.Context(), a) // the revision's snapshot
	if err != nil {
		return err
	}
	c, err := s.createPlan(r, a, p, rn)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.absURL(r, "/api/v1/plans/"+c.ID))
	w.Header().Set("Cache-Control", "no-store") // the edit key must not be cached anywhere
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// createPlan stores and describes a new plan from answers the caller has
// already validated (DecodeAnswers or Build) and the plan built from them,
// kept as the revision's snapshot, with its note. Its edit key is random:
// a client of the API gets it once, in this answer. (The wizard's Save &
// share makes its plans with createDraftPlan.)
func (s *Server) createPlan(r *http.Request, a plan.Answers, p *plan.Plan, rn revisionNote) (createdPlan, error) {
	data, err := marshalAnswers(a)
	if err != nil {
		return createdPlan{}, err
	}
	id, err := store.NewID()
	if err != nil {
		return createdPlan{}, err
	}
	key, err := store.NewSecret()
	if err != nil {
		return createdPlan{}, err
	}
	return s.insertPlan(r, store.NewPlan{ID: id, Answers: data, Note: rn.Note, By: rn.By}, key, p)
}

// noteFromQuery reads a new revision's ?note= and ?by= (additions to
// CONTRACT §6): a one-line change note and who saved it, both optional; a
// 422 naming the field when one cannot be kept.
func noteFromQuery(r *http.Request) (revisionNote, error) {
	q := r.URL.Query()
	rn, problems := readRevisionNote(q.Get("note"), q.Get("by"))
	var errs fieldErrors
	for _, p := range problems {
		errs.add(p.field, "%s", p.apiErr())
	}
	return rn, errs.err()
}

// insertPlan stores np as a new plan whose edit key is key (only its hash
// is stored), with p as the revision's snapshot, and describes it with its
// links.
func (s *Server) insertPlan(r *http.Request, np store.NewPlan, key string, p *plan.Plan) (createdPlan, error) {
	_, snapshot, err := encodePlan(p)
	if err != nil {
		return createdPlan{}, err
	}
	np.EditKeyHash, np.Ruleset, np.Plan = store.HashKey(key), s.cat.Ruleset, snapshot
	saved, err := s.store.CreatePlan(ctxWithoutCancel(r.Context()), np)
	if err != nil {
		return createdPlan{}, err
	}
	return s.planLinks(r, np.ID, saved.Revision, key), nil
}

// planLinks describes plan id at revision rev with its share link and, when
// key is not "", the links that carry its edit key.
func (s *Server) planLinks(r *http.Request, id string, rev int, key string) createdPlan {
	c := createdPlan{ID: id, Revision: rev, URL: s.shareURL(r, id)}
	if key != "" {
		c.EditKey, c.EditURL, c.TrackerURL = key, s.editURL(r, id, key), s.absURL(r, "/p/"+id+"/progress#key="+key)
	}
	return c
}

// savedPlan is the answer to GET and PUT /api/v1/plans/{id}. Plan is the
// plan's compact JSON, as encoded once when it was built or read from the
// revision's snapshot. Note and By, the revision's change note and who
// saved it, are additions to CONTRACT §6, left out when not given.
type savedPlan struct {
	ID       string          `json:"id"`
	Revision int             `json:"revision"`
	Answers  json.RawMessage `json:"answers"`
	Plan     json.RawMessage `json:"plan"`
	Note     string          `json:"note,omitempty"`
	By       string          `json:"by,omitempty"`
}

// savedPlanRepresentation is the API's answer for one revision, whose
// ETag is the revision (CONTRACT: ETag "<revision>", the If-Match of a PUT).
func savedPlanRepresentation(sp store.Plan, compact []byte) (*representation, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as writeJSON
	if err := enc.Encode(savedPlan{ID: sp.ID, Revision: sp.Revision, Answers: sp.Answers, Plan: compact, Note: sp.Note, By: sp.By}); err != nil {
		return nil, err
	}
	rep := &representation{body: buf.Bytes(), contentType: "application/json; charset=utf-8", etag: strconv.Itoa(sp.Revision), fixedETag: true}
	return rep, nil
}

func etag(rev int) string { return `"` + strconv.Itoa(rev) + `"` }

// planID reads {id}; a malformed id is answered 404 without touching the database.
func planID(r *http.Request) (string, error) {
	id := chi.URLParam(r, "id")
	if !store.ValidID(id) {
		return "", errNotFound
	}
	return id, nil
}

// loadPlan reads the latest revision of the plan named by {id}; a malformed
// id is a 404 without a database read.
func (s *Server) loadPlan(r *http.Request) (store.Plan, error) {
	id, err := planID(r)
	if err != nil {
		return store.Plan{}, err
	}
	return s.store.GetPlan(r.Context(), id)
}

// handleGetPlan is GET /api/v1/plans/{id}: the latest revision, from its
// snapshot, through the cache of rendered bytes (revocation is asked of
// the store first, on every request).
func (s *Server) handleGetPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	info, err := s.planInfo(r, id)
	if err != nil {
		return err
	}
	rep, err := s.cachedRepresentation(r.Context(), cacheKey{id: id, rev: info.Revision, ruleset: s.cat.Ruleset, kind: "api"}, nil, func(ctx context.Context) (*representation, error) {
		sp, err := s.store.GetRevision(ctx, id, info.Revision)
		if err != nil {
			return nil, err
		}
		p, compact, _, err := s.revisionPlan(ctx, sp)
		if err != nil {
			return nil, err
		}
		if compact == nil { // no snapshot: encode the plan rebuilt with today's ruleset
			var buf bytes.Buffer
			if err := plan.WriteCompactJSON(&buf, p); err != nil {
				return nil, err
			}
			compact = buf.Bytes()
		}
		return savedPlanRepresentation(sp, compact)
	})
	if err != nil {
		return err
	}
	capabilityHeaders(w)
	rep.write(w, r, http.StatusOK)
	return nil
}

// authorize checks the edit key of a plan: 401 without one, 403 when wrong.
func (s *Server) authorize(r *http.Request, sp store.Plan) error {
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		e := statusError(http.StatusUnauthorized, "Send the plan's edit key as Authorization: Bearer <edit key>.")
		e.header = map[string]string{"WWW-Authenticate": `Bearer realm="enrollplan"`}
		return e
	}
	if !store.KeyMatches(sp.EditKeyHash, strings.TrimSpace(key)) {
		return statusError(http.StatusForbidden, "That edit key does not belong to this plan.")
	}
	return nil
}

// ifMatch parses If-Match: "<revision>". 428 when absent.
func ifMatch(r *http.Request) (int, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		return 0, statusError(http.StatusPreconditionRequired, `Send If-Match: "<revision>" with the revision you edited, so a newer change is never overwritten.`)
	}
	n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(v, "W/"), `"`))
	if err != nil || n < 1 {
		return 0, statusError(http.StatusPreconditionFailed, `If-Match must be a revision such as "3".`)
	}
	return n, nil
}

// handleUpdatePlan is PUT /api/v1/plans/{id}: appends a revision when the
// key is right and If-Match names the latest revision.
func (s *Server) handleUpdatePlan(w http.ResponseWriter, r *http.Request) error {
	sp, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	if err := s.authorize(r, sp); err != nil {
		return err
	}
	expected, err := ifMatch(r)
	if err != nil {
		return err
	}
	rn, err := noteFromQuery(r)
	if err != nil {
		return err
	}
	a, err := s.decodeAnswers(r) // validates: nothing else to check before storing
	if err != nil {
		return err
	}
	p, err := s.build(r.Context(), a) // built once, for the snapshot and the answer
	if err != nil {
		return err
	}
	data, err := marshalAnswers(a)
	if err != nil {
		return err
	}
	compact, snapshot, err := encodePlan(p) // encoded once, too
	if err != nil {
		return err
	}
	updated, err := s.store.UpdatePlan(ctxWithoutCancel(r.Context()), store.Update{ID: sp.ID, ExpectedRevision: expected, Answers: data, Ruleset: s.cat.Ruleset, Plan: snapshot, Note: rn.Note, By: rn.By})
	if err != nil {
		return err
	}
	rep, err := savedPlanRepresentation(updated, compact)
	if err != nil {
		return err
	}
	capabilityHeaders(w)
	w.Header().Set("Content-Type", rep.contentType)
	w.Header().Set("ETag", rep.etagFor(encIdentity))
	writeBody(w, rep.body) // compressed on the way out when the client asks (compress)
	return nil
}

// updatePlan stores a revision with the plan built from its answers as its
// snapshot (the wizard's "Save & share" of a saved plan).
func (s *Server) updatePlan(ctx context.Context, u store.Update, p *plan.Plan) (store.Plan, error) {
	_, snapshot, err := encodePlan(p)
	if err != nil {
		return store.Plan{}, err
	}
	u.Plan = snapshot
	return s.store.UpdatePlan(ctx, u)
}

// handleDeletePlan is DELETE /api/v1/plans/{id}: revokes the plan.
func (s *Server) handleDeletePlan(w http.ResponseWriter, r *http.Request) error {
	sp, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	if err := s.authorize(r, sp); err != nil {
		return err
	}
	if err := s.store.RevokePlan(ctxWithoutCancel(r.Context()), sp.ID); err != nil {
		return err
	}
	s.cache.dropPlan(sp.ID) // its bytes must not outlive it in memory either
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// absURL makes an absolute URL from --public-url, or from the request's
// own scheme and Host (CONTRACT §6).
func (s *Server) absURL(r *http.Request, path string) string {
	if s.publicURL != "" {
		return s.publicURL + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

func (s *Server) shareURL(r *http.Request, id string) string { return s.absURL(r, "/p/"+id) }

func (s *Server) editURL(r *http.Request, id, key string) string {
	// The key rides in the fragment: browsers never send it and proxies never log it.
	return s.absURL(r, "/p/"+id+"/edit#key="+key)
}
