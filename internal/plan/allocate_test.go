package plan

import (
	"errors"
	"strings"
	"testing"
)

// rolloutWith returns the valid answers with a rollout of two waves over
// Office PCs (600 devices), written as JSON.
func twoWaves(pilot, counts string) []byte {
	r := `"rollout": {"pilot_group": "Intune Pilot", "pilot_start": "2027-01-04"` + pilot + `, "waves": [` +
		`{"name": "Wave 2", "group": "Floor 2", "start": "2027-01-18", "populations": ["office-pcs", "sales-iphones"]` + counts + `},` +
		`{"name": "Wave 3", "group": "Floor 3", "start": "2027-02-01", "populations": ["office-pcs", "field-android"], "devices": {"office-pcs": 300}}]}`
	return []byte(strings.Replace(validAnswers, `"rollout": {"pilot_group": "Intune Pilot", "waves": [{"name": "Wave 1", "group": "Sales", "start": "2027-01-11"}]}`, r, 1))
}

// TestRolloutCountsDecode covers CONTRACT §8.1: pilot_devices, a wave's
// devices per population, lead_times and tenant.expiries, each refused with
// its field path when wrong.
func TestRolloutCountsDecode(t *testing.T) {
	c := testCatalog(t)
	cases := []struct {
		name        string
		data        []byte
		field, want string // "" field: valid
	}{
		{"a split group with a count in each wave", twoWaves(`, "pilot_devices": 5`, `, "devices": {"office-pcs": 295}`), "", ""},
		{"split without a count", []byte(strings.Replace(string(twoWaves("", "")), `, "devices": {"office-pcs": 300}`, "", 1)), "rollout.waves[0].devices", "Office PCs is in Wave 2 and Wave 3: say how many of its 600 devices"},
		{"more than the group has", twoWaves(`, "pilot_devices": 5`, `, "devices": {"office-pcs": 300}`), "rollout.waves[1].devices.office-pcs",
			"the pilot and the waves enroll 605 of Office PCs's 600 devices"},
		{"count for a group not in the wave", twoWaves("", `, "devices": {"office-pcs": 200, "field-android": 3}`), "rollout.waves[0].devices.field-android", "not in this wave"},
		{"count for an unknown group", twoWaves("", `, "devices": {"office-pcs": 200, "tablets": 3}`), "rollout.waves[0].devices.tablets", "not the id of a population"},
		{"negative count", twoWaves("", `, "devices": {"office-pcs": -1}`), "rollout.waves[0].devices.office-pcs", "-1 is negative"},
		{"empty pilot", twoWaves(`, "pilot_devices": 0`, `, "devices": {"office-pcs": 200}`), "rollout.pilot_devices", "at least 1 device"},
		{"lead time for a prerequisite", mutate(t, func(m map[string]any) {
			m["rollout"].(map[string]any)["lead_times"] = map[string]any{"apple-business-manager": 15}
		}), "", ""},
		{"lead time for an unknown id", mutate(t, func(m map[string]any) {
			m["rollout"].(map[string]any)["lead_times"] = map[string]any{"apple-bm": 15}
		}), "rollout.lead_times.apple-bm", "not a prerequisite id"},
		{"lead time over a year", mutate(t, func(m map[string]any) {
			m["rollout"].(map[string]any)["lead_times"] = map[string]any{"licenses": 400}
		}), "rollout.lead_times.licenses", "more than 365 days"},
		{"an expiry typed", mutate(t, func(m map[string]any) {
			m["tenant"].(map[string]any)["expiries"] = []any{map[string]any{"what": "ade-token", "name": "Contoso ADE", "expires": "2027-01-05"}}
		}), "", ""},
		{"an expiry of something unknown", mutate(t, func(m map[string]any) {
			m["tenant"].(map[string]any)["expiries"] = []any{map[string]any{"what": "licence", "expires": "2027-01-05"}}
		}), "tenant.expiries[0].what", `"licence" is not something that expires`},
		{"an expiry without a date", mutate(t, func(m map[string]any) {
			m["tenant"].(map[string]any)["expiries"] = []any{map[string]any{"what": "vpp-token", "expires": "5 Jan"}}
		}), "tenant.expiries[0].expires", "not a date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.DecodeAnswers(tc.data)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want an error at %s, got %v", tc.field, err)
			}
			if msg := ve.For(tc.field); !strings.Contains(msg, tc.want) {
				t.Fatalf("at %s want %q; got:\n%v", tc.field, tc.want, ve)
			}
		})
	}
}

// TestAllocate checks how devices are divided: an explicit pilot, the
// proposed one, one wave taking the rest, counts per wave, and the older
// answers whose wave covers every population.
func TestAllocate(t *testing.T) {
	c := testCatalog(t)
	a, err := c.DecodeAnswers(twoWaves("", `, "devices": {"office-pcs": 290}`))
	if err != nil {
		t.Fatal(err)
	}
	ids := PopulationIDs(a.Populations)
	al := Allocate(&a, ids)
	if !al.PilotProposed || al.Pilot["office-pcs"] != 10 || al.Pilot["field-android"] != 2 || al.Pilot["sales-iphones"] != 10 {
		t.Errorf("proposed pilot: %v", al.Pilot)
	}
	if al.Waves[0]["office-pcs"] != 290 || al.Waves[1]["office-pcs"] != 300 {
		t.Errorf("office-pcs over the waves: %v", al.Waves)
	}
	if al.Waves[0]["sales-iphones"] != 240 || al.Waves[1]["field-android"] != 38 {
		t.Errorf("a group in one wave takes what the pilot leaves: %v", al.Waves)
	}

	five := 5
	a.Rollout.PilotDevices = &five
	a.Rollout.Waves[0].Devices = map[string]int{"office-pcs": 100}
	al = Allocate(&a, ids)
	if al.PilotProposed || al.Pilot["office-pcs"] != 5 || al.Left["office-pcs"] != 195 {
		t.Errorf("pilot %v, left %v; want 5 in the pilot and 195 in no wave", al.Pilot, al.Left)
	}

	// Older answers: a wave without a populations list covers everyone.
	a.Rollout.Waves = []Wave{{Name: "Wave 1", Group: "A", Populations: []string{"office-pcs"}}, {Name: "Wave 2", Group: "B"}}
	al = Allocate(&a, ids)
	if !al.Split["office-pcs"] || al.Waves[0]["office-pcs"]+al.Waves[1]["office-pcs"] != 595 || al.Waves[0]["office-pcs"] != 298 {
		t.Errorf("shared evenly: %v split %v", al.Waves, al.Split)
	}
	if ProposedPilot(0) != 0 || ProposedPilot(3) != 1 || ProposedPilot(40) != 2 || ProposedPilot(5000) != 10 {
		t.Error("ProposedPilot: about 5%, at least 1, at most 10")
	}
}
