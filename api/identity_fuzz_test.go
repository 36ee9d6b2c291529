package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/parleychat/parley"
)

// fuzzNow is the clock of the token fuzz targets: the seed corpus holds
// tokens issued just before it and valid for a day after.
var fuzzNow = time.Unix(1_800_000_000, 0)

// fuzzIdentity is the issuer the fuzz verifier trusts.
var fuzzIdentity = IdentityConfig{JWKSURL: "https://idp.invalid/jwks", Issuer: "https://idp.invalid", Audience: "parley-fuzz"}

// fuzzKeys are fixed test keys (testdata/fuzz_rsa_key.pem, a P-256 scalar),
// so that corpus entries stay validly signed across runs. They sign nothing
// outside tests.
type fuzzKeys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}

func loadFuzzKeys(tb testing.TB) fuzzKeys {
	tb.Helper()
	data, err := os.ReadFile("testdata/fuzz_rsa_key.pem")
	if err != nil {
		tb.Fatal(err)
	}
	block, _ := pem.Decode(data)
	rk, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	scalar := make([]byte, 32)
	scalar[31] = 42
	ek, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar)
	if err != nil {
		tb.Fatal(err)
	}
	return fuzzKeys{rsa: rk, ec: ek}
}

// verifier returns an external verifier over a static key set of k (no HTTP).
func (k fuzzKeys) verifier(tb testing.TB) *externalVerifier {
	tb.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	ecRaw, err := k.ec.PublicKey.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	set, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig", "n": enc(k.rsa.N.Bytes()), "e": enc(big.NewInt(int64(k.rsa.E)).Bytes())},
		{"kty": "EC", "kid": "ec-1", "alg": "ES256", "use": "sig", "crv": "P-256", "x": enc(ecRaw[1:33]), "y": enc(ecRaw[33:])},
	}})
	keys, err := keyfunc.NewJWKSetJSON(set)
	if err != nil {
		tb.Fatal(err)
	}
	return &externalVerifier{keys: keys, parser: newExternalParser(fuzzIdentity, tokenLeeway, func() time.Time { return fuzzNow })}
}

func (k fuzzKeys) sign(tb testing.TB, m jwt.SigningMethod, kid string, key any, sub string) string {
	tb.Helper()
	tok := jwt.NewWithClaims(m, jwt.MapClaims{
		"iss": fuzzIdentity.Issuer, "aud": fuzzIdentity.Audience, "sub": sub,
		"iat": fuzzNow.Add(-time.Minute).Unix(), "exp": fuzzNow.Add(24 * time.Hour).Unix(),
	})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// FuzzExternalVerify feeds one token to both verifiers the way a request
// does (the header's alg picks one): nothing panics, no token passes both,
// and what passes names a subject that was signed: HS256 "u1" with Parley's
// secret, RS256 "fz-rsa" and ES256 "fz-ec" with the IdP's keys.
func FuzzExternalVerify(f *testing.F) {
	k := loadFuzzKeys(f)
	ext := k.verifier(f)
	hs := testTokens(fuzzNow)
	good, _ := MintAccessToken(testSecret, "", parley.Principal{User: "u1"}, time.Hour, fuzzNow)
	pub, _ := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	for _, s := range []string{
		good, k.sign(f, jwt.SigningMethodRS256, "rsa-1", k.rsa, "fz-rsa"), k.sign(f, jwt.SigningMethodES256, "ec-1", k.ec, "fz-ec"),
		k.sign(f, jwt.SigningMethodHS256, "rsa-1", pubPEM, "fz-confused"), k.sign(f, jwt.SigningMethodES256, "rsa-1", k.ec, "fz-mix"),
		k.sign(f, jwt.SigningMethodRS256, "../../../../dev/null", k.rsa, "fz-kid"), k.sign(f, jwt.SigningMethodRS256, strings.Repeat("k", 200), k.rsa, "fz-long"),
		"eyJhbGciOiJub25lIiwia2lkIjoicnNhLTEifQ.e30.", strings.Repeat(".", 64), "a.b.c", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_ = tokenAlg(raw) // must not panic on anything
		var hsSub, extSub string
		if c, err := hs.parse(raw, typAccess); err == nil {
			hsSub = c.Subject
		}
		if c, err := ext.verify(t.Context(), raw); err == nil {
			extSub = c.Subject
		}
		switch {
		case hsSub != "" && extSub != "":
			t.Fatalf("both verifiers accepted %q", raw)
		case hsSub != "" && (hsSub != "u1" || tokenAlg(raw) != "HS256"):
			t.Fatalf("HS256 path accepted %q as %q", raw, hsSub)
		case extSub != "" && !(extSub == "fz-rsa" && tokenAlg(raw) == "RS256" || extSub == "fz-ec" && tokenAlg(raw) == "ES256"):
			t.Fatalf("external path accepted %q as %q", raw, extSub)
		}
	})
}

// TestExternalVerify_Seeds checks the fuzz seeds do what their names say, so
// the corpus starts from both sides of the line.
func TestExternalVerify_Seeds(t *testing.T) {
	k := loadFuzzKeys(t)
	ext := k.verifier(t)
	for name, tc := range map[string]struct {
		raw  string
		pass bool
	}{
		"RS256":         {k.sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, "fz-rsa"), true},
		"ES256":         {k.sign(t, jwt.SigningMethodES256, "ec-1", k.ec, "fz-ec"), true},
		"HS256Confused": {k.sign(t, jwt.SigningMethodHS256, "rsa-1", func() []byte { b, _ := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey); return b }(), "x"), false},
		"KIDOfOtherKey": {k.sign(t, jwt.SigningMethodES256, "rsa-1", k.ec, "x"), false},
		"NoKID":         {k.sign(t, jwt.SigningMethodRS256, "", k.rsa, "x"), false},
	} {
		_, err := ext.verify(t.Context(), tc.raw)
		if (err == nil) != tc.pass {
			t.Errorf("%s: verify = %v, want pass %v", name, err, tc.pass)
		}
	}
	for _, name := range []string{"rs256_valid", "es256_valid"} { // the committed corpus too
		data, err := os.ReadFile("testdata/fuzz/FuzzExternalVerify/" + name)
		if err != nil {
			t.Fatal(err)
		}
		_, line, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
		raw, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "string("), ")"))
		if err != nil {
			t.Fatalf("corpus %s: %v", name, err)
		}
		if _, err := ext.verify(t.Context(), raw); err != nil {
			t.Errorf("corpus %s: verify = %v, want accepted", name, err)
		}
	}
}
