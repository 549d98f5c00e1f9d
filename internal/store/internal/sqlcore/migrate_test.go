package sqlcore

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	list, err := loadMigrations(fstest.MapFS{
		"migrations/002_more.sql": file("two"),
		"migrations/001_init.sql": file("one"),
		"migrations/010_x.txt":    file("ignored: not .sql"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].version != 1 || list[0].sql != "one" || list[1].version != 2 || list[1].sql != "two" {
		t.Fatalf("loadMigrations = %+v, want versions 1 (one), 2 (two)", list)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/001_a.sql": file(""), "migrations/003_c.sql": file("")},
		"repeat":    {"migrations/001_a.sql": file(""), "migrations/001_b.sql": file("")},
		"no number": {"migrations/init.sql": file("")},
		"zero":      {"migrations/000_init.sql": file("")},
		"empty":     {},
	} {
		if _, err := loadMigrations(fsys); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("%s: loadMigrations error = %v, want a store: error", name, err)
		}
	}
}

func TestTooNewErrorText(t *testing.T) {
	got := (&tooNewError{current: 7, known: 1}).Error()
	want := "store: database schema is version 7 but this enrollplan knows only up to 1; upgrade enrollplan or point --db at another database"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
