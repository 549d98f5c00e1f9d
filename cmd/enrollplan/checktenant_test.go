package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/tenant/fakegraph"
)

// ttyBuffer is a standard error that says it is a terminal.
type ttyBuffer struct{ bytes.Buffer }

func (*ttyBuffer) IsTerminal() bool { return true }

func graphEnv(srv *fakegraph.Server) map[string]string {
	return map[string]string{"ENROLLPLAN_GRAPH_URL": srv.Root(), "ENROLLPLAN_GRAPH_TOKEN": fakegraph.Token}
}

// contractOutput is CONTRACT §7's shape; decoding with unknown fields
// refused proves nothing else is printed beside it.
type contractOutput struct {
	Schema   string          `json:"schema"`
	ReadAt   string          `json:"read_at"`
	Tenant   json.RawMessage `json:"tenant"`
	Findings []struct {
		ID         string  `json:"id"`
		Status     string  `json:"status"`
		Title      string  `json:"title"`
		Detail     string  `json:"detail"`
		Permission *string `json:"permission"`
	} `json:"findings"`
	Expiries []struct {
		Kind, Name, Date string
	} `json:"expiries"`
	Restrictions *struct {
		Blocked         []string `json:"blocked"`
		PersonalBlocked []string `json:"personal_blocked"`
	} `json:"restrictions"` // an addition to §7: the default enrollment restrictions
	Devices []struct {
		Platform  string `json:"platform"`
		Ownership string `json:"ownership"`
		Count     int    `json:"count"`
	} `json:"devices"` // CONTRACT §8.4: counts only
}

func decodeCheck(t *testing.T, out string) contractOutput {
	t.Helper()
	var v contractOutput
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not CONTRACT §7 JSON: %v\n%s", err, out)
	}
	return v
}

func TestCheckTenantPrintsContractJSON(t *testing.T) {
	srv := fakegraph.New(t)
	code, out, errs := cli(t, "", graphEnv(srv), "check-tenant")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if errs != "" {
		t.Errorf("not a terminal: stderr must stay empty, got %q", errs)
	}
	if !strings.HasPrefix(out, "{\n  \"schema\": \"enrollplan.tenant/v1\",") {
		t.Errorf("stdout must be indented JSON: %.80q", out)
	}
	v := decodeCheck(t, out)
	var tn map[string]any
	json.Unmarshal(v.Tenant, &tn)
	if tn["cloud"] != "global" || tn["mdm_authority"] != "intune" || tn["apple_mdm_push_certificate"] != true || tn["managed_google_play"] != true {
		t.Errorf("tenant %v", tn)
	}
	if len(v.Findings) != 14 {
		t.Errorf("%d findings, want 14", len(v.Findings))
	}
	if len(v.Devices) != 5 || v.Devices[0].Platform != "windows" || v.Devices[0].Ownership != "corporate" || v.Devices[0].Count != 2 {
		t.Errorf("devices %+v", v.Devices)
	}
	if exp, _ := tn["expiries"].([]any); len(exp) != 3 {
		t.Errorf("tenant.expiries %v, want the push certificate, the ADE and the VPP token", tn["expiries"])
	}
	for _, f := range v.Findings {
		if f.ID == "" || f.Title == "" || f.Permission == nil || !strings.Contains("ok warning missing unknown", f.Status) {
			t.Errorf("finding %+v", f)
		}
	}
	if len(v.Expiries) != 2 {
		t.Errorf("expiries %+v", v.Expiries)
	}
	for _, s := range fakegraph.Secrets {
		if strings.Contains(out, s) || strings.Contains(errs, s) {
			t.Errorf("%q printed", s)
		}
	}
}

func TestCheckTenantProgressOnATerminal(t *testing.T) {
	srv := fakegraph.New(t)
	env := graphEnv(srv)
	var out bytes.Buffer
	errs := &ttyBuffer{}
	err := run(context.Background(), []string{"check-tenant", "--cloud", "usgov"}, strings.NewReader(""), &out, errs, func(k string) string { return env[k] })
	if code := exitCode(err, errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(errs.String()), "\n")
	if !strings.Contains(lines[0], "usgov") || !strings.Contains(lines[0], "ENROLLPLAN_GRAPH_TOKEN") {
		t.Errorf("first line %q", lines[0])
	}
	if len(lines) != 1+14 {
		t.Errorf("want a line per finding:\n%s", errs.String())
	}
	if !strings.Contains(errs.String(), "  ok       MDM authority is Intune") || !strings.Contains(errs.String(), "  warning  Automatic MDM enrollment applies to selected groups only") {
		t.Errorf("progress:\n%s", errs.String())
	}
	v := decodeCheck(t, out.String())
	if !strings.Contains(string(v.Tenant), `"cloud": "gcc-high"`) {
		t.Errorf("--cloud usgov is gcc-high in the answers: %s", v.Tenant)
	}
	for _, s := range fakegraph.Secrets {
		if strings.Contains(out.String(), s) || strings.Contains(errs.String(), s) {
			t.Errorf("%q printed", s)
		}
	}
}

func TestCheckTenantPartialIsStillSuccess(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Set(fakegraph.ApplePush, fakegraph.Forbidden)
	srv.Set(fakegraph.DEPOnboarding, fakegraph.Route{Status: 500, Body: fakegraph.Error("InternalServerError", "boom")})
	code, out, errs := cli(t, "", graphEnv(srv), "check-tenant")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	v := decodeCheck(t, out)
	for _, f := range v.Findings {
		if f.ID == "apple-mdm-push-certificate" && (f.Status != "unknown" || *f.Permission != "DeviceManagementManagedDevices.Read.All") {
			t.Errorf("%+v", f)
		}
	}
}

func TestCheckTenantNothingRead(t *testing.T) {
	t.Run("permission", func(t *testing.T) {
		srv := fakegraph.New(t)
		for _, p := range fakegraph.Paths {
			srv.Set(p, fakegraph.Forbidden)
		}
		code, out, errs := cli(t, "", graphEnv(srv), "check-tenant")
		if code != 1 || out != "" || !strings.Contains(errs, "(permission)") || !strings.Contains(errs, "DeviceManagementServiceConfig.Read.All") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
		}
	})
	t.Run("sign-in", func(t *testing.T) {
		srv := fakegraph.New(t)
		env := graphEnv(srv)
		env["ENROLLPLAN_GRAPH_TOKEN"] = "not-the-token"
		code, out, errs := cli(t, "", env, "check-tenant")
		if code != 1 || out != "" || !strings.Contains(errs, "(sign-in)") || strings.Contains(errs, "not-the-token") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
		}
	})
	t.Run("network", func(t *testing.T) {
		srv := fakegraph.New(t)
		env := graphEnv(srv)
		srv.Close()
		code, out, errs := cli(t, "", env, "check-tenant", "--timeout", "5s")
		if code != 1 || out != "" || !strings.Contains(errs, "(network)") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
		}
	})
}

func TestCheckTenantBadInput(t *testing.T) {
	env := map[string]string{"ENROLLPLAN_GRAPH_TOKEN": "x"}
	for _, args := range [][]string{
		{"check-tenant", "--cloud", "gcc"},
		{"check-tenant", "--timeout", "0s"},
		{"check-tenant", "--timeout", "soon"},
		{"check-tenant", "--frobnicate"},
		{"check-tenant", "extra"},
	} {
		if code, out, errs := cli(t, "", env, args...); code != 2 || out != "" || errs == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	bad := map[string]string{"ENROLLPLAN_GRAPH_TOKEN": "x", "ENROLLPLAN_GRAPH_URL": "http://graph.example.com"}
	if code, _, errs := cli(t, "", bad, "check-tenant"); code != 2 || !strings.Contains(errs, "https") {
		t.Errorf("plain http to a remote host: exit %d, %q", code, errs)
	}
}

func TestCheckTenantPermissions(t *testing.T) {
	code, out, errs := cli(t, "", nil, "check-tenant", "--permissions")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"Delegated", "Application", "User.Read", "Organization.Read.All", "DeviceManagementManagedDevices.Read.All",
		"DeviceManagementServiceConfig.Read.All", "DeviceManagementConfiguration.Read.All", "Policy.Read.DeviceConfiguration", "Policy.Read.All",
		"App-only sign-in cannot make:\n  GET /beta/policies/mobileDeviceManagementPolicies",
		"GET /v1.0/deviceManagement/managedDevices\n    devices Intune manages, counted per platform and ownership (counts only)\n    delegated: DeviceManagementManagedDevices.Read.All; application: DeviceManagementManagedDevices.Read.All",
		"GET /v1.0/deviceAppManagement/vppTokens",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--permissions lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ReadWrite") {
		t.Errorf("a ReadWrite permission is listed:\n%s", out)
	}
}
