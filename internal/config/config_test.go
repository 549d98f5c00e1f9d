package config

import (
	"io"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DB != "./data/enrollplan.db" || c.CreateLimit != 60 || len(c.SessionKeys) != 0 || c.IsPostgres() {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFlagsOverEnv(t *testing.T) {
	env := envOf(map[string]string{"ENROLLPLAN_ADDR": ":1", "ENROLLPLAN_CREATE_LIMIT": "5", "ENROLLPLAN_DB": "/tmp/x.db"})
	c, err := Load([]string{"--addr", ":2"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":2" || c.CreateLimit != 5 || c.DB != "/tmp/x.db" {
		t.Fatalf("%+v", c)
	}
}

func TestPostgresNeedsKeys(t *testing.T) {
	_, err := Load([]string{"--db", "postgres://u:secret@db/x"}, envOf(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "required with PostgreSQL") {
		t.Fatalf("want a clear refusal, got %v", err)
	}
	key := strings.Repeat("k", 40)
	c, err := Load([]string{"--db", "postgres://u:secret@db/x", "--session-keys", key + "," + key + "2"}, envOf(nil), io.Discard)
	if err != nil || len(c.SessionKeys) != 2 {
		t.Fatalf("%v %+v", err, c)
	}
	s := c.String()
	if strings.Contains(s, "secret") || strings.Contains(s, key) {
		t.Fatalf("secrets leak into String(): %s", s)
	}
}

func TestRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--create-limit", "-1"}, {"--create-limit", "lots"}, {"--session-keys", "short"},
		{"--trusted-proxies", "not-a-cidr"}, {"--public-url", "plans.example.com"}, {"--shutdown-timeout", "soon"},
	} {
		if _, err := Load(args, envOf(nil), io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	c, err := Load([]string{"--trusted-proxies", "10.0.0.0/8, 127.0.0.1"}, envOf(nil), io.Discard)
	if err != nil || len(c.TrustedProxies) != 2 || c.TrustedProxies[1].Bits() != 32 {
		t.Fatalf("%v %+v", err, c.TrustedProxies)
	}
}

// TestMaskDSNHidesEveryPassword: no password a database URL can carry
// reaches the start-up log (issue "Hardening", L3).
func TestMaskDSNHidesEveryPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://app:s3cret@db/enrollplan",
		"postgres://app@db/enrollplan?password=s3cret&sslmode=require",
		"postgresql://db/enrollplan?sslpassword=s3cret",
		"postgres://app:s3cret@db/enrollplan?password=s3cret",
		"postgres://app:s3cret@[bad",
	} {
		if got := MaskDSN(dsn); strings.Contains(got, "s3cret") {
			t.Errorf("MaskDSN(%q) = %q", dsn, got)
		}
	}
	if got := MaskDSN("./data/enrollplan.db"); got != "./data/enrollplan.db" {
		t.Errorf("a file path is shown as is, got %q", got)
	}
}

// TestTenantCheckAppSettings: the server's own credentials reach the
// wizard only when turned on, and then only with the networks that may
// use them; the checks at once default to 4.
func TestTenantCheckAppSettings(t *testing.T) {
	c, err := Load(nil, envOf(nil), io.Discard)
	if err != nil || c.TenantCheckApp || len(c.AdminNetworks) != 0 || c.MaxChecks != 4 {
		t.Fatalf("defaults: %v %+v", err, c)
	}
	c, err = Load([]string{"--admin-networks", "10.20.0.0/16, 192.0.2.7"}, envOf(map[string]string{
		"ENROLLPLAN_TENANT_CHECK_APP": "1", "ENROLLPLAN_ADMIN_NETWORKS": "127.0.0.0/8", "ENROLLPLAN_MAX_CHECKS": "2"}), io.Discard)
	if err != nil || !c.TenantCheckApp || c.MaxChecks != 2 || len(c.AdminNetworks) != 2 || c.AdminNetworks[1].Bits() != 32 {
		t.Fatalf("flag over env: %v %+v", err, c)
	}
	if s := c.String(); !strings.Contains(s, "tenant-check-app=true") || !strings.Contains(s, "10.20.0.0/16") || !strings.Contains(s, "max-checks=2") {
		t.Errorf("String() does not say it: %s", s)
	}
	for name, env := range map[string]map[string]string{
		"the app check without networks": {"ENROLLPLAN_TENANT_CHECK_APP": "1"},
		"a bad network":                  {"ENROLLPLAN_ADMIN_NETWORKS": "office"},
		"a bad switch":                   {"ENROLLPLAN_TENANT_CHECK_APP": "please", "ENROLLPLAN_ADMIN_NETWORKS": "10.0.0.0/8"},
		"no checks at all":               {"ENROLLPLAN_MAX_CHECKS": "0"},
		"checks not a number":            {"ENROLLPLAN_MAX_CHECKS": "many"},
	} {
		if _, err := Load(nil, envOf(env), io.Discard); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, err = Load(nil, envOf(map[string]string{"ENROLLPLAN_TENANT_CHECK_APP": "1"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ENROLLPLAN_ADMIN_NETWORKS") {
		t.Errorf("the refusal names what to set: %v", err)
	}
}
