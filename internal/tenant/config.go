// Package tenant reads a Microsoft Intune tenant through Microsoft Graph,
// read-only and with least privilege, and turns what it finds into the
// tenant answers and findings of CONTRACT §7 (plan.TenantCheck).
//
// It is the only package that imports the Graph SDK and azidentity: the web
// layer sees it through a one-method interface of its own, so nothing else
// pays for the SDK's build.
package tenant

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Cloud is a Microsoft cloud, named as the --cloud flag names it.
type Cloud string

// The clouds check-tenant can read (CONTRACT §7).
const (
	CloudGlobal   Cloud = "global"
	CloudUSGov    Cloud = "usgov"     // Microsoft 365 GCC High
	CloudUSGovDoD Cloud = "usgov-dod" // Microsoft 365 DoD
	CloudChina    Cloud = "china"     // operated by 21Vianet
)

// cloudDef is where a cloud's Graph lives and who signs in for it
// (Microsoft Graph national cloud deployments).
type cloudDef struct {
	graph     string // service root, without /v1.0
	authority string // Microsoft Entra sign-in endpoint
	answer    string // tenant.cloud in the answers (CONTRACT §2)
}

var clouds = map[Cloud]cloudDef{
	CloudGlobal:   {"https://graph.microsoft.com", "https://login.microsoftonline.com/", "global"},
	CloudUSGov:    {"https://graph.microsoft.us", "https://login.microsoftonline.us/", "gcc-high"},
	CloudUSGovDoD: {"https://dod-graph.microsoft.us", "https://login.microsoftonline.us/", "dod"},
	CloudChina:    {"https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn/", "china"},
}

// Clouds lists the --cloud values in a stable order.
func Clouds() []Cloud { return []Cloud{CloudGlobal, CloudUSGov, CloudUSGovDoD, CloudChina} }

// ParseCloud checks a --cloud value; "" is the global cloud.
func ParseCloud(s string) (Cloud, error) {
	if s == "" {
		return CloudGlobal, nil
	}
	if _, ok := clouds[Cloud(s)]; ok {
		return Cloud(s), nil
	}
	return "", fmt.Errorf("--cloud %q is not a cloud; use global, usgov, usgov-dod or china", s)
}

// GraphRoot is the cloud's Microsoft Graph service root, e.g. https://graph.microsoft.us.
func (c Cloud) GraphRoot() string { return clouds[c.orGlobal()].graph }

// Authority is the cloud's Microsoft Entra sign-in endpoint.
func (c Cloud) Authority() string { return clouds[c.orGlobal()].authority }

// Scope is what a token for the cloud's Graph is requested for.
func (c Cloud) Scope() string { return c.GraphRoot() + "/.default" }

// AnswerCloud is the cloud as the answers name it: global, gcc-high, dod, china.
func (c Cloud) AnswerCloud() string { return clouds[c.orGlobal()].answer }

func (c Cloud) orGlobal() Cloud {
	if _, ok := clouds[c]; ok {
		return c
	}
	return CloudGlobal
}

// ParseGraphURL checks an override of Graph's root (ENROLLPLAN_GRAPH_URL): an
// absolute https URL, or http for a loopback host only (a test server or a
// local proxy), so a token never crosses a network in clear text.
func ParseGraphURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("ENROLLPLAN_GRAPH_URL %q is not an absolute http(s) URL", s)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("ENROLLPLAN_GRAPH_URL %q: plain http is allowed only for localhost; use https", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("ENROLLPLAN_GRAPH_URL %q must not carry a query or fragment", s)
	}
	return u.String(), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SignInKind says whose rights a token carries, which decides the permission
// a 403 names and whether delegated-only readings are attempted.
type SignInKind int

const (
	SignInUnknown   SignInKind = iota // a token given as is, whose kind could not be told
	SignInDelegated                   // a person (Azure CLI, device code)
	SignInApp                         // an application alone (client secret or certificate)
)

func (k SignInKind) String() string {
	switch k {
	case SignInDelegated:
		return "delegated"
	case SignInApp:
		return "application"
	}
	return "unknown"
}

// Config is what a Checker needs. Only Credential is required.
type Config struct {
	Cloud      Cloud       // picks Graph's root; default global
	GraphURL   string      // overrides the cloud's Graph root (a proxy or a test server); checked by ParseGraphURL
	Credential TokenSource // the sign-in
	SignIn     SignInKind  // what kind of sign-in Credential is

	Now            func() time.Time // the clock; default time.Now
	SignInTimeout  time.Duration    // signing in, a person answering a device code included; default 5m
	Timeout        time.Duration    // the readings, once signed in; default 60s
	ReadingTimeout time.Duration    // one reading, retries included; default 20s (at most Timeout)
	Concurrency    int              // readings in flight at once; default 4
	MaxRetries     int              // retries of a throttled (429/503) request; default 3, negative for none
	MaxRetryWait   time.Duration    // the longest Retry-After honoured; longer gives up; default 60s

	// Sleep waits between retries; default a timer that stops when ctx ends.
	// Tests replace it to run fast and to see the delays asked for.
	Sleep func(ctx context.Context, d time.Duration) error
	// Transport sends the HTTP requests; default http.DefaultTransport.
	Transport http.RoundTripper
	// Answers bounds the memory Graph answers hold at once: share one
	// between every checker of a process (a server makes one per visitor
	// signed in). Default: a budget of this checker's own.
	Answers *AnswerBudget
	// Log receives one line per reading (endpoint, status, duration), never a
	// body or a token; default discards.
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Cloud == "" {
		c.Cloud = CloudGlobal
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SignInTimeout <= 0 {
		c.SignInTimeout = 5 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 60 * time.Second
	}
	if c.ReadingTimeout <= 0 {
		c.ReadingTimeout = 20 * time.Second
	}
	c.ReadingTimeout = min(c.ReadingTimeout, c.Timeout)
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	} else if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.MaxRetryWait <= 0 {
		c.MaxRetryWait = 60 * time.Second
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Transport == nil {
		c.Transport = http.DefaultTransport
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Answers == nil {
		c.Answers = NewAnswerBudget(0)
	}
	return c
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
