package parley

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// RoomID identifies a room. IDs are typed so that swapped arguments do not compile.
type RoomID string

// UserID identifies a user.
type UserID string

// MessageID identifies a stored message independently of its room sequence number.
type MessageID string

// ConnID identifies one client connection (a WebSocket) on one node.
type ConnID string

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a random 128-bit identifier as 26 lower-case Crockford base32
// characters: URL safe, unguessable and fixed in length.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error since Go 1.24
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the shape of an identifier this package issues or
// accepts from outside: 1 to 64 characters of [a-zA-Z0-9_-]. It keeps path
// segments, query operators and control characters out of store queries.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) < 0
}
