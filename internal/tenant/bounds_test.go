package tenant

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/tenant/fakegraph"
)

// allocBound is the most a check may allocate while one of its readings is
// sent an answer of about 200 MiB: the 16 MiB cap, read once with the
// doubling buffer that grows to it, and the rest of the check.
const allocBound = 64 << 20

// spaces is JSON whitespace, written in chunks so that the fake server does
// not hold the whole answer.
var spaces = bytes.Repeat([]byte(" "), 64<<10)

// gzipBomb compresses a JSON collection padded to about size bytes: some
// 200 KB that inflate to size.
func gzipBomb(t testing.TB, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write([]byte(`{"value":[`))
	for n := 0; n < size; n += len(spaces) {
		zw.Write(spaces)
	}
	zw.Write([]byte(`]}`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// allocated is the bytes allocated while f runs.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestOverLongAnswersAreCut: an answer is read up to 16 MiB after
// decompression. A gzip bomb (a ~200 KB answer inflating to 192 MiB) and a
// large plain answer make their reading unknown, in words; the other
// readings complete, and the check allocates a bounded amount (before the
// cap, the bomb alone added 650-900 MiB of peak memory).
func TestOverLongAnswersAreCut(t *testing.T) {
	bomb := gzipBomb(t, 192<<20)
	if len(bomb) > 400<<10 {
		t.Fatalf("the bomb is %d bytes compressed; want a small one", len(bomb))
	}
	var sawGzip atomic.Bool
	stream := func(declare bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if declare {
				w.Header().Set("Content-Length", fmt.Sprint(200<<20))
			}
			w.Write([]byte(`{"value":[`))
			for n := 0; n < 200<<20; n += len(spaces) {
				if _, err := w.Write(spaces); err != nil {
					return // the client stopped reading
				}
			}
		}
	}
	for _, tc := range []struct {
		name, path, id string
		handler        http.HandlerFunc
	}{
		{"gzip bomb", fakegraph.DEPOnboarding, idADE, func(w http.ResponseWriter, r *http.Request) {
			// Go's transport asks for gzip itself and inflates the answer
			// transparently: the cap must count what comes out.
			sawGzip.Store(strings.Contains(r.Header.Get("Accept-Encoding"), "gzip"))
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		}},
		{"gzip bomb through the SDK's own decoding", fakegraph.Autopilot, idAutopilot, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		}},
		{"large plain answer", fakegraph.Enrollment, idDeviceLimit, stream(false)},
		{"large answer with its length", fakegraph.ManagedDevices, idDevices, stream(true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakegraph.New(t)
			srv.Set(tc.path, fakegraph.Route{Handler: tc.handler})
			var r run
			grew := allocated(func() { r = check(t, srv, nil) })
			if r.err != nil {
				t.Fatal(r.err)
			}
			f := r.find(t, tc.id)
			if f.Status != "unknown" || !strings.Contains(f.Detail, "longer than 16 MiB") {
				t.Errorf("%s: %+v, want unknown saying the answer was too long", tc.id, f)
			}
			wantStatus(t, r, map[string]string{idMDMAuthority: "ok", idLicenses: "ok", idApplePush: "ok", idDeviceJoin: "ok"})
			t.Logf("%s: the check allocated %d MiB", tc.name, grew>>20)
			if grew > allocBound {
				t.Errorf("the check allocated %d MiB, want under %d MiB", grew>>20, allocBound>>20)
			}
		})
	}
	if !sawGzip.Load() {
		t.Error("the request did not ask for gzip: the bomb was not inflated by the transport")
	}
}

// TestAnswerUpToTheCapIsRead: an answer just under 16 MiB is still read.
func TestAnswerUpToTheCapIsRead(t *testing.T) {
	srv := fakegraph.New(t)
	body := strings.ReplaceAll(fakegraph.Fixture(fakegraph.MDMPolicies), "{{root}}", srv.Root())
	pad := MaxAnswer - len(body) - 1
	srv.Set(fakegraph.MDMPolicies, fakegraph.Route{Body: strings.Replace(body, "{", "{"+strings.Repeat(" ", pad), 1)})
	r := check(t, srv, nil)
	if f := r.find(t, idAutoEnrollment); f.Status != "warning" {
		t.Errorf("an answer of 16 MiB less a byte: %+v", f)
	}
}

// TestRedirectsStayOnGraphsHost: a redirect to another host is not
// followed (that host sees no request) and leaves its reading unknown; a
// redirect on Graph's own host is followed.
func TestRedirectsStayOnGraphsHost(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"appleIdentifier":"attacker@example.com","expirationDateTime":"2030-01-01T00:00:00Z"}`))
	}))
	defer other.Close()
	srv := fakegraph.New(t)
	srv.Set(fakegraph.ApplePush, fakegraph.Route{Handler: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+fakegraph.ApplePush, http.StatusFound)
	}})
	srv.Set(fakegraph.DEPOnboarding, fakegraph.Route{Handler: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+fakegraph.DEPOnboarding, http.StatusTemporaryRedirect)
	}})
	// Same host: moved within Graph.
	srv.Set(fakegraph.DeviceReg, fakegraph.Route{Handler: func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("moved") == "" {
			http.Redirect(w, r, fakegraph.DeviceReg+"?moved=1", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(fakegraph.Fixture(fakegraph.DeviceReg)))
	}})
	r := check(t, srv, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host received %d requests, want none", n)
	}
	for _, id := range []string{idApplePush, idADE} {
		if f := r.find(t, id); f.Status != "unknown" || !strings.Contains(f.Detail, "does not follow") {
			t.Errorf("%s: %+v, want unknown saying the redirect was not followed", id, f)
		}
	}
	if r.tc.Tenant.AppleMDMPushCertificate != nil {
		t.Errorf("a redirect established %v", *r.tc.Tenant.AppleMDMPushCertificate)
	}
	if f := r.find(t, idDeviceJoin); f.Status != "ok" {
		t.Errorf("a redirect on Graph's own host is followed: %+v", f)
	}
	if !strings.Contains(r.log, "reading=apple-push-certificate") {
		t.Errorf("the log names the reading: %s", r.log)
	}
}

// page is a collection page with a next link to page next ("" for none).
func page(items, next string) string {
	link := ""
	if next != "" {
		link = `,"@odata.nextLink":"{{root}}` + next + `"`
	}
	return `{"value":[` + items + `]` + link + `}`
}

// TestEveryListReadingPages: each list reading follows @odata.nextLink;
// what decides a finding sits on the second page.
func TestEveryListReadingPages(t *testing.T) {
	for _, tc := range []struct {
		path, id, want, title string
		first, second         string
	}{
		{fakegraph.MDMPolicies, idAutoEnrollment, "ok", "Automatic MDM enrollment applies to all users",
			`{"id":"ab90bacf-55a3-4a3e-839a-aa4b74e4f020","displayName":"Contoso mobility app","appliesTo":"none","includedGroups":[]}`,
			`{"id":"0000000a-0000-0000-c000-000000000000","displayName":"Microsoft Intune","appliesTo":"all","includedGroups":[]}`},
		{fakegraph.Organization, idMDMAuthority, "missing", "MDM authority is Configuration Manager, not Intune",
			`{"id":"1","displayName":"Contoso"}`, `{"id":"2","displayName":"Contoso","mobileDeviceManagementAuthority":"sccm"}`},
		{fakegraph.SubscribedSkus, idLicenses, "ok", "Intune licences are assigned",
			`{"skuPartNumber":"CRMSTANDARD","capabilityStatus":"Enabled","consumedUnits":3,"prepaidUnits":{"enabled":5},"servicePlans":[]}`,
			`{"skuPartNumber":"EMS","capabilityStatus":"Enabled","consumedUnits":3,"prepaidUnits":{"enabled":5},"servicePlans":[{"servicePlanName":"INTUNE_A","provisioningStatus":"Success"}]}`},
		{fakegraph.DEPOnboarding, idADE, "missing", `Enrollment program token "Second" has expired`,
			`{"tokenName":"First","tokenExpirationDateTime":"2027-12-01T00:00:00Z"}`,
			`{"tokenName":"Second","tokenExpirationDateTime":"2026-12-01T00:00:00Z"}`},
		{fakegraph.VPPTokens, idVPP, "missing", `Apps and Books token "Second" is expired`,
			`{"organizationName":"First","state":"valid","expirationDateTime":"2027-12-01T00:00:00Z"}`,
			`{"organizationName":"Second","state":"expired","expirationDateTime":"2026-12-01T00:00:00Z"}`},
		{fakegraph.Enrollment, idDeviceLimit, "ok", "Device limit: 3 devices per user",
			`{"@odata.type":"#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration","priority":0}`,
			`{"@odata.type":"#microsoft.graph.deviceEnrollmentLimitConfiguration","priority":0,"limit":3}`},
		{fakegraph.Autopilot, idAutopilot, "ok", "2 devices are registered for Windows Autopilot",
			`{"id":"a","serialNumber":"1"}`, `{"id":"b","serialNumber":"2"}`},
		{fakegraph.ManagedDevices, idDevices, "ok", "2 devices are managed by Intune",
			`{"operatingSystem":"Linux","managedDeviceOwnerType":"company"}`, `{"operatingSystem":"Android","managedDeviceOwnerType":"personal"}`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			srv := fakegraph.New(t)
			srv.Set(tc.path, fakegraph.Route{
				Body:  page(tc.first, tc.path+"?$skiptoken=2"),
				Pages: []string{page(tc.second, "")},
			})
			r := check(t, srv, nil)
			if f := r.find(t, tc.id); f.Status != tc.want || f.Title != tc.title {
				t.Errorf("%s: %s %q, want %s %q (%s)", tc.id, f.Status, f.Title, tc.want, tc.title, f.Detail)
			}
			if n := srv.Calls(tc.path); n != 2 {
				t.Errorf("%s asked %d times, want both pages", tc.path, n)
			}
		})
	}
}

// TestPagingIsBounded: a next page on another host is refused (that host
// sees no request, the reading is unknown rather than read in part), and a
// collection that never ends stops at the cap and says "at least".
func TestPagingIsBounded(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	srv := fakegraph.New(t)
	srv.Set(fakegraph.DEPOnboarding, fakegraph.Route{Body: `{"value":[{"tokenName":"First","tokenExpirationDateTime":"2027-12-01T00:00:00Z"}],` +
		`"@odata.nextLink":"` + other.URL + `/beta/deviceManagement/depOnboardingSettings?$skiptoken=2"}`})
	var pages atomic.Int32
	srv.Set(fakegraph.ManagedDevices, fakegraph.Route{Handler: func(w http.ResponseWriter, r *http.Request) {
		n := pages.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"value":[{"operatingSystem":"Windows","managedDeviceOwnerType":"company"}],"@odata.nextLink":"%s%s?$skiptoken=%d"}`,
			srv.Root(), fakegraph.ManagedDevices, n+1)
	}})
	r := check(t, srv, func(c *Config) { c.ReadingTimeout = 5 * time.Second })
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
	if f := r.find(t, idADE); f.Status != "unknown" || !strings.Contains(f.Detail, "does not follow") {
		t.Errorf("a next page on another host: %+v", f)
	}
	if n := pages.Load(); n != maxDevicePages {
		t.Errorf("managed devices asked %d pages, want the cap of %d", n, maxDevicePages)
	}
	if f := r.find(t, idDevices); f.Title != fmt.Sprintf("At least %d devices are managed by Intune", maxDevicePages) {
		t.Errorf("an endless collection: %+v", f)
	}
}
