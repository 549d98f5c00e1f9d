package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// shareAnswers is the Northwind fleet, to edit revision by revision.
func shareAnswers(t *testing.T) plan.Answers {
	t.Helper()
	data, err := os.ReadFile("../examples/northwind.json")
	if err != nil {
		t.Fatal(err)
	}
	var a plan.Answers
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func answersJSON(t *testing.T, a plan.Answers) string {
	t.Helper()
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// sharePlan saves revisions[0] through the API and each later one as the
// next revision; it returns the plan's id.
func sharePlan(t *testing.T, e *testEnv, revisions ...plan.Answers) string {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/plans", answersJSON(t, revisions[0]))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var c createdPlan
	if err := json.Unmarshal([]byte(r.body), &c); err != nil {
		t.Fatal(err)
	}
	for i, a := range revisions[1:] {
		r := e.do(t, "PUT", "/api/v1/plans/"+c.ID, answersJSON(t, a), "Authorization", "Bearer "+c.EditKey, "If-Match", etag(i+1))
		if r.status != http.StatusOK {
			t.Fatalf("revision %d: %d %s", i+2, r.status, r.body)
		}
	}
	return c.ID
}

// pageText is a page's text with tags dropped and entities decoded, for
// matching sentences.
func pageText(body string) string {
	return html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(body, ""))
}

func TestShareRevisionsNearTheTop(t *testing.T) {
	e := newEnv(t, 0)
	a := shareAnswers(t)
	b := a
	b.Organization = "Northwind Traders Ltd"
	id := sharePlan(t, e, a, b, b)
	for _, path := range []string{"/p/" + id, "/p/" + id + "/r/1"} {
		r := e.do(t, "GET", path, "")
		if r.status != 200 {
			t.Fatalf("%s: %d", path, r.status)
		}
		revs, doc := strings.Index(r.body, `id="rev-title"`), strings.Index(r.body, `class="plandoc"`)
		if revs < 0 || doc < 0 || revs > doc {
			t.Fatalf("%s: the revision list (at %d) is not above the plan (at %d)", path, revs, doc)
		}
		// Newest first, each with what changed since the one before.
		r3, r1 := strings.Index(r.body, "Revision 3"), strings.Index(r.body, "Revision 1")
		if r3 < 0 || r1 < 0 || r3 > r1 {
			t.Errorf("%s: revisions not listed newest first", path)
		}
		for _, want := range []string{
			`href="/p/` + id + `/changes?from=2&amp;to=3"`, `href="/p/` + id + `/changes?from=1&amp;to=2"`,
			`<form class="compare" method="get" action="/p/` + id + `/changes"`, `name="from"`, `name="to"`, "Show what changed",
		} {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
	}
	// Revision 1 shown: the form offers 1 → 2; the latest: 2 → 3.
	r := e.do(t, "GET", "/p/"+id+"/r/1", "")
	if !regexp.MustCompile(`id="compare-from" name="from"><option value="1" selected>`).MatchString(r.body) {
		t.Errorf("the compare form does not start from revision 1 on revision 1's page")
	}
	// A plan with one revision has nothing to compare: no form.
	one := sharePlan(t, e, a)
	if r := e.do(t, "GET", "/p/"+one, ""); strings.Contains(r.body, `class="compare"`) || !strings.Contains(r.body, "Revision 1") {
		t.Error("a single revision offers a comparison, or is not listed")
	}
	// Many revisions: the newest five at the top, the rest folded away.
	revs := []plan.Answers{a}
	for i := 0; i < 7; i++ {
		revs = append(revs, a)
	}
	many := sharePlan(t, e, revs...)
	r = e.do(t, "GET", "/p/"+many, "")
	if !strings.Contains(r.body, "<summary>3 older revisions</summary>") {
		t.Errorf("older revisions are not folded away:\n%.3000s", r.body)
	}
}

func TestShareChanges(t *testing.T) {
	e := newEnv(t, 0)
	v1 := shareAnswers(t)
	v2 := shareAnswers(t)
	for i := range v2.Populations {
		if v2.Populations[i].ID == "sales-iphones" {
			v2.Populations[i].Devices = 300
		}
	}
	yes := true
	v2.Tenant.AppleMDMPushCertificate = &yes
	v2.Rollout.Waves[1].Start = "2027-02-15"
	id := sharePlan(t, e, v1, v2, v2) // revision 3 saves the same answers again

	get := func(q string) resp {
		t.Helper()
		r := e.do(t, "GET", "/p/"+id+"/changes"+q, "")
		if r.status >= 500 {
			t.Fatalf("%s: %d", q, r.status)
		}
		return r
	}
	r := get("?from=1&to=2")
	if r.status != 200 {
		t.Fatalf("1 → 2: %d %s", r.status, r.body)
	}
	txt := pageText(r.body)
	for _, want := range []string{
		"What changed in the plan for Northwind Traders",
		"Sales iPhones: devices 250 → 300.",
		"Prerequisite “Apple MDM push certificate” is now done; it no longer blocks Sales iPhones and Design Macs.",
		"Wave 2 moved from 8 Feb to 15 Feb 2027.",
		"Back to the plan",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("1 → 2 lacks %q:\n%s", want, txt)
		}
	}
	for _, not := range []string{"sales-iphones", "apple-mdm-push-certificate", "blocked-by", "populations[", "rollout.waves"} {
		if strings.Contains(txt, not) {
			t.Errorf("1 → 2 shows the internal %q", not)
		}
	}
	for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"} {
		if r.header.Get(k) != want {
			t.Errorf("%s = %q", k, r.header.Get(k))
		}
	}
	if !strings.Contains(r.body, `href="/p/`+id+`/r/1"`) || !strings.Contains(r.body, `href="/p/`+id+`/r/2"`) {
		t.Error("the changes page does not link both revisions")
	}

	// Backwards reads forwards: the same page as 1 → 2.
	if back := get("?from=2&to=1"); back.status != 200 || !strings.Contains(pageText(back.body), "devices 250 → 300") {
		t.Errorf("2 → 1: %d", back.status)
	}
	// The same answers saved again: a pair with no change.
	for _, q := range []string{"?from=2&to=3", ""} { // no query: the latest and the one before
		same := get(q)
		if same.status != 200 || !strings.Contains(pageText(same.body), "Nothing changed: the answers and the plan are the same in both revisions.") {
			t.Errorf("%q: %d\n%s", q, same.status, pageText(same.body))
		}
		if strings.Contains(same.body, `<ul class="changes">`) {
			t.Errorf("%q lists changes for an unchanged pair", q)
		}
	}
	if r := get("?from=1"); r.status != 200 || !strings.Contains(pageText(r.body), "revision 3") {
		t.Errorf("?from=1 alone compares with the latest: %d", r.status)
	}

	// Invalid pairs: a clear 400 or 404, never a 500.
	for q, want := range map[string]struct {
		status int
		msg    string
	}{
		"?from=abc&to=2":             {400, "“abc” is not a revision number. Choose two of this plan's revisions, 1 to 3, to compare."},
		"?from=0&to=2":               {400, "is not a revision number"},
		"?from=-1&to=2":              {400, "is not a revision number"},
		"?from=1.5&to=2":             {400, "is not a revision number"},
		"?from=99999999999999999999": {400, "is not a revision number"},
		"?from=2&to=2":               {400, "Choose two different revisions to compare: both are revision 2."},
		"?to=1":                      {400, "Revision 1 is the first"},
		"?from=1&to=9":               {404, "This plan has no revision 9: its revisions are 1 to 3."},
		"?from=9":                    {404, "This plan has no revision 9"},
	} {
		r := get(q)
		if r.status != want.status || !strings.Contains(pageText(r.body), want.msg) {
			t.Errorf("%s: %d, want %d with %q:\n%s", q, r.status, want.status, want.msg, pageText(r.body))
		}
	}
	for path, status := range map[string]int{
		"/p/not-an-id/changes?from=1&to=2":           404,
		"/p/" + strings.Repeat("A", 22) + "/changes": 404,
	} {
		if r := e.do(t, "GET", path, ""); r.status != status {
			t.Errorf("%s: %d, want %d", path, r.status, status)
		}
	}

	// One revision: nothing to compare, said in words.
	one := sharePlan(t, e, v1)
	if r := e.do(t, "GET", "/p/"+one+"/changes", ""); r.status != 200 || !strings.Contains(r.body, "only one revision so far") {
		t.Errorf("single revision: %d %s", r.status, pageText(r.body))
	}
	if r := e.do(t, "GET", "/p/"+one+"/changes?from=1&to=1", ""); r.status != 400 || !strings.Contains(r.body, "only one revision so far") {
		t.Errorf("single revision 1 → 1: %d", r.status)
	}

	// Revoked: 410, like every other read of the plan.
	gone := sharePlan(t, e, v1, v2)
	sp, err := e.store.GetPlan(context.Background(), gone)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RevokePlan(context.Background(), sp.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.do(t, "GET", "/p/"+gone+"/changes?from=1&to=2", ""); r.status != 410 {
		t.Errorf("revoked: %d", r.status)
	}
}

// TestShareOlderKnowledgeInWords: a revision saved with an earlier edition
// of the catalog says so for a customer, keeping both edition numbers.
func TestShareOlderKnowledgeInWords(t *testing.T) {
	e := newEnv(t, 0)
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := store.NewID()
	key, _ := store.NewSecret()
	data := answersJSON(t, shareAnswers(t))
	if _, err := e.store.CreatePlan(context.Background(), store.NewPlan{ID: id, EditKeyHash: store.HashKey(key), Answers: []byte(data), Ruleset: "2020.1.0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.UpdatePlan(context.Background(), store.Update{ID: id, ExpectedRevision: 1, Answers: []byte(data), Ruleset: cat.Ruleset}); err != nil {
		t.Fatal(err)
	}
	r := e.do(t, "GET", "/p/"+id+"/r/1", "")
	txt := pageText(r.body)
	want := "with an earlier edition of the Intune guidance (2020.1.0). It is shown as today's edition (" + cat.Ruleset + ") reads the same answers"
	if r.status != 200 || !strings.Contains(txt, want) {
		t.Fatalf("%d: no note in words:\n%.2000s", r.status, txt)
	}
	if strings.Contains(txt, "ruleset") {
		t.Error("the page still says \"ruleset\"")
	}
	if latest := e.do(t, "GET", "/p/"+id, ""); strings.Contains(pageText(latest.body), "earlier edition") {
		t.Error("the latest revision, saved with today's edition, carries the note")
	}
	c := e.do(t, "GET", "/p/"+id+"/changes?from=1&to=2", "")
	if c.status != 200 || !strings.Contains(pageText(c.body), "revision 1 with edition 2020.1.0") || !strings.Contains(pageText(c.body), "Nothing changed") {
		t.Errorf("changes across editions: %d\n%s", c.status, pageText(c.body))
	}
}
