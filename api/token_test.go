package api

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/parleychat/parley"
)

var testSecret = []byte("token-test-secret-0123456789abcd")

func testTokens(now time.Time) tokens {
	return tokens{secret: testSecret, issuer: "parley", now: func() time.Time { return now }}
}

func TestTokens_RoundTrip(t *testing.T) {
	now := time.Now()
	tk := testTokens(now)
	p := parley.Principal{User: "u1", Admin: true}
	access, refresh, err := tk.pair(p, "fam1", time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tk.parse(access, typAccess)
	if err != nil || c.principal() != p || c.Family != "fam1" {
		t.Fatalf("parse access = %+v, %v", c, err)
	}
	if _, err := tk.parse(access, typRefresh); !errors.Is(err, parley.ErrUnauthorized) {
		t.Errorf("access token used as refresh: err = %v, want unauthorized", err)
	}
	if _, err := tk.parse(refresh, typAccess); !errors.Is(err, parley.ErrUnauthorized) {
		t.Errorf("refresh token used as access: err = %v, want unauthorized", err)
	}
	minted, err := MintAccessToken(testSecret, "", p, time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := tk.parse(minted, typAccess); err != nil || c.principal() != p || c.Family != "" {
		t.Errorf("minted token = %+v, %v", c, err)
	}
	if _, err := MintAccessToken(testSecret, "", parley.Principal{User: "bad id"}, time.Minute, now); err == nil {
		t.Error("MintAccessToken accepted an invalid user id")
	}
}

func TestTokens_Expiry(t *testing.T) {
	now := time.Now()
	tk := testTokens(now)
	expired, err := MintAccessToken(testSecret, "", parley.Principal{User: "u1"}, -time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.parse(expired, typAccess); !errors.Is(err, parley.ErrTokenExpired) {
		t.Errorf("expired token: err = %v, want token_expired", err)
	}
	// Expired AND forged: the signature check comes first, so it is merely invalid.
	forged, _ := MintAccessToken([]byte("another-secret-0123456789abcdefg"), "", parley.Principal{User: "u1"}, -time.Hour, now)
	if _, err := tk.parse(forged, typAccess); !errors.Is(err, parley.ErrUnauthorized) {
		t.Errorf("expired forged token: err = %v, want unauthorized", err)
	}
	// Within the leeway an expired token still works.
	recent, _ := MintAccessToken(testSecret, "", parley.Principal{User: "u1"}, -10*time.Second, now)
	if _, err := tk.parse(recent, typAccess); err != nil {
		t.Errorf("token 10s past exp: err = %v, want accepted (leeway)", err)
	}
}

// TestTokens_Hostile covers algorithm confusion, missing or ill-typed claims
// and oversized tokens: every one is 401.
func TestTokens_Hostile(t *testing.T) {
	now := time.Now()
	tk := testTokens(now)
	exp := now.Add(time.Hour).Unix()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	claims := jwt.MapClaims{"sub": "u1", "typ": "access", "iss": "parley", "exp": exp, "jti": "j1"}
	cases := map[string]string{
		"AlgNone":          unsigned(`{"alg":"none","typ":"JWT"}`, claims),
		"HS256WithRSAPub":  signWith(t, jwt.SigningMethodHS256, pubPEM, claims),
		"RS256":            signWith(t, jwt.SigningMethodRS256, key, claims),
		"HS512":            signWith(t, jwt.SigningMethodHS512, testSecret, claims),
		"NoExp":            signWith(t, jwt.SigningMethodHS256, testSecret, without(claims, "exp")),
		"ExpString":        signWith(t, jwt.SigningMethodHS256, testSecret, with(claims, "exp", "9999999999")),
		"WrongIssuer":      signWith(t, jwt.SigningMethodHS256, testSecret, with(claims, "iss", "evil")),
		"NoType":           signWith(t, jwt.SigningMethodHS256, testSecret, without(claims, "typ")),
		"BadSubject":       signWith(t, jwt.SigningMethodHS256, testSecret, with(claims, "sub", `{"$ne":null}`)),
		"SubjectObject":    signWith(t, jwt.SigningMethodHS256, testSecret, with(claims, "sub", map[string]any{"$ne": nil})),
		"AdminString":      signWith(t, jwt.SigningMethodHS256, testSecret, with(claims, "adm", "true")),
		"IssuedInFuture":   signWith(t, jwt.SigningMethodHS256, testSecret, with(claims, "iat", now.Add(time.Hour).Unix())),
		"NotYetValid":      signWith(t, jwt.SigningMethodHS256, testSecret, with(claims, "nbf", now.Add(time.Hour).Unix())),
		"Dots":             "Bearer " + strings.Repeat(".", 1<<20),
		"Empty":            "",
		"Garbage":          "not-a-token",
		"TamperedPayload":  tamper(signWith(t, jwt.SigningMethodHS256, testSecret, claims)),
		"RefreshNoFamily":  signWith(t, jwt.SigningMethodHS256, testSecret, with(claims, "typ", "refresh")),
		"BadFamilyShape":   signWith(t, jwt.SigningMethodHS256, testSecret, with(claims, "fam", "a b")),
		"SignatureDropped": dropSignature(signWith(t, jwt.SigningMethodHS256, testSecret, claims)),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			typ := typAccess
			if name == "RefreshNoFamily" {
				typ = typRefresh
			}
			if _, err := tk.parse(raw, typ); !errors.Is(err, parley.ErrUnauthorized) {
				t.Errorf("parse = %v, want unauthorized", err)
			}
		})
	}
}

func signWith(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func unsigned(header string, c jwt.MapClaims) string {
	enc := base64.RawURLEncoding
	payload, _ := jwt.NewWithClaims(jwt.SigningMethodNone, c).SigningString()
	_, body, _ := strings.Cut(payload, ".")
	return enc.EncodeToString([]byte(header)) + "." + body + "."
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for kk, vv := range c {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func without(c jwt.MapClaims, k string) jwt.MapClaims {
	out := with(c, k, nil)
	delete(out, k)
	return out
}

func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"sub":"u1"`, `"sub":"u2"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func dropSignature(tok string) string { return tok[:strings.LastIndex(tok, ".")+1] }

func TestPassword(t *testing.T) {
	p := PasswordParams{MemoryKiB: 1024, Time: 1, Threads: 1}
	h := hashPassword("correct horse", p)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash = %q", h)
	}
	if ok, err := verifyPassword("correct horse", h); !ok || err != nil {
		t.Errorf("verify right password = %v, %v", ok, err)
	}
	if ok, err := verifyPassword("wrong horse", h); ok || err != nil {
		t.Errorf("verify wrong password = %v, %v", ok, err)
	}
	if h2 := hashPassword("correct horse", p); h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=1024,t=1,p=0$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5"} {
		if ok, err := verifyPassword("x", bad); ok || err == nil {
			t.Errorf("verify against %q = %v, %v; want an error", bad, ok, err)
		}
	}
	if d := (PasswordParams{}).withDefaults(); d != (PasswordParams{MemoryKiB: 19456, Time: 2, Threads: 1}) {
		t.Errorf("default params = %+v", d)
	}
}
