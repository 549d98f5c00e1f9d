package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
	PlanID   string       `json:"plan_id,omitempty"`  // saved plan being edited
	Revision int          `json:"revision,omitempty"` // its revision when loaded or last saved
	// Forms keeps what was typed on the steps with rows (2 and 6), by step.
	Forms map[string]*rawForm `json:"forms,omitempty"`
	// Check is a tenant check the server runs for this draft.
	Check *checkRun `json:"check,omitempty"`
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
	return &out, nil
}

// storeDraft writes a draft that already has an id.
func (s *Server) storeDraft(ctx context.Context, d *draft) error {
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
