package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/enrollplan/enrollplan/templates/pages"
)

// SignInProvider signs a visitor in with Microsoft (OpenID Connect,
// authorization code with PKCE) through the operator's multi-tenant app
// registration, and turns what they come back with into a check of their
// own tenant with their own rights (CONTRACT §8.4). cmd/enrollplan wires in
// internal/tenant's; the web layer sees only this, so it never builds the
// Graph SDK. cloud is tenant.cloud of the answers (global, gcc, gcc-high,
// dod, china).
type SignInProvider interface {
	// AuthURL is where to send the visitor's browser to sign in.
	AuthURL(ctx context.Context, cloud, state, challenge, nonce, redirectURI string) (string, error)
	// Redeem exchanges the code for a check that holds the visitor's token
	// in memory for that one check. An error the identity provider answered
	// with has an OAuthError() (code, description string) method.
	Redeem(ctx context.Context, cloud, code, verifier, nonce, redirectURI string) (TenantChecker, error)
	// AdminConsentURL is Microsoft's page where an administrator approves
	// the app for their whole organisation.
	AdminConsentURL(cloud, redirectURI string) (string, error)
	// Origins are the sign-in pages' origins, which forms may lead to.
	Origins() []string
	// Permissions are the read permissions the app asks for.
	Permissions() []string
}

// oauthError is an identity provider's refusal: its OAuth error
// ("consent_required", "invalid_grant") and its description ("AADSTS65001: …").
type oauthError interface {
	OAuthError() (code, description string)
}

// Pending sign-ins are kept in memory, between the redirect to Microsoft
// and the visitor's return: a person with multi-factor prompts needs a few
// minutes, and Microsoft's codes live about ten. At most this many wait at
// once (each is a few hundred bytes); a draft has one at a time.
const (
	signInTTL         = 10 * time.Minute
	maxPendingSignIns = 1000
)

// signInClouds are the tenant.cloud values a sign-in can be for.
var signInClouds = []string{"global", "gcc", "gcc-high", "dod", "china"}

// consentState starts the state of an admin-consent link, before the cloud.
const consentState = "consent."

var errSignInOff = statusError(http.StatusNotFound, "This server does not offer signing in with Microsoft. Run enrollplan check-tenant and upload the file it prints in step 1 instead.")

// pendingSignIn is a sign-in started and not yet come back: the PKCE
// verifier and the nonce never leave the server, and the state that names
// it is bound to the draft of the browser that started it, or, for a
// re-check of a saved plan (recheck_signin.go), to the plan and the
// tracker cookie's browser id of the browser that started it.
type pendingSignIn struct {
	draftID     string
	planID      string
	browser     string
	cloud       string
	verifier    string
	nonce       string
	redirectURI string
	started     time.Time
}

// owner is what holds one sign-in at a time: a draft, or one browser's
// re-check of a plan.
func (p *pendingSignIn) owner() string {
	if p.planID != "" {
		return "plan " + p.planID + " " + p.browser
	}
	return p.draftID
}

// pendingSignIns holds the sign-ins under way, bounded in number and age.
type pendingSignIns struct {
	max int
	ttl time.Duration

	mu      sync.Mutex
	byState map[string]*pendingSignIn
	byOwner map[string]string // owner → its sign-in's state
}

func newPendingSignIns(max int, ttl time.Duration) *pendingSignIns {
	return &pendingSignIns{max: max, ttl: ttl, byState: map[string]*pendingSignIn{}, byOwner: map[string]string{}}
}

// add keeps p under state, replacing its owner's earlier sign-in (a
// second click, a new tab: the latest wins). When as many as max are under way
// and none has expired, it refuses, and says when the oldest expires.
func (ps *pendingSignIns) add(now time.Time, state string, p *pendingSignIn) (wait time.Duration, ok bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if old, had := ps.byOwner[p.owner()]; had {
		delete(ps.byState, old)
	}
	oldest := now
	for st, q := range ps.byState {
		if now.Sub(q.started) > ps.ttl {
			ps.remove(st, q)
		} else if q.started.Before(oldest) {
			oldest = q.started
		}
	}
	if len(ps.byState) >= ps.max {
		return max(oldest.Add(ps.ttl).Sub(now), time.Second), false
	}
	p.started = now
	ps.byState[state] = p
	ps.byOwner[p.owner()] = state
	return 0, true
}

// take removes state's sign-in and returns it: each state is used once,
// whatever comes of it. A sign-in older than the limit comes back with
// expired set, and nil.
func (ps *pendingSignIns) take(now time.Time, state string) (p *pendingSignIn, expired bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p = ps.byState[state]
	if p == nil {
		return nil, false
	}
	ps.remove(state, p)
	if now.Sub(p.started) > ps.ttl {
		return nil, true
	}
	return p, false
}

func (ps *pendingSignIns) remove(state string, p *pendingSignIn) {
	delete(ps.byState, state)
	if ps.byOwner[p.owner()] == state {
		delete(ps.byOwner, p.owner())
	}
}

func (ps *pendingSignIns) len() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.byState)
}

// randomToken is 32 random bytes, base64url: a state, a nonce or a PKCE
// verifier (RFC 7636 wants 43 to 128 characters; this is 43).
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand's Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// pkceChallenge is RFC 7636's S256 challenge of a verifier.
func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// cloudChoices are the clouds a tenant can be in, as step 1 and the
// sign-in form offer them.
var cloudChoices = []pages.Choice{{Value: "global", Label: "Commercial (worldwide)"}, {Value: "gcc", Label: "GCC (US Government Community Cloud)"},
	{Value: "gcc-high", Label: "GCC High"}, {Value: "dod", Label: "DoD"}, {Value: "china", Label: "Operated by 21Vianet in China"}}

// signInStatus is the HTTP status of each sign-in page: the visitor's or
// their organisation's refusal 403, a sign-in that cannot be finished 400
// (never 5xx: nothing failed here), Microsoft refusing or not answering
// the server 502.
var signInStatus = map[string]int{
	pages.SignInStart: http.StatusOK, pages.SignInGranted: http.StatusOK,
	pages.SignInConsent: http.StatusForbidden, pages.SignInDeclined: http.StatusForbidden, pages.SignInConsentDeclined: http.StatusForbidden,
	pages.SignInNotAllowed: http.StatusForbidden, pages.SignInBlocked: http.StatusForbidden, pages.SignInWorkAccount: http.StatusForbidden,
	pages.SignInExpired: http.StatusBadRequest, pages.SignInUnknown: http.StatusBadRequest, pages.SignInFailed: http.StatusBadRequest,
	pages.SignInSetup: http.StatusBadGateway, pages.SignInMissingPermission: http.StatusBadGateway, pages.SignInUnreachable: http.StatusBadGateway,
	pages.SignInBusy: http.StatusServiceUnavailable,
}

// renderSignIn answers with the sign-in page of kind. permission names
// what the app registration lacks, for SignInMissingPermission.
func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, kind, cloud, permission string) error {
	return s.renderSignInFor(w, r, nil, kind, cloud, permission)
}

// renderSignInFor is renderSignIn for what became of sign-in p: one
// started from a plan's tracker signs in again there and leads back to it.
func (s *Server) renderSignInFor(w http.ResponseWriter, r *http.Request, p *pendingSignIn, kind, cloud, permission string) error {
	if !slices.Contains(signInClouds, cloud) {
		cloud = "global"
	}
	w.Header().Set("Cache-Control", "no-store")
	v := pages.SignInView{Head: s.head(pages.SignInTitle(kind), true), Kind: kind, Cloud: cloud, Clouds: cloudChoices,
		Permissions: s.signIn.Permissions(), Permission: permission, RequestID: reqIDOf(r)}
	if kind == pages.SignInConsent || kind == pages.SignInDeclined {
		v.AdminConsentLink = s.absURL(r, "/auth/adminconsent?"+url.Values{"cloud": {cloud}}.Encode())
	}
	if p != nil && p.planID != "" {
		v.Action, v.Back, v.BackText = recheckSignInPath(p.planID), "/p/"+p.planID+"/progress#tenant", "Back to the tracker"
	}
	status, ok := signInStatus[kind]
	if !ok {
		status = http.StatusBadRequest
	}
	return s.render(w, r, status, pages.SignInPage(v))
}

// handleSignInPage is GET /auth/signin: the offer on a page of its own
// (where an administrator's approval leads, and a link can point).
func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) error {
	if s.signIn == nil {
		return errSignInOff
	}
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	return s.renderSignIn(w, r, pages.SignInStart, d.Answers.Tenant.EffectiveCloud(), "")
}

// handleSignInStart is POST /auth/signin: a sign-in for the visitor's
// draft (made now when they have none), in the cloud they chose. The
// state, the PKCE verifier and the nonce stay in this server's memory,
// bound to the draft; the browser goes to Microsoft with the state, the
// challenge and the nonce only. The route counts against --create-limit.
func (s *Server) handleSignInStart(w http.ResponseWriter, r *http.Request) error {
	if s.signIn == nil {
		return errSignInOff
	}
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	cloud := r.PostForm.Get("tenant.cloud")
	if cloud == "" {
		cloud = d.Answers.Tenant.EffectiveCloud()
	}
	if !slices.Contains(signInClouds, cloud) {
		return statusError(http.StatusBadRequest, "Choose the Microsoft cloud your tenant is in, then sign in.")
	}
	if d.ID == "" { // the findings need a draft to land in
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
	}
	return s.beginSignIn(w, r, &pendingSignIn{draftID: d.ID, cloud: cloud})
}

// beginSignIn sends the browser to Microsoft to sign in for p, whose owner
// and cloud are set: the state, the PKCE verifier and the nonce are made
// here and kept, bound to p's owner, until the return.
func (s *Server) beginSignIn(w http.ResponseWriter, r *http.Request, p *pendingSignIn) error {
	state := randomToken()
	p.verifier, p.nonce, p.redirectURI = randomToken(), randomToken(), s.absURL(r, "/auth/callback")
	if wait, ok := s.signIns.add(s.now(), state, p); !ok {
		s.log.Warn("sign-in refused: too many under way", "request_id", reqIDOf(r), "pending", s.signIns.len())
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
		return s.renderSignInFor(w, r, p, pages.SignInBusy, p.cloud, "")
	}
	to, err := s.signIn.AuthURL(r.Context(), p.cloud, state, pkceChallenge(p.verifier), p.nonce, p.redirectURI)
	if err != nil {
		s.signIns.take(s.now(), state)
		s.log.Warn("sign-in could not start", "request_id", reqIDOf(r), "cloud", p.cloud, "err", err)
		return s.renderSignInFor(w, r, p, pages.SignInUnreachable, p.cloud, "")
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// handleSignInCallback is GET /auth/callback, where Microsoft sends the
// visitor back: with a code, an error, or an administrator's approval. The
// state must be one this server started, less than signInTTL ago, for the
// draft of this very browser; the code is then redeemed with the verifier
// and the check starts on that draft (startCheck, under the checks' bounds).
// A state started from a plan's tracker goes to finishRecheckSignIn.
func (s *Server) handleSignInCallback(w http.ResponseWriter, r *http.Request) error {
	if s.signIn == nil {
		return errSignInOff
	}
	w.Header().Set("Cache-Control", "no-store")
	q := r.URL.Query()
	if q.Has("admin_consent") { // an administrator's approval, from the admin-consent link
		cloud := strings.TrimPrefix(q.Get("state"), consentState)
		if q.Get("admin_consent") != "True" || q.Get("error") != "" {
			s.logRefusal(r, "admin consent not given", cloud, q.Get("error"), q.Get("error_description"))
			return s.renderSignIn(w, r, pages.SignInConsentDeclined, cloud, "")
		}
		s.log.Info("admin consent given", "request_id", reqIDOf(r))
		return s.renderSignIn(w, r, pages.SignInGranted, cloud, "")
	}
	p, expired := s.signIns.take(s.now(), q.Get("state"))
	if p == nil {
		kind := pages.SignInUnknown
		if expired {
			kind = pages.SignInExpired
		}
		s.log.Info("sign-in return refused", "request_id", reqIDOf(r), "why", kind)
		return s.renderSignIn(w, r, kind, "", "")
	}
	if p.planID != "" {
		return s.finishRecheckSignIn(w, r, p) // recheck_signin.go
	}
	d, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	if d == nil || d.ID != p.draftID {
		// Another browser, or a link someone was sent: its findings must
		// never land in a draft that did not ask for them.
		s.log.Warn("sign-in return refused: the state belongs to another browser's draft", "request_id", reqIDOf(r))
		return s.renderSignIn(w, r, pages.SignInUnknown, p.cloud, "")
	}
	if refused, err := s.signInReturnRefused(w, r, p); refused {
		return err
	}
	checker, err := s.redeemSignIn(w, r, p)
	if checker == nil {
		return err
	}
	return s.startCheck(w, r, d, checker)
}

// signInReturnRefused answers a return that carries no code to redeem
// (the identity provider's refusal, or nothing at all) with its page, and
// says so.
func (s *Server) signInReturnRefused(w http.ResponseWriter, r *http.Request, p *pendingSignIn) (bool, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return true, s.signInRefused(w, r, p, e, q.Get("error_description"))
	}
	if q.Get("code") == "" {
		return true, s.renderSignInFor(w, r, p, pages.SignInFailed, p.cloud, "")
	}
	return false, nil
}

// redeemSignIn redeems the return's code with p's verifier and nonce.
// When the identity provider refuses or cannot be reached, it answers with
// the page that says so and returns no checker.
func (s *Server) redeemSignIn(w http.ResponseWriter, r *http.Request, p *pendingSignIn) (TenantChecker, error) {
	checker, err := s.signIn.Redeem(r.Context(), p.cloud, r.URL.Query().Get("code"), p.verifier, p.nonce, p.redirectURI)
	if err != nil {
		var oe oauthError
		if errors.As(err, &oe) {
			c, desc := oe.OAuthError()
			return nil, s.signInRefused(w, r, p, c, desc, "detail", err.Error()) // trace and correlation ids, for Microsoft's support
		}
		s.log.Warn("sign-in: the code could not be redeemed", "request_id", reqIDOf(r), "cloud", p.cloud, "err", err)
		return nil, s.renderSignInFor(w, r, p, pages.SignInUnreachable, p.cloud, "")
	}
	s.log.Info("signed in with Microsoft for a tenant check", "request_id", reqIDOf(r), "cloud", p.cloud, "recheck", p.planID != "")
	return checker, nil
}

// handleAdminConsent is GET /auth/adminconsent?cloud=…: the link a visitor
// sends their administrator. It leads on to Microsoft's admin consent page
// for this server's app, so the visitor's page shows no app id or host.
func (s *Server) handleAdminConsent(w http.ResponseWriter, r *http.Request) error {
	if s.signIn == nil {
		return errSignInOff
	}
	cloud := r.URL.Query().Get("cloud")
	if cloud == "" {
		cloud = "global"
	}
	if !slices.Contains(signInClouds, cloud) {
		return statusError(http.StatusBadRequest, "This approval link names no Microsoft cloud this server knows; ask for a new link.")
	}
	to, err := s.signIn.AdminConsentURL(cloud, s.absURL(r, "/auth/callback"))
	var u *url.URL
	if err == nil {
		u, err = url.Parse(to)
	}
	if err != nil {
		s.log.Warn("admin consent link", "request_id", reqIDOf(r), "err", err)
		return s.renderSignIn(w, r, pages.SignInUnreachable, cloud, "")
	}
	// The state comes back with the approval: the cloud, for the page's
	// "Sign in" form. It starts nothing, so it needs no secret.
	q := u.Query()
	q.Set("state", consentState+cloud)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return nil
}

// signInRefused explains an identity provider's refusal of sign-in p in
// words, and logs what it said (codes, ids and all) under the request id.
func (s *Server) signInRefused(w http.ResponseWriter, r *http.Request, p *pendingSignIn, code, desc string, more ...any) error {
	kind, perm := signInProblem(code, desc, s.signIn.Permissions())
	s.logRefusal(r, "sign-in refused", p.cloud, code, desc, append([]any{"kind", kind}, more...)...)
	return s.renderSignInFor(w, r, p, kind, p.cloud, perm)
}

func (s *Server) logRefusal(r *http.Request, msg, cloud, code, desc string, more ...any) {
	if len(desc) > 1000 {
		desc = desc[:1000]
	}
	s.log.Warn(msg, append([]any{"request_id", reqIDOf(r), "cloud", cloud, "error", code, "description", desc}, more...)...)
}

var aadsts = regexp.MustCompile(`AADSTS(\d+)`)

// signInProblem reads an OAuth error and Entra's description (its AADSTS
// code: Microsoft Entra authentication and authorization error codes) as
// one of the sign-in pages; perm is the permission named in it, when the
// app registration lacks one of perms.
func signInProblem(code, desc string, perms []string) (kind, perm string) {
	n := 0
	if m := aadsts.FindStringSubmatch(desc); m != nil {
		n, _ = strconv.Atoi(m[1])
	}
	switch n {
	case 65001, 90094, 90008, 90099:
		return pages.SignInConsent, ""
	case 65004:
		return pages.SignInDeclined, ""
	case 50105:
		return pages.SignInNotAllowed, ""
	case 53000, 53001, 53002, 53003, 530032:
		return pages.SignInBlocked, ""
	case 50020, 500200, 9002331, 50177:
		return pages.SignInWorkAccount, ""
	case 70008, 54005:
		return pages.SignInExpired, ""
	case 650057, 650053, 70011, 65005:
		for _, p := range perms {
			if strings.Contains(strings.ToLower(desc), strings.ToLower(p)) {
				return pages.SignInMissingPermission, p
			}
		}
		return pages.SignInSetup, ""
	case 7000215, 7000222, 700027, 700016, 50011, 50194, 700054, 7000218, 50012:
		return pages.SignInSetup, ""
	}
	switch code {
	case "consent_required":
		return pages.SignInConsent, ""
	case "access_denied":
		return pages.SignInDeclined, ""
	case "invalid_client", "unauthorized_client", "unsupported_response_type", "invalid_scope":
		return pages.SignInSetup, ""
	case "temporarily_unavailable", "server_error":
		return pages.SignInUnreachable, ""
	}
	return pages.SignInFailed, ""
}

// signInFormAction lets forms lead to Microsoft's sign-in pages when
// Sign in with Microsoft is on: CSP form-action also governs where the
// answer to a form may redirect, and POST /auth/signin's answer is the
// redirect to Microsoft.
func (s *Server) signInFormAction(next http.Handler) http.Handler {
	if s.signIn == nil {
		return next
	}
	allowed := []string{"'self'"}
	for _, o := range s.signIn.Origins() {
		if u, err := url.Parse(o); err == nil && u.Scheme == "https" && u.Host != "" && u.Path == "" && u.RawQuery == "" {
			allowed = append(allowed, "https://"+u.Host)
		}
	}
	policy := strings.Replace(csp, "form-action 'self'", "form-action "+strings.Join(allowed, " "), 1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		next.ServeHTTP(w, r)
	})
}
