package plan

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestFirstActionsAreTasks: every first action names a task of the plan
// (CONTRACT §8.2 "id (the task)"), in every example, so that the team can
// record it done on the shared plan.
func TestFirstActionsAreTasks(t *testing.T) {
	c := testCatalog(t)
	paths, _ := filepath.Glob("../../examples/*.json")
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.DecodeAnswers(data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		a.Tenant.Expiries = append(a.Tenant.Expiries, TenantExpiry{What: WhatApplePush, Expires: "2027-01-02"})
		p, err := c.BuildWith(a, BuildOptions{Today: "2026-12-07"})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, tk := range p.Tasks {
			ids[tk.ID] = true
		}
		for _, f := range p.Summary.FirstActions {
			if f.ID == "" || !ids[f.ID] {
				t.Errorf("%s: first action %q (%s) is not a task", filepath.Base(path), f.ID, f.Title)
			}
		}
	}
}

// TestSetupTasksDated: with a pilot date, every set-up task still to do has
// a due date, and a prerequisite's task waits for the tasks of what it needs
// (the company Apple ID before the push certificate it creates).
func TestSetupTasksDated(t *testing.T) {
	c := testCatalog(t)
	a := northwind(t, c)
	p, err := c.BuildWith(a, BuildOptions{Today: "2026-12-07"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range p.Tasks {
		if tk.Phase == PhasePrepare && tk.Status != StatusDone && tk.Due == "" {
			t.Errorf("set-up task %s (%s) has no due date", tk.ID, tk.Title)
		}
		if tk.ID == "prereq.apple-mdm-push-certificate" && !slices.Contains(tk.DependsOn, "prereq.apple-id") {
			t.Errorf("the push certificate's task does not wait for the Apple ID's: %v", tk.DependsOn)
		}
	}
}
