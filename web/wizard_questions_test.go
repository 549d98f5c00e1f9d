package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// kindOf answers a When for a group of this kind.
func kindOf(platform, ownership, usage, enroll string) func(string) string {
	return func(f string) string {
		return map[string]string{"platform": platform, "ownership": ownership, "usage": usage, "enroll": enroll}[f]
	}
}

// TestStep2AsksOnlyWhatChanges: for each kind of group, the follow-up
// questions step 2 asks (issue 18), and, checked against the engine, that
// no answer to a question it does not ask changes the group's method,
// factory reset, steps or prerequisites, whatever the tenant and the
// group's other answers.
func TestStep2AsksOnlyWhatChanges(t *testing.T) {
	all := "enroll personal_use manufacturer in_use managed_by enrolled_by"
	for _, tc := range []struct {
		platform, ownership, usage, enroll string
		asked                              string
	}{
		{"android", "corporate", "user", "enroll", all},
		{"android", "corporate", "user", "app", "enroll"},
		{"android", "corporate", "shared", "enroll", "manufacturer in_use managed_by enrolled_by"},
		{"android", "corporate", "dedicated", "enroll", "manufacturer in_use managed_by"},
		{"android", "personal", "user", "enroll", "enroll managed_by"},
		{"android", "personal", "user", "app", "enroll"},
		{"ios", "corporate", "user", "enroll", "enroll in_use managed_by enrolled_by"},
		{"ios", "corporate", "user", "app", "enroll"},
		{"ios", "corporate", "shared", "enroll", "in_use managed_by enrolled_by"},
		{"ios", "corporate", "dedicated", "enroll", "in_use managed_by"},
		{"ios", "personal", "user", "enroll", "enroll managed_by"},
		{"ios", "personal", "user", "app", "enroll"},
		{"macos", "corporate", "user", "enroll", "in_use managed_by enrolled_by"},
		{"macos", "corporate", "shared", "enroll", "in_use managed_by enrolled_by"},
		{"macos", "corporate", "dedicated", "enroll", "in_use managed_by"},
		{"macos", "personal", "user", "enroll", "managed_by"},
		{"windows", "corporate", "user", "enroll", "enroll manufacturer in_use managed_by enrolled_by"},
		{"windows", "corporate", "user", "app", "enroll"},
		{"windows", "corporate", "shared", "enroll", "manufacturer in_use managed_by enrolled_by"},
		{"windows", "corporate", "dedicated", "enroll", "manufacturer in_use managed_by"},
		{"windows", "personal", "user", "enroll", "enroll managed_by"},
		{"windows", "personal", "user", "app", "enroll"},
		{"linux", "corporate", "user", "enroll", "managed_by"},
		{"linux", "corporate", "shared", "enroll", "managed_by"},
		{"linux", "corporate", "dedicated", "enroll", "managed_by"},
		{"linux", "personal", "user", "enroll", "managed_by"},
	} {
		var asked []string
		for _, q := range pages.FollowUps {
			if q.When.Holds(kindOf(tc.platform, tc.ownership, tc.usage, tc.enroll)) {
				asked = append(asked, q.Field)
			}
		}
		if got := strings.Join(asked, " "); got != tc.asked {
			t.Errorf("%s %s %s %s: asks %q, want %q", tc.platform, tc.ownership, tc.usage, tc.enroll, got, tc.asked)
		}
	}
	// A row not answered yet asks everything.
	for _, q := range pages.FollowUps {
		if !q.When.Holds(kindOf("", "", "", "")) {
			t.Errorf("a new row does not ask %s", q.Field)
		}
	}
}

// TestStep2HiddenAnswersChangeNothing holds the rules of questions.go
// against the engine: for every kind of group, an answer to a question
// step 2 does not ask changes neither the recommended method, nor the
// factory reset, nor the steps and prerequisites, with any tenant below
// and any of the group's other answers.
func TestStep2HiddenAnswersChangeNothing(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	tenants := []plan.Tenant{{}, {ConfigMgr: ptr(true), AppleBusinessManager: ptr(true)}, {AppleBusinessManager: ptr(false), EntraPremium: ptr(false)}, {Cloud: "gcc-high"}}
	values := map[string][]func(*plan.Population){
		"in_use":       {func(p *plan.Population) { p.InUse = nil }, func(p *plan.Population) { p.InUse = ptr(true) }, func(p *plan.Population) { p.InUse = ptr(false) }},
		"managed_by":   {func(p *plan.Population) { p.ManagedBy = "" }, func(p *plan.Population) { p.ManagedBy = plan.ManagedNone }, func(p *plan.Population) { p.ManagedBy = plan.ManagedOtherMDM }, func(p *plan.Population) { p.ManagedBy = plan.ManagedConfigMgr }},
		"enrolled_by":  {func(p *plan.Population) { p.EnrolledBy = "" }, func(p *plan.Population) { p.EnrolledBy = plan.EnrolledByUser }, func(p *plan.Population) { p.EnrolledBy = plan.EnrolledByIT }},
		"manufacturer": {func(p *plan.Population) { p.Manufacturer = "" }, func(p *plan.Population) { p.Manufacturer = "Samsung" }, func(p *plan.Population) { p.Manufacturer = "Zebra" }, func(p *plan.Population) { p.Manufacturer = "Microsoft Surface" }},
		"personal_use": {func(p *plan.Population) { p.PersonalUse = nil }, func(p *plan.Population) { p.PersonalUse = ptr(true) }, func(p *plan.Population) { p.PersonalUse = ptr(false) }},
	}
	// The group's other answers the check varies: new or in use, and what
	// manages it today.
	contexts := []func(*plan.Population){
		func(*plan.Population) {},
		func(p *plan.Population) { p.InUse = ptr(false) },
		func(p *plan.Population) { p.InUse = ptr(true); p.ManagedBy = plan.ManagedOtherMDM },
		func(p *plan.Population) { p.InUse = ptr(true); p.ManagedBy = plan.ManagedConfigMgr },
	}
	outcome := func(a plan.Answers) (string, bool) {
		p, err := cat.Build(a)
		if err != nil {
			return "", false // an answer the engine refuses for this kind: nothing to compare
		}
		pop := p.Populations[0]
		var ids []string
		for _, s := range pop.Steps {
			ids = append(ids, s.ID)
		}
		for _, pr := range p.Prerequisites {
			ids = append(ids, "prerequisite "+pr.ID)
		}
		return fmt.Sprintf("%s; reset %v; %s", pop.Method.ID, pop.FactoryReset.Required && pop.InUse, strings.Join(ids, " ")), true
	}
	checked := 0
	for _, platform := range plan.Platforms {
		for _, own := range plan.Ownerships {
			for _, usage := range plan.Usages {
				for _, enroll := range []string{"enroll", "app"} {
					kind := kindOf(platform, own, usage, enroll)
					if own == plan.OwnPersonal && usage != plan.UsageUser || enroll == "app" && !pages.AskEnroll.Holds(kind) {
						continue
					}
					for _, q := range pages.FollowUps {
						if q.Field == "enroll" || q.When.Holds(kind) {
							continue
						}
						for ti, tn := range tenants {
							for ci, ctx := range contexts {
								first, firstAt := "", 0
								for vi, set := range values[q.Field] {
									// Who enrolls is settled by the kind for kiosks (IT
									// staff) and personal devices (their users), whose
									// plans use that answer: only it is compared with none.
									if q.Field == "enrolled_by" && vi > 0 && (usage == plan.UsageDedicated && vi != 2 || own == plan.OwnPersonal && vi != 1) {
										continue
									}
									pop := plan.Population{ID: "g", Name: "Group", Platform: platform, Ownership: own, Usage: usage, Devices: 50, Enroll: ptr(enroll == "enroll")}
									ctx(&pop)
									set(&pop)
									out, ok := outcome(plan.Answers{Schema: plan.AnswersSchema, Organization: "o", Tenant: tn, Populations: []plan.Population{pop}})
									switch {
									case !ok:
										continue
									case first == "":
										first, firstAt = out, vi
									case out != first:
										t.Errorf("%s %s %s %s (tenant %d, context %d): %s is not asked, but its answer %d gives\n  %s\nwhere answer %d gives\n  %s",
											platform, own, usage, enroll, ti, ci, q.Field, vi, out, firstAt, first)
									}
									checked++
								}
							}
						}
					}
				}
			}
		}
	}
	if checked < 500 {
		t.Fatalf("only %d plans compared: the check proves little", checked)
	}
}

// TestDevicesIgnoreHiddenAnswers: answers posted to questions a row does not
// ask (a browser without JavaScript sends them for a row it showed blank)
// reach neither the plan nor the draft.
func TestDevicesIgnoreHiddenAnswers(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepDevices)
	f := url.Values{"action": {"continue"},
		"populations[0].name": {"Staff's own phones"}, "populations[0].platform": {"ios"}, "populations[0].ownership": {"personal"}, "populations[0].usage": {"user"},
		"populations[0].devices": {"300"}, "populations[0].enroll": {"app"}, "populations[0].in_use": {"new"}, "populations[0].managed_by": {"other-mdm"},
		"populations[0].enrolled_by": {"it"}, "populations[0].manufacturer": {"Apple"}, "populations[0].personal_use": {"yes"},
		"populations[1].name": {"Developer Linux laptops"}, "populations[1].platform": {"linux"}, "populations[1].ownership": {"corporate"}, "populations[1].usage": {"user"},
		"populations[1].devices": {"25"}, "populations[1].enroll": {"app"}, "populations[1].in_use": {"new"}, "populations[1].managed_by": {"none"},
		"populations[1].enrolled_by": {"it"}, "populations[1].manufacturer": {"Dell"},
	}
	expectRedirect(t, p.post("/wizard/devices", f), "/wizard/review")
	expectRedirect(t, p.post("/wizard/review", nil), "/wizard/prerequisites")
	expectRedirect(t, p.post("/wizard/prerequisites", nil), "/wizard/rollout")
	expectRedirect(t, p.post("/wizard/rollout", url.Values{"rollout.waves[0].name": {"Wave 1"}, "rollout.waves[0].group": {"All"},
		"rollout.waves[0].start.day": {"11"}, "rollout.waves[0].start.month": {"1"}, "rollout.waves[0].start.year": {"2027"},
		"rollout.waves[0].populations": {"staff-s-own-phones", "developer-linux-laptops"}}), "/wizard/plan")
	pl := planJSON(t, p)
	pops := pl["populations"].([]any)
	phones, linux := pops[0].(map[string]any), pops[1].(map[string]any)
	if phones["enroll"] != false || phones["in_use"] != true || phones["managed_by"] != plan.ManagedNone || phones["enrolled_by"] != plan.EnrolledByUser || phones["manufacturer"] != nil {
		t.Errorf("app protection kept answers it does not ask: %v", phones)
	}
	if linux["enroll"] != true || linux["in_use"] != true || linux["managed_by"] != plan.ManagedNone || linux["enrolled_by"] != plan.EnrolledByUser || linux["manufacturer"] != nil {
		t.Errorf("Linux laptops: %v", linux)
	}
	// Back on step 2 the rows show the questions they ask with what was
	// answered, the others hidden and blank.
	page := p.get("/wizard/devices").body
	for _, name := range []string{"populations[0].in_use", "populations[0].managed_by", "populations[0].enrolled_by", "populations[0].manufacturer", "populations[1].in_use", "populations[1].enroll"} {
		if askedOn(t, page, name) {
			t.Errorf("%s is asked", name)
		}
	}
	if !askedOn(t, page, "populations[1].managed_by") || !strings.Contains(page, `name="populations[1].managed_by" value="none" checked`) {
		t.Error("the Linux laptops' managed by is not asked with its answer")
	}
	for _, typed := range []string{`value="Apple"`, `value="Dell"`, `value="new" checked`, `value="other-mdm" checked`, `value="it" checked`} {
		if strings.Contains(page, typed) {
			t.Errorf("step 2 kept %s, the answer to a question it does not ask", typed)
		}
	}
}

// TestDevicesFoldCompleteGroups: back on step 2, each saved group is one
// line that names it and its answers, with its fields behind an Edit
// disclosure (a <details>, so it opens without JavaScript); a group with a
// problem, and a group just added, stay open.
func TestDevicesFoldCompleteGroups(t *testing.T) {
	p := newClockedPlanner(t)
	walkTo(t, p, stepPrereq)
	page := p.get("/wizard/devices").body
	if n := strings.Count(page, `<details class="row-fold">`); n != 2 {
		t.Fatalf("%d groups folded, want 2", n)
	}
	for _, line := range []string{
		"Sales iPhones — iOS/iPadOS, organisation-owned, one user, 250 devices, in use, another MDM today Edit",
		"Office laptops — Windows, organisation-owned, one user, 600 devices Edit",
	} {
		if !strings.Contains(visibleText(page), line) {
			t.Errorf("no folded line %q in %s", line, visibleText(page))
		}
	}
	if !strings.Contains(between(page, `<details class="row-fold">`, "</details>"), `name="populations[0].name" value="Sales iPhones"`) {
		t.Error("the folded group's fields are not behind its disclosure")
	}
	// A problem in one group: it opens, the other stays folded.
	f := devicesForm("continue")
	f.Set("populations[1].devices", "lots")
	r := p.post("/wizard/devices", f)
	if r.status != 422 || strings.Count(r.body, `<details class="row-fold">`) != 1 || strings.Contains(between(r.body, `<details class="row-fold">`, "</details>"), "Office laptops") {
		t.Errorf("with a problem in Office laptops: %d, %d folded", r.status, strings.Count(r.body, `<details class="row-fold">`))
	}
	// Add another without JavaScript: the new row is open, the others fold.
	expectRedirect(t, p.post("/wizard/devices", devicesForm("add")), "/wizard/devices?added=2#f-populations-2-name")
	r = p.get("/wizard/devices?added=2")
	if n := strings.Count(r.body, `<details class="row-fold">`); n != 2 || strings.Contains(between(r.body, `<details class="row-fold">`, "</details>"), `populations[2]`) {
		t.Errorf("after Add another: %d folded", n)
	}
	if !strings.Contains(tagWithID(r.body, "f-populations-2-name"), "autofocus") {
		t.Errorf("the new row is not focused: %s", tagWithID(r.body, "f-populations-2-name"))
	}
}
