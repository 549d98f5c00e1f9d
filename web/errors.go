package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// httpError is an error with a status and a message safe to show.
type httpError struct {
	status int
	msg    string
	header map[string]string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg) }

func statusError(status int, msg string) *httpError { return &httpError{status: status, msg: msg} }

var (
	errNotFound = statusError(http.StatusNotFound, "There is nothing at this address. Check the link, or ask whoever shared it for a new one.")
	errGone     = statusError(http.StatusGone, "This plan was withdrawn by its owner and can no longer be viewed.")
	errMethod   = statusError(http.StatusMethodNotAllowed, "This address does not accept that method.")
)

// bodyError is a failure to read the request body: a body cut off, badly
// chunked or encoded, too slow or too large. It is the client's doing and
// answers 4xx, unlogged. Only code that reads the body makes one (readForm,
// decodeAnswers, the check upload), so that a timeout or an unexpected EOF
// from anywhere else, a store's deadline or a dropped database connection,
// is never blamed on the client.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "reading the request body: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// readBodyError tags an error from reading the request body as the client's.
func readBodyError(err error) error { return &bodyError{err: err} }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readForm parses a form body and query; every way that can fail is the
// client's, and answers 400 (413 for too large, 408 for too slow).
func readForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return readBodyError(err)
	}
	return nil
}

// storedDataError is data the server stored that no longer reads: a saved
// revision whose answers today's rules refuse. The server's problem, not
// the visitor's: logged, answered 500, with a page that says what mends it
// and never the rules' field paths.
type storedDataError struct {
	id  string
	rev int
	err error
}

func (e *storedDataError) Error() string {
	return fmt.Sprintf("stored answers of %s r%d no longer read: %v", e.id, e.rev, e.err)
}

// panicError is a handler's panic: its value and the stack where it
// happened, for the log only.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// handle adapts a handler that returns an error; this is the one place that
// turns errors into statuses and safe messages.
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	reqID := middleware.GetReqID(r.Context())
	status, msg := http.StatusInternalServerError, ""
	var fields []fieldError
	var (
		he  *httpError
		ve  *plan.ValidationError
		be  *bodyError
		sde *storedDataError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &be): // only reading the body is the client's doing
		switch {
		case errors.As(be.err, &mbe):
			status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", MaxBody)
		case isTimeout(be.err):
			status, msg = http.StatusRequestTimeout, "The request body arrived too slowly; send it again."
		default: // answered even when the client has hung up: it may only have stopped sending
			status, msg = http.StatusBadRequest, "The request could not be read: it was cut off or not encoded the way its Content-Type says. Send it again."
		}
	case errors.As(err, &sde):
		msg = fmt.Sprintf("This plan was saved with answers that today's edition of the Intune guidance no longer accepts, so it cannot be shown. Whoever holds its edit link needs to open it and save it again. If you report this, quote request id %s.", reqID)
	case errors.As(err, &ve):
		status = http.StatusUnprocessableEntity
		for _, fe := range ve.Errors {
			fields = append(fields, fieldError{Field: fe.Field, Message: fe.Message})
		}
	case errors.As(err, &he):
		status, msg = he.status, he.msg
		for k, v := range he.header {
			w.Header().Set(k, v)
		}
	case errors.Is(err, store.ErrFull):
		status, msg = http.StatusTooManyRequests, draftsFullMessage(err)
		w.Header().Set("Retry-After", strconv.Itoa(int(draftsFullWait(err)/time.Second)))
		// The operator should hear of it: a flood, or MaxDrafts too low.
		s.log.Warn("new draft refused: the draft cap is reached and every draft was saved recently",
			"request_id", reqID, "method", r.Method, "path", r.URL.Path)
	case errors.Is(err, store.ErrNotFound):
		status, msg = errNotFound.status, errNotFound.msg
	case errors.Is(err, store.ErrGone):
		status, msg = errGone.status, errGone.msg
	case errors.Is(err, store.ErrConflict):
		status, msg = http.StatusPreconditionFailed, "The plan was changed by someone else since you loaded it; reload it and apply your change again."
	case errors.Is(err, store.ErrTooLarge):
		status, msg = http.StatusRequestEntityTooLarge, "This plan is larger than the server keeps; shorten its names and free-text items."
	case errors.Is(err, store.ErrTooManyRevisions):
		status, msg = http.StatusConflict, "This plan has as many revisions as the server keeps; save your version as a new plan instead."
	case r.Context().Err() != nil && errors.Is(err, r.Context().Err()):
		// The request's own context ended: the client hung up (or the
		// server is shutting down). Nobody is left to answer, and it is
		// not a fault here.
		s.log.Info("client went away", "request_id", reqID, "method", r.Method, "path", r.URL.Path)
		return
	}
	if status >= 500 {
		// Internal details go to the log only; the user gets a request id
		// to quote, and a safe message: the generic one, or what a
		// storedDataError says mends it.
		attrs := []any{"request_id", reqID, "method", r.Method, "path", r.URL.Path, "err", err}
		var pe *panicError
		if errors.As(err, &pe) {
			attrs = append(attrs, "stack", string(pe.stack))
		}
		s.log.Error("request failed", attrs...)
		if sde == nil {
			msg = fmt.Sprintf("Something went wrong on our side. Please try again; if it keeps happening, quote request id %s.", reqID)
		}
		fields = nil
	}
	if fields == nil {
		fields = []fieldError{{Field: "", Message: msg}}
	}
	if wantsJSON(r) {
		writeJSONErrors(w, status, fields)
		return
	}
	var b strings.Builder
	for _, f := range fields {
		if f.Field != "" {
			b.WriteString(f.Field + ": ")
		}
		b.WriteString(f.Message + " ")
	}
	page := pages.ErrorPage(pages.ErrorView{Head: s.head(http.StatusText(status), true), Status: status, Title: http.StatusText(status), Message: strings.TrimSpace(b.String()), RequestID: reqID})
	// Rendered even when the request's context has ended: a client that cut
	// its body off may still be waiting for the answer.
	r = r.WithContext(context.WithoutCancel(r.Context()))
	if rerr := s.render(w, r, status, page); rerr != nil {
		s.log.Error("render error page", "request_id", reqID, "err", rerr)
	}
}

// draftsFullWait is when a refused new draft may find room (store.FullError),
// in whole seconds, at least one.
func draftsFullWait(err error) time.Duration {
	wait := time.Hour // a store that does not say: a plausible guess
	var fe *store.FullError
	if errors.As(err, &fe) {
		wait = fe.RetryAfter
	}
	return max(wait.Round(time.Second), time.Second)
}

// draftsFullMessage tells a planner whose new draft the store refused
// (store.ErrFull) what happened and when to come back, in words.
func draftsFullMessage(err error) string {
	wait := draftsFullWait(err)
	var when string
	switch {
	case wait <= time.Minute:
		when = "a minute"
	case wait < time.Hour:
		when = fmt.Sprintf("%d minutes", int((wait+time.Minute-1)/time.Minute))
	case wait <= time.Hour:
		when = "an hour"
	default:
		when = fmt.Sprintf("about %d hours", int((wait+time.Hour-1)/time.Hour))
	}
	return "This server is holding as many plans in progress as it can; try again in " + when +
		". Plans already saved and shared are not affected."
}

func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/")
}

func writeJSONErrors(w http.ResponseWriter, status int, fields []fieldError) {
	writeJSON(w, status, map[string]any{"errors": fields})
}

// writeJSON answers v as JSON. "<" and "&" stay as they are: every answer
// is application/json with nosniff, so no browser reads it as HTML.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"errors":[{"field":"","message":"internal error"}]}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
