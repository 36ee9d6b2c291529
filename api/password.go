package api

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id's cost parameters. The defaults follow OWASP's
// password storage guidance (19 MiB, 2 passes, 1 lane: about 20-40 ms on a
// server core), so a login costs the server far less than a guess costs an
// attacker offline. Every hash records its own parameters, so raising them
// later keeps old hashes verifiable.
type PasswordParams struct {
	MemoryKiB uint32 // zero means 19456 (19 MiB)
	Time      uint32 // passes; zero means 2
	Threads   uint8  // lanes; zero means 1
}

const (
	saltLen = 16
	keyLen  = 32
	// maxHashMemoryKiB bounds the memory a stored hash may ask for, so a
	// corrupted or hostile hash record cannot make one login allocate gigabytes.
	maxHashMemoryKiB = 1 << 20
)

var errBadHash = errors.New("api: malformed password hash")

func (p PasswordParams) withDefaults() PasswordParams {
	if p.MemoryKiB == 0 {
		p.MemoryKiB = 19456
	}
	if p.Time == 0 {
		p.Time = 2
	}
	if p.Threads == 0 {
		p.Threads = 1
	}
	return p
}

// hashPassword returns the PHC string of password with a fresh salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> (unpadded standard base64).
func hashPassword(password string, p PasswordParams) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never returns an error since Go 1.24
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// verifyPassword reports whether password matches the PHC string encoded.
// The comparison is constant time; a malformed hash is an error, never a match.
func verifyPassword(password, encoded string) (bool, error) {
	p, salt, want, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func parseHash(encoded string) (p PasswordParams, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	if p.MemoryKiB == 0 || p.MemoryKiB > maxHashMemoryKiB || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
