package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// draft is a wizard in progress, kept in the store so that a refresh, a
// restart or another replica keeps the planner where they were.
type draft struct {
	ID       string       `json:"-"`
	Answers  plan.Answers `json:"answers"`
	Reached  int          `json:"reached"`            // highest step the planner may open
	Steps    int          `json:"steps,omitempty"`    // the wizard's step count Reached counts in; 0: seven (renumberSteps)
	PlanID   string       `json:"plan_id,omitempty"`  // saved plan being edited
	Revision int          `json:"revision,omitempty"` // its revision when loaded or last saved
	// Forms keeps what was typed on the steps with rows (2 and 6), by step.
	Forms map[string]*rawForm `json:"forms,omitempty"`
	// Check is a tenant check the server runs for this draft.
	Check *checkRun `json:"check,omitempty"`
	// Inventory is an imported device inventory being grouped, or what
	// Save & share does with its kept device list (wizard_inventory.go).
	Inventory *inventoryDraft `json:"inventory,omitempty"`
}

func newDraft() *draft {
	return &draft{Reached: 1, Answers: plan.Answers{Schema: plan.AnswersSchema}}
}

// loadDraft returns the planner's draft, or nil when there is none.
func (s *Server) loadDraft(r *http.Request) (*draft, error) {
	id := s.sessionDraftID(r)
	if id == "" {
		return nil, nil
	}
	d, err := s.draftByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // expired and cleaned up
	}
	return d, err
}

// draftByID reads and decodes a stored draft.
func (s *Server) draftByID(ctx context.Context, id string) (*draft, error) {
	d, err := s.store.GetDraft(ctx, id)
	if err != nil {
		return nil, err
	}
	var out draft
	if err := json.Unmarshal(d.Data, &out); err != nil {
		return nil, fmt.Errorf("draft %s: %w", id, err)
	}
	out.ID = id
	if out.Reached < 1 {
		out.Reached = 1
	}
	renumberSteps(&out)
	return &out, nil
}

// storeDraft writes a draft that already has an id.
func (s *Server) storeDraft(ctx context.Context, d *draft) error {
	d.Steps = stepCount
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.store.SaveDraft(ctxWithoutCancel(ctx), store.Draft{ID: d.ID, Data: data, UpdatedAt: s.now()})
}

// saveDraft stores the draft, creating it (and the cookie) the first time.
func (s *Server) saveDraft(w http.ResponseWriter, r *http.Request, d *draft) error {
	fresh := d.ID == ""
	if fresh {
		id, err := store.NewID()
		if err != nil {
			return err
		}
		d.ID = id
	}
	if err := s.storeDraft(r.Context(), d); err != nil {
		return err
	}
	if fresh { // a loaded draft came from the cookie, which already names it
		return s.setSessionDraft(w, r, d.ID)
	}
	return nil
}

// RunMaintenance deletes drafts nobody touched for draftLifetime, once an
// hour, until ctx ends.
func (s *Server) RunMaintenance(ctx context.Context) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := s.store.DeleteDraftsBefore(ctx, s.now().Add(-draftLifetime))
		if err != nil && ctx.Err() == nil {
			s.log.Warn("draft cleanup failed", "err", err)
		} else if n > 0 {
			s.log.Info("deleted old drafts", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// draftTurns lets the Save & share submits of one draft that arrive together
// at this process (a double click, a retried request) take turns: each
// reads the draft again once it is its turn, so that re-saves of one change
// make one revision. That one draft makes one plan does not rest on this,
// which holds in one process only, but on the store: a plan records the
// draft it was made from, uniquely (see createDraftPlan). Entries live
// only while a submit of that draft is in flight.
type draftTurns struct {
	mu sync.Mutex
	m  map[string]*draftTurn
}

// draftTurn is the queue of one draft's submits.
type draftTurn struct {
	id   string
	refs int           // submits holding or waiting for the turn; guarded by draftTurns.mu
	turn chan struct{} // holds a token while a submit has the turn
}

// take waits for the draft's turn; ok is false when ctx ended first. Every
// take, successful or not, is followed by one done.
func (t *draftTurns) take(ctx context.Context, id string) (dt *draftTurn, ok bool) {
	t.mu.Lock()
	dt = t.m[id]
	if dt == nil {
		dt = &draftTurn{id: id, turn: make(chan struct{}, 1)}
		t.m[id] = dt
	}
	dt.refs++
	t.mu.Unlock()
	select {
	case dt.turn <- struct{}{}:
		return dt, true
	case <-ctx.Done():
		return dt, false
	}
}

// done gives the turn to the next submit (when held) and forgets the draft
// once no submit is left.
func (t *draftTurns) done(dt *draftTurn, held bool) {
	if held {
		<-dt.turn
	}
	t.mu.Lock()
	if dt.refs--; dt.refs == 0 {
		delete(t.m, dt.id)
	}
	t.mu.Unlock()
}

// draftEditKey is the edit key of plan planID made from draft draftID by
// Save & share: an HMAC-SHA256 under a session key, in the form of
// store.NewSecret (43 characters of base64url). Replicas share the session
// keys, so whichever answers a repeated submit of the draft (another
// replica, a double click) can make the key again and show the same edit
// link, which is shown, never stored: only its hash is. Knowing it takes a
// session key and the draft's id, which only the planner's encrypted
// cookie and the database hold; the planner's draft can already save
// revisions of the plan without it.
func draftEditKey(sessionKey, draftID, planID string) string {
	m := hmac.New(sha256.New, []byte(sessionKey))
	m.Write([]byte("edit-key\x00" + draftID + "\x00" + planID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// createDraftPlan stores draft d's answers (data, already encoded) as a new
// plan made from d, with p as its snapshot and an edit key from
// draftEditKey under the newest session key. When a plan was made from d
// already (on another replica, say), nothing is stored and the error is a
// *store.DraftSavedError naming that plan.
func (s *Server) createDraftPlan(r *http.Request, d *draft, data []byte, p *plan.Plan, rn revisionNote) (createdPlan, error) {
	id, err := store.NewID()
	if err != nil {
		return createdPlan{}, err
	}
	var key string
	if len(s.sessKeys) > 0 {
		key = draftEditKey(s.sessKeys[0], d.ID, id)
	} else if key, err = store.NewSecret(); err != nil { // shown once, then lost
		return createdPlan{}, err
	}
	return s.insertPlan(r, store.NewPlan{ID: id, Answers: data, DraftID: d.ID, Note: rn.Note, By: rn.By}, key, p)
}

// draftPlanLinks describes plan sp for the planner of draft draftID: with
// its edit links when its edit key is draftEditKey's for that draft under
// one of the session keys, so when sp was made from that draft and the key
// it was made with is still among them; ok says which.
func (s *Server) draftPlanLinks(r *http.Request, draftID string, sp store.Plan) (c createdPlan, ok bool) {
	for _, k := range s.sessKeys {
		if key := draftEditKey(k, draftID, sp.ID); store.KeyMatches(sp.EditKeyHash, key) {
			return s.planLinks(r, sp.ID, sp.Revision, key), true
		}
	}
	return s.planLinks(r, sp.ID, sp.Revision, ""), false
}
