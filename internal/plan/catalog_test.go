package plan

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// testCatalog loads the embedded catalog once per test binary run.
func testCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("embedded catalog is invalid:\n%v", err)
	}
	return c
}

func TestCatalogLoads(t *testing.T) {
	c := testCatalog(t)
	if c.Ruleset == "" {
		t.Fatal("no ruleset version")
	}
	for _, id := range ContractMethods {
		if c.Method(id) == nil {
			t.Errorf("method %s missing", id)
		}
	}
	for _, id := range ContractPrerequisites {
		if c.Prerequisite(id) == nil {
			t.Errorf("prerequisite %s missing", id)
		}
	}
}

// TestCatalogFiles validates each platform file on its own, so a broken
// file names itself.
func TestCatalogFiles(t *testing.T) {
	base := []string{"sources.json", "tenant.json"}
	for _, name := range []string{"mam.json", "android.json", "apple.json", "windows.json", "linux.json"} {
		t.Run(name, func(t *testing.T) {
			m := fstest.MapFS{}
			for _, n := range append(base, name) {
				data, err := fs.ReadFile(catalogFS, "catalog/"+n)
				if err != nil {
					t.Fatalf("%s: %v", n, err)
				}
				m[n] = &fstest.MapFile{Data: data}
			}
			if name != "mam.json" {
				data, _ := fs.ReadFile(catalogFS, "catalog/mam.json")
				m["mam.json"] = &fstest.MapFile{Data: data}
			}
			if _, err := loadFS(m, false); err != nil {
				t.Fatalf("%s:\n%v", name, err)
			}
		})
	}
}

// TestCatalogValidationCatchesBreakage proves start-up refuses a broken
// catalog: each mutation must produce an error naming what broke.
func TestCatalogValidationCatchesBreakage(t *testing.T) {
	orig := map[string][]byte{}
	names, _ := fs.Glob(catalogFS, "catalog/*.json")
	for _, n := range names {
		data, _ := fs.ReadFile(catalogFS, n)
		orig[strings.TrimPrefix(n, "catalog/")] = data
	}
	cases := []struct {
		name, file, old, new, want string
	}{
		{"unknown prerequisite reference", "apple.json", `"prerequisites": ["apple-mdm-push-certificate", "apple-id", "apple-business-manager"]`, `"prerequisites": ["apple-mdm-push-certificate", "apple-id", "apple-business-managr"]`, `unknown prerequisite "apple-business-managr"`},
		{"unknown source tag", "mam.json", `"sources": ["S7", "S7a", "F-LICA", "P-WMAM"]`, `"sources": ["S7", "NOPE"]`, `unknown source "NOPE"`},
		{"item without source", "mam.json", `"id": "mam-we.apps", "platforms": ["android", "ios", "windows"], "kind": "tenant", "title": "Add the apps and their app configuration policies", "sources": ["S7"]`, `"id": "mam-we.apps", "platforms": ["android", "ios", "windows"], "kind": "tenant", "title": "Add the apps and their app configuration policies", "sources": []`, "step mam-we.apps: no source"},
		{"non-https source", "sources.json", `"url": "https://learn.microsoft.com/intune/device-enrollment/guide"`, `"url": "http://example.com"`, "is not https"},
		{"missing contract method", "linux.json", `"id": "linux-intune-app"`, `"id": "linux-app"`, "method linux-intune-app (CONTRACT §4) is missing"},
		{"recommendation of unknown method", "linux.json", `"method": "linux-intune-app"`, `"method": "linux-magic"`, `unknown method "linux-magic"`},
		{"unknown field", "tenant.json", `"always": true,`, `"alwayz": true,`, `unknown field "alwayz"`},
		{"step without a kind", "linux.json", `{"id": "linux.confirm", "kind": "tenant"`, `{"id": "linux.confirm"`, `step linux.confirm: kind "" is not one of tenant, device-prep`},
		{"multi-platform step without platforms", "mam.json", `"id": "mam-we.windows-ca", "platforms": ["windows"], "kind": "tenant"`, `"id": "mam-we.windows-ca", "kind": "tenant"`, "step mam-we.windows-ca: serves android, ios, windows; declare the platforms"},
		{"step scoped to a platform its method lacks", "mam.json", `"id": "mam-we.windows-ca", "platforms": ["windows"]`, `"id": "mam-we.windows-ca", "platforms": ["macos"]`, `platform "macos" is not one of android, ios, windows`},
		{"unenroll step that is not leave-mdm", "tenant.json", `"kind": "leave-mdm"`, `"kind": "enroll"`, "kind must be leave-mdm"},
		{"bad condition value", "mam.json", `"when": {"usage": ["shared", "dedicated"]}`, `"when": {"usage": ["kiosk"]}`, `unknown usage "kiosk"`},
		{"the retired tenant-wide condition", "windows.json", `"enrolled_by": ["it"]`, `"bulk_by_staff": true`, `unknown field "bulk_by_staff"`},
		{"enrolled_by outside user, it", "windows.json", `"enrolled_by": ["it"]`, `"enrolled_by": ["staff"]`, `unknown enrolled_by "staff"`},
		{"a maker not written in lower-case words", "windows.json", `"enrolled_by": ["it"]`, `"enrolled_by": ["it"], "manufacturer": ["Samsung Electronics"]`, `manufacturer "Samsung Electronics": write it in lower-case words of letters and digits, as "samsung electronics"`},
		{"a maker listed twice", "windows.json", `"enrolled_by": ["it"]`, `"enrolled_by": ["it"], "manufacturer": ["", "zebra", ""]`, `manufacturer "" listed twice`},
		{"DEM Entra limit without text", "tenant.json", `"entra_limit": {"text": "Microsoft Entra's`, `"entra_limit": {"text": "", "changed": "Microsoft Entra's`, `dem: entra_limit has no text`},
		{"null among the prerequisites", "tenant.json", `"prerequisites": [`, `"prerequisites": [null, `, "prerequisites holds null"},
		{"null among the methods", "mam.json", `"methods": [`, `"methods": [null, `, "methods holds null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := fstest.MapFS{}
			for n, d := range orig {
				m[n] = &fstest.MapFile{Data: d}
			}
			src := string(orig[tc.file])
			if !strings.Contains(src, tc.old) {
				t.Fatalf("fixture text %q not found in %s; update the test", tc.old, tc.file)
			}
			m[tc.file] = &fstest.MapFile{Data: []byte(strings.Replace(src, tc.old, tc.new, 1))}
			_, err := LoadFS(m)
			if err == nil {
				t.Fatal("broken catalog loaded without error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error does not mention %q:\n%v", tc.want, err)
			}
		})
	}
}
