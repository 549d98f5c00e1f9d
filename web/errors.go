package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

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

// errBadRequest marks input that could not be read at all (a malformed
// form encoding, a broken body); it answers 400, never 500.
var errBadRequest = errors.New("unreadable request")

// errClientGone marks a request whose client disconnected mid-body.
var errClientGone = errors.New("client went away")

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readForm parses a form body and query; every way that can fail is the
// client's, and answers 400 (413 for too large, 408 for too slow).
func readForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return bodyError(r, err)
	}
	return nil
}

// bodyError classifies a failed body read: too large (413), too slow (408),
// the client gone, or a body that was cut off or badly chunked (400).
func bodyError(r *http.Request, err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), isTimeout(err):
		return err
	case r.Context().Err() != nil:
		return fmt.Errorf("%w: %v", errClientGone, err)
	}
	return fmt.Errorf("%w: body: %v", errBadRequest, err)
}

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
	status, msg := http.StatusInternalServerError, ""
	var fields []fieldError
	var he *httpError
	var ve *plan.ValidationError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ve):
		status = http.StatusUnprocessableEntity
		for _, fe := range ve.Errors {
			fields = append(fields, fieldError{Field: fe.Field, Message: fe.Message})
		}
	case errors.As(err, &mbe):
		status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", MaxBody)
	case errors.As(err, &he):
		status, msg = he.status, he.msg
		for k, v := range he.header {
			w.Header().Set(k, v)
		}
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
	case errors.Is(err, context.Canceled), errors.Is(err, errClientGone):
		// The client hung up: nobody is left to answer, and it is not a fault here.
		s.log.Info("client went away", "request_id", middleware.GetReqID(r.Context()), "method", r.Method, "path", r.URL.Path)
		return
	case isTimeout(err):
		status, msg = http.StatusRequestTimeout, "The request body arrived too slowly; send it again."
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, errBadRequest):
		status, msg = http.StatusBadRequest, "The request could not be read: it was cut off or not encoded the way its Content-Type says. Send it again."
	}
	reqID := middleware.GetReqID(r.Context())
	if status >= 500 {
		// Internal details go to the log only; the user gets a request id to quote.
		s.log.Error("request failed", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "err", err)
		msg = fmt.Sprintf("Something went wrong on our side. Please try again; if it keeps happening, quote request id %s.", reqID)
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
	if rerr := s.render(w, r, status, page); rerr != nil {
		s.log.Error("render error page", "request_id", reqID, "err", rerr)
	}
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
