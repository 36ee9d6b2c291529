package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/parleychat/parley"
)

func TestTokenAlg(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for raw, want := range map[string]string{
		enc(`{"alg":"HS256"}`) + ".e30.x":                                       "HS256",
		enc(`{"alg":"RS256","kid":"k"}`) + ".e30.x":                             "RS256",
		enc(`{"alg":"HS256","alg":"ES256"}`) + ".e30.x":                         "ES256", // the last wins, as in the jwt parser
		enc(`{"alg":1}`) + ".e30.x":                                             "",
		enc(`{"alg":"RS256","kid":"`+strings.Repeat("k", 2000)+`"}`) + ".e30.x": "",
		"no-dot": "", "": "", "!!!.e30.x": "", strings.Repeat(".", 1<<20): "",
	} {
		if got := tokenAlg(raw); got != want {
			t.Errorf("tokenAlg(%.40q) = %q, want %q", raw, got, want)
		}
	}
}

func TestKeyFits(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, tc := range []struct {
		name string
		alg  string
		key  any
		want bool
	}{
		{"RS256RSA", "RS256", &rk.PublicKey, true},
		{"ES256P256", "ES256", &p256.PublicKey, true},
		{"HS256RSA", "HS256", &rk.PublicKey, false},
		{"ES256RSA", "ES256", &rk.PublicKey, false},
		{"RS256EC", "RS256", &p256.PublicKey, false},
		{"RS256Small", "RS256", &small.PublicKey, false},
		{"ES256P384", "ES256", &p384.PublicKey, false},
		{"RS256Bytes", "RS256", []byte("secret"), false},
		{"RS256Private", "RS256", rk, false},
	} {
		if got := keyFits(tc.alg, tc.key); got != tc.want {
			t.Errorf("%s: keyFits = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUsernameCandidates(t *testing.T) {
	for email, first := range map[string]string{
		"Alice.Smith+chat@example.com": "alice.smith", "al@example.com": "", "": "", "no-at-sign": "",
		"Ünïcode@example.com": "ncode", strings.Repeat("x", 40) + "@e.com": strings.Repeat("x", 24), "a b'; DROP--@e.com": "abdrop--",
	} {
		c := usernameCandidates("iss|sub", email)
		if len(c) == 0 || len(c) > usernameAttempts {
			t.Fatalf("%q: %d candidates", email, len(c))
		}
		if first != "" && c[0] != first {
			t.Errorf("%q: first candidate %q, want %q", email, c[0], first)
		}
		for _, name := range c {
			if err := parley.CheckUsername(name); err != nil {
				t.Errorf("%q: candidate %q is not a valid username: %v", email, name, err)
			}
		}
	}
	a, b := usernameCandidates("iss|a", "x@e.com"), usernameCandidates("iss|b", "x@e.com")
	if a[1] == b[1] {
		t.Errorf("two identities share the suffixed candidate %q", a[1])
	}
}

func TestTicketCredential(t *testing.T) {
	p, fallback := parley.Principal{User: "u1"}, time.Unix(2000, 0)
	exp := time.Unix(1_900_000_000, 0)
	issued := newTicket(credential{Principal: p, Expires: exp, Family: "fam1"})
	if got := ticketCredential(issued, p, fallback); got.Expires != exp || got.Family != "fam1" || got.Principal != p {
		t.Errorf("round trip = %+v", got)
	}
	minted := newTicket(credential{Principal: p, Expires: exp})
	if got := ticketCredential(minted, p, fallback); got.Expires != exp || got.Family != "" {
		t.Errorf("ticket without family = %+v", got)
	}
	for _, bad := range []string{"legacy-ticket", "a.b.c", "a.-5.f", "a.100.bad family", "a.1.2.3"} {
		if got := ticketCredential(bad, p, fallback); got.Expires != fallback || got.Family != "" {
			t.Errorf("ticketCredential(%q) = %+v, want the fallback", bad, got)
		}
	}
}

func TestOnlyExpired(t *testing.T) {
	join := func(errs ...error) error { return errors.Join(errs...) }
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{join(jwt.ErrTokenInvalidClaims, jwt.ErrTokenExpired), true},
		{join(jwt.ErrTokenInvalidClaims, jwt.ErrTokenExpired, jwt.ErrTokenInvalidIssuer), false},
		{join(jwt.ErrTokenExpired, jwt.ErrTokenSignatureInvalid), false},
		{join(jwt.ErrTokenExpired, errClaimsShape), false},
		{jwt.ErrTokenMalformed, false},
		{nil, false},
	} {
		if got := onlyExpired(tc.err); got != tc.want {
			t.Errorf("onlyExpired(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestIdentityConfig_Check(t *testing.T) {
	for _, tc := range []struct {
		cfg IdentityConfig
		ok  bool
	}{
		{IdentityConfig{}, true},
		{FirebaseIdentity("proj-1"), true},
		{IdentityConfig{JWKSURL: "https://x/j", Issuer: "i"}, false},
		{IdentityConfig{JWKSURL: "ftp://x/j", Issuer: "i", Audience: "a"}, false},
		{IdentityConfig{JWKSURL: "/relative", Issuer: "i", Audience: "a"}, false},
		{IdentityConfig{Audience: "a"}, false},
	} {
		if err := tc.cfg.Check(); (err == nil) != tc.ok {
			t.Errorf("Check(%+v) = %v, want ok %v", tc.cfg, err, tc.ok)
		}
	}
}
