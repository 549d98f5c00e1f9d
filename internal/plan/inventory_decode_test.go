package plan

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// inventoryAnswers is a small valid fleet whose answers carry an inventory
// summary placing rows rows, alternating between its two populations.
func inventoryAnswers(t *testing.T, rows int) []byte {
	t.Helper()
	a := map[string]any{
		"schema": AnswersSchema, "organization": "Contoso",
		"populations": []map[string]any{
			{"id": "pcs", "name": "PCs", "platform": "windows", "ownership": "corporate", "devices": rows/2 + 1},
			{"id": "phones", "name": "Phones", "platform": "ios", "ownership": "corporate", "devices": rows/2 + 1},
		},
	}
	devices := make([]map[string]any, rows)
	for i := range devices {
		devices[i] = map[string]any{"row": i + 1, "population": []string{"pcs", "phones"}[i%2]}
	}
	a["inventory"] = map[string]any{"rows": rows, "columns": map[string]string{"name": "Device name", "os": "OS"}, "devices": devices}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// What `enrollplan inventory` prints must be answers `enrollplan plan`
// reads, up to the 100,000 rows an inventory may have (CONTRACT §8.5), and
// the plan must not change with the rows.
func TestDecodeInventorySummary(t *testing.T) {
	c := testCatalog(t)
	for _, rows := range []int{3, 1_500, MaxInventoryRows} {
		t.Run(fmt.Sprint(rows), func(t *testing.T) {
			a, err := c.DecodeAnswers(inventoryAnswers(t, rows))
			if err != nil {
				t.Fatalf("answers with a %d-row inventory: %v", rows, err)
			}
			if a.Inventory == nil || a.Inventory.Rows != rows || len(a.Inventory.Devices) != rows || a.Inventory.Columns["os"] != "OS" {
				t.Fatalf("inventory read as %+v", a.Inventory)
			}
			if err := c.Validate(&a); err != nil {
				t.Fatal(err)
			}
			with, err := c.Build(a)
			if err != nil {
				t.Fatal(err)
			}
			a.Inventory = nil
			without, err := c.Build(a)
			if err != nil {
				t.Fatal(err)
			}
			x, _ := json.Marshal(with)
			y, _ := json.Marshal(without)
			if string(x) != string(y) {
				t.Error("the plan changed with the inventory's rows")
			}
		})
	}
}

func TestDecodeInventoryRejects(t *testing.T) {
	c := testCatalog(t)
	base := string(inventoryAnswers(t, 4))
	for name, tc := range map[string]struct{ from, to, field string }{
		"unknown population": {`"population":"phones","row":4}`, `"population":"tablets","row":4}`, "inventory.devices[3].population"},
		"row past the rows":  {`"row":4}]`, `"row":9}]`, "inventory.devices[3].row"},
		"row twice":          {`"row":4}]`, `"row":2}]`, "inventory.devices[3].row"},
		"unknown column":     {`"os":"OS"`, `"colour":"Colour"`, "inventory.columns"},
		"unknown field":      {`"rows":4`, `"rows":4,"serials":[]`, "inventory.serials"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("the answers have no %s", tc.from)
			}
			a, err := c.DecodeAnswers([]byte(strings.Replace(base, tc.from, tc.to, 1)))
			if err == nil {
				err = c.Validate(&a)
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("want an error naming %s, got %v", tc.field, err)
			}
		})
	}
	// One row past the bound is refused with the bound in words.
	if _, err := c.DecodeAnswers(inventoryAnswers(t, MaxInventoryRows+1)); err == nil || !strings.Contains(err.Error(), "100,000") {
		t.Fatalf("a %d-row inventory: %v", MaxInventoryRows+1, err)
	}
}
