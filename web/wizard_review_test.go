package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
)

// TestReviewAsksNothingUntilOpened: step 3 says per group the method and
// whether its devices are reset, why in a sentence each, with the choices
// folded away; Continue with nothing opened keeps the recommendations.
func TestReviewAsksNothingUntilOpened(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	expectRedirect(t, p.post("/wizard/devices", devicesForm("continue")), "/wizard/review")
	r := p.get("/wizard/review")
	text := visibleText(r.body)
	for _, want := range []string{
		"Step 3 of 6: Review methods and factory resets",
		"Sales iPhones iOS/iPadOS · 250 devices Method Automated Device Enrollment (iOS/iPadOS) Recommended",
		"Factory reset Factory reset required: these devices are in use",
		"Before they enroll They leave the MDM that manages them today:",
		"Office laptops Windows · 600 devices Method Microsoft Entra join with automatic enrollment Recommended",
		"Assumed the devices are already in use, the safer reading",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the review lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(r.body, `<details class="change">`); n != 4 {
		t.Errorf("%d closed choices, want 4 (a method and a reset decision per group)", n)
	}
	if strings.Contains(r.body, `<details class="change" open`) {
		t.Error("a choice is open before the planner asks for it")
	}
	if !strings.Contains(r.body, `name="populations[1].method"`) || !strings.Contains(r.body, `name="populations[1].in_use" value="unsure" checked`) {
		t.Error("the choices are not in the form, behind their disclosures")
	}
	// Continue with the page as it is: what the browser sends keeps all.
	expectRedirect(t, p.post("/wizard/review", rolloutValuesOnPage(r.body)), "/wizard/prerequisites")
	if r := p.get("/wizard/review"); !strings.Contains(r.body, "Recommended") || strings.Contains(r.body, "Chosen here in place") {
		t.Error("Continue changed a method")
	}
}

// TestReviewChangesMethodAndReset: one POST saves a method chosen over the
// recommendation and whether devices are new; when the answer changes what
// the page said, the page comes back to say it. A forged method is an
// error beside the group's choice, opened.
func TestReviewChangesMethodAndReset(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	expectRedirect(t, p.post("/wizard/devices", devicesForm("continue")), "/wizard/review")
	f := rolloutValuesOnPage(p.get("/wizard/review").body)
	f.Set("populations[0].in_use", "new")               // the iPhones are new after all: no reset
	f.Set("populations[1].method", "windows-autopilot") // over the recommendation, automatic enrollment
	expectRedirect(t, p.post("/wizard/review", f), "/wizard/review?updated=1")
	r := p.get("/wizard/review?updated=1")
	text := visibleText(r.body)
	if !strings.Contains(text, "Saved. Check the groups whose answers changed, then continue.") {
		t.Error("no word that the page changed")
	}
	if iphones := between(text, "Sales iPhones iOS", "Office laptops Windows"); strings.Contains(iphones, "Factory reset required") || !strings.Contains(iphones, "No factory reset: the method needs new or wiped devices, and these are new") {
		t.Errorf("new iPhones:\n%s", iphones)
	}
	if !strings.Contains(text, "Chosen here in place of the recommendation") || !strings.Contains(r.body, `<details class="change" open>`) {
		t.Error("the chosen method is not shown as chosen, with its choices open")
	}
	// Step 2 has the answer too.
	if d := p.get("/wizard/devices"); !strings.Contains(d.body, `name="populations[0].in_use" value="new" checked`) {
		t.Error("step 2 does not show the iPhones as new")
	}
	// Back to the recommendation: the method follows it again.
	f = rolloutValuesOnPage(r.body)
	f.Set("populations[1].method", between(r.body, `name="populations[1].method" value="`, `"`)) // the first choice is the recommendation
	expectRedirect(t, p.post("/wizard/review", f), "/wizard/prerequisites")
	if r := p.get("/wizard/review"); strings.Contains(r.body, "Chosen here in place") {
		t.Error("the recommendation chosen again is still a choice")
	}
	// Forged: a method of another platform, an answer not offered.
	r = p.post("/wizard/review", url.Values{"populations[0].method": {"android-dedicated"}, "populations[1].in_use": {"maybe"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(visibleText(r.body), "Sales iPhones: choose how these devices enroll") ||
		!strings.Contains(visibleText(r.body), "Office laptops: choose whether the devices are new or already in use") || !strings.Contains(r.body, `<details class="change" open>`) {
		t.Errorf("forged review: %d\n%s", r.status, visibleText(r.body))
	}
}

// TestReviewOldAddresses: the addresses of the method and reset steps go
// to the review; a form posted from a tab still showing them is posted
// there again and keeps what it does not send.
func TestReviewOldAddresses(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepPrereq)
	before := visibleText(p.get("/wizard/review").body)
	if !strings.Contains(before, "Chosen here in place") {
		t.Fatal("the walk chose no method over a recommendation: the test proves nothing")
	}
	for _, old := range []string{"/wizard/method", "/wizard/reset"} {
		expectRedirect(t, p.get(old), "/wizard/review")
		if r := p.post(old, url.Values{"action": {"continue"}}); r.status != http.StatusPermanentRedirect || r.header.Get("Location") != "/wizard/review" {
			t.Errorf("POST %s: %d to %q, want 308 to the review", old, r.status, r.header.Get("Location"))
		}
	}
	// The reset step's form sent only Continue: the review keeps the choices.
	expectRedirect(t, p.post("/wizard/review", url.Values{"action": {"continue"}}), "/wizard/prerequisites")
	if after := visibleText(p.get("/wizard/review").body); after != before {
		t.Errorf("the review changed:\n%s\nwas\n%s", after, before)
	}
}

// TestOldDraftsKeepTheirPlace: a draft saved when the wizard had seven
// steps (method 3, reset 4) opens where its planner was: the review for
// either of those, and every later step one lower.
func TestOldDraftsKeepTheirPlace(t *testing.T) {
	for old, want := range map[int]int{1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 6: 5, 7: 6} {
		d := &draft{Reached: old}
		if renumberSteps(d); d.Reached != want || d.Steps != stepCount {
			t.Errorf("seven-step reached %d: %d, want %d", old, d.Reached, want)
		}
		if renumberSteps(d); d.Reached != want {
			t.Errorf("renumbered twice: %d", d.Reached)
		}
	}
	e := newTestServer(t, nil, nil)
	p := newPlanner(t, e.srv.URL)
	walkTo(t, p, stepRollout)
	req := httptest.NewRequest("GET", "/", nil)
	u, _ := url.Parse(e.srv.URL)
	for _, c := range p.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	id := e.server.sessionDraftID(req)
	stored, err := e.fault.GetDraft(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(stored.Data, &fields); err != nil {
		t.Fatal(err)
	}
	if fields["steps"] != float64(stepCount) || fields["reached"] != float64(stepRollout) {
		t.Fatalf("a draft saved today: steps %v, reached %v", fields["steps"], fields["reached"])
	}
	asOld := func(reached int) {
		delete(fields, "steps")
		fields["reached"] = reached
		data, _ := json.Marshal(fields)
		if err := e.fault.SaveDraft(context.Background(), store.Draft{ID: id, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	asOld(6) // was on the rollout, step 6 of 7
	if r := p.get("/wizard/rollout"); r.status != http.StatusOK || !strings.Contains(r.body, "Step 5 of 6") {
		t.Fatalf("rollout of an old draft: %d", r.status)
	}
	expectRedirect(t, p.get("/wizard/plan"), "/wizard/rollout?sent_back=6")
	asOld(4) // was reading the factory resets, step 4 of 7
	if r := p.get("/wizard/review"); r.status != http.StatusOK {
		t.Fatalf("review of an old draft: %d", r.status)
	}
	expectRedirect(t, p.get("/wizard/prerequisites"), "/wizard/review?sent_back=4")
}
