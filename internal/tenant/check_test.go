package tenant

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/tenant/fakegraph"
)

// fixedNow is the clock of every test: 2027-01-04 12:00 UTC.
var fixedNow = time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC)

// fakeToken is a sign-in that records the scopes it was asked for.
type fakeToken struct {
	token string
	err   error

	mu     sync.Mutex
	scopes []string
}

func (f *fakeToken) Token(_ context.Context, scope string) (string, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, scope)
	return f.token, fixedNow.Add(time.Hour), f.err
}

// sleeps records the retry delays asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type run struct {
	tc       *plan.TenantCheck
	err      error
	progress []plan.Finding
	log      string
	elapsed  time.Duration
}

func (r run) find(t *testing.T, id string) plan.Finding {
	t.Helper()
	if r.tc == nil {
		t.Fatalf("no result (error %v)", r.err)
	}
	for _, f := range r.tc.Findings {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %q in %+v", id, r.tc.Findings)
	return plan.Finding{}
}

// check runs a Checker against srv with fast test settings, changed by mod.
func check(t *testing.T, srv *fakegraph.Server, mod func(*Config)) run {
	t.Helper()
	var logBuf bytes.Buffer
	var mu sync.Mutex
	cfg := Config{
		GraphURL:       srv.Root(),
		Credential:     &fakeToken{token: fakegraph.Token},
		SignIn:         SignInDelegated,
		Now:            func() time.Time { return fixedNow },
		Timeout:        5 * time.Second,
		ReadingTimeout: 2 * time.Second,
		Sleep:          (&sleeps{}).sleep,
		Log:            slog.New(slog.NewTextHandler(&lockedWriter{w: &logBuf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var r run
	start := time.Now()
	r.tc, r.err = c.Check(context.Background(), func(f plan.Finding) { r.progress = append(r.progress, f) })
	r.elapsed = time.Since(start)
	mu.Lock()
	r.log = logBuf.String()
	mu.Unlock()
	return r
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func wantStatus(t *testing.T, r run, want map[string]string) {
	t.Helper()
	for id, st := range want {
		if f := r.find(t, id); f.Status != st {
			t.Errorf("%s: status %q, want %q (%s: %s)", id, f.Status, st, f.Title, f.Detail)
		}
	}
}

func boolIs(p *bool, want bool) bool { return p != nil && *p == want }

func TestHealthyTenant(t *testing.T) {
	srv := fakegraph.New(t)
	r := check(t, srv, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	tc := r.tc
	if tc.Schema != "enrollplan.tenant/v1" || tc.ReadAt != "2027-01-04T12:00:00Z" {
		t.Errorf("schema %q, read_at %q", tc.Schema, tc.ReadAt)
	}
	wantStatus(t, r, map[string]string{
		idMDMAuthority: "ok", idLicenses: "ok", idEntraPremium: "ok", idApplePush: "ok", idADE: "ok", idVPP: "ok",
		idManagedGooglePlay: "ok", idFullyManaged: "ok", idAutopilot: "ok", idDeviceLimit: "ok", idRestrictions: "ok",
		idDeviceJoin: "ok", idAutoEnrollment: "warning", idDevices: "ok",
	})
	tn := tc.Tenant
	if tn.MDMAuthority != "intune" || !boolIs(tn.LicensesAssigned, true) || !boolIs(tn.EntraPremium, true) ||
		!boolIs(tn.AppleMDMPushCertificate, true) || !boolIs(tn.AppleBusinessManager, true) ||
		!boolIs(tn.ManagedGooglePlay, true) || tn.Cloud != "global" {
		t.Errorf("tenant answers %+v", tn)
	}
	if tn.AdminRole != "" || tn.GroupsReady != nil || tn.ConfigMgr != nil {
		t.Errorf("the check cannot establish admin_role, groups_ready or configmgr here: %+v", tn)
	}
	if lic := r.find(t, idLicenses); !strings.Contains(lic.Detail, "INTUNE_A in SPE_E5: 14 of 25 seats assigned") {
		t.Errorf("licences detail %q", lic.Detail)
	}
	if p := r.find(t, idEntraPremium); !strings.HasPrefix(p.Detail, "AAD_PREMIUM, AAD_PREMIUM_P2 in SPE_E5.") {
		t.Errorf("Entra ID detail %q", p.Detail)
	}
	if ap := r.find(t, idAutopilot); !strings.HasPrefix(ap.Title, "3 devices") {
		t.Errorf("Autopilot count must follow @odata.nextLink: %q", ap.Title)
	}
	if dl := r.find(t, idDeviceLimit); dl.Title != "Device limit: 5 devices per user" {
		t.Errorf("device limit %q", dl.Title)
	}
	if ae := r.find(t, idAutoEnrollment); !strings.Contains(ae.Detail, "Intune Pilot") {
		t.Errorf("automatic enrollment should name the group: %q", ae.Detail)
	}
	wantExp := []plan.Expiry{
		{Kind: plan.ExpiryApplePush, Name: "mdm-apple@contoso.com", Date: "2027-09-30"},
		{Kind: plan.ExpiryADEToken, Name: "Contoso ABM", Date: "2027-06-30"},
	}
	if !slices.Equal(tc.Expiries, wantExp) {
		t.Errorf("expiries %+v, want %+v", tc.Expiries, wantExp)
	}
	// tenant.expiries (CONTRACT §8.1) holds the push certificate, the ADE
	// and the VPP tokens.
	wantTenantExp := []plan.TenantExpiry{
		{What: plan.WhatApplePush, Name: "mdm-apple@contoso.com", Expires: "2027-09-30"},
		{What: plan.WhatADEToken, Name: "Contoso ABM", Expires: "2027-06-30"},
		{What: plan.WhatVPPToken, Name: "Contoso Apps", Expires: "2027-08-31"},
	}
	if !slices.Equal(tn.Expiries, wantTenantExp) {
		t.Errorf("tenant.expiries %+v, want %+v", tn.Expiries, wantTenantExp)
	}
	// Managed devices, counted per platform and ownership over two pages.
	wantDevices := []plan.DeviceCount{
		{Platform: "windows", Ownership: "corporate", Count: 2},
		{Platform: "macos", Ownership: "unknown", Count: 1},
		{Platform: "ios", Ownership: "corporate", Count: 1},
		{Platform: "ios", Ownership: "personal", Count: 1},
		{Platform: "android", Ownership: "corporate", Count: 1},
	}
	if !slices.Equal(tc.Devices, wantDevices) {
		t.Errorf("devices %+v, want %+v", tc.Devices, wantDevices)
	}
	if d := r.find(t, idDevices); d.Title != "6 devices are managed by Intune" || !strings.Contains(d.Detail, "iOS/iPadOS: 2 (1 corporate, 1 personal)") {
		t.Errorf("managed devices %+v", d)
	}
	// Findings come in the readings' order, whatever order they completed in,
	// and progress saw each of them once.
	var ids []string
	for _, f := range tc.Findings {
		ids = append(ids, f.ID)
		if f.Title == "" || f.Detail == "" || f.Permission != "" {
			t.Errorf("finding %+v: needs a title and a detail, and no missing permission", f)
		}
	}
	want := []string{idMDMAuthority, idLicenses, idEntraPremium, idApplePush, idADE, idVPP, idManagedGooglePlay, idFullyManaged,
		idAutopilot, idDeviceLimit, idRestrictions, idDeviceJoin, idAutoEnrollment, idDevices}
	if !slices.Equal(ids, want) {
		t.Errorf("finding order %v, want %v", ids, want)
	}
	if len(r.progress) != len(want) {
		t.Errorf("progress saw %d findings, want %d", len(r.progress), len(want))
	}
	// Every request was a GET on v1.0 or beta with the bearer token.
	var v1, beta int
	for _, req := range srv.Requests() {
		if req.Method != "GET" || req.Authorization != "Bearer x" {
			t.Errorf("request %+v", req)
		}
		switch {
		case strings.HasPrefix(req.Path, "/v1.0/"):
			v1++
		case strings.HasPrefix(req.Path, "/beta/"):
			beta++
		default:
			t.Errorf("request outside /v1.0 and /beta: %s", req.Path)
		}
	}
	for _, req := range srv.Requests() {
		switch req.Path {
		case fakegraph.Organization:
			if req.RawQuery != "$select=id,displayName,mobileDeviceManagementAuthority" {
				t.Errorf("organization query %q", req.RawQuery)
			}
		case fakegraph.MDMPolicies:
			if req.RawQuery != "$expand=includedGroups" {
				t.Errorf("MDM policies query %q", req.RawQuery)
			}
		case fakegraph.ManagedDevices:
			if !strings.HasPrefix(req.RawQuery, "$select=operatingSystem,managedDeviceOwnerType") {
				t.Errorf("managed devices query %q: counts need two fields only", req.RawQuery)
			}
		}
	}
	if v1 != 10 || beta != 3 { // 8 v1.0 readings + second pages of Autopilot and managed devices; 3 beta readings
		t.Errorf("%d v1.0 and %d beta requests, want 10 and 3", v1, beta)
	}
}

func TestEmptyTenant(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Set(fakegraph.ApplePush, fakegraph.Route{Status: 404, Body: fakegraph.Error("ResourceNotFound", "Resource not found")})
	srv.Set(fakegraph.DEPOnboarding, fakegraph.Route{Body: `{"@odata.context":"x","value":[]}`})
	srv.Var("bind_status", "notBound")
	srv.Set(fakegraph.Autopilot, fakegraph.Route{Body: `{"@odata.context":"x","value":[]}`})
	srv.Set(fakegraph.SubscribedSkus, fakegraph.Route{Body: `{"value":[]}`})
	r := check(t, srv, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantStatus(t, r, map[string]string{
		idApplePush: "missing", idADE: "missing", idManagedGooglePlay: "missing", idAutopilot: "missing",
		idLicenses: "missing", idEntraPremium: "missing", idMDMAuthority: "ok",
	})
	tn := r.tc.Tenant
	if !boolIs(tn.AppleMDMPushCertificate, false) || !boolIs(tn.AppleBusinessManager, false) ||
		!boolIs(tn.ManagedGooglePlay, false) || !boolIs(tn.LicensesAssigned, false) || !boolIs(tn.EntraPremium, false) {
		t.Errorf("tenant answers %+v", tn)
	}
	if len(r.tc.Expiries) != 0 {
		t.Errorf("no certificate, no token: no expiries, got %+v", r.tc.Expiries)
	}
	if f := r.find(t, idApplePush); f.Permission != "" || !strings.Contains(f.Detail, "no iPhone, iPad or Mac can enroll") {
		t.Errorf("404 means no certificate, not a failure: %+v", f)
	}
}

func TestExpiringCertificates(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Var("apns_expiry", fixedNow.Add(12*24*time.Hour+23*time.Hour).Format(time.RFC3339)) // 12 days 23 hours: 12 days left
	srv.Var("ade_expiry", fixedNow.Add(-30*time.Minute).Format(time.RFC3339))               // half an hour ago
	r := check(t, srv, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	apns := r.find(t, idApplePush)
	if apns.Status != "warning" || apns.Title != "Apple MDM push certificate expires in 12 days" ||
		!strings.Contains(apns.Detail, "2027-01-17") || !strings.Contains(apns.Detail, "12 days left") ||
		!strings.Contains(apns.Detail, "same Apple ID (mdm-apple@contoso.com)") {
		t.Errorf("push certificate %+v", apns)
	}
	ade := r.find(t, idADE)
	if ade.Status != "missing" || !strings.Contains(ade.Detail, "expired on 2027-01-04") ||
		!strings.Contains(ade.Detail, "same Apple Business account (abm-admin@contoso.com)") {
		t.Errorf("ADE token %+v", ade)
	}
	if !boolIs(r.tc.Tenant.AppleMDMPushCertificate, true) || !boolIs(r.tc.Tenant.AppleBusinessManager, false) {
		t.Errorf("an expiring certificate still works, an expired token does not: %+v", r.tc.Tenant)
	}
	if r.tc.Expiries[0].Date != "2027-01-17" || r.tc.Expiries[1].Date != "2027-01-04" {
		t.Errorf("expiries %+v", r.tc.Expiries)
	}
}

func TestExpiryBoundaries(t *testing.T) {
	for _, tc := range []struct {
		after  time.Duration
		status string
		title  string
	}{
		{31 * 24 * time.Hour, "ok", "Apple MDM push certificate is valid until 2027-02-04"},
		{30*24*time.Hour + 23*time.Hour, "warning", "Apple MDM push certificate expires in 30 days"},
		{24 * time.Hour, "warning", "Apple MDM push certificate expires in 1 day"},
		{time.Hour, "warning", "Apple MDM push certificate expires today"},
		{-time.Hour, "missing", "Apple MDM push certificate has expired"},
	} {
		exp := fixedNow.Add(tc.after)
		o := mapApplePush(applePush{found: true, appleID: "a@b", expires: &exp}, fixedNow)
		if f := o.findings[0]; f.Status != tc.status || f.Title != tc.title {
			t.Errorf("%v: %s %q, want %s %q", tc.after, f.Status, f.Title, tc.status, tc.title)
		}
		var tn plan.Tenant
		o.apply(&tn)
		if boolIs(tn.AppleMDMPushCertificate, true) != (tc.status != "missing") {
			t.Errorf("%v: apple_mdm_push_certificate %v", tc.after, *tn.AppleMDMPushCertificate)
		}
	}
	if got := daysLeft(fixedNow, fixedNow.Add(47*time.Hour)); got != 1 {
		t.Errorf("daysLeft rounds down: %d", got)
	}
	if got := daysLeft(fixedNow, fixedNow.Add(-time.Minute)); got != -1 {
		t.Errorf("daysLeft of a past instant: %d", got)
	}
}

func TestThrottledFirstCallIsRetriedAfterRetryAfter(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Set(fakegraph.SubscribedSkus, fakegraph.Route{ThrottleFirst: 1, RetryAfter: "7"})
	srv.Set(fakegraph.DeviceReg, fakegraph.Route{ThrottleFirst: 1, RetryAfter: ""}) // no Retry-After: a short backoff
	rec := &sleeps{}
	r := check(t, srv, func(c *Config) {
		c.Sleep = rec.sleep
		c.ReadingTimeout = 10 * time.Second
		c.Timeout = 20 * time.Second
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantStatus(t, r, map[string]string{idLicenses: "ok", idDeviceJoin: "ok"})
	if srv.Calls(fakegraph.SubscribedSkus) != 2 {
		t.Errorf("subscribedSkus asked %d times, want 2", srv.Calls(fakegraph.SubscribedSkus))
	}
	got := rec.all()
	slices.Sort(got)
	if !slices.Equal(got, []time.Duration{time.Second, 7 * time.Second}) {
		t.Errorf("waited %v, want Retry-After's 7s and a 1s backoff", got)
	}
}

func TestThrottlingIsBounded(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Set(fakegraph.SubscribedSkus, fakegraph.Route{ThrottleFirst: 100, RetryAfter: "1"})
	srv.Set(fakegraph.Organization, fakegraph.Route{ThrottleFirst: 100, RetryAfter: "3600"})
	srv.Set(fakegraph.DeviceReg, fakegraph.Route{Status: 503, Body: fakegraph.Error("serviceNotAvailable", "Try again later."), Header: map[string]string{"Retry-After": "1"}})
	r := check(t, srv, func(c *Config) { c.MaxRetries = 2; c.MaxRetryWait = time.Minute })
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := srv.Calls(fakegraph.SubscribedSkus); n != 3 {
		t.Errorf("subscribedSkus asked %d times, want 1 + 2 retries", n)
	}
	if n := srv.Calls(fakegraph.Organization); n != 1 {
		t.Errorf("a Retry-After past MaxRetryWait is not waited for: %d calls", n)
	}
	if n := srv.Calls(fakegraph.DeviceReg); n != 3 {
		t.Errorf("503 is retried like 429: %d calls", n)
	}
	for _, id := range []string{idLicenses, idEntraPremium, idMDMAuthority, idDeviceJoin} {
		if f := r.find(t, id); f.Status != "unknown" || !strings.Contains(f.Detail, "throttling") {
			t.Errorf("%s: %+v", id, f)
		}
	}
	wantStatus(t, r, map[string]string{idApplePush: "ok", idAutopilot: "ok"})
}

func TestForbiddenNamesTheMissingPermission(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Set(fakegraph.ApplePush, fakegraph.Forbidden)
	srv.Set(fakegraph.ManagedPlay, fakegraph.Forbidden)
	srv.Set(fakegraph.Organization, fakegraph.Forbidden)
	for _, tc := range []struct {
		kind SignInKind
		org  string
	}{
		{SignInDelegated, "User.Read"},
		{SignInApp, "Organization.Read.All"},
		{SignInUnknown, "User.Read (delegated) or Organization.Read.All (application)"},
	} {
		r := check(t, srv, func(c *Config) { c.SignIn = tc.kind })
		if r.err != nil {
			t.Fatal(r.err)
		}
		apns := r.find(t, idApplePush)
		if apns.Status != "unknown" || apns.Permission != "DeviceManagementManagedDevices.Read.All" ||
			!strings.Contains(apns.Detail, "403 (Authorization_RequestDenied)") {
			t.Errorf("%v: push certificate %+v", tc.kind, apns)
		}
		if f := r.find(t, idManagedGooglePlay); f.Status != "unknown" || f.Permission != "DeviceManagementConfiguration.Read.All" {
			t.Errorf("%v: managed Google Play %+v", tc.kind, f)
		}
		if f := r.find(t, idMDMAuthority); f.Permission != tc.org {
			t.Errorf("%v: organization permission %q, want %q", tc.kind, f.Permission, tc.org)
		}
		if r.tc.Tenant.AppleMDMPushCertificate != nil || r.tc.Tenant.ManagedGooglePlay != nil || r.tc.Tenant.MDMAuthority != "" {
			t.Errorf("%v: a refused reading establishes nothing: %+v", tc.kind, r.tc.Tenant)
		}
		wantStatus(t, r, map[string]string{idLicenses: "ok", idADE: "ok", idDeviceJoin: "ok"})
	}
}

func TestHangingReadingLosesOnlyItself(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Set(fakegraph.Autopilot, fakegraph.Route{Hang: true})
	srv.Set(fakegraph.DEPOnboarding, fakegraph.Route{Hang: true})
	r := check(t, srv, func(c *Config) { c.ReadingTimeout = 150 * time.Millisecond; c.Concurrency = 2 })
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, id := range []string{idAutopilot, idADE} {
		if f := r.find(t, id); f.Status != "unknown" || !strings.Contains(f.Detail, "did not answer within 150ms") {
			t.Errorf("%s: %+v", id, f)
		}
	}
	wantStatus(t, r, map[string]string{idMDMAuthority: "ok", idLicenses: "ok", idApplePush: "ok", idManagedGooglePlay: "ok",
		idDeviceLimit: "ok", idDeviceJoin: "ok", idAutoEnrollment: "warning"})
	if r.elapsed > 3*time.Second {
		t.Errorf("took %v", r.elapsed)
	}
}

func TestOverallTimeout(t *testing.T) {
	srv := fakegraph.New(t)
	for _, p := range fakegraph.Paths {
		srv.Set(p, fakegraph.Route{Hang: true})
	}
	r := check(t, srv, func(c *Config) { c.Timeout = 200 * time.Millisecond; c.ReadingTimeout = time.Second; c.Concurrency = 2 })
	var ce *CheckError
	if !errors.As(r.err, &ce) || ce.Reason != ReasonNetwork {
		t.Fatalf("error %v", r.err)
	}
	if r.elapsed > 2*time.Second {
		t.Errorf("took %v", r.elapsed)
	}
	for _, f := range r.tc.Findings {
		if f.Status != "unknown" || !strings.Contains(f.Detail, "The check's time (200ms) ran out before") {
			t.Errorf("%+v", f)
		}
	}
}

// rewrite sends requests for a national cloud's Graph to the fake server,
// keeping the Host they were meant for.
type rewrite struct{ to *url.URL }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Host = r.URL.Host
	r2.URL.Scheme, r2.URL.Host = rw.to.Scheme, rw.to.Host
	return http.DefaultTransport.RoundTrip(r2)
}

func TestNationalCloudRoot(t *testing.T) {
	srv := fakegraph.New(t)
	srv.LinkRoot = "https://graph.microsoft.us"
	to, _ := url.Parse(srv.URL)
	tok := &fakeToken{token: fakegraph.Token}
	r := check(t, srv, func(c *Config) {
		c.Cloud, c.GraphURL, c.Credential, c.Transport = CloudUSGov, "", tok, rewrite{to}
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.tc.Tenant.Cloud != "gcc-high" {
		t.Errorf("tenant.cloud %q", r.tc.Tenant.Cloud)
	}
	reqs := srv.Requests()
	if len(reqs) != 13 {
		t.Errorf("%d requests, want 13 (11 readings and 2 second pages)", len(reqs))
	}
	for _, req := range reqs {
		if req.Host != "graph.microsoft.us" || !(strings.HasPrefix(req.Path, "/v1.0/") || strings.HasPrefix(req.Path, "/beta/")) {
			t.Errorf("request %+v, want https://graph.microsoft.us/v1.0|beta/...", req)
		}
	}
	if !slices.Equal(tok.scopes, []string{"https://graph.microsoft.us/.default"}) {
		t.Errorf("token asked for %v, once for Graph US Government", tok.scopes)
	}
	wantStatus(t, r, map[string]string{idAutopilot: "ok"})

	for _, c := range []struct {
		cloud                   Cloud
		root, authority, answer string
	}{
		{CloudGlobal, "https://graph.microsoft.com", "https://login.microsoftonline.com/", "global"},
		{CloudUSGov, "https://graph.microsoft.us", "https://login.microsoftonline.us/", "gcc-high"},
		{CloudUSGovDoD, "https://dod-graph.microsoft.us", "https://login.microsoftonline.us/", "dod"},
		{CloudChina, "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn/", "china"},
	} {
		if c.cloud.GraphRoot() != c.root || c.cloud.Authority() != c.authority || c.cloud.AnswerCloud() != c.answer ||
			azureCloud(c.cloud).ActiveDirectoryAuthorityHost != c.authority {
			t.Errorf("%s: %s %s %s", c.cloud, c.cloud.GraphRoot(), c.cloud.Authority(), c.cloud.AnswerCloud())
		}
	}
}

func TestGraphURLOverrideWithPath(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Prefix = "/proxy"
	r := check(t, srv, func(c *Config) { c.Cloud = CloudChina })
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, req := range srv.Requests() {
		if !strings.HasPrefix(req.Path, "/proxy/v1.0/") && !strings.HasPrefix(req.Path, "/proxy/beta/") {
			t.Errorf("request %s", req.Path)
		}
	}
	if r.tc.Tenant.Cloud != "china" {
		t.Errorf("tenant.cloud %q", r.tc.Tenant.Cloud)
	}
	wantStatus(t, r, map[string]string{idMDMAuthority: "ok", idManagedGooglePlay: "ok"})
}

func TestSecretsAreDroppedAtDecoding(t *testing.T) {
	srv := fakegraph.New(t)
	// Make every path that could echo a body run: success, then a failure
	// whose body carries the secrets too.
	r := check(t, srv, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	out, _ := json.Marshal(r.tc)
	prog, _ := json.Marshal(r.progress)
	for _, s := range fakegraph.Secrets {
		for name, text := range map[string]string{"result": string(out), "progress": string(prog), "log": r.log} {
			if strings.Contains(text, s) {
				t.Errorf("%s contains %q", name, s)
			}
		}
	}
	if !strings.Contains(r.log, "managed-google-play") {
		t.Errorf("the log should name the readings: %s", r.log)
	}
	// The decoding struct has no place for them.
	var v androidManagedStoreSettings
	data, _ := json.Marshal(map[string]any{"bindStatus": "bound", "companyCodes": []map[string]string{{"enrollmentToken": "SECRET"}}})
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(v)
	if strings.Contains(string(again), "SECRET") {
		t.Errorf("decoded settings kept a secret: %s", again)
	}

	srv.Set(fakegraph.ManagedPlay, fakegraph.Route{Status: 500, Body: `{"error":{"code":"InternalError","message":"SECRET-ENROLLMENT-TOKEN-7f3a9c companyCodes"}}`})
	r = check(t, srv, nil)
	out, _ = json.Marshal(r.tc)
	for _, s := range fakegraph.Secrets[:1] {
		if strings.Contains(string(out), s) || strings.Contains(r.log, s) {
			t.Errorf("an error body's text leaked into the result or the log")
		}
	}
}

func TestAppOnlySignInSkipsDelegatedOnlyReading(t *testing.T) {
	srv := fakegraph.New(t)
	r := check(t, srv, func(c *Config) { c.SignIn = SignInApp })
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := srv.Calls(fakegraph.MDMPolicies); n != 0 {
		t.Errorf("mobileDeviceManagementPolicies asked %d times by an app-only sign-in", n)
	}
	if f := r.find(t, idAutoEnrollment); f.Status != "unknown" || f.Permission != "Policy.Read.All" || !strings.Contains(f.Detail, "delegated") {
		t.Errorf("%+v", f)
	}
}

func TestNothingCouldBeRead(t *testing.T) {
	all := fakegraph.Paths

	t.Run("permission", func(t *testing.T) {
		srv := fakegraph.New(t)
		for _, p := range all {
			srv.Set(p, fakegraph.Forbidden)
		}
		r := check(t, srv, nil)
		var ce *CheckError
		if !errors.As(r.err, &ce) || ce.Reason != ReasonPermission {
			t.Fatalf("error %v", r.err)
		}
		for _, f := range r.tc.Findings {
			if f.Status != "unknown" || f.Permission == "" {
				t.Errorf("%+v", f)
			}
		}
	})
	t.Run("sign-in refused", func(t *testing.T) {
		srv := fakegraph.New(t)
		r := check(t, srv, func(c *Config) { c.Credential = &fakeToken{token: "expired"} })
		var ce *CheckError
		if !errors.As(r.err, &ce) || ce.Reason != ReasonSignIn || !strings.Contains(ce.Detail, "401") {
			t.Fatalf("error %v", r.err)
		}
	})
	t.Run("no token", func(t *testing.T) {
		srv := fakegraph.New(t)
		r := check(t, srv, func(c *Config) {
			c.Credential = &fakeToken{err: errors.New("AADSTS70043: the refresh token has expired")}
		})
		var ce *CheckError
		if !errors.As(r.err, &ce) || ce.Reason != ReasonSignIn || !strings.Contains(ce.Detail, "AADSTS70043") || r.tc != nil {
			t.Fatalf("error %v", r.err)
		}
		if len(srv.Requests()) != 0 {
			t.Errorf("no request without a token")
		}
	})
	t.Run("network", func(t *testing.T) {
		srv := fakegraph.New(t)
		root := srv.Root()
		srv.Close()
		r := check(t, srv, func(c *Config) { c.GraphURL = root })
		var ce *CheckError
		if !errors.As(r.err, &ce) || ce.Reason != ReasonNetwork {
			t.Fatalf("error %v", r.err)
		}
	})
}

func TestMappingRules(t *testing.T) {
	t.Run("MDM authority", func(t *testing.T) {
		for v, want := range map[string][2]string{
			"intune": {"ok", "intune"}, "sccm": {"missing", "configmgr"}, "office365": {"missing", "office365"},
			"unknown": {"missing", "none"}, "": {"unknown", ""},
		} {
			o := mapMDMAuthority(v)
			var tn plan.Tenant
			if o.apply != nil {
				o.apply(&tn)
			}
			if o.findings[0].Status != want[0] || tn.MDMAuthority != want[1] {
				t.Errorf("%q: %s %q", v, o.findings[0].Status, tn.MDMAuthority)
			}
		}
	})
	t.Run("licences", func(t *testing.T) {
		basic := []sku{{part: "O365_BUSINESS_PREMIUM", status: "Enabled", consumed: 10, enabled: 10, plans: []servicePlan{{"INTUNE_O365", "PendingActivation"}}}}
		o := mapLicences(basic)
		if o.findings[0].Status != "missing" || !strings.Contains(o.findings[0].Detail, "Basic Mobility and Security") {
			t.Errorf("Basic Mobility and Security is not Intune: %+v", o.findings[0])
		}
		unassigned := []sku{{part: "INTUNE_A", status: "Enabled", consumed: 0, enabled: 50, plans: []servicePlan{{"INTUNE_A", "Success"}}}}
		o = mapLicences(unassigned)
		var tn plan.Tenant
		o.apply(&tn)
		if o.findings[0].Status != "missing" || !boolIs(tn.LicensesAssigned, false) {
			t.Errorf("bought but unassigned: %+v", o.findings[0])
		}
		suspended := []sku{{part: "SPE_E5", status: "Suspended", consumed: 5, enabled: 0, plans: []servicePlan{{"INTUNE_A", "Success"}, {"AAD_PREMIUM_P2", "Success"}}}}
		o = mapLicences(suspended)
		tn = plan.Tenant{}
		o.apply(&tn)
		if !boolIs(tn.LicensesAssigned, false) || !boolIs(tn.EntraPremium, false) {
			t.Errorf("a suspended subscription licenses nothing: %+v", tn)
		}
	})
	t.Run("personal devices blocked", func(t *testing.T) {
		o := mapEnrollmentConfig(enrollmentConfig{defaultLimit: ptr(15), limits: 1, restrictionSets: 2,
			restrictions: map[string]restriction{"ios": {personalBlocked: true}, "android": {blocked: true}}})
		f := o.findings[1]
		if f.Status != "warning" || !strings.Contains(f.Detail, "personally owned devices blocked: iOS/iPadOS") ||
			!strings.Contains(f.Detail, "blocked entirely: Android (device administrator)") || !strings.Contains(f.Detail, "BYOD") {
			t.Errorf("%+v", f)
		}
		o = mapEnrollmentConfig(enrollmentConfig{perPlatform: 3})
		if o.findings[0].Status != "unknown" || o.findings[1].Status != "unknown" || !strings.Contains(o.findings[1].Detail, "per-platform") {
			t.Errorf("%+v", o.findings)
		}
	})
	t.Run("who may join", func(t *testing.T) {
		for allowed, want := range map[string]string{"all": "ok", "selected": "warning", "none": "missing", "": "unknown"} {
			if got := mapDeviceJoin(deviceJoin{allowed: allowed}).findings[0].Status; got != want {
				t.Errorf("%q: %s, want %s", allowed, got, want)
			}
		}
	})
	t.Run("managed Google Play", func(t *testing.T) {
		for bind, want := range map[string]string{"bound": "ok", "boundAndValidated": "ok", "notBound": "missing", "unbinding": "warning", "": "unknown"} {
			if got := mapGooglePlay(googlePlay{bindStatus: bind, lastAppSync: "success"}).findings[0].Status; got != want {
				t.Errorf("%q: %s, want %s", bind, got, want)
			}
		}
		if got := mapGooglePlay(googlePlay{bindStatus: "bound", lastAppSync: "credentialsNotValid"}).findings[0].Status; got != "warning" {
			t.Errorf("a failing app sync: %s", got)
		}
	})
}

func TestSignInChoice(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	s, err := NewSignIn(SignInOptions{Getenv: env(map[string]string{"ENROLLPLAN_GRAPH_TOKEN": "x", "AZURE_CLIENT_SECRET": "s"})})
	if err != nil || s.Via != "ENROLLPLAN_GRAPH_TOKEN" || s.Kind != SignInUnknown {
		t.Errorf("static token first: %+v %v", s, err)
	}
	s, err = NewSignIn(SignInOptions{Cloud: CloudUSGov, Getenv: env(map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"})})
	if err != nil || s.Via != "client secret" || s.Kind != SignInApp {
		t.Errorf("client secret: %+v %v", s, err)
	}
	if _, err = NewSignIn(SignInOptions{Getenv: env(map[string]string{"AZURE_CLIENT_SECRET": "s"})}); err == nil {
		t.Error("a secret without tenant and client IDs must be refused")
	}
	if _, err = NewSignIn(SignInOptions{Getenv: env(map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_CERTIFICATE_PATH": "/nonexistent.pem"})}); err == nil {
		t.Error("a missing certificate file must be refused")
	}
	s, err = NewSignIn(SignInOptions{Getenv: env(nil)})
	if err != nil || s.Via != "Azure CLI" || s.Kind != SignInDelegated {
		t.Errorf("nobody at a terminal: Azure CLI only, no device code: %+v %v", s, err)
	}
	s, err = NewSignIn(SignInOptions{Getenv: env(nil), Interactive: true})
	if err != nil || s.Via != "Azure CLI or device code" {
		t.Errorf("a person at a terminal: %+v %v", s, err)
	}

	if HasAppCredentials(env(map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"})) ||
		!HasAppCredentials(env(map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_CERTIFICATE_PATH": "p"})) {
		t.Error("HasAppCredentials")
	}

	jwt := func(claims string) string {
		return "e30." + strings.TrimRight(base64URL(claims), "=") + ".sig"
	}
	for tok, want := range map[string]SignInKind{
		jwt(`{"scp":"User.Read"}`):                 SignInDelegated,
		jwt(`{"roles":["Organization.Read.All"]}`): SignInApp,
		jwt(`{"idtyp":"app"}`):                     SignInApp,
		jwt(`{}`):                                  SignInUnknown,
		"x":                                        SignInUnknown,
	} {
		if got := KindOfToken(tok); got != want {
			t.Errorf("%s: %v, want %v", tok, got, want)
		}
	}
}

func TestGraphURLAndCloudFlags(t *testing.T) {
	for in, ok := range map[string]bool{
		"https://graph.contoso-proxy.example": true, "http://127.0.0.1:8080": true, "http://localhost:1/x": true,
		"http://graph.example.com": false, "graph.microsoft.com": false, "https://h/?a=b": false,
	} {
		if _, err := ParseGraphURL(in); (err == nil) != ok {
			t.Errorf("%s: %v", in, err)
		}
	}
	if c, err := ParseCloud(""); err != nil || c != CloudGlobal {
		t.Errorf("default cloud %v %v", c, err)
	}
	if _, err := ParseCloud("gcc"); err == nil {
		t.Error("gcc is not a --cloud value (a GCC tenant uses the global cloud)")
	}
}

func TestPermissionLists(t *testing.T) {
	app := Permissions(SignInApp)
	want := []string{"Organization.Read.All", "DeviceManagementManagedDevices.Read.All", "DeviceManagementServiceConfig.Read.All",
		"DeviceManagementConfiguration.Read.All", "Policy.Read.DeviceConfiguration"}
	if !slices.Equal(app, want) {
		t.Errorf("application %v", app)
	}
	for _, p := range append(app, Permissions(SignInDelegated)...) {
		if strings.Contains(p, "ReadWrite") {
			t.Errorf("%s is not read-only", p)
		}
	}
	// Policy.Read.All, needed for the MDM policies, also reads the device
	// registration policy; Organization.Read.All also reads the organization.
	delegated := []string{"Organization.Read.All", "DeviceManagementManagedDevices.Read.All", "DeviceManagementServiceConfig.Read.All",
		"DeviceManagementConfiguration.Read.All", "Policy.Read.All"}
	if d := Permissions(SignInDelegated); !slices.Equal(d, delegated) {
		t.Errorf("delegated %v", d)
	}
}

func base64URL(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }

func TestSignInWithCertificate(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048) // azidentity takes RSA keys only
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "enrollplan check-tenant"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	path := filepath.Join(t.TempDir(), "app.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_CERTIFICATE_PATH": path}
	s, err := NewSignIn(SignInOptions{Cloud: CloudChina, Getenv: func(k string) string { return env[k] }})
	if err != nil || s.Via != "client certificate" || s.Kind != SignInApp {
		t.Errorf("%+v %v", s, err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"7": 7 * time.Second, "0": 0, "": -1, "soon": -1, "-3": -1,
		"Mon, 04 Jan 2027 12:00:30 GMT": 30 * time.Second,
		"Mon, 04 Jan 2027 11:00:00 GMT": 0,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", in, got, want)
		}
	}
}

// TestPanickingReadingIsALoggedFailure: a reading that panics (an answer
// the mapping cannot handle) becomes that reading's failure, its findings
// unknown, and the log says what panicked and where (issue 14).
func TestPanickingReadingIsALoggedFailure(t *testing.T) {
	srv := fakegraph.New(t)
	var logBuf bytes.Buffer
	var mu sync.Mutex
	c, err := New(Config{
		GraphURL:   srv.Root(),
		Credential: &fakeToken{token: fakegraph.Token},
		SignIn:     SignInDelegated,
		Now:        func() time.Time { return fixedNow },
		Log:        slog.New(slog.NewTextHandler(&lockedWriter{w: &logBuf, mu: &mu}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := reading{Reading{ID: "organization", Endpoint: "GET /v1.0/organization", What: "MDM authority", Delegated: "User.Read",
		Application: "Organization.Read.All", Findings: []string{idMDMAuthority}},
		func(context.Context, *session) (outcome, error) {
			var rows []string
			_ = rows[3] // index out of range, as a mapping bug would
			return outcome{}, nil
		}}
	res := c.run(context.Background(), make(chan struct{}, 1), &session{now: fixedNow}, boom)
	if res.read || res.fail.kind != failOther {
		t.Fatalf("a panicking reading: read=%v failure %+v, want a failure", res.read, res.fail)
	}
	if len(res.findings) != 1 || res.findings[0].Status != plan.FindingUnknown || res.findings[0].ID != idMDMAuthority {
		t.Fatalf("findings %+v, want the reading's finding unknown", res.findings)
	}
	mu.Lock()
	log := logBuf.String()
	mu.Unlock()
	for _, want := range []string{"outcome=panic", "reading=organization", "index out of range", "check_test.go"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q (the panic and its stack):\n%s", want, log)
		}
	}
}
