package store

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestNewID(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id, err := NewID()
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != 22 || !ValidID(id) {
			t.Fatalf("NewID() = %q: want 22 base64url characters", id)
		}
		b, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil || len(b) != 16 {
			t.Fatalf("NewID() = %q decodes to %d bytes, %v; want 16 bytes", id, len(b), err)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("NewSecret() returned %q twice", a)
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 || len(a) != 43 {
		t.Fatalf("NewSecret() = %q (%d chars) decodes to %d bytes, %v; want 43 chars, 32 bytes", a, len(a), len(raw), err)
	}
}

func TestHashKey(t *testing.T) {
	// FIPS 180-2 test vector.
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := hex.EncodeToString(HashKey("abc")); got != want {
		t.Fatalf("HashKey(abc) = %s, want %s", got, want)
	}
}

func TestKeyMatches(t *testing.T) {
	key, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	h := HashKey(key)
	if !KeyMatches(h, key) {
		t.Fatal("KeyMatches(HashKey(k), k) = false")
	}
	other, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		hash []byte
		key  string
	}{
		{"other key", h, other},
		{"empty key", h, ""},
		{"truncated hash", h[:31], key},
		{"nil hash", nil, key},
		{"key itself as hash", []byte(key), key},
	} {
		if KeyMatches(tc.hash, tc.key) {
			t.Errorf("%s: KeyMatches = true, want false", tc.name)
		}
	}
}

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"AAAAAAAAAAAAAAAAAAAAAA", true},
		{"abcdefghijklmnopqrstu-", true},
		{"0123456789_-ABCDEFGHIJ", true},
		{"", false},
		{"AAAAAAAAAAAAAAAAAAAAA", false},   // 21
		{"AAAAAAAAAAAAAAAAAAAAAAA", false}, // 23
		{"AAAAAAAAAAAAAAAAAAAAA+", false},  // std alphabet
		{"AAAAAAAAAAAAAAAAAAAAA/", false},
		{"AAAAAAAAAAAAAAAAAAAA==", false},
		{"AAAAAAAAAAAAAAAAAAAA.A", false},
		{"AAAAAAAAAAAAAAAAAAAAé", false}, // 22 bytes, not 22 ASCII letters
		{"../../../../etc/passwd", false},
		{strings.Repeat("A", 21) + "\x00", false},
	} {
		if got := ValidID(tc.s); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}
