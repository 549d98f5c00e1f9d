package plan

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// TestBuildWithToday: "today" reaches the builder and the summary's as_of;
// far enough before the pilot it changes nothing else (summary.late stays
// empty); a date that is not YYYY-MM-DD is the caller's bug, not the
// planner's (no ValidationError).
func TestBuildWithToday(t *testing.T) {
	c := testCatalog(t)
	a := northwind(t, c)
	plain, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	dated, err := c.BuildWith(a, BuildOptions{Today: "2027-01-04"})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Summary.AsOf != "" || dated.Summary.AsOf != "2027-01-04" {
		t.Errorf("as_of = %q without today, %q with 2027-01-04", plain.Summary.AsOf, dated.Summary.AsOf)
	}
	if len(dated.Summary.Late) != 0 {
		t.Errorf("a week before the pilot nothing is late in the Northwind plan: %+v", dated.Summary.Late)
	}
	dated.Summary.AsOf = ""
	var x, y bytes.Buffer
	if err := WriteJSON(&x, plain); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&y, dated); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Bytes(), y.Bytes()) {
		t.Error("a plan built with today differs from one built without in more than as_of, though nothing is late")
	}
	if b := newBuilder(c, &a, BuildOptions{Today: "2027-01-04"}); b.today != "2027-01-04" {
		t.Errorf("builder today = %q, want 2027-01-04", b.today)
	}
	for _, bad := range []string{"04/01/2027", "2027-13-01", "today"} {
		_, err := c.BuildWith(a, BuildOptions{Today: bad})
		var ve *ValidationError
		if err == nil || errors.As(err, &ve) {
			t.Errorf("today %q: err = %v, want an error that is not a ValidationError", bad, err)
		}
	}
}

func TestWaveIDs(t *testing.T) {
	waves := func(names ...string) []Wave {
		var ws []Wave
		for _, n := range names {
			ws = append(ws, Wave{Name: n})
		}
		return ws
	}
	cases := []struct {
		name  string
		waves []Wave
		want  []string
	}{
		{"slugs of the names", waves("Wave 2", "Nursing PCs"), []string{"wave-2", "nursing-pcs"}},
		{"collisions take -2, -3", waves("Wave 2", "wave  2", "WAVE-2"), []string{"wave-2", "wave-2-2", "wave-2-3"}},
		{"the pilot's id is taken", waves("Pilot", "pilot!"), []string{"pilot-2", "pilot-3"}},
		{"no letter or digit: position", waves("Ärzte", "—", "★"), []string{"rzte", "wave-2", "wave-3"}},
		{"position collides with a name", waves("★", "Wave 1"), []string{"wave-1", "wave-1-2"}},
		{"long names are cut", waves("Head office, warehouse and every branch north of the river"), []string{"head-office-warehouse-and-every-branch-n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := waveIDs(tc.waves); !slices.Equal(got, tc.want) {
				t.Errorf("waveIDs = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPlanWaveIDs: the built plan's waves carry their ids, and the JSON
// does not (yet), so the goldens stay as they are.
func TestPlanWaveIDs(t *testing.T) {
	c := testCatalog(t)
	a := northwind(t, c)
	a.Rollout.Waves[2].Name = "Wave 1"
	p, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range p.Rollout.Waves {
		got = append(got, w.ID)
	}
	if want := []string{"wave-1", "wave-2", "wave-1-2"}; !slices.Equal(got, want) {
		t.Errorf("wave ids = %q, want %q", got, want)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	// Task ids hang on them (CONTRACT §8.2), so the JSON carries them.
	if !bytes.Contains(buf.Bytes(), []byte(`"id": "wave-1-2"`)) || !bytes.Contains(buf.Bytes(), []byte(`"w/wave-1-2/rollout.wave"`)) {
		t.Error("the JSON lacks the wave id wave-1-2, or the task ids made of it")
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Nursing PCs (2nd floor)": "nursing-pcs-2nd-floor",
		"  --Wave  2--  ":         "wave-2",
		"café":                    "caf",
		"":                        "",
		"日本":                      "",
		"abcdefghij klmnopqrst uvwxyz0123 456789abcd efg": "abcdefghij-klmnopqrst-uvwxyz0123-456789a",
		"abcdefghij klmnopqrst uvwxyz0123 456789 x":       "abcdefghij-klmnopqrst-uvwxyz0123-456789", // no hyphen left at the cut
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
		if got := Slug(in); len(got) > slugMax {
			t.Errorf("Slug(%q) is %d long", in, len(got))
		}
	}
}
