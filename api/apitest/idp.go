package apitest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/parleychat/parley/api"
)

// IdP is an identity provider for tests: a JWKS endpoint on 127.0.0.1
// serving real generated RSA (RS256) and EC P-256 (ES256) public keys, whose
// private halves sign ID tokens. Its methods are safe for concurrent use.
type IdP struct {
	URL      string // the JWKS URL
	Issuer   string
	Audience string

	mu      sync.Mutex
	served  []*Key
	fetches atomic.Int64
}

// Key is a signing key of an IdP (or of an attacker).
type Key struct {
	ID      string
	Private crypto.Signer // *rsa.PrivateKey or *ecdsa.PrivateKey
	Method  jwt.SigningMethod
}

// StartIdP starts an IdP serving one RSA key ("rsa-1") and one EC key
// ("ec-1") under issuer https://idp.test/<name>, and stops it in t.Cleanup.
func StartIdP(t testing.TB, name string) *IdP {
	t.Helper()
	p := &IdP{Issuer: "https://idp.test/" + name, Audience: "parley-" + name}
	p.Serve(NewRSAKey(t, "rsa-1"), NewECKey(t, "ec-1"))
	srv := httptest.NewServer(http.HandlerFunc(p.serveJWKS))
	t.Cleanup(srv.Close)
	p.URL = srv.URL + "/jwks.json"
	return p
}

// NewRSAKey generates a 2048-bit RSA key for RS256.
func NewRSAKey(t testing.TB, kid string) *Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("apitest: generate rsa key: %v", err)
	}
	return &Key{ID: kid, Private: k, Method: jwt.SigningMethodRS256}
}

// NewECKey generates a P-256 key for ES256.
func NewECKey(t testing.TB, kid string) *Key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("apitest: generate ec key: %v", err)
	}
	return &Key{ID: kid, Private: k, Method: jwt.SigningMethodES256}
}

// Identity returns the server settings that trust p.
func (p *IdP) Identity() api.IdentityConfig {
	return api.IdentityConfig{JWKSURL: p.URL, Issuer: p.Issuer, Audience: p.Audience}
}

// Serve replaces the keys the JWKS lists (a rotation).
func (p *IdP) Serve(keys ...*Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.served = keys
}

// Key returns the served key with id kid, or nil.
func (p *IdP) Key(kid string) *Key {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.served {
		if k.ID == kid {
			return k
		}
	}
	return nil
}

// Fetches returns how often the JWKS was fetched.
func (p *IdP) Fetches() int { return int(p.fetches.Load()) }

// Claims returns the claims of a valid ID token of sub: p's issuer and
// audience, issued now, expiring in an hour, with an e-mail address.
func (p *IdP) Claims(sub string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": p.Issuer, "aud": p.Audience, "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"email": sub + "@example.com", "name": "External " + sub,
	}
}

// Token returns a valid ID token of sub signed with the served key kid.
func (p *IdP) Token(t testing.TB, kid, sub string) string {
	t.Helper()
	k := p.Key(kid)
	if k == nil {
		t.Fatalf("apitest: idp serves no key %q", kid)
	}
	return k.Sign(t, p.Claims(sub))
}

// Sign returns a token of claims signed with k, with k's id as kid.
func (k *Key) Sign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(k.Method, claims)
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString(k.Private)
	if err != nil {
		t.Fatalf("apitest: sign token: %v", err)
	}
	return s
}

// JWK returns the public JWK of k, as the IdP serves it.
func (k *Key) JWK() map[string]string {
	enc := base64.RawURLEncoding.EncodeToString
	j := map[string]string{"kid": k.ID, "use": "sig", "alg": k.Method.Alg()}
	switch pk := k.Private.(type) {
	case *rsa.PrivateKey:
		j["kty"], j["n"], j["e"] = "RSA", enc(pk.N.Bytes()), enc(big.NewInt(int64(pk.E)).Bytes())
	case *ecdsa.PrivateKey:
		raw, _ := pk.PublicKey.Bytes() // 0x04 || X || Y; a generated P-256 key always encodes
		j["kty"], j["crv"], j["x"], j["y"] = "EC", "P-256", enc(raw[1:33]), enc(raw[33:])
	}
	return j
}

func (p *IdP) serveJWKS(w http.ResponseWriter, r *http.Request) {
	p.fetches.Add(1)
	p.mu.Lock()
	keys := make([]map[string]string, 0, len(p.served))
	for _, k := range p.served {
		keys = append(keys, k.JWK())
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys}) // a failed write is the client's problem
}
