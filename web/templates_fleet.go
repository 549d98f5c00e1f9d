package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/enrollplan/enrollplan/examples"
	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// fleetTemplate is a starting fleet the start page offers: an answers file
// of examples/templates whose populations fill step 2 for the planner to edit.
type fleetTemplate struct {
	name  string // the file's name without .json, and the form's template value
	title string // the button
	kind  string // "a typical <kind> fleet", in the message on step 1
	about string // one line under the button: the groups it holds
}

// fleetTemplates are the starting fleets, in the start page's order.
var fleetTemplates = []fleetTemplate{
	{"office", "Office", "office", "Staff laptops under Configuration Manager, new starters' laptops, hot desks, designers' Macs, company iPhones and staff's own phones."},
	{"hospital", "Hospital", "hospital", "Shared nursing-station PCs, doctors' laptops, clinicians' iPhones, ward iPads, Zebra check-in kiosks and porters' Samsung phones: the 8-group fleet of the hospital example."},
	{"school", "School", "school", "Classroom iPads shared by pupils, teachers' laptops and iPads, one-to-one laptops and computer room PCs."},
	{"retail-frontline", "Retail and frontline", "retail and frontline", "Zebra handheld scanners, shared shift phones, point-of-sale iPads, back-office PCs and staff's own phones."},
	{"field-service", "Field service", "field service", "Engineers' Samsung rugged phones, van tablets, engineers' laptops, dispatch office PCs and supervisors' iPhones."},
	{"government", "Government (US GCC High)", "US government", "Staff laptops, shared front-desk PCs, caseworkers' iPhones, inspectors' iPads and public kiosks, in the GCC High cloud."},
}

// inventoryURL is where "Start from a device inventory" leads: the page
// that reads an inventory into step 2's groups.
const inventoryURL = "/wizard/inventory"

// errUnknownStart answers a start form with a template or a way of starting
// the start page does not offer (an old bookmark, a hand-made form).
var errUnknownStart = statusError(http.StatusBadRequest, "The start page does not offer that starting fleet or way of starting a plan. Go back to the start page and choose one of those it lists.")

func findFleet(name string) (fleetTemplate, bool) {
	i := slices.IndexFunc(fleetTemplates, func(f fleetTemplate) bool { return f.name == name })
	if i < 0 {
		return fleetTemplate{}, false
	}
	return fleetTemplates[i], true
}

// fleetChoices are the starting fleets as the start page lists them.
func fleetChoices() []pages.Choice {
	out := make([]pages.Choice, len(fleetTemplates))
	for i, f := range fleetTemplates {
		out[i] = pages.Choice{Value: f.name, Label: f.title, Hint: f.about}
	}
	return out
}

// fleetAnswers reads a starting fleet's answers file. Only names the start
// page offers are read, so a form never names a file of its own choosing.
func (s *Server) fleetAnswers(name string) (plan.Answers, error) {
	if _, ok := findFleet(name); !ok {
		return plan.Answers{}, errUnknownStart
	}
	data, err := examples.Templates.ReadFile("templates/" + name + ".json")
	if err != nil {
		return plan.Answers{}, fmt.Errorf("starting fleet %s: %w", name, err)
	}
	a, err := s.cat.DecodeAnswers(data)
	if err != nil {
		return plan.Answers{}, fmt.Errorf("starting fleet %s: %w", name, err) // the tests build every one: a defect, not the planner's
	}
	return a, nil
}

// startFromFleet fills a new draft with a starting fleet: its groups for
// step 2, and its cloud where it names one. The organisation stays empty,
// for step 1 to ask. It returns where the planner goes next.
func (s *Server) startFromFleet(d *draft, name string) (string, error) {
	a, err := s.fleetAnswers(name)
	if err != nil {
		return "", err
	}
	d.Answers.Populations = a.Populations
	d.Answers.Tenant.Cloud = a.Tenant.Cloud
	return stepURL(stepOrg) + "?fleet=" + url.QueryEscape(name), nil
}

// fleetFlash is step 1's message after a starting fleet filled the draft
// (?fleet=name), or "" for any other visit.
func fleetFlash(r *http.Request, d *draft) string {
	f, ok := findFleet(r.URL.Query().Get("fleet"))
	groups := len(d.Answers.Populations)
	if !ok || groups == 0 {
		return ""
	}
	msg := fmt.Sprintf("Step 2 is filled in with the %d groups of devices of a typical %s fleet, for you to edit. First, tell us about your organisation.", groups, f.kind)
	if c := d.Answers.Tenant.Cloud; c != "" && c != plan.CloudGlobal {
		i := slices.IndexFunc(cloudChoices, func(ch pages.Choice) bool { return ch.Value == c })
		if i >= 0 {
			msg += fmt.Sprintf(" The Microsoft cloud is set to %s; change it below if your tenant is in another.", cloudChoices[i].Label)
		}
	}
	return msg
}
