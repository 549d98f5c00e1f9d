package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
)

// idBytes and secretBytes size the random values: 128 bits makes ids
// unguessable, 256 bits makes edit keys safe to store only as a hash.
const (
	idBytes     = 16
	secretBytes = 32
	// idLen is len(NewID()): 16 bytes in unpadded base64.
	idLen = 22
)

// NewID returns a random plan or draft id: 16 bytes from crypto/rand in
// unpadded base64url, 22 characters.
func NewID() (string, error) {
	return randomString(idBytes)
}

// NewSecret returns a random edit key: 32 bytes from crypto/rand in unpadded
// base64url, 43 characters. Only its HashKey is ever stored.
func NewSecret() (string, error) {
	return randomString(secretBytes)
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("store: read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashKey returns the SHA-256 of an edit key, the form stored in the database.
// A plain hash suffices (no salt or stretching) because keys are 256 random
// bits, not passwords.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// KeyMatches reports whether key hashes to hash, in constant time so the
// comparison leaks nothing about the stored hash.
func KeyMatches(hash []byte, key string) bool {
	return subtle.ConstantTimeCompare(hash, HashKey(key)) == 1
}

// ValidID reports whether s has the shape of a NewID: exactly 22 characters of
// the base64url alphabet. Handlers use it to answer 404 for malformed ids
// without a database round trip.
func ValidID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
