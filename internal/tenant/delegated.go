package tenant

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// DelegatedConfig is the operator's multi-tenant app registration, through
// which visitors sign in with Microsoft to check their own tenant
// (CONTRACT §8.4): its id and one credential, a client secret or a
// certificate.
type DelegatedConfig struct {
	ClientID     string
	ClientSecret string
	// Certificate is a PEM or PKCS#12 file holding the certificate and its
	// RSA private key; CertificatePassword opens it when it has one.
	Certificate         []byte
	CertificatePassword string

	// AuthorityURL replaces every cloud's sign-in host (a stand-in identity
	// provider in tests, e.g. https://127.0.0.1:4431); MSAL's instance
	// discovery is then off, as it knows only Microsoft's hosts.
	AuthorityURL string
	// GraphURL replaces every cloud's Graph root (ENROLLPLAN_GRAPH_URL).
	GraphURL string
	// HTTPClient carries the sign-in's requests; default one with a 30 s timeout.
	HTTPClient *http.Client
	// Transport carries the Graph readings; default http.DefaultTransport.
	Transport http.RoundTripper
	Log       *slog.Logger
	Now       func() time.Time
	// Answers bounds the memory Graph answers of every visitor's check
	// hold at once; share the process's budget with its other checkers.
	// Default: a budget of this Delegated's own.
	Answers *AnswerBudget
}

// Delegated signs visitors in with the authorization-code flow with PKCE,
// through MSAL's confidential client, and turns the code into a one-check
// Checker that reads the visitor's tenant with their own rights.
type Delegated struct {
	cfg  DelegatedConfig
	cred confidential.Credential

	mu      sync.Mutex
	clients map[Cloud]confidential.Client // for authorization URLs only: they never hold a token

	answers *AnswerBudget // shared by the checks of every visitor signed in
}

// NewDelegated checks cfg and reads its credential.
func NewDelegated(cfg DelegatedConfig) (*Delegated, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("sign-in: the app registration's client id is missing")
	}
	var cred confidential.Credential
	var err error
	switch {
	case cfg.ClientSecret != "" && len(cfg.Certificate) > 0:
		return nil, errors.New("sign-in: give a client secret or a certificate, not both")
	case cfg.ClientSecret != "":
		cred, err = confidential.NewCredFromSecret(cfg.ClientSecret)
	case len(cfg.Certificate) > 0:
		var password []byte
		if cfg.CertificatePassword != "" {
			password = []byte(cfg.CertificatePassword)
		}
		certs, key, perr := azidentity.ParseCertificates(cfg.Certificate, password) // PEM and PKCS#12 alike
		if perr != nil {
			return nil, fmt.Errorf("sign-in: certificate: %w", perr)
		}
		cred, err = confidential.NewCredFromCert(certs, key)
	default:
		return nil, errors.New("sign-in: the app registration needs a client secret or a certificate")
	}
	if err != nil {
		return nil, fmt.Errorf("sign-in: credential: %w", err)
	}
	if cfg.GraphURL != "" {
		if cfg.GraphURL, err = ParseGraphURL(cfg.GraphURL); err != nil {
			return nil, err
		}
	}
	if cfg.AuthorityURL != "" {
		u, err := url.Parse(strings.TrimRight(cfg.AuthorityURL, "/"))
		if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" {
			return nil, fmt.Errorf("sign-in: authority %q is not an https origin", cfg.AuthorityURL)
		}
		cfg.AuthorityURL = u.String()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	answers := cfg.Answers
	if answers == nil {
		answers = NewAnswerBudget(0)
	}
	return &Delegated{cfg: cfg, cred: cred, clients: map[Cloud]confidential.Client{}, answers: answers}, nil
}

// CloudOfAnswer is the cloud that signs in and serves Graph for a tenant
// whose answers say cloud (CONTRACT §2 tenant.cloud): a GCC tenant lives in
// the worldwide cloud, GCC High in usgov, DoD in usgov-dod.
func CloudOfAnswer(cloud string) (Cloud, error) {
	switch cloud {
	case "", plan.CloudGlobal, "gcc":
		return CloudGlobal, nil
	case "gcc-high":
		return CloudUSGov, nil
	case "dod":
		return CloudUSGovDoD, nil
	case "china":
		return CloudChina, nil
	}
	return "", fmt.Errorf("sign-in: %q is not a cloud of the answers", cloud)
}

// Authority is where visitors of cloud sign in: the cloud's Microsoft
// Entra host, for any organisation's account (the multi-tenant authority
// /organizations; personal Microsoft accounts have no tenant to check).
func (d *Delegated) Authority(c Cloud) string {
	host := c.Authority()
	if d.cfg.AuthorityURL != "" {
		host = d.cfg.AuthorityURL + "/"
	}
	return host + "organizations"
}

// Origins are the sign-in pages' origins of every cloud, which a browser
// is sent to from the wizard.
func (d *Delegated) Origins() []string {
	var out []string
	for _, c := range Clouds() {
		u, err := url.Parse(d.Authority(c))
		if err != nil {
			continue
		}
		if o := u.Scheme + "://" + u.Host; !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// newClient builds an MSAL confidential client for cloud's authority.
func (d *Delegated) newClient(c Cloud) (confidential.Client, error) {
	opts := []confidential.Option{confidential.WithHTTPClient(d.cfg.HTTPClient)}
	if d.cfg.AuthorityURL != "" {
		opts = append(opts, confidential.WithInstanceDiscovery(false))
	}
	return confidential.New(d.Authority(c), d.cfg.ClientID, d.cred, opts...)
}

// urlClient is cloud's client for authorization URLs, kept so that the
// authority's endpoints are looked up once.
func (d *Delegated) urlClient(c Cloud) (confidential.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cl, ok := d.clients[c]; ok {
		return cl, nil
	}
	cl, err := d.newClient(c)
	if err != nil {
		return confidential.Client{}, err
	}
	d.clients[c] = cl
	return cl, nil
}

// AuthCodeURL is where to send a visitor to sign in: the authority's
// authorize endpoint, asking for a code for the named read permissions
// (delegatedScopes) and an ID token, with PKCE
// (challenge, S256), state and nonce. MSAL builds the endpoint and the
// client's parameters; its confidential client has no options for the
// others, so they are added here.
func (d *Delegated) AuthCodeURL(ctx context.Context, cloud, state, challenge, nonce, redirectURI string) (string, error) {
	if state == "" || challenge == "" || nonce == "" {
		return "", errors.New("sign-in: state, PKCE challenge and nonce are all required")
	}
	c, err := CloudOfAnswer(cloud)
	if err != nil {
		return "", err
	}
	cl, err := d.urlClient(c)
	if err != nil {
		return "", fmt.Errorf("sign-in: %w", err)
	}
	raw, err := cl.AuthCodeURL(ctx, d.cfg.ClientID, redirectURI, append(delegatedScopes(c), "openid", "profile"))
	if err != nil {
		return "", fmt.Errorf("sign-in: authorization URL: %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("sign-in: authorization URL: %w", err)
	}
	q := u.Query()
	q.Set("state", state)
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	q.Set("nonce", nonce)
	q.Set("response_mode", "query")   // a top-level GET back, which carries the visitor's SameSite=Lax cookie
	q.Set("prompt", "select_account") // a consultant picks the customer's account, not the one signed in already
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// AdminConsentURL is the link an administrator of the visitor's
// organisation follows to grant the app's delegated read permissions for
// everyone in it (the v2 admin consent endpoint; /organizations lets the
// administrator's own tenant be the one).
func (d *Delegated) AdminConsentURL(cloud, redirectURI string) (string, error) {
	c, err := CloudOfAnswer(cloud)
	if err != nil {
		return "", err
	}
	q := url.Values{"client_id": {d.cfg.ClientID}, "scope": {c.Scope()}, "redirect_uri": {redirectURI}}
	return d.Authority(c) + "/v2.0/adminconsent?" + q.Encode(), nil
}

// Permissions are the delegated read permissions a visitor's check uses.
func (d *Delegated) Permissions() []string { return Permissions(SignInDelegated) }

// Redeem turns the code the visitor came back with into a SignedIn check
// of their tenant: MSAL sends the code with the PKCE verifier and the
// client's credential, and the ID token must carry the nonce the sign-in
// asked for. Each redemption has a client of its own, so MSAL's token
// cache (access, refresh and ID tokens) goes with it: nothing is kept
// beyond the one check.
func (d *Delegated) Redeem(ctx context.Context, cloud, code, verifier, nonce, redirectURI string) (*SignedIn, error) {
	c, err := CloudOfAnswer(cloud)
	if err != nil {
		return nil, err
	}
	cl, err := d.newClient(c)
	if err != nil {
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	res, err := cl.AcquireTokenByAuthCode(ctx, code, redirectURI, delegatedScopes(c), confidential.WithChallenge(verifier))
	if err != nil {
		return nil, signInErrorOf(err)
	}
	if err := checkNonce(res.IDToken.RawToken, nonce); err != nil {
		return nil, err
	}
	held := &heldToken{token: res.AccessToken, expires: res.ExpiresOn}
	checker, err := New(Config{Cloud: c, GraphURL: d.cfg.GraphURL, Credential: held, SignIn: SignInDelegated,
		Transport: d.cfg.Transport, Log: d.cfg.Log, Now: d.cfg.Now, Answers: d.answers})
	if err != nil {
		return nil, err
	}
	answer := cloud
	if answer == "" {
		answer = plan.CloudGlobal
	}
	return &SignedIn{checker: checker, held: held, cloud: answer}, nil
}

// checkNonce compares the ID token's nonce with the sign-in's, so a code
// issued for another sign-in is refused. The token came straight from the
// token endpoint over TLS, which stands for its signature (OpenID Connect
// Core 3.1.3.7).
func checkNonce(idToken, nonce string) error {
	parts := strings.Split(idToken, ".")
	var claims struct {
		Nonce string `json:"nonce"`
	}
	if len(parts) != 3 || decodeSegment(parts[1], &claims) != nil {
		return &SignInError{Code: "invalid_id_token", Description: "the token endpoint returned no readable ID token"}
	}
	if subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(nonce)) != 1 {
		return &SignInError{Code: "invalid_id_token", Description: "the ID token's nonce is not the one this sign-in asked for"}
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// SignInError is the identity provider's refusal of a sign-in: the OAuth
// error and Entra's description (with its AADSTS code), for the log and
// for the wizard to explain in words.
type SignInError struct {
	Code          string // invalid_grant, consent_required, invalid_client, ...
	Description   string
	TraceID       string
	CorrelationID string
}

func (e *SignInError) Error() string {
	s := "sign-in refused: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	if e.TraceID != "" {
		s += " (trace id " + e.TraceID + ", correlation id " + e.CorrelationID + ")"
	}
	return s
}

// OAuthError gives the error and its description, as the wizard reads
// them without importing this package.
func (e *SignInError) OAuthError() (code, description string) { return e.Code, e.Description }

// signInErrorOf reads the token endpoint's error answer out of MSAL's
// error; anything else (a network failure) stays as it is.
func signInErrorOf(err error) error {
	var ce msalerrors.CallErr
	if !errors.As(err, &ce) || ce.Resp == nil || ce.Resp.Body == nil {
		return fmt.Errorf("sign-in: %w", err)
	}
	body, rerr := io.ReadAll(io.LimitReader(ce.Resp.Body, 64<<10))
	var e struct {
		Error         string `json:"error"`
		Description   string `json:"error_description"`
		TraceID       string `json:"trace_id"`
		CorrelationID string `json:"correlation_id"`
	}
	if rerr != nil || json.Unmarshal(body, &e) != nil || e.Error == "" {
		return fmt.Errorf("sign-in: token endpoint answered %d", ce.Resp.StatusCode)
	}
	return &SignInError{Code: e.Error, Description: e.Description, TraceID: e.TraceID, CorrelationID: e.CorrelationID}
}

// SignedIn is one check of a visitor's tenant with their own token, held
// in memory only. The token is dropped when the check ends, so the check
// cannot be run again.
type SignedIn struct {
	checker *Checker
	held    *heldToken
	cloud   string // tenant.cloud as the visitor chose it (gcc stays gcc)
}

// Check reads the tenant once, then drops the token.
func (s *SignedIn) Check(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error) {
	defer s.Drop()
	tc, err := s.checker.Check(ctx, progress)
	if tc != nil {
		tc.Tenant.Cloud = s.cloud
	}
	return tc, err
}

// Drop forgets the token, for a check that will not run after all.
func (s *SignedIn) Drop() {
	s.held.drop()
	s.checker.tokens.forget()
}

// heldToken is a visitor's access token, for one check.
type heldToken struct {
	mu      sync.Mutex
	token   string
	expires time.Time
}

func (h *heldToken) Token(context.Context, string) (string, time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.token == "" {
		return "", time.Time{}, errors.New("the sign-in was used for its check and forgotten; sign in again")
	}
	return h.token, h.expires, nil
}

func (h *heldToken) drop() {
	h.mu.Lock()
	h.token = ""
	h.mu.Unlock()
}

// forget drops the token the cache holds.
func (c *tokenCache) forget() {
	c.mu.Lock()
	c.token, c.expires = "", time.Time{}
	c.mu.Unlock()
}

// delegatedScopes are the read-only permissions the readings need, each
// named on the cloud's Graph. They are asked for one by one rather than as
// <graph>/.default: Entra's token answer lists the permissions it granted,
// and MSAL refuses an answer that does not list every scope asked for, so
// only named scopes can be checked that way. A permission the tenant has
// not consented to stops the sign-in at Microsoft's consent step, where the
// visitor is told to ask an administrator, instead of a token that quietly
// lacks it.
func delegatedScopes(c Cloud) []string {
	var out []string
	for _, p := range Permissions(SignInDelegated) {
		out = append(out, c.GraphRoot()+"/"+p)
	}
	return out
}
