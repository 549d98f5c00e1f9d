package tenant

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/tenant/fakegraph"
	"github.com/enrollplan/enrollplan/internal/tenant/fakeidp"
)

const testRedirect = "https://enrollplan.example/auth/callback"

type delegatedEnv struct {
	idp   *fakeidp.Server
	graph *fakegraph.Server
	swap  *fakegraph.TokenSwap
	d     *Delegated
}

func newDelegatedEnv(t *testing.T, edit func(*DelegatedConfig)) *delegatedEnv {
	t.Helper()
	idp := fakeidp.New(t)
	graph := fakegraph.New(t)
	swap := &fakegraph.TokenSwap{Want: idp.AccessToken}
	cfg := DelegatedConfig{ClientID: fakeidp.ClientID, ClientSecret: fakeidp.ClientSecret, AuthorityURL: idp.URL,
		GraphURL: graph.Root(), HTTPClient: idp.HTTPClient(), Transport: swap, Now: func() time.Time { return fixedNow }}
	if edit != nil {
		edit(&cfg)
	}
	d, err := NewDelegated(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &delegatedEnv{idp: idp, graph: graph, swap: swap, d: d}
}

// pkce is a sign-in's secrets as the web layer makes them.
type pkce struct{ state, verifier, challenge, nonce string }

func newPKCE() pkce {
	r := func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	p := pkce{state: r(), verifier: r(), nonce: r()}
	sum := sha256.Sum256([]byte(p.verifier))
	p.challenge = base64.RawURLEncoding.EncodeToString(sum[:])
	return p
}

// signIn sends a person through the stand-in's authorize endpoint and
// returns the code it sent back.
func (e *delegatedEnv) signIn(t *testing.T, cloud string, p pkce) string {
	t.Helper()
	authURL, err := e.d.AuthCodeURL(context.Background(), cloud, p.state, p.challenge, p.nonce, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	back := e.idp.Authorize(t, authURL)
	if got := back.Query().Get("state"); got != p.state {
		t.Fatalf("the stand-in sent back state %q, want %q", got, p.state)
	}
	code := back.Query().Get("code")
	if code == "" {
		t.Fatalf("no code: %s", back)
	}
	return code
}

func refusal(t *testing.T, err error) *SignInError {
	t.Helper()
	var se *SignInError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want a *SignInError", err, err)
	}
	return se
}

// TestDelegatedSignIn: the authorization URL asks the multi-tenant
// authority for a code with PKCE (S256), state and nonce; the code and the
// verifier are redeemed through MSAL with the app's secret; the check
// reads the stand-in Graph with the visitor's own token, delegated (the
// automatic-enrollment scope is read), and forgets it afterwards.
func TestDelegatedSignIn(t *testing.T) {
	e := newDelegatedEnv(t, nil)
	p := newPKCE()
	authURL, err := e.d.AuthCodeURL(context.Background(), "global", p.state, p.challenge, p.nonce, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	if u.Host != strings.TrimPrefix(e.idp.URL, "https://") || u.Path != "/organizations/oauth2/v2.0/authorize" {
		t.Errorf("authorization URL %s: want the stand-in's /organizations authorize endpoint", authURL)
	}
	for k, want := range map[string]string{"client_id": fakeidp.ClientID, "response_type": "code", "redirect_uri": testRedirect,
		"state": p.state, "code_challenge": p.challenge, "code_challenge_method": "S256", "nonce": p.nonce, "response_mode": "query"} {
		if got := q.Get(k); got != want {
			t.Errorf("authorization URL %s = %q, want %q", k, got, want)
		}
	}
	if sc := q.Get("scope"); !strings.Contains(sc, "https://graph.microsoft.com/DeviceManagementServiceConfig.Read.All") || strings.Contains(sc, ".default") || !strings.Contains(sc, "openid") {
		t.Errorf("scope %q: want Graph's read permissions named (not .default) and openid", sc)
	}
	if strings.Contains(authURL, p.verifier) {
		t.Error("the verifier left the server in the authorization URL")
	}

	code := e.signIn(t, "global", p)
	s, err := e.d.Redeem(context.Background(), "global", code, p.verifier, p.nonce, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.idp.TokenRequests()
	if len(reqs) != 1 || reqs[0].CodeVerifier != p.verifier || reqs[0].ClientAuth != "secret" || reqs[0].RedirectURI != testRedirect ||
		!strings.Contains(reqs[0].Scope, "https://graph.microsoft.com/Policy.Read.All") || reqs[0].Refused != "" {
		t.Fatalf("token requests %+v: want one, with the verifier, the secret, the redirect URI and Graph's scope", reqs)
	}
	var progressed int
	tc, err := s.Check(context.Background(), func(plan.Finding) { progressed++ })
	if err != nil {
		t.Fatal(err)
	}
	if e.swap.Carried.Load() == 0 || e.swap.Refused.Load() != 0 {
		t.Fatalf("Graph requests with the visitor's token %d, without %d", e.swap.Carried.Load(), e.swap.Refused.Load())
	}
	if progressed == 0 || len(tc.Findings) != progressed || tc.Tenant.Cloud != "global" || tc.Tenant.MDMAuthority != "intune" {
		t.Fatalf("check: %d findings (%d reported), cloud %q, authority %q", len(tc.Findings), progressed, tc.Tenant.Cloud, tc.Tenant.MDMAuthority)
	}
	for _, f := range tc.Findings {
		if f.ID == idAutoEnrollment && f.Status == plan.FindingUnknown {
			t.Errorf("a delegated sign-in reads the automatic-enrollment scope: %+v", f)
		}
	}

	// The token is gone once the check is done: a second check cannot
	// sign in, and sends Graph nothing.
	before := e.swap.Carried.Load() + e.swap.Refused.Load()
	if _, err := s.Check(context.Background(), nil); err == nil {
		t.Fatal("a second check with the same sign-in ran")
	}
	if after := e.swap.Carried.Load() + e.swap.Refused.Load(); after != before {
		t.Fatalf("the second check sent Graph %d requests", after-before)
	}
}

// TestDelegatedPKCEVerifier: the stand-in refuses a verifier that does not
// match the challenge, so the happy path above proves the right one is sent.
func TestDelegatedPKCEVerifier(t *testing.T) {
	e := newDelegatedEnv(t, nil)
	p := newPKCE()
	code := e.signIn(t, "global", p)
	_, err := e.d.Redeem(context.Background(), "global", code, newPKCE().verifier, p.nonce, testRedirect)
	se := refusal(t, err)
	if se.Code != "invalid_grant" || !strings.Contains(se.Description, "AADSTS501481") {
		t.Fatalf("a wrong verifier: %v", se)
	}
	if reqs := e.idp.TokenRequests(); len(reqs) != 1 || reqs[0].CodeVerifier == p.verifier {
		t.Fatalf("token requests %+v", reqs)
	}
}

// TestDelegatedRefusals: an expired code, a code used twice, a redirect URI
// that differs, a nonce that is not the sign-in's, consent refused at the
// token endpoint, a wrong secret: each is a *SignInError whose code and
// description say which (for the log, and for the wizard to explain).
func TestDelegatedRefusals(t *testing.T) {
	e := newDelegatedEnv(t, nil)
	redeem := func(code string, p pkce, redirect string) error {
		_, err := e.d.Redeem(context.Background(), "global", code, p.verifier, p.nonce, redirect)
		return err
	}
	t.Run("expired code", func(t *testing.T) {
		p := newPKCE()
		code := e.signIn(t, "global", p)
		e.idp.Advance(11 * time.Minute)
		t.Cleanup(func() { e.idp.Advance(-11 * time.Minute) })
		if se := refusal(t, redeem(code, p, testRedirect)); se.Code != "invalid_grant" || !strings.Contains(se.Description, "AADSTS70008") {
			t.Fatal(se)
		}
	})
	t.Run("code used twice", func(t *testing.T) {
		p := newPKCE()
		code := e.signIn(t, "global", p)
		if err := redeem(code, p, testRedirect); err != nil {
			t.Fatal(err)
		}
		if se := refusal(t, redeem(code, p, testRedirect)); !strings.Contains(se.Description, "AADSTS54005") {
			t.Fatal(se)
		}
	})
	t.Run("another redirect URI", func(t *testing.T) {
		p := newPKCE()
		code := e.signIn(t, "global", p)
		if se := refusal(t, redeem(code, p, "https://elsewhere.example/auth/callback")); se.Code != "invalid_grant" {
			t.Fatal(se)
		}
	})
	t.Run("nonce of another sign-in", func(t *testing.T) {
		p := newPKCE()
		code := e.signIn(t, "global", p)
		e.idp.WrongNonce("someone-else")
		t.Cleanup(func() { e.idp.WrongNonce("") })
		if se := refusal(t, redeem(code, p, testRedirect)); se.Code != "invalid_id_token" {
			t.Fatal(se)
		}
	})
	t.Run("consent refused", func(t *testing.T) {
		p := newPKCE()
		code := e.signIn(t, "global", p)
		consent := fakeidp.ConsentRequired
		consent.Error = "invalid_grant"
		e.idp.RefuseToken(&consent)
		t.Cleanup(func() { e.idp.RefuseToken(nil) })
		se := refusal(t, redeem(code, p, testRedirect))
		if c, d := se.OAuthError(); c != "invalid_grant" || !strings.HasPrefix(d, "AADSTS65001") || se.TraceID == "" {
			t.Fatal(se)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		bad := newDelegatedEnv(t, func(c *DelegatedConfig) { c.ClientSecret = "not-the-secret" })
		p := newPKCE()
		code := bad.signIn(t, "global", p)
		if _, err := bad.d.Redeem(context.Background(), "global", code, p.verifier, p.nonce, testRedirect); refusal(t, err).Code != "invalid_client" {
			t.Fatal(err)
		}
	})
}

// TestDelegatedClouds: the cloud the planner chose picks the token's
// audience (Graph of that cloud) and stays the answers' cloud: GCC signs in
// worldwide and is still GCC; GCC High asks for graph.microsoft.us.
func TestDelegatedClouds(t *testing.T) {
	for _, tc := range []struct{ cloud, scope string }{
		{"gcc", "https://graph.microsoft.com/DeviceManagementServiceConfig.Read.All"},
		{"gcc-high", "https://graph.microsoft.us/DeviceManagementServiceConfig.Read.All"},
		{"dod", "https://dod-graph.microsoft.us/DeviceManagementServiceConfig.Read.All"},
		{"china", "https://microsoftgraph.chinacloudapi.cn/DeviceManagementServiceConfig.Read.All"},
	} {
		t.Run(tc.cloud, func(t *testing.T) {
			e := newDelegatedEnv(t, nil)
			p := newPKCE()
			code := e.signIn(t, tc.cloud, p)
			if got := e.idp.AuthorizeRequests()[0].Query().Get("scope"); !strings.Contains(got, tc.scope) {
				t.Errorf("authorization scope %q, want %s", got, tc.scope)
			}
			s, err := e.d.Redeem(context.Background(), tc.cloud, code, p.verifier, p.nonce, testRedirect)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.idp.TokenRequests()[0].Scope; !strings.Contains(got, tc.scope) {
				t.Errorf("token scope %q, want %s", got, tc.scope)
			}
			res, err := s.Check(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Tenant.Cloud != tc.cloud {
				t.Errorf("tenant.cloud %q, want %q", res.Tenant.Cloud, tc.cloud)
			}
		})
	}
	if _, err := CloudOfAnswer("mars"); err == nil {
		t.Error("an unknown cloud was accepted")
	}
	d, err := NewDelegated(DelegatedConfig{ClientID: "x", ClientSecret: "y"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Cloud]string{CloudGlobal: "https://login.microsoftonline.com/organizations", CloudUSGov: "https://login.microsoftonline.us/organizations",
		CloudUSGovDoD: "https://login.microsoftonline.us/organizations", CloudChina: "https://login.chinacloudapi.cn/organizations"}
	for c, w := range want {
		if got := d.Authority(c); got != w {
			t.Errorf("authority of %s: %s, want %s", c, got, w)
		}
	}
	if got := strings.Join(d.Origins(), " "); got != "https://login.microsoftonline.com https://login.microsoftonline.us https://login.chinacloudapi.cn" {
		t.Errorf("origins %s", got)
	}
}

// TestDelegatedCertificate: with a certificate instead of a secret, MSAL
// signs a client assertion that the stand-in verifies against it.
func TestDelegatedCertificate(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "enrollplan sign-in"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	e := newDelegatedEnv(t, func(c *DelegatedConfig) { c.ClientSecret, c.Certificate = "", pemData })
	e.idp.ClientSecret, e.idp.ClientCert = "", cert
	p := newPKCE()
	code := e.signIn(t, "global", p)
	if _, err := e.d.Redeem(context.Background(), "global", code, p.verifier, p.nonce, testRedirect); err != nil {
		t.Fatal(err)
	}
	if reqs := e.idp.TokenRequests(); len(reqs) != 1 || reqs[0].ClientAuth != "assertion" {
		t.Fatalf("token requests %+v", reqs)
	}
	if _, err := NewDelegated(DelegatedConfig{ClientID: "x", Certificate: []byte("not a certificate")}); err == nil {
		t.Error("a file that is not a certificate was accepted")
	}
	if _, err := NewDelegated(DelegatedConfig{ClientID: "x", ClientSecret: "y", Certificate: pemData}); err == nil {
		t.Error("both a secret and a certificate were accepted")
	}
	if _, err := NewDelegated(DelegatedConfig{ClientID: "x"}); err == nil {
		t.Error("no credential was accepted")
	}
}

// TestDelegatedAdminConsent: the admin-consent link goes to the v2 admin
// consent endpoint of the multi-tenant authority for the app's .default
// permissions, and the stand-in then stops refusing sign-ins.
func TestDelegatedAdminConsent(t *testing.T) {
	e := newDelegatedEnv(t, nil)
	e.idp.RefuseSignIn(fakeidp.ConsentRequired)
	p := newPKCE()
	authURL, err := e.d.AuthCodeURL(context.Background(), "global", p.state, p.challenge, p.nonce, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	back := e.idp.Authorize(t, authURL)
	if back.Query().Get("error") != "consent_required" || back.Query().Get("state") != p.state || back.Query().Get("code") != "" {
		t.Fatalf("a sign-in without consent came back %s", back)
	}
	link, err := e.d.AdminConsentURL("global", testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	if u.Path != "/organizations/v2.0/adminconsent" || u.Query().Get("client_id") != fakeidp.ClientID || u.Query().Get("scope") != "https://graph.microsoft.com/.default" {
		t.Fatalf("admin consent link %s", link)
	}
	if back := e.idp.Authorize(t, link); back.Query().Get("admin_consent") != "True" {
		t.Fatalf("admin consent came back %s", back)
	}
	e.signIn(t, "global", newPKCE()) // no longer refused
}
