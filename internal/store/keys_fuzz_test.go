package store

import (
	"encoding/base64"
	"html"
	"net/url"
	"strings"
	"testing"
)

// FuzzValidID: ValidID accepts exactly the strings NewID can make (22
// characters of unpadded base64url, 16 bytes), and such an id is safe
// as is in a URL path, a query, HTML and a log line; every other string is
// refused before it could reach a database.
func FuzzValidID(f *testing.F) {
	for _, s := range []string{"", "x", strings.Repeat("A", 22), strings.Repeat("A", 21), strings.Repeat("A", 23), strings.Repeat("_", 22),
		"0123456789abcdefghij-_", "0123456789abcdefghij+/", "0123456789abcdefghij==", "0123456789abcdefghi%2F", "0123456789abcdefghij\x00x",
		"0123456789abcdefghijé", "../../../../etc/passwd", "AAAAAAAAAAAAAAAAAAAAA\n", "'; DROP TABLE plans; --", strings.Repeat("a", 200)} {
		f.Add(s)
	}
	id, err := NewID()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(id)
	f.Fuzz(func(t *testing.T, s string) {
		ok := ValidID(s)
		b, err := base64.RawURLEncoding.DecodeString(s)
		if want := err == nil && len(b) == idBytes && len(s) == idLen && !strings.ContainsAny(s, "\r\n"); ok != want {
			t.Fatalf("ValidID(%q) = %v; decodes to %d bytes, err %v", s, ok, len(b), err)
		}
		if !ok {
			return
		}
		if url.PathEscape(s) != s || url.QueryEscape(s) != s || html.EscapeString(s) != s || len(s) > MaxIDBytes {
			t.Fatalf("valid id %q needs escaping", s)
		}
		if !KeyMatches(HashKey(s), s) || KeyMatches(HashKey(s), s+"x") || KeyMatches(HashKey(s)[:16], s) {
			t.Fatalf("KeyMatches is wrong for %q", s)
		}
	})
}
