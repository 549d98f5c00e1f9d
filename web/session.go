package web

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
)

// draftLifetime is how long an untouched wizard draft (and its cookie) lives.
const draftLifetime = 30 * 24 * time.Hour

// newCookieStore derives a signing and an encryption key from each session
// key, newest first, so older keys still read cookies during a rotation.
func newCookieStore(keys []string) *sessions.CookieStore {
	var pairs [][]byte
	for _, k := range keys {
		h := sha256.Sum256([]byte("enrollplan cookie signing:" + k))
		b := sha256.Sum256([]byte("enrollplan cookie encryption:" + k))
		pairs = append(pairs, h[:], b[:])
	}
	cs := sessions.NewCookieStore(pairs...)
	// MaxAge sets both the cookie's lifetime and the signed timestamp's, so they agree.
	cs.MaxAge(int(draftLifetime / time.Second))
	return cs
}

// secure reports whether the planner reaches us over TLS (directly, or as the
// operator declared with an https public URL).
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.publicURL, "https://")
}

// cookieName uses the __Host- prefix over TLS, which pins the cookie to this
// host and path /; browsers refuse that prefix without Secure, so plain HTTP
// on a laptop uses a plain name.
func (s *Server) cookieName(r *http.Request) string {
	if s.secure(r) {
		return "__Host-enrollplan"
	}
	return "enrollplan"
}

// sessionDraftID returns the draft id the signed, encrypted cookie holds, or "".
func (s *Server) sessionDraftID(r *http.Request) string {
	sess, err := s.cookies.Get(r, s.cookieName(r))
	if err != nil {
		return "" // tampered, expired or signed with a retired key: start afresh
	}
	id, _ := sess.Values["draft"].(string)
	return id
}

// setSessionDraft stores only the draft id in the cookie. Every option is set
// explicitly: gorilla/sessions v1.4 defaults to SameSite=None; Secure, which
// breaks plain-HTTP use.
func (s *Server) setSessionDraft(w http.ResponseWriter, r *http.Request, id string) error {
	sess, _ := s.cookies.Get(r, s.cookieName(r)) // on error Get still returns a new session
	sess.Values = map[any]any{"draft": id}
	sess.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(draftLifetime / time.Second),
		HttpOnly: true,
		Secure:   s.secure(r),
		SameSite: http.SameSiteLaxMode,
	}
	return sess.Save(r, w)
}
