package tenant

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
)

// TokenSource gives bearer tokens for Microsoft Graph.
type TokenSource interface {
	// Token returns a token for scope and when it expires (the zero time
	// when unknown: it is then used until Graph refuses it).
	Token(ctx context.Context, scope string) (token string, expires time.Time, err error)
}

// StaticToken is a bearer token the user already has (ENROLLPLAN_GRAPH_TOKEN).
type StaticToken string

// Token returns the token as given.
func (t StaticToken) Token(context.Context, string) (string, time.Time, error) {
	if t == "" {
		return "", time.Time{}, errors.New("the token is empty")
	}
	return string(t), time.Time{}, nil
}

// KindOfToken tells from a token's claims, without checking its signature
// (Graph does that), whether it was issued to a person ("scp" claim) or to an
// application alone ("roles" without "scp"). Anything else is unknown.
func KindOfToken(token string) SignInKind {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return SignInUnknown
	}
	var claims struct {
		Scp   string   `json:"scp"`
		Roles []string `json:"roles"`
		Idtyp string   `json:"idtyp"`
	}
	if decodeSegment(parts[1], &claims) != nil {
		return SignInUnknown
	}
	switch {
	case claims.Scp != "":
		return SignInDelegated
	case claims.Idtyp == "app" || len(claims.Roles) > 0:
		return SignInApp
	}
	return SignInUnknown
}

// SignInOptions say where a sign-in may come from.
type SignInOptions struct {
	Cloud  Cloud
	Getenv func(string) string
	// Interactive is true when a person is at a terminal: only then may the
	// sign-in fall back to a device code.
	Interactive bool
	// Prompt receives the device-code instructions (standard error).
	Prompt io.Writer
}

// SignIn is a chosen way of signing in.
type SignIn struct {
	Source TokenSource
	Kind   SignInKind
	Via    string // e.g. "ENROLLPLAN_GRAPH_TOKEN", "client secret", "Azure CLI or device code"
}

// HasAppCredentials reports whether the environment holds an application's
// own credentials (AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or a
// certificate): what a server needs to offer the check without a person.
func HasAppCredentials(getenv func(string) string) bool {
	return getenv("AZURE_TENANT_ID") != "" && getenv("AZURE_CLIENT_ID") != "" &&
		(getenv("AZURE_CLIENT_SECRET") != "" || getenv("AZURE_CLIENT_CERTIFICATE_PATH") != "")
}

// NewSignIn picks the sign-in from the environment, in this order:
// ENROLLPLAN_GRAPH_TOKEN; an application with AZURE_TENANT_ID, AZURE_CLIENT_ID
// and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (with
// AZURE_CLIENT_CERTIFICATE_PASSWORD when the file has one); else a person
// through the Azure CLI's sign-in, then a device code when Interactive.
// Only the command line uses it: a server uses AppSignIn.
func NewSignIn(o SignInOptions) (SignIn, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if in, ok, err := explicitSignIn(o.Cloud, getenv); ok || err != nil {
		return in, err
	}
	opts := azcore.ClientOptions{Cloud: azureCloud(o.Cloud)}
	tenantID, clientID := getenv("AZURE_TENANT_ID"), getenv("AZURE_CLIENT_ID")
	cli, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: tenantID})
	if err != nil {
		return SignIn{}, fmt.Errorf("sign-in: Azure CLI: %w", err)
	}
	if !o.Interactive {
		return SignIn{Source: azureSource{cli}, Kind: SignInDelegated, Via: "Azure CLI"}, nil
	}
	prompt := o.Prompt
	if prompt == nil {
		prompt = io.Discard
	}
	dc, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: opts,
		TenantID:      tenantID,
		ClientID:      clientID, // the app registration for people, when set; else Azure's development app
		UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
			_, err := fmt.Fprintln(prompt, m.Message)
			return err
		},
	})
	if err != nil {
		return SignIn{}, fmt.Errorf("sign-in: device code: %w", err)
	}
	chain, err := azidentity.NewChainedTokenCredential([]azcore.TokenCredential{cli, dc}, nil)
	if err != nil {
		return SignIn{}, fmt.Errorf("sign-in: %w", err)
	}
	return SignIn{Source: azureSource{chain}, Kind: SignInDelegated, Via: "Azure CLI or device code"}, nil
}

// ErrNoAppCredentials is AppSignIn's answer when the environment names no
// explicit credentials.
var ErrNoAppCredentials = errors.New("sign-in: no explicit credentials: set ENROLLPLAN_GRAPH_TOKEN, or AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH")

// AppSignIn is the server's own sign-in: ENROLLPLAN_GRAPH_TOKEN, or an
// application's client secret or certificate, and nothing else. Unlike
// NewSignIn it never falls back to the Azure CLI, a device code or a chain
// that probes the cloud's metadata address (169.254.169.254): a server
// reads a tenant only with the credentials its operator named. Without
// them it returns ErrNoAppCredentials, having touched no network.
func AppSignIn(c Cloud, getenv func(string) string) (SignIn, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	in, ok, err := explicitSignIn(c, getenv)
	if err != nil {
		return SignIn{}, err
	}
	if !ok {
		return SignIn{}, ErrNoAppCredentials
	}
	return in, nil
}

// HasExplicitCredentials reports whether the environment names credentials
// AppSignIn would use (a token, or an application's secret or certificate).
func HasExplicitCredentials(getenv func(string) string) bool {
	return strings.TrimSpace(getenv("ENROLLPLAN_GRAPH_TOKEN")) != "" ||
		getenv("AZURE_CLIENT_SECRET") != "" || getenv("AZURE_CLIENT_CERTIFICATE_PATH") != ""
}

// explicitSignIn is the sign-in the environment names outright: a token,
// a client secret or a client certificate; ok is false when it names none.
// Building the credential makes no network call (a token is asked for on
// first use).
func explicitSignIn(c Cloud, getenv func(string) string) (in SignIn, ok bool, err error) {
	if tok := strings.TrimSpace(getenv("ENROLLPLAN_GRAPH_TOKEN")); tok != "" {
		tok = strings.TrimPrefix(tok, "Bearer ")
		return SignIn{Source: StaticToken(tok), Kind: KindOfToken(tok), Via: "ENROLLPLAN_GRAPH_TOKEN"}, true, nil
	}
	tenantID, clientID := getenv("AZURE_TENANT_ID"), getenv("AZURE_CLIENT_ID")
	secret, certPath := getenv("AZURE_CLIENT_SECRET"), getenv("AZURE_CLIENT_CERTIFICATE_PATH")
	if secret == "" && certPath == "" {
		return SignIn{}, false, nil
	}
	if tenantID == "" || clientID == "" {
		return SignIn{}, false, errors.New("sign-in: AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH needs AZURE_TENANT_ID and AZURE_CLIENT_ID too")
	}
	opts := azcore.ClientOptions{Cloud: azureCloud(c)}
	if secret != "" {
		cred, err := azidentity.NewClientSecretCredential(tenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
		if err != nil {
			return SignIn{}, false, fmt.Errorf("sign-in: client secret: %w", err)
		}
		return SignIn{Source: azureSource{cred}, Kind: SignInApp, Via: "client secret"}, true, nil
	}
	data, err := os.ReadFile(certPath)
	if err != nil {
		return SignIn{}, false, fmt.Errorf("sign-in: read AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
	}
	var password []byte
	if p := getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD"); p != "" {
		password = []byte(p)
	}
	certs, key, err := azidentity.ParseCertificates(data, password)
	if err != nil {
		return SignIn{}, false, fmt.Errorf("sign-in: AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
	}
	cred, err := azidentity.NewClientCertificateCredential(tenantID, clientID, certs, key, &azidentity.ClientCertificateCredentialOptions{ClientOptions: opts})
	if err != nil {
		return SignIn{}, false, fmt.Errorf("sign-in: client certificate: %w", err)
	}
	return SignIn{Source: azureSource{cred}, Kind: SignInApp, Via: "client certificate"}, true, nil
}

func azureCloud(c Cloud) cloud.Configuration {
	switch c {
	case CloudUSGov, CloudUSGovDoD:
		return cloud.AzureGovernment
	case CloudChina:
		return cloud.AzureChina
	}
	return cloud.AzurePublic
}

// azureSource adapts an azidentity credential.
type azureSource struct{ cred azcore.TokenCredential }

func (a azureSource) Token(ctx context.Context, scope string) (string, time.Time, error) {
	tok, err := a.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return "", time.Time{}, err
	}
	return tok.Token, tok.ExpiresOn, nil
}

// tokenCache asks its source once and shares the token between the
// readings running at once (one sign-in prompt, not one per reading).
type tokenCache struct {
	src   TokenSource
	scope string
	now   func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (c *tokenCache) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && (c.expires.IsZero() || c.now().Add(2*time.Minute).Before(c.expires)) {
		return c.token, nil
	}
	tok, exp, err := c.src.Token(ctx, c.scope)
	if err != nil {
		return "", &signInError{err}
	}
	c.token, c.expires = tok, exp
	return tok, nil
}

// signInError is a failure to get a token.
type signInError struct{ err error }

func (e *signInError) Error() string { return "sign-in: " + e.err.Error() }
func (e *signInError) Unwrap() error { return e.err }

// bearerAuth puts the token on requests to Graph's own host only, so a
// nextLink or redirect elsewhere never carries it.
type bearerAuth struct {
	tokens *tokenCache
	host   string
}

func (b *bearerAuth) AuthenticateRequest(ctx context.Context, req *abs.RequestInformation, _ map[string]any) error {
	u, err := req.GetUri()
	if err != nil {
		return err
	}
	if !sameHost(u, b.host) {
		return nil
	}
	tok, err := b.tokens.get(ctx)
	if err != nil {
		return err
	}
	req.Headers.Add("Authorization", "Bearer "+tok)
	return nil
}

func sameHost(u *url.URL, host string) bool { return strings.EqualFold(u.Host, host) }
