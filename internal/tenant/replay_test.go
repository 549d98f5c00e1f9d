package tenant

import (
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/tenant/fakegraph"
)

// TestReferenceApplePushCertificate: the push certificate in the shape of
// the v1.0 Graph reference's example (microsoft-graph-docs-contrib,
// api-reference/v1.0/api/intune-devices-applepushnotificationcertificate-get.md:
// the object inside "value", expired in 2016) cannot be understood: it is
// unknown, never a present certificate with no expiry and no Apple ID.
func TestReferenceApplePushCertificate(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Set(fakegraph.ApplePush, fakegraph.Route{Body: fakegraph.Reference("applePushNotificationCertificate")})
	r := check(t, srv, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	f := r.find(t, idApplePush)
	if f.Status != plan.FindingUnknown || !strings.Contains(f.Detail, "no expiry date") {
		t.Errorf("push certificate in the reference's shape: %+v, want unknown", f)
	}
	if r.tc.Tenant.AppleMDMPushCertificate != nil {
		t.Errorf("an answer not understood established apple_mdm_push_certificate = %v", *r.tc.Tenant.AppleMDMPushCertificate)
	}
	for _, e := range r.tc.Expiries {
		if e.Kind == plan.ExpiryApplePush {
			t.Errorf("an answer not understood gave an expiry: %+v", e)
		}
	}
}

// TestReplayEveryFixture: every fixture the fake Graph serves, replayed on
// its own, gives its reading's findings as read; each single entity also in
// the reference's shape (wrapped in "value"), which is read right or is
// unknown, never "ok" with something missing.
func TestReplayEveryFixture(t *testing.T) {
	healthy := map[string]map[string]string{
		fakegraph.Organization:   {idMDMAuthority: "ok"},
		fakegraph.SubscribedSkus: {idLicenses: "ok", idEntraPremium: "ok"},
		fakegraph.ApplePush:      {idApplePush: "ok"},
		fakegraph.DEPOnboarding:  {idADE: "ok"},
		fakegraph.VPPTokens:      {idVPP: "ok"},
		fakegraph.ManagedPlay:    {idManagedGooglePlay: "ok", idFullyManaged: "ok"},
		fakegraph.Autopilot:      {idAutopilot: "ok"},
		fakegraph.Enrollment:     {idDeviceLimit: "ok", idRestrictions: "ok"},
		fakegraph.DeviceReg:      {idDeviceJoin: "ok"},
		fakegraph.MDMPolicies:    {idAutoEnrollment: "warning"},
		fakegraph.ManagedDevices: {idDevices: "ok"},
	}
	// Single entities wrapped as the reference shows them.
	wrapped := map[string]map[string]string{
		fakegraph.ApplePush:   {idApplePush: "unknown"},
		fakegraph.ManagedPlay: {idManagedGooglePlay: "ok", idFullyManaged: "ok"}, // read inside "value" too
		fakegraph.DeviceReg:   {idDeviceJoin: "unknown"},
	}
	if len(healthy) != len(fakegraph.Paths) {
		t.Fatalf("%d fixtures replayed, %d paths served", len(healthy), len(fakegraph.Paths))
	}
	for _, path := range fakegraph.Paths {
		t.Run(path, func(t *testing.T) {
			srv := fakegraph.New(t)
			for _, other := range fakegraph.Paths {
				if other != path {
					srv.Set(other, fakegraph.Forbidden)
				}
			}
			r := check(t, srv, nil)
			wantStatus(t, r, healthy[path])
			if want, ok := wrapped[path]; ok {
				srv.Set(path, fakegraph.Route{Body: `{"value":` + fakegraph.Fixture(path) + `}`})
				wantStatus(t, check(t, srv, nil), want)
			}
		})
	}
}
