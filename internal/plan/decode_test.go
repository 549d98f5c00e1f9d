package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// validAnswers is a small correct answers document tests mutate.
const validAnswers = `{
  "schema": "enrollplan.answers/v1",
  "organization": "Contoso Ltd",
  "tenant": {"mdm_authority": "intune", "licenses_assigned": true, "admin_role": "intune-admin"},
  "populations": [
    {"id": "sales-iphones", "name": "Sales iPhones", "platform": "ios", "ownership": "corporate", "usage": "user", "devices": 250, "currently_managed_by_other_mdm": true, "method": ""},
    {"id": "field-android", "name": "Field Android", "platform": "android", "ownership": "corporate", "usage": "dedicated", "devices": 40},
    {"id": "office-pcs", "name": "Office PCs", "platform": "windows", "ownership": "corporate", "usage": "user", "devices": 600}
  ],
  "bulk_enrollment_by_staff": false,
  "baseline": ["compliance", "vpn"],
  "rollout": {"pilot_group": "Intune Pilot", "waves": [{"name": "Wave 1", "group": "Sales", "start": "2027-01-11"}]}
}`

// mutate applies a change to the valid document through a generic map.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(validAnswers), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pop(m map[string]any, i int) map[string]any {
	return m["populations"].([]any)[i].(map[string]any)
}

func TestDecodeValid(t *testing.T) {
	c := testCatalog(t)
	a, err := c.DecodeAnswers([]byte(validAnswers))
	if err != nil {
		t.Fatalf("valid answers rejected: %v", err)
	}
	if len(a.Populations) != 3 || a.Populations[0].Devices != 250 || a.Populations[0].KnownManagedBy() != ManagedOtherMDM {
		t.Fatalf("decoded wrongly: %+v", a.Populations)
	}
	if a.Tenant.LicensesAssigned == nil || !*a.Tenant.LicensesAssigned || a.Tenant.EntraPremium != nil {
		t.Fatalf("tenant booleans: absent must stay unknown, given must be kept: %+v", a.Tenant)
	}
}

// TestDecodeRejects has one row per validation rule: each asserts the
// field path and words of the message a planner reads.
func TestDecodeRejects(t *testing.T) {
	c := testCatalog(t)
	cases := []struct {
		name  string
		data  []byte
		field string
		want  []string
	}{
		{"unknown top-level field", mutate(t, func(m map[string]any) { m["colour"] = "blue" }), "colour", []string{`unknown field "colour"`, "organization"}},
		{"unknown nested field", mutate(t, func(m map[string]any) { pop(m, 1)["platfrom"] = "ios" }), "populations[1].platfrom", []string{`unknown field "platfrom"`, "platform"}},
		{"platform outside set", mutate(t, func(m map[string]any) { pop(m, 1)["platform"] = "palmos" }), "populations[1].platform", []string{`"palmos"`, "android, ios, macos, windows, linux"}},
		{"platform missing", mutate(t, func(m map[string]any) { delete(pop(m, 0), "platform") }), "populations[0].platform", []string{"missing", "android"}},
		{"ownership outside set", mutate(t, func(m map[string]any) { pop(m, 0)["ownership"] = "company" }), "populations[0].ownership", []string{`"company"`, "corporate, personal"}},
		{"usage outside set", mutate(t, func(m map[string]any) { pop(m, 0)["usage"] = "kiosk" }), "populations[0].usage", []string{`"kiosk"`, "user, shared, dedicated"}},
		{"personal devices are one-user", mutate(t, func(m map[string]any) { pop(m, 0)["ownership"] = "personal"; pop(m, 0)["usage"] = "shared" }), "populations[0].usage", []string{"does not fit personal devices"}},
		{"wrong type string for number", mutate(t, func(m map[string]any) { pop(m, 2)["devices"] = "ten" }), "populations[2].devices", []string{"must be a whole number", `"ten"`}},
		{"wrong type number for bool", mutate(t, func(m map[string]any) { m["bulk_enrollment_by_staff"] = 1 }), "bulk_enrollment_by_staff", []string{"must be true or false", "1"}},
		{"wrong type for object", mutate(t, func(m map[string]any) { m["tenant"] = "yes" }), "tenant", []string{"must be an object"}},
		{"wrong type for list", mutate(t, func(m map[string]any) { m["populations"] = map[string]any{} }), "populations", []string{"must be a list"}},
		{"negative devices", mutate(t, func(m map[string]any) { pop(m, 2)["devices"] = -5 }), "populations[2].devices", []string{"-5 is negative"}},
		{"fractional devices", mutate(t, func(m map[string]any) { pop(m, 2)["devices"] = 2.5 }), "populations[2].devices", []string{"2.5 is not a whole number"}},
		{"huge devices", []byte(strings.Replace(validAnswers, `"devices": 600`, `"devices": 1e300`, 1)), "populations[2].devices", []string{"more than 10,000,000"}},
		{"duplicate ids", mutate(t, func(m map[string]any) { pop(m, 2)["id"] = "sales-iphones" }), "populations[2].id", []string{`"sales-iphones" is already the id of population 1`}},
		{"bad id shape", mutate(t, func(m map[string]any) { pop(m, 2)["id"] = "Office PCs" }), "populations[2].id", []string{"not a valid id", "lower-case"}},
		{"method for another platform", mutate(t, func(m map[string]any) { pop(m, 1)["method"] = "ios-ade" }), "populations[1].method", []string{`"ios-ade" is a method for ios, not android`, "android-dedicated"}},
		{"unknown method", mutate(t, func(m map[string]any) { pop(m, 2)["method"] = "windows-magic" }), "populations[2].method", []string{`"windows-magic" is not a method`, "windows-autopilot"}},
		{"enrolling method with enroll false", mutate(t, func(m map[string]any) { pop(m, 2)["enroll"] = false; pop(m, 2)["method"] = "windows-autopilot" }), "populations[2].method", []string{"enroll is false", "mam-we"}},
		{"app protection on macOS", mutate(t, func(m map[string]any) { pop(m, 0)["platform"] = "macos"; pop(m, 0)["enroll"] = false }), "populations[0].enroll", []string{"android, ios, windows", "macos devices must enroll"}},
		{"app protection on kiosks", mutate(t, func(m map[string]any) { pop(m, 1)["enroll"] = false }), "populations[1].enroll", []string{"needs one signed-in user"}},
		{"CONTRACT §8.1: enrolled_by outside set", mutate(t, func(m map[string]any) { pop(m, 2)["enrolled_by"] = "staff" }), "populations[2].enrolled_by", []string{`"staff" is not who enrolls the devices`, "user, it"}},
		{"CONTRACT §8.1: enrolled_by of the wrong type", mutate(t, func(m map[string]any) { pop(m, 2)["enrolled_by"] = true }), "populations[2].enrolled_by", []string{"must be a string"}},
		{"CONTRACT §8.1: IT staff cannot enroll app protection", mutate(t, func(m map[string]any) { pop(m, 2)["enroll"] = false; pop(m, 2)["enrolled_by"] = "it" }), "populations[2].enrolled_by", []string{"does not fit app protection without enrollment"}},
		{"CONTRACT §8.1: manufacturer over 40 characters", mutate(t, func(m map[string]any) { pop(m, 1)["manufacturer"] = strings.Repeat("z", 41) }), "populations[1].manufacturer", []string{"41 characters", "at most 40"}},
		{"CONTRACT §8.1: blank manufacturer", mutate(t, func(m map[string]any) { pop(m, 1)["manufacturer"] = "   " }), "populations[1].manufacturer", []string{"is blank"}},
		{"CONTRACT §8.1: manufacturer on two lines", mutate(t, func(m map[string]any) { pop(m, 1)["manufacturer"] = "Zebra\nSamsung" }), "populations[1].manufacturer", []string{"one line"}},
		{"personal_use outside corporate Android", mutate(t, func(m map[string]any) { pop(m, 0)["personal_use"] = true }), "populations[0].personal_use", []string{"only applies to corporate Android"}},
		{"mdm authority outside set", mutate(t, func(m map[string]any) { m["tenant"].(map[string]any)["mdm_authority"] = "jamf" }), "tenant.mdm_authority", []string{`"jamf"`, "intune, configmgr, office365, none, unknown"}},
		{"admin role outside set", mutate(t, func(m map[string]any) { m["tenant"].(map[string]any)["admin_role"] = "root" }), "tenant.admin_role", []string{`"root"`, "global-admin"}},
		{"schema wrong", mutate(t, func(m map[string]any) { m["schema"] = "enrollplan.answers/v2" }), "schema", []string{"enrollplan.answers/v1"}},
		{"schema missing", mutate(t, func(m map[string]any) { delete(m, "schema") }), "schema", []string{"missing"}},
		{"organization missing", mutate(t, func(m map[string]any) { m["organization"] = "  " }), "organization", []string{"missing"}},
		{"no populations", mutate(t, func(m map[string]any) { m["populations"] = []any{} }), "populations", []string{"add at least one"}},
		{"baseline typo", mutate(t, func(m map[string]any) { m["baseline"] = []any{"complience"} }), "baseline[0]", []string{`"complience" is not a baseline policy id`, "compliance"}},
		{"baseline duplicate", mutate(t, func(m map[string]any) { m["baseline"] = []any{"vpn", "vpn"} }), "baseline[1]", []string{"listed twice"}},
		{"wave date invalid", mutate(t, func(m map[string]any) {
			m["rollout"].(map[string]any)["waves"].([]any)[0].(map[string]any)["start"] = "11/01/2027"
		}), "rollout.waves[0].start", []string{`"11/01/2027" is not a date`, "YYYY-MM-DD"}},
		{"waves out of order", mutate(t, func(m map[string]any) {
			r := m["rollout"].(map[string]any)
			r["waves"] = []any{map[string]any{"name": "A", "group": "g", "start": "2027-02-01"}, map[string]any{"name": "B", "group": "g", "start": "2027-01-01"}}
		}), "rollout.waves[1].start", []string{`before the wave before it ("A")`, "date order"}},
		{"wave without group", mutate(t, func(m map[string]any) {
			delete(m["rollout"].(map[string]any)["waves"].([]any)[0].(map[string]any), "group")
		}), "rollout.waves[0].group", []string{"missing"}},
		{"managed_by outside set", mutate(t, func(m map[string]any) { pop(m, 2)["managed_by"] = "sccm" }), "populations[2].managed_by", []string{`"sccm"`, "none, configmgr, other-mdm"}},
		{"managed_by and its older spelling disagree", mutate(t, func(m map[string]any) { pop(m, 0)["managed_by"] = "none" }), "populations[0].currently_managed_by_other_mdm", []string{"disagrees with managed_by", "older spelling"}},
		{"Configuration Manager outside Windows", mutate(t, func(m map[string]any) { pop(m, 1)["managed_by"] = "configmgr" }), "populations[1].managed_by", []string{"Windows PCs only"}},
		{"in_use not a bool", mutate(t, func(m map[string]any) { pop(m, 2)["in_use"] = "yes" }), "populations[2].in_use", []string{"must be true or false"}},
		{"cloud outside set", mutate(t, func(m map[string]any) { m["tenant"].(map[string]any)["cloud"] = "azure-germany" }), "tenant.cloud", []string{`"azure-germany"`, "global, gcc, gcc-high, dod, china"}},
		{"pilot date invalid", mutate(t, func(m map[string]any) { m["rollout"].(map[string]any)["pilot_start"] = "next monday" }), "rollout.pilot_start", []string{"not a date"}},
		{"pilot after the first wave", mutate(t, func(m map[string]any) { m["rollout"].(map[string]any)["pilot_start"] = "2027-03-01" }), "rollout.waves[0].start", []string{"before the pilot"}},
		{"wave names an unknown population", mutate(t, func(m map[string]any) {
			m["rollout"].(map[string]any)["waves"].([]any)[0].(map[string]any)["populations"] = []any{"sales-iphones", "sales-ipads"}
		}), "rollout.waves[0].populations[1]", []string{`"sales-ipads" is not the id of a population`, "sales-iphones"}},
		{"wave lists a population twice", mutate(t, func(m map[string]any) {
			m["rollout"].(map[string]any)["waves"].([]any)[0].(map[string]any)["populations"] = []any{"office-pcs", "office-pcs"}
		}), "rollout.waves[0].populations[1]", []string{"listed twice"}},
		{"wave with an empty population list", mutate(t, func(m map[string]any) {
			m["rollout"].(map[string]any)["waves"].([]any)[0].(map[string]any)["populations"] = []any{}
		}), "rollout.waves[0].populations", []string{"is empty"}},
		{"text too long", mutate(t, func(m map[string]any) { m["organization"] = strings.Repeat("x", 201) }), "organization", []string{"201 characters"}},
		{"duplicate key", []byte(strings.Replace(validAnswers, `"organization": "Contoso Ltd",`, `"organization": "Contoso Ltd", "organization": "Other",`, 1)), "organization", []string{"appears twice"}},
		{"syntax error", []byte(`{"schema": "enrollplan.answers/v1", "populations": [ {"platform": "ios",, } ]}`), "populations[0]", []string{"not valid JSON"}},
		{"truncated", []byte(`{"schema": "enrollplan.answers/v1", "populations": [`), "populations", []string{"cut off"}},
		{"not an object", []byte(`[1,2]`), "answers", []string{"must be an object"}},
		{"trailing data", []byte(validAnswers + `{}`), "answers", []string{"more data after"}},
		{"deep nesting", []byte(`{"tenant":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`), "", []string{"nested more than"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.DecodeAnswers(tc.data)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			for _, fe := range ve.Errors {
				if tc.field != "" && fe.Field != tc.field {
					continue
				}
				ok := true
				for _, w := range tc.want {
					ok = ok && strings.Contains(fe.Message, w)
				}
				if ok {
					return
				}
			}
			t.Fatalf("no error at %q containing %q; got:\n%v", tc.field, tc.want, err)
		})
	}
}

// TestDecodeReportsAllErrors: a planner fixes everything in one pass.
func TestDecodeReportsAllErrors(t *testing.T) {
	c := testCatalog(t)
	data := mutate(t, func(m map[string]any) {
		m["colour"] = "blue"
		pop(m, 0)["platform"] = "palmos"
		pop(m, 1)["devices"] = -1
		pop(m, 2)["id"] = "sales-iphones"
	})
	_, err := c.DecodeAnswers(data)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want ValidationError, got %v", err)
	}
	want := []string{"colour", "populations[0].platform", "populations[1].devices", "populations[2].id"}
	for _, f := range want {
		if ve.For(f) == "" {
			t.Errorf("no error for %s; got %v", f, err)
		}
	}
	// A type error is reported once, not again as "missing".
	data = mutate(t, func(m map[string]any) { pop(m, 0)["platform"] = 7 })
	_, err = c.DecodeAnswers(data)
	if n := strings.Count(err.Error(), "populations[0].platform"); n != 1 {
		t.Fatalf("platform reported %d times:\n%v", n, err)
	}
}

// FuzzDecodeAnswers: any input either decodes or yields field-addressed
// errors; never a panic.
func FuzzDecodeAnswers(f *testing.F) {
	f.Add([]byte(validAnswers))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"populations":[{"devices":1e400}]}`))
	f.Add([]byte(`{"tenant":{"mdm_authority":null},"baseline":[null,"vpn"]}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte("\xff\xfe"))
	f.Add([]byte(`{"schema":"enrollplan.answers/v1","organization":"x","tenant":{"cloud":"gcc-high"},"populations":[{"platform":"windows","ownership":"corporate","in_use":false,"managed_by":"configmgr","currently_managed_by_other_mdm":false}],"rollout":{"pilot_start":"2027-01-01","waves":[{"name":"a","group":"b","populations":["windows-corporate"]}]}}`))
	c := testCatalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := c.DecodeAnswers(data)
		if err == nil {
			if _, err := c.Build(a); err != nil {
				t.Fatalf("decoded answers fail to build: %v", err)
			}
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Errors) == 0 {
			t.Fatalf("error is not a ValidationError: %v", err)
		}
		for _, fe := range ve.Errors {
			if fe.Field == "" || fe.Message == "" {
				t.Fatalf("error without field or message: %+v", fe)
			}
		}
	})
}

// TestDecodeBoundsHostileInput: one request under 1 MiB cannot make a huge
// error list or echo a huge literal (issue "Hardening", H1).
func TestDecodeBoundsHostileInput(t *testing.T) {
	c := testCatalog(t)
	var keys strings.Builder
	keys.WriteString(`{"schema":"enrollplan.answers/v1","organization":"x","populations":[`)
	for i := range 50 {
		if i > 0 {
			keys.WriteString(",")
		}
		keys.WriteString("{")
		for j := range 60 {
			fmt.Fprintf(&keys, `"unknown_%d_%d":1,`, i, j)
		}
		keys.WriteString(`"platform":"ios"}`)
	}
	keys.WriteString("]}")
	huge := `{"schema":"enrollplan.answers/v1","organization":"x","populations":[{"platform":"ios","ownership":"corporate","devices":` + strings.Repeat("9", 900_000) + `}]}`
	manyKeys := `{"schema":"enrollplan.answers/v1",` + strings.Repeat(`"k":1,`, 100_000) + `"organization":"x"}`
	longList := `{"schema":"enrollplan.answers/v1","baseline":[` + strings.Repeat(`"vpn",`, 40_000) + `"vpn"]}`
	for name, data := range map[string]string{"unknown keys": keys.String(), "900,000-digit number": huge, "100,000 keys": manyKeys, "40,000-item list": longList} {
		t.Run(name, func(t *testing.T) {
			_, err := c.DecodeAnswers([]byte(data))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			if len(ve.Errors) > maxErrors+1 {
				t.Errorf("%d errors; at most %d and a count of the rest", len(ve.Errors), maxErrors)
			}
			if n := len(err.Error()); n > 64<<10 {
				t.Errorf("error text is %d bytes", n)
			}
			if strings.Contains(err.Error(), strings.Repeat("9", 100)) {
				t.Error("the huge number is echoed")
			}
		})
	}
}
