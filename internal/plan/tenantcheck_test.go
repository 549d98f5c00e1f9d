package plan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSummarise(t *testing.T) {
	long := strings.Repeat("Renew the token in Apple Business Manager. ", 40)
	got := Summarise(long, 100)
	if n := utf8.RuneCountInString(got); n > 100 || !strings.HasSuffix(got, "…") {
		t.Errorf("%d characters %q: want at most 100, ending with an ellipsis", n, got)
	}
	if kept := strings.TrimSuffix(got, "…"); !strings.HasPrefix(long, kept+" ") {
		t.Errorf("not cut at a word boundary: %q", got)
	}
	if s := "short enough"; Summarise(s, 100) != s {
		t.Errorf("a short text changed")
	}
	if got := Summarise(strings.Repeat("é", 50), 10); utf8.RuneCountInString(got) != 10 || !utf8.ValidString(got) {
		t.Errorf("no space to cut at: %q", got)
	}
}

// TestUploadedLongFindingsAreSummarised: an uploaded file whose title and
// detail are over the limits is summarised, not refused, so the wizard
// never gets stuck on the file check-tenant printed.
func TestUploadedLongFindingsAreSummarised(t *testing.T) {
	long := strings.Repeat(`\"Contoso ABM token\" expires in 12 days; `, 60)
	data := `{"schema":"enrollplan.tenant/v1","findings":[
	  {"id":"apple-business-manager","status":"warning","title":"` + long + `","detail":"` + long + `","permission":""},
	  {"id":"something-new","status":"ok","title":"` + long + `","detail":"` + long + `"}]}`
	tc, err := DecodeTenantCheck([]byte(data))
	if err != nil {
		t.Fatalf("a long finding is refused: %v", err)
	}
	for _, f := range tc.Findings {
		for name, s := range map[string]string{"title": f.Title, "detail": f.Detail} {
			if n := utf8.RuneCountInString(s); n > MaxFindingText {
				t.Errorf("%s %s: %d characters", f.ID, name, n)
			}
		}
		if !strings.HasSuffix(f.Detail, "…") {
			t.Errorf("%s: a summarised detail ends with an ellipsis: %q", f.ID, f.Detail[len(f.Detail)-40:])
		}
	}
	// Answers carrying such a check (a draft saved before the limit was
	// kept) build, and the plan shows the finding summarised.
	c := testCatalog(t)
	a := northwind(t, c)
	a.TenantCheck = &TenantCheck{Schema: TenantCheckSchema, Findings: []Finding{{ID: "x", Status: FindingOK, Title: "t", Detail: strings.Repeat("word ", 500)}}}
	if errs := c.Validate(&a); errs != nil {
		t.Fatalf("a long finding in answers is refused: %v", errs)
	}
	p, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(p.TenantCheck.Findings[0].Detail); n > MaxFindingText {
		t.Errorf("the plan shows a detail of %d characters", n)
	}
	if n := utf8.RuneCountInString(a.TenantCheck.Findings[0].Detail); n != 2500 {
		t.Errorf("building changed the answers' finding (%d characters)", n)
	}
}

// TestUploadedFindingsAreMarked: an uploaded file's titles are the
// product's words for the ids it knows, and its details say they come from
// the file; decoding what was decoded marks nothing twice.
func TestUploadedFindingsAreMarked(t *testing.T) {
	data := `{"schema":"enrollplan.tenant/v1","findings":[
	  {"id":"managed-google-play","status":"missing","title":"<a href=x>Click here</a> all is well","detail":"bindStatus is notBound."},
	  {"id":"apple-mdm-push-certificate","status":"warning","title":"Expires soon","detail":""},
	  {"id":"custom-reading","status":"ok","title":"A reading this version does not know","detail":"Something."}]}`
	tc, err := DecodeTenantCheck([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{
		{ID: "managed-google-play", Status: FindingMissing, Title: "Managed Google Play binding: not in place", Detail: "From the uploaded file: bindStatus is notBound."},
		{ID: "apple-mdm-push-certificate", Status: FindingWarning, Title: "Apple MDM push certificate: needs attention"},
		{ID: "custom-reading", Status: FindingOK, Title: "From the uploaded file: A reading this version does not know", Detail: "From the uploaded file: Something."},
	}
	for i, w := range want {
		if tc.Findings[i] != w {
			t.Errorf("finding %d: %+v, want %+v", i, tc.Findings[i], w)
		}
	}
	again, _ := json.Marshal(tc)
	tc2, err := DecodeTenantCheck(again)
	if err != nil || tc2.Findings[0].Detail != want[0].Detail || tc2.Findings[2].Title != want[2].Title {
		t.Errorf("decoded twice: %+v, %v", tc2, err)
	}
	// Inside answers (the wizard's own draft, the API), a check is not a file.
	c := testCatalog(t)
	a := northwind(t, c)
	a.TenantCheck = &TenantCheck{Schema: TenantCheckSchema, Findings: []Finding{{ID: "managed-google-play", Status: FindingOK, Title: "Managed Google Play is bound", Detail: "Bound."}}}
	raw, _ := json.Marshal(a)
	a2, err := c.DecodeAnswers(raw)
	if err != nil || a2.TenantCheck.Findings[0].Title != "Managed Google Play is bound" || a2.TenantCheck.Findings[0].Detail != "Bound." {
		t.Errorf("answers' check changed: %+v, %v", a2.TenantCheck, err)
	}
}

// TestDeviceCounts: devices (CONTRACT §8.4) decode and validate: known
// platform and ownership words, whole counts of 0 or more, each pair once.
func TestDeviceCounts(t *testing.T) {
	good := `{"schema":"enrollplan.tenant/v1","findings":[],"devices":[{"platform":"windows","ownership":"corporate","count":812},
	  {"platform":"other","ownership":"unknown","count":0},{"platform":"ios","ownership":"personal","count":40}]}`
	tc, err := DecodeTenantCheck([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(tc.Devices) != 3 || tc.Devices[0] != (DeviceCount{Platform: "windows", Ownership: "corporate", Count: 812}) {
		t.Errorf("devices %+v", tc.Devices)
	}
	out, _ := json.Marshal(TenantCheck{Schema: TenantCheckSchema, Findings: []Finding{}})
	if strings.Contains(string(out), "devices") {
		t.Errorf("devices are optional: %s", out)
	}
	for name, tc := range map[string]struct{ devices, field, want string }{
		"platform":  {`[{"platform":"palmos","ownership":"corporate","count":1}]`, "devices[0].platform", `"palmos" is not a platform`},
		"ownership": {`[{"platform":"ios","ownership":"borrowed","count":1}]`, "devices[0].ownership", "not an ownership"},
		"negative":  {`[{"platform":"ios","ownership":"personal","count":-1}]`, "devices[0].count", "negative"},
		"fraction":  {`[{"platform":"ios","ownership":"personal","count":1.5}]`, "devices[0].count", "not a whole number"},
		"twice":     {`[{"platform":"ios","ownership":"personal","count":1},{"platform":"ios","ownership":"personal","count":2}]`, "devices[1]", "a second time"},
		"a name":    {`[{"platform":"ios","ownership":"personal","count":1,"deviceName":"CEO iPhone"}]`, "devices[0].deviceName", "unknown field"},
		"too many":  {`[` + strings.Repeat(`{"platform":"ios","ownership":"personal","count":1},`, 18) + `{}]`, "devices", "at most 18"},
		"no count":  {`[{"platform":"ios","ownership":"personal","count":"many"}]`, "devices[0].count", "whole number"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeTenantCheck([]byte(`{"schema":"enrollplan.tenant/v1","findings":[],"devices":` + tc.devices + `}`))
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(ve.For(tc.field), tc.want) {
				t.Fatalf("want %q at %s, got %v", tc.want, tc.field, err)
			}
		})
	}
}
