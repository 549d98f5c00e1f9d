// Package fakegraph is a Microsoft Graph stand-in for tests: an httptest
// server that answers every reading check-tenant makes with Graph's own JSON
// shapes, written from the Graph API reference's response examples (the
// reference wraps single entities in "value"; Graph itself, and these
// fixtures, return them at the top level; fixtures/reference keeps an
// example in the reference's own shape). Tests change a route's answer to
// play an empty tenant, throttling, a refusal, a reading that hangs, a
// second page, a redirect or an answer too large to take.
package fakegraph

import (
	"embed"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

//go:embed fixtures/*.json fixtures/reference/*.json
var fixtures embed.FS

// Reference is a response example in the Graph API reference's own shape,
// from fixtures/reference (e.g. "applePushNotificationCertificate").
func Reference(name string) string {
	data, err := fixtures.ReadFile("fixtures/reference/" + name + ".json")
	if err != nil {
		panic("fakegraph: no reference fixture " + name)
	}
	return string(data)
}

// Fixture is the fixture a path is answered with, its variables unfilled
// ("" for a path without one).
func Fixture(path string) string {
	data, _ := fixtures.ReadFile("fixtures/" + files[path] + ".json")
	return string(data)
}

// Token is the bearer token the server accepts.
const Token = "x"

// TokenSwap stands between a real client and this server, which accepts
// Token only: a request carrying Want (e.g. the visitor's access token from
// the stand-in identity provider) goes on with Token, anything else goes on
// as it came and is refused, so a reading proves which token it carried.
type TokenSwap struct {
	Want    string
	Carried atomic.Int32 // requests that carried Want
	Refused atomic.Int32 // requests that carried anything else
}

func (s *TokenSwap) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "Bearer "+s.Want {
		s.Carried.Add(1)
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+Token)
	} else {
		s.Refused.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// Secrets are values the managed Google Play fixture carries in its
// companyCodes (an enrollment token, QR code content, a QR image): none may
// ever appear in anything the product prints, stores or logs.
// The VPP token's own value and a managed device's name, serial number and
// user (which Graph sends when $select is ignored) must not appear either.
var Secrets = []string{
	"SECRET-ENROLLMENT-TOKEN-7f3a9c",
	"SECRET-QR-CONTENT-7f3a9c",
	"U0VDUkVULVFSLUlNQUdFLTdmM2E5Yw==",
	"companyCodes",
	"SECRET-VPP-TOKEN-7f3a9c",
	"SECRET-DEVICE-NAME-7f3a9c",
	"SECRET-SERIAL-7f3a9c",
	"SECRET-USER-7f3a9c",
}

// Paths of the readings, below the root.
const (
	Organization   = "/v1.0/organization"
	SubscribedSkus = "/v1.0/subscribedSkus"
	ApplePush      = "/v1.0/deviceManagement/applePushNotificationCertificate"
	DEPOnboarding  = "/beta/deviceManagement/depOnboardingSettings"
	ManagedPlay    = "/beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings"
	Autopilot      = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities"
	Enrollment     = "/v1.0/deviceManagement/deviceEnrollmentConfigurations"
	DeviceReg      = "/v1.0/policies/deviceRegistrationPolicy"
	MDMPolicies    = "/beta/policies/mobileDeviceManagementPolicies"
	VPPTokens      = "/v1.0/deviceAppManagement/vppTokens"
	ManagedDevices = "/v1.0/deviceManagement/managedDevices"
	page2          = "$skiptoken=page2"
)

// Paths lists every reading's path, in the readings' order.
var Paths = []string{Organization, SubscribedSkus, ApplePush, DEPOnboarding, VPPTokens, ManagedPlay, Autopilot, Enrollment, DeviceReg, MDMPolicies, ManagedDevices}

// Route is how the server answers one path.
type Route struct {
	Status int               // default 200
	Body   string            // default the fixture, with Vars filled in
	Header map[string]string // extra response headers
	// ThrottleFirst answers the first n requests 429 with Retry-After: RetryAfter.
	ThrottleFirst int
	RetryAfter    string
	// Hang holds the request until the client gives up.
	Hang bool
	// Pages answer the next pages: Pages[0] a request whose query holds
	// $skiptoken=2, Pages[1] $skiptoken=3, and so on (Body is the first).
	Pages []string
	// Handler, when set, answers instead (after the token is checked): a
	// redirect, a compressed answer, one streamed without end.
	Handler http.HandlerFunc
}

var skiptoken = regexp.MustCompile(`\$skiptoken=(\d+)`)

// Request is one request the server saw.
type Request struct {
	Method, Host, Path, RawQuery, Authorization string
}

// Server is the fake Graph.
type Server struct {
	*httptest.Server
	// Prefix is where Graph's root sits on the server ("" or e.g. "/proxy").
	Prefix string
	// LinkRoot is the root written into @odata links; default the server's URL and Prefix.
	LinkRoot string

	mu       sync.Mutex
	vars     map[string]string
	routes   map[string]Route
	calls    map[string]int
	requests []Request
	release  chan struct{}
}

// Healthy tenant values of the fixtures' variables.
var defaults = map[string]string{
	"apns_expiry":          "2027-09-30T10:00:00Z",
	"ade_expiry":           "2027-06-30T10:00:00Z",
	"vpp_expiry":           "2027-08-31T10:00:00Z",
	"bind_status":          "boundAndValidated",
	"ios_personal_blocked": "false",
}

var files = map[string]string{
	Organization:   "organization",
	SubscribedSkus: "subscribedSkus",
	ApplePush:      "applePushNotificationCertificate",
	DEPOnboarding:  "depOnboardingSettings",
	ManagedPlay:    "androidManagedStoreAccountEnterpriseSettings",
	Autopilot:      "windowsAutopilotDeviceIdentities",
	Enrollment:     "deviceEnrollmentConfigurations",
	DeviceReg:      "deviceRegistrationPolicy",
	MDMPolicies:    "mobileDeviceManagementPolicies",
	VPPTokens:      "vppTokens",
	ManagedDevices: "managedDevices",
}

// New starts a fake Graph playing a healthy tenant, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{vars: map[string]string{}, routes: map[string]Route{}, calls: map[string]int{}, release: make(chan struct{})}
	for k, v := range defaults {
		s.vars[k] = v
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

// Root is Graph's root on this server, for ENROLLPLAN_GRAPH_URL.
func (s *Server) Root() string { return s.URL + s.Prefix }

// Set replaces how path is answered.
func (s *Server) Set(path string, r Route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[path] = r
}

// Var sets a fixture variable (apns_expiry, ade_expiry, vpp_expiry, bind_status, ios_personal_blocked).
func (s *Server) Var(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vars[name] = value
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls is how many requests path received.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// Error is Graph's error body (Microsoft Graph error responses).
func Error(code, message string) string {
	return `{"error":{"code":"` + code + `","message":"` + message + `","innerError":{"date":"2027-01-04T12:00:00","request-id":"94fb3b52-452a-4535-a601-69e0a90e3aa2","client-request-id":"94fb3b52-452a-4535-a601-69e0a90e3aa2"}}}`
}

// Forbidden is the 403 Graph gives a sign-in without the permission.
var Forbidden = Route{Status: 403, Body: Error("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, s.Prefix)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Authorization: r.Header.Get("Authorization")})
	s.calls[path]++
	n := s.calls[path]
	route, custom := s.routes[path]
	vars := map[string]string{}
	for k, v := range s.vars {
		vars[k] = v
	}
	linkRoot := s.LinkRoot
	s.mu.Unlock()
	if linkRoot == "" {
		linkRoot = s.URL + s.Prefix
	}
	vars["root"] = linkRoot

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", "94fb3b52-452a-4535-a601-69e0a90e3aa2")
	if r.Method != http.MethodGet {
		w.WriteHeader(405)
		w.Write([]byte(Error("Request_BadRequest", "check-tenant only reads.")))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+Token {
		w.WriteHeader(401)
		w.Write([]byte(Error("InvalidAuthenticationToken", "Access token is empty.")))
		return
	}
	if route.Hang {
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
		return
	}
	if n <= route.ThrottleFirst {
		w.Header().Set("Retry-After", route.RetryAfter)
		w.WriteHeader(429)
		w.Write([]byte(Error("TooManyRequests", "Too many requests.")))
		return
	}
	for k, v := range route.Header {
		w.Header().Set(k, v)
	}
	if route.Handler != nil {
		route.Handler(w, r)
		return
	}
	body := route.Body
	if m := skiptoken.FindStringSubmatch(r.URL.RawQuery); m != nil && len(route.Pages) > 0 {
		n, _ := strconv.Atoi(m[1]) // too large to parse is no page either
		if n < 2 || n-2 >= len(route.Pages) {
			w.WriteHeader(400)
			w.Write([]byte(Error("BadRequest", "No such page.")))
			return
		}
		body = route.Pages[n-2]
	} else if !custom || body == "" && route.Status == 0 {
		name, ok := files[path]
		if !ok {
			w.WriteHeader(404)
			w.Write([]byte(Error("Request_ResourceNotFound", "Resource not found.")))
			return
		}
		if strings.Contains(r.URL.RawQuery, page2) {
			name += "-page2"
		}
		data, err := fixtures.ReadFile("fixtures/" + name + ".json")
		if err != nil {
			w.WriteHeader(500)
			return
		}
		body = string(data)
	}
	for k, v := range vars {
		body = strings.ReplaceAll(body, "{{"+k+"}}", v)
	}
	if route.Status != 0 {
		w.WriteHeader(route.Status)
	}
	w.Write([]byte(body))
}
