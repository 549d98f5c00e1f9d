// Package fakeidp is a stand-in Microsoft Entra identity provider for
// tests: an httptest TLS server that speaks the parts of the Microsoft
// identity platform's OAuth 2.0 authorization-code flow that "Sign in with
// Microsoft" uses, for the multi-tenant authority /organizations:
//
//   - GET  /organizations/v2.0/.well-known/openid-configuration (as MSAL asks it)
//   - GET  /organizations/oauth2/v2.0/authorize: redirects back with a code and
//     the state, or with an error (consent refused) once told to
//   - POST /organizations/oauth2/v2.0/token: checks the client's credentials
//     (secret or certificate assertion), the code, its age, the redirect URI
//     and the PKCE code_verifier against the challenge (S256 only)
//   - GET  /organizations/v2.0/adminconsent: an administrator grants consent
//
// Errors come in Entra's shapes (error, error_description with an AADSTS
// code, error_codes, trace_id, correlation_id), so the code under test
// meets what it will meet in production. Only the standard library is
// imported, so web's tests can use it without the Graph SDK.
package fakeidp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tenant is the tenant the stand-in signs visitors in to.
const Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// Defaults of the app registration the stand-in knows.
const (
	ClientID     = "0f3c8a52-9d1e-4b7a-8c55-2e6f0d4b9a17"
	ClientSecret = "fakeidp-client-secret-Q8~v"
)

// Granted are the delegated permissions a token carries (CONTRACT §7),
// below the resource the token was asked for.
var Granted = []string{"Organization.Read.All", "DeviceManagementManagedDevices.Read.All",
	"DeviceManagementServiceConfig.Read.All", "DeviceManagementConfiguration.Read.All", "Policy.Read.All"}

// Refusal is an error the stand-in answers with, as Entra words it.
type Refusal struct {
	Error       string // OAuth error: consent_required, access_denied, invalid_grant, ...
	Description string // "AADSTS65001: ..."
	Code        int    // the AADSTS number, for error_codes
	Status      int    // the token endpoint's HTTP status; default 400
}

// ConsentRequired is what Entra answers a person whose organisation has
// not consented to the app and who may not consent alone.
var ConsentRequired = Refusal{Error: "consent_required", Code: 65001,
	Description: "AADSTS65001: The user or administrator has not consented to use the application with ID '" + ClientID + "' named 'enrollplan'. Send an interactive authorization request for this user and resource. Trace ID: 0b0d8d4e-5d6a-4b7b-9f77-1f1b2f0c6a00 Correlation ID: 5c4a2b1e-0d3f-4e8a-9b7c-6d5e4f3a2b10 Timestamp: 2027-01-04 09:30:00Z"}

// AccessDeniedConsent is the same refusal as access_denied, as Entra also
// sends it after "Need admin approval".
var AccessDeniedConsent = Refusal{Error: "access_denied", Code: 65001,
	Description: "AADSTS65001: The user or administrator has not consented to use the application with ID '" + ClientID + "'. Trace ID: 0b0d8d4e-5d6a-4b7b-9f77-1f1b2f0c6a01"}

// TokenRequest is one request the token endpoint answered, without the
// client's secret.
type TokenRequest struct {
	GrantType, Code, CodeVerifier, RedirectURI, Scope string
	ClientAuth                                        string // "secret", "assertion" or ""
	Refused                                           string // the AADSTS description it was refused with, "" when a token was issued
}

// Server is the stand-in identity provider.
type Server struct {
	*httptest.Server

	// The app registration. Set them before the first request.
	ClientID     string
	ClientSecret string            // "" refuses secrets
	ClientCert   *x509.Certificate // the certificate whose key signs client assertions; nil refuses assertions
	RedirectURIs []string          // registered redirect URIs; empty accepts any
	// CodeLifetime is how long a code may be redeemed; default 10 minutes, as Entra.
	CodeLifetime time.Duration

	// What a successful sign-in issues: distinct, recognisable values that
	// tests look for where they must never be.
	AccessToken, RefreshToken string
	User                      string // preferred_username

	mu        sync.Mutex
	skew      time.Duration
	codes     map[string]*grant
	used      map[string]bool
	authorize *Refusal // answers the authorize endpoint until an administrator consents
	token     *Refusal // answers the token endpoint's next requests
	nonce     *string  // overrides the nonce put in ID tokens
	requests  []TokenRequest
	authURLs  []url.URL
	consents  int
}

type grant struct {
	redirectURI, challenge, nonce, scope string
	issued                               time.Time
}

// New starts a stand-in with the default app registration (ClientID with
// ClientSecret), closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{ClientID: ClientID, ClientSecret: ClientSecret, CodeLifetime: 10 * time.Minute,
		AccessToken: "eyJ0eXAiOiJKV1QifQ.fakeidp-access-" + random(16), RefreshToken: "fakeidp-refresh-" + random(16),
		User: "adele.vance@contoso.example", codes: map[string]*grant{}, used: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /organizations/v2.0/.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /organizations/oauth2/v2.0/authorize", s.authorizeCode)
	mux.HandleFunc("POST /organizations/oauth2/v2.0/token", s.tokenEndpoint)
	mux.HandleFunc("GET /organizations/v2.0/adminconsent", s.adminConsent)
	s.Server = httptest.NewTLSServer(mux)
	t.Cleanup(s.Close)
	return s
}

// Authority is the multi-tenant authority on the stand-in, as MSAL takes it.
func (s *Server) Authority() string { return s.URL + "/organizations" }

// HTTPClient trusts the stand-in's certificate and follows no redirect, as
// MSAL needs it (and as a test reads an authorize redirect).
func (s *Server) HTTPClient() *http.Client {
	c := s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// RefuseSignIn makes the authorize endpoint send people back with r (e.g.
// ConsentRequired) until an administrator consents through the admin
// consent endpoint. A zero Refusal lets sign-ins through again.
func (s *Server) RefuseSignIn(r Refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorize = &r
	if r.Error == "" {
		s.authorize = nil
	}
}

// RefuseToken makes the token endpoint refuse every request with r; nil
// lets it issue tokens again.
func (s *Server) RefuseToken(r *Refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = r
}

// WrongNonce puts n into the ID tokens instead of the nonce the sign-in
// asked for (a replayed or substituted token).
func (s *Server) WrongNonce(n string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonce = &n
}

// Advance moves the stand-in's clock, e.g. past the codes' lifetime.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skew += d
}

// TokenRequests lists what the token endpoint was sent.
func (s *Server) TokenRequests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// AuthorizeRequests lists the authorization URLs people were sent to.
func (s *Server) AuthorizeRequests() []url.URL {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.authURLs)
}

// Consents is how many times an administrator consented.
func (s *Server) Consents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consents
}

// Authorize plays the person's browser at the authorize endpoint: it
// follows authURL and returns where the stand-in sends them back to.
func (s *Server) Authorize(t testing.TB, authURL string) *url.URL {
	t.Helper()
	res, err := s.HTTPClient().Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := res.Location()
	if err != nil {
		t.Fatalf("authorize: %d without a redirect", res.StatusCode)
	}
	return loc
}

func (s *Server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.skew)
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	// As login.microsoftonline.com/organizations answers: the issuer names
	// a {tenantid} template, which MSAL accepts for this host.
	writeJSON(w, http.StatusOK, map[string]any{
		"authorization_endpoint":                s.URL + "/organizations/oauth2/v2.0/authorize",
		"token_endpoint":                        s.URL + "/organizations/oauth2/v2.0/token",
		"issuer":                                s.URL + "/{tenantid}/v2.0",
		"jwks_uri":                              s.URL + "/organizations/discovery/v2.0/keys",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"code_challenge_methods_supported":      []string{"S256"},
		"tenant_region_scope":                   nil,
		"cloud_instance_name":                   "microsoftonline.com",
	})
}

// knownApp answers, as a page of its own, a request from an unknown app or
// with a redirect URI not registered (nothing can be sent back to it), and
// otherwise returns the redirect URI.
func (s *Server) knownApp(w http.ResponseWriter, q url.Values) (*url.URL, bool) {
	if q.Get("client_id") != s.ClientID {
		http.Error(w, "AADSTS700016: Application with identifier '"+q.Get("client_id")+"' was not found in the directory.", http.StatusBadRequest)
		return nil, false
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() || len(s.RedirectURIs) > 0 && !slices.Contains(s.RedirectURIs, q.Get("redirect_uri")) {
		http.Error(w, "AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.", http.StatusBadRequest)
		return nil, false
	}
	return redirect, true
}

// authorizeCode is the authorize endpoint. What cannot be sent back (an
// unknown app, a redirect URI not registered) is a page of its own, as
// Entra does; everything else goes back to the redirect URI.
func (s *Server) authorizeCode(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.authURLs = append(s.authURLs, *r.URL)
	refusal := s.authorize
	s.mu.Unlock()
	redirect, ok := s.knownApp(w, q)
	if !ok {
		return
	}
	back := func(v url.Values) {
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		u := *redirect
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	refuse := func(f Refusal) {
		back(url.Values{"error": {f.Error}, "error_description": {f.Description}})
	}
	switch {
	case q.Get("response_type") != "code":
		refuse(Refusal{Error: "unsupported_response_type", Description: "AADSTS700054: response_type '" + q.Get("response_type") + "' is not enabled for the application."})
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		// Entra also takes "plain"; the stand-in insists on S256 to prove it is sent.
		refuse(Refusal{Error: "invalid_request", Description: "AADSTS501491: Invalid size of Code_Challenge parameter. (the stand-in requires PKCE with S256)"})
		return
	case !strings.Contains(" "+q.Get("scope")+" ", " openid "):
		refuse(Refusal{Error: "invalid_request", Description: "AADSTS900144: The request body must contain the following parameter: 'scope' with openid."})
		return
	case refusal != nil:
		refuse(*refusal)
		return
	}
	code := "0.AX" + random(24)
	s.mu.Lock()
	s.codes[code] = &grant{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), nonce: q.Get("nonce"),
		scope: q.Get("scope"), issued: time.Now().Add(s.skew)}
	s.mu.Unlock()
	back(url.Values{"code": {code}, "session_state": {random(8)}})
}

// adminConsent is the v2 admin consent endpoint: an administrator grants
// the app's permissions for the organisation, and sign-ins stop being refused.
func (s *Server) adminConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, ok := s.knownApp(w, q)
	if !ok {
		return
	}
	if !strings.HasSuffix(q.Get("scope"), "/.default") {
		http.Error(w, "AADSTS70011: The provided value for the input parameter 'scope' is not valid.", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.authorize = nil
	s.consents++
	s.mu.Unlock()
	v := url.Values{"admin_consent": {"True"}, "tenant": {Tenant}, "scope": {q.Get("scope")}}
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.refuse(w, nil, Refusal{Error: "invalid_request", Code: 900144, Description: "AADSTS900144: The request body must contain the following parameter: 'grant_type'."})
		return
	}
	f := r.PostForm
	req := TokenRequest{GrantType: f.Get("grant_type"), Code: f.Get("code"), CodeVerifier: f.Get("code_verifier"),
		RedirectURI: f.Get("redirect_uri"), Scope: f.Get("scope")}
	switch {
	case f.Get("client_secret") != "":
		req.ClientAuth = "secret"
	case f.Get("client_assertion") != "":
		req.ClientAuth = "assertion"
	}
	if req.GrantType != "authorization_code" {
		s.refuse(w, &req, Refusal{Error: "unsupported_grant_type", Code: 70003, Description: "AADSTS70003: The app requested an unsupported grant type '" + req.GrantType + "'."})
		return
	}
	if f.Get("client_id") != s.ClientID {
		s.refuse(w, &req, Refusal{Error: "unauthorized_client", Code: 700016, Description: "AADSTS700016: Application with identifier '" + f.Get("client_id") + "' was not found in the directory."})
		return
	}
	if !s.clientAuthenticated(f, "https://"+r.Host+r.URL.Path) {
		s.refuse(w, &req, Refusal{Error: "invalid_client", Code: 7000215, Status: http.StatusUnauthorized,
			Description: "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."})
		return
	}
	s.mu.Lock()
	forced := s.token
	g := s.codes[req.Code]
	used := s.used[req.Code]
	delete(s.codes, req.Code) // a code is redeemed once, whatever comes of it
	if g != nil {
		s.used[req.Code] = true
	}
	nonce := s.nonce
	now := time.Now().Add(s.skew)
	s.mu.Unlock()
	switch {
	case forced != nil:
		s.refuse(w, &req, *forced)
	case used:
		s.refuse(w, &req, Refusal{Error: "invalid_grant", Code: 54005, Description: "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."})
	case g == nil:
		s.refuse(w, &req, Refusal{Error: "invalid_grant", Code: 9002313, Description: "AADSTS9002313: Invalid request. Request is malformed or invalid. - The reason: the code is not one this identity provider issued."})
	case now.Sub(g.issued) > s.CodeLifetime:
		s.refuse(w, &req, Refusal{Error: "invalid_grant", Code: 70008, Description: "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."})
	case req.RedirectURI != g.redirectURI:
		s.refuse(w, &req, Refusal{Error: "invalid_grant", Code: 500112, Description: "AADSTS500112: The reply address '" + req.RedirectURI + "' does not match the reply address '" + g.redirectURI + "' provided when requesting Authorization code."})
	case req.CodeVerifier == "":
		s.refuse(w, &req, Refusal{Error: "invalid_request", Code: 50148, Description: "AADSTS50148: The code_verifier does not match the code_challenge supplied in the authorization request for PKCE."})
	case !verifierMatches(req.CodeVerifier, g.challenge):
		s.refuse(w, &req, Refusal{Error: "invalid_grant", Code: 501481, Description: "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request."})
	default:
		n := g.nonce
		if nonce != nil {
			n = *nonce
		}
		s.issue(w, &req, g, n, now)
	}
}

// issue answers a redeemed code with tokens, the ID token carrying the
// nonce the sign-in asked for.
func (s *Server) issue(w http.ResponseWriter, req *TokenRequest, g *grant, nonce string, now time.Time) {
	// As Entra answers: the permissions granted on the resource asked for,
	// named in full, whether the request named them or asked for
	// <resource>/.default (which is not listed back), and the OpenID scopes.
	resource := "https://graph.microsoft.com"
	for _, sc := range strings.Fields(req.Scope) {
		if i := strings.LastIndex(sc, "/"); strings.HasPrefix(sc, "https://") && i > len("https://") {
			resource = sc[:i]
		}
	}
	var scopes []string
	for _, p := range Granted {
		scopes = append(scopes, resource+"/"+p)
	}
	const oid = "4f1c2a3b-6d5e-4c7b-8a9f-0e1d2c3b4a59"
	claims := map[string]any{"aud": s.ClientID, "iss": s.URL + "/" + Tenant + "/v2.0", "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "name": "Adele Vance", "oid": oid, "preferred_username": s.User,
		"sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": Tenant, "ver": "2.0"}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	s.mu.Lock()
	s.requests = append(s.requests, *req)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "scope": strings.Join(scopes, " ") + " openid profile offline_access",
		"expires_in": 3599, "ext_expires_in": 3599,
		"access_token": s.AccessToken, "refresh_token": s.RefreshToken,
		"id_token":    jwt(map[string]any{"typ": "JWT", "alg": "RS256", "kid": "fakeidp"}, claims),
		"client_info": b64(mustJSON(map[string]string{"uid": oid, "utid": Tenant})),
	})
}

func (s *Server) refuse(w http.ResponseWriter, req *TokenRequest, f Refusal) {
	if req != nil {
		req.Refused = f.Description
		s.mu.Lock()
		s.requests = append(s.requests, *req)
		s.mu.Unlock()
	}
	status := f.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, map[string]any{"error": f.Error, "error_description": f.Description, "error_codes": []int{f.Code},
		"timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z"), "trace_id": "0b0d8d4e-5d6a-4b7b-9f77-1f1b2f0c6a02",
		"correlation_id": "5c4a2b1e-0d3f-4e8a-9b7c-6d5e4f3a2b11", "error_uri": s.URL + "/error?code=" + fmt.Sprint(f.Code)})
}

// clientAuthenticated checks the client secret, or a client assertion
// signed by the registered certificate's key for this token endpoint.
func (s *Server) clientAuthenticated(f url.Values, endpoint string) bool {
	if secret := f.Get("client_secret"); secret != "" {
		return s.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) == 1
	}
	if f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || s.ClientCert == nil {
		return false
	}
	return s.assertionValid(f.Get("client_assertion"), endpoint)
}

func (s *Server) assertionValid(assertion, endpoint string) bool {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return false
	}
	var header struct {
		Alg     string `json:"alg"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud string `json:"aud"`
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if decode(parts[0], &header) != nil || decode(parts[1], &claims) != nil {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	pub, ok := s.ClientCert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	thumb := sha256.Sum256(s.ClientCert.Raw)
	switch header.Alg {
	case "PS256":
		if header.X5tS256 != base64.StdEncoding.EncodeToString(thumb[:]) && header.X5tS256 != base64.RawURLEncoding.EncodeToString(thumb[:]) {
			return false
		}
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	default:
		return false
	}
	return err == nil && claims.Aud == endpoint && claims.Iss == s.ClientID && claims.Sub == s.ClientID &&
		time.Unix(claims.Exp, 0).After(s.now())
}

// verifierMatches is RFC 7636's S256 check: BASE64URL(SHA256(verifier)) == challenge.
func verifierMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// jwt writes an ID token. Its signature is not a real one: a confidential
// client that receives the ID token straight from the token endpoint over
// TLS may rely on TLS instead of the signature (OpenID Connect Core
// 3.1.3.7), and MSAL does.
func jwt(header, claims map[string]any) string {
	return b64(mustJSON(header)) + "." + b64(mustJSON(claims)) + "." + b64([]byte("fakeidp-signature"))
}

func decode(part string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(mustJSON(v))
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
