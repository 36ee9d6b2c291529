package api_test

import (
	"bufio"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
)

// startWithIdP starts an Env that trusts idp's tokens.
func startWithIdP(t *testing.T, idp *apitest.IdP) *apitest.Env {
	t.Helper()
	return apitest.StartWith(t, apitest.Options{Config: api.Config{Identity: idp.Identity()}})
}

func me(t *testing.T, e *apitest.Env, token string) wsproto.User {
	t.Helper()
	var u wsproto.User
	e.Do(t, http.MethodGet, "/api/auth/me", token, nil).Expect(t, http.StatusOK).JSON(t, &u)
	return u
}

// TestIdentity_ExternalSignIn: an ID token signed with the IdP's RSA or EC key
// works for REST and the WebSocket handshake; the first one creates the
// account, linked by issuer and subject, and later ones find it.
func TestIdentity_ExternalSignIn(t *testing.T) {
	idp := apitest.StartIdP(t, "signin")
	e := startWithIdP(t, idp)
	first := me(t, e, idp.Token(t, "rsa-1", "ext-alice"))
	if first.Username != "ext-alice" || first.DisplayName != "External ext-alice" || first.IsAdmin {
		t.Fatalf("first sign-in created %+v", first)
	}
	if again := me(t, e, idp.Token(t, "ec-1", "ext-alice")); again.ID != first.ID {
		t.Fatalf("ES256 token of the same subject = user %s, want %s", again.ID, first.ID)
	}
	stored, err := e.Store.UserByExternalID(t.Context(), idp.Issuer+"|ext-alice")
	if err != nil || string(stored.ID) != first.ID || stored.PasswordHash != "" {
		t.Fatalf("stored link = %+v, %v", stored, err)
	}
	// Another subject with the same e-mail local part gets another username.
	claims := idp.Claims("ext-alice-2")
	claims["email"] = "ext-alice@other.example"
	twin := me(t, e, idp.Key("rsa-1").Sign(t, claims))
	if twin.ID == first.ID || twin.Username == first.Username || parley.CheckUsername(twin.Username) != nil {
		t.Fatalf("namesake = %+v, first = %+v", twin, first)
	}
	// No e-mail at all: a username derived from the identity.
	claims = idp.Claims("ext-nomail")
	delete(claims, "email")
	if u := me(t, e, idp.Key("ec-1").Sign(t, claims)); parley.CheckUsername(u.Username) != nil {
		t.Fatalf("user without e-mail = %+v", u)
	}
	// REST writes and the WebSocket work with the external token.
	tok := idp.Token(t, "ec-1", "ext-alice")
	room := createRoom(t, e, tok, "external", "public").ID
	w := e.MustDialWS(t, tok)
	w.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room, "since": 0})
	if r := w.Reply(t, 1); r["ok"] != true {
		t.Fatalf("subscribe with an external token = %v", r)
	}
}

// TestIdentity_ConcurrentFirstSignIn: many first requests of one identity at
// once create one account.
func TestIdentity_ConcurrentFirstSignIn(t *testing.T) {
	idp := apitest.StartIdP(t, "race")
	e := startWithIdP(t, idp)
	tok := idp.Token(t, "rsa-1", "ext-racer")
	ids := make([]string, 20)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			resp, err := e.Client.Do(bearer(t, e, tok))
			if err != nil {
				return
			}
			defer resp.Body.Close()
			var u wsproto.User
			if json.NewDecoder(resp.Body).Decode(&u) == nil {
				ids[i] = u.ID
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("concurrent first sign-ins = %q, want one user", ids)
		}
	}
}

func bearer(t *testing.T, e *apitest.Env, token string) *http.Request {
	req := e.NewRequest(t, http.MethodGet, "/api/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// rejection is a hostile token and why it must fail.
type rejection struct {
	name  string
	token string
	code  string // the problem code: unauthorized, or token_expired for a well-signed expired token
}

// hostileTokens builds every token TestIdentity_Rejections sends. Each uses a
// subject of its own, so the test can check no account was created.
func hostileTokens(t *testing.T, idp, other *apitest.IdP) []rejection {
	h := hostile{t: t, idp: idp, rsa: idp.Key("rsa-1"), ec: idp.Key("ec-1"), now: time.Now()}
	return append(h.keyAttacks(other), h.claimAttacks()...)
}

// hostile builds attack tokens against idp's issuer.
type hostile struct {
	t       *testing.T
	idp     *apitest.IdP
	rsa, ec *apitest.Key
	now     time.Time
}

// claims returns valid claims of sub with the given keys set (nil deletes).
func (h hostile) claims(sub string, kv ...any) jwt.MapClaims {
	m := h.idp.Claims(sub)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(m, kv[i].(string))
		} else {
			m[kv[i].(string)] = kv[i+1]
		}
	}
	return m
}

// keyAttacks are tokens with the right claims and the wrong key, algorithm,
// kid or signature (B-53, B-54).
func (h hostile) keyAttacks(other *apitest.IdP) []rejection {
	t, c := h.t, h.claims
	pub, err := x509.MarshalPKIXPublicKey(&h.rsa.Private.(*rsa.PrivateKey).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	jwkBytes, _ := json.Marshal(h.rsa.JWK())
	attacker := apitest.NewRSAKey(t, "rsa-1") // same kid as the IdP's key, another key
	hs := func(secret []byte, claims jwt.MapClaims, header map[string]any) string {
		return signRaw(t, "HS256", header, claims, func(in []byte) []byte { return hmacSHA256(secret, in) })
	}
	return []rejection{
		{"AlgNone", unsignedToken(map[string]any{"alg": "none", "kid": "rsa-1"}, c("x-none")), "unauthorized"},
		{"AlgNoneCaps", unsignedToken(map[string]any{"alg": "NONE", "kid": "rsa-1"}, c("x-none2")), "unauthorized"},
		{"HS256WithRSAPublicKeyPEM", hs(pubPEM, c("x-hs-pem"), map[string]any{"kid": "rsa-1"}), "unauthorized"},
		{"HS256WithJWKBytes", hs(jwkBytes, c("x-hs-jwk"), map[string]any{"kid": "rsa-1"}), "unauthorized"},
		{"HS256WithParleySecretExternalClaims", hs(apitest.Secret, c("x-hs-secret"), nil), "unauthorized"},
		{"RS256SignedWithHMAC", signRaw(t, "RS256", map[string]any{"kid": "rsa-1"}, c("x-rs-hmac"),
			func(in []byte) []byte { return hmacSHA256(apitest.Secret, in) }), "unauthorized"},
		{"UnknownKID", apitest.NewRSAKey(t, "nope").Sign(t, c("x-unknown")), "unauthorized"},
		{"NoKID", noKID(t, h.rsa, c("x-nokid")), "unauthorized"},
		{"OtherIssuersKeySameKID", attacker.Sign(t, c("x-samekid")), "unauthorized"},
		{"ExpiredAndForged", attacker.Sign(t, c("x-expforged", "iat", h.now.Add(-2*time.Hour).Unix(), "exp", h.now.Add(-time.Hour).Unix())), "unauthorized"},
		{"OtherIssuersToken", other.Token(t, "rsa-1", "x-other"), "unauthorized"},
		{"OtherIssuersKeyOurClaims", other.Key("ec-1").Sign(t, c("x-other2")), "unauthorized"},
		{"ES256WithRSAKeyKID", withKIDOf(t, h.ec, "rsa-1", c("x-mix1")), "unauthorized"},
		{"RS256WithECKeyKID", withKIDOf(t, h.rsa, "ec-1", c("x-mix2")), "unauthorized"},
		{"RS512", signMethod(t, jwt.SigningMethodRS512, h.rsa, c("x-rs512")), "unauthorized"},
		{"PS256", signMethod(t, jwt.SigningMethodPS256, h.rsa, c("x-ps256")), "unauthorized"},
		{"TamperedPayload", tamperSub(h.rsa.Sign(t, c("x-tamper")), "x-tamper", "x-tampr"), "unauthorized"},
		{"SignatureDropped", dropSig(h.rsa.Sign(t, c("x-nosig"))), "unauthorized"},
		{"KIDTraversal", withKIDOf(t, h.rsa, "../../../../dev/null", c("x-kid1")), "unauthorized"},
		{"KIDSQL", withKIDOf(t, h.rsa, "' OR 1=1 --", c("x-kid2")), "unauthorized"},
		{"KIDNumber", withKIDOf(t, h.rsa, 7, c("x-kid3")), "unauthorized"},
		{"KIDLong", withKIDOf(t, h.rsa, strings.Repeat("k", 1000), c("x-kid4")), "unauthorized"},
		{"Garbage", "not-a-token", "unauthorized"},
		{"Dots4K", strings.Repeat(".", 4000), "unauthorized"},
	}
}

// claimAttacks are tokens signed by the IdP's own keys whose claims are
// wrong: times, issuer, audience, subject (B-52, B-53).
func (h hostile) claimAttacks() []rejection {
	t, c, now, rk, ek := h.t, h.claims, h.now, h.rsa, h.ec
	return []rejection{
		{"Expired", rk.Sign(t, c("x-expired", "iat", now.Add(-2*time.Hour).Unix(), "exp", now.Add(-time.Hour).Unix())), "token_expired"},
		{"ExpiredWrongIssuer", rk.Sign(t, c("x-expired-iss", "iss", "https://evil.test", "exp", now.Add(-time.Hour).Unix())), "unauthorized"},
		{"NotYetValid", rk.Sign(t, c("x-nbf", "nbf", now.Add(time.Hour).Unix())), "unauthorized"},
		{"IssuedInFuture", rk.Sign(t, c("x-iat", "iat", now.Add(time.Hour).Unix())), "unauthorized"},
		{"WrongIssuer", ek.Sign(t, c("x-iss", "iss", "https://evil.test")), "unauthorized"},
		{"WrongAudience", ek.Sign(t, c("x-aud", "aud", "someone-else")), "unauthorized"},
		{"NoAudience", ek.Sign(t, c("x-noaud", "aud", nil)), "unauthorized"},
		{"MissingSubject", rk.Sign(t, c("x-nosub", "sub", nil)), "unauthorized"},
		{"EmptySubject", rk.Sign(t, c("x-empty", "sub", "")), "unauthorized"},
		{"SubjectWithControl", rk.Sign(t, c("x-ctl", "sub", "a\nb")), "unauthorized"},
		{"SubjectTooLong", rk.Sign(t, c("x-long", "sub", strings.Repeat("s", 300))), "unauthorized"},
		{"SubjectObject", rk.Sign(t, c("x-obj", "sub", map[string]any{"$ne": nil})), "unauthorized"},
		{"ExpAsString", rk.Sign(t, c("x-expstr", "exp", fmt.Sprint(now.Add(time.Hour).Unix()))), "unauthorized"},
		{"MissingExp", rk.Sign(t, c("x-noexp", "exp", nil)), "unauthorized"},
		{"MissingIat", rk.Sign(t, c("x-noiat", "iat", nil)), "unauthorized"},
	}
}

// TestIdentity_Rejections sends every hostile token to GET /api/auth/me and to
// the WebSocket handshake of a server that trusts the IdP: each gets 401, with
// nothing in the answer but the sentinel's code and title, and none creates
// an account.
func TestIdentity_Rejections(t *testing.T) {
	idp, other := apitest.StartIdP(t, "victim"), apitest.StartIdP(t, "other")
	e := startWithIdP(t, idp)
	me(t, e, idp.Token(t, "rsa-1", "x-control")) // the IdP works: the rejections are the tokens' fault
	for _, tc := range hostileTokens(t, idp, other) {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.Do(t, http.MethodGet, "/api/auth/me", tc.token, nil).Expect(t, http.StatusUnauthorized)
			p := resp.Problem(t)
			want := parley.FromCode(tc.code)
			if p.Code != tc.code || p.Title != want.Error() || p.Detail != "" || p.Field != "" {
				t.Errorf("problem = %+v, want code %s with the sentinel's title only", p, tc.code)
			}
			_, hresp, err := e.DialWS(t, tc.token, nil)
			if err == nil || hresp == nil || hresp.StatusCode != http.StatusUnauthorized {
				t.Errorf("ws handshake: resp %v, err %v; want 401", hresp, err)
			}
		})
	}
	for _, sub := range []string{"x-none", "x-hs-pem", "x-hs-jwk", "x-unknown", "x-expired", "x-expforged", "x-samekid", "x-other", "x-tampr"} {
		for _, iss := range []string{idp.Issuer, other.Issuer} {
			if _, err := e.Store.UserByExternalID(t.Context(), iss+"|"+sub); !errors.Is(err, parley.ErrUserNotFound) {
				t.Errorf("a rejected token of %s|%s left an account: %v", iss, sub, err)
			}
		}
	}
}

// TestIdentity_NoKeyURLFromToken: a token naming a key URL (jku, x5u) or
// carrying its own key (jwk) is refused, and the URL is never fetched.
func TestIdentity_NoKeyURLFromToken(t *testing.T) {
	idp := apitest.StartIdP(t, "jku")
	e := startWithIdP(t, idp)
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{}}) // never reached, one hopes
	}))
	t.Cleanup(evil.Close)
	own := apitest.NewRSAKey(t, "evil-1")
	for _, h := range []string{"jku", "x5u"} {
		for _, k := range []*apitest.Key{own, idp.Key("rsa-1")} { // with a key of the IdP too: the header alone refuses it
			tok := jwt.NewWithClaims(k.Method, idp.Claims("x-"+h))
			tok.Header["kid"], tok.Header[h] = k.ID, evil.URL+"/keys"
			raw, err := tok.SignedString(k.Private)
			if err != nil {
				t.Fatal(err)
			}
			e.Do(t, http.MethodGet, "/api/auth/me", raw, nil).Expect(t, http.StatusUnauthorized)
		}
	}
	tok := jwt.NewWithClaims(own.Method, idp.Claims("x-jwk"))
	tok.Header["kid"], tok.Header["jwk"] = own.ID, own.JWK()
	raw, _ := tok.SignedString(own.Private)
	e.Do(t, http.MethodGet, "/api/auth/me", raw, nil).Expect(t, http.StatusUnauthorized)
	if n := hits.Load(); n != 0 {
		t.Fatalf("the server fetched a URL named by a token %d times", n)
	}
}

// TestIdentity_OversizedBearer is B-51: a megabyte of dots, and 8 KB, in the
// Authorization header of REST and of the WebSocket handshake are refused
// (431 by the header limit, or 401) within a second, and the server serves on.
func TestIdentity_OversizedBearer(t *testing.T) {
	idp := apitest.StartIdP(t, "dots")
	e := startWithIdP(t, idp)
	for _, n := range []int{1 << 20, 8 << 10} {
		for _, target := range []string{"GET /api/auth/me HTTP/1.1\r\n", "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"} {
			start := time.Now()
			status := rawStatus(t, e.Addr, target+"Host: "+e.Addr+"\r\nAuthorization: Bearer "+strings.Repeat(".", n)+"\r\n\r\n")
			took := time.Since(start)
			t.Logf("%d dots to %s: %q in %v", n, strings.Fields(target)[1], status, took.Round(time.Microsecond))
			if status != "431" && status != "401" {
				t.Errorf("%d dots to %s: status %q, want 431 or 401", n, strings.Fields(target)[1], status)
			}
			if took > time.Second {
				t.Errorf("%d dots took %v, want well under a second", n, took)
			}
		}
	}
	me(t, e, idp.Token(t, "rsa-1", "x-after-dots"))
}

// rawStatus writes req on a fresh connection, while reading, and returns the
// response's status code ("" if the server closed without one).
func rawStatus(t *testing.T, addr, req string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = conn.Write([]byte(req)) }() // the server may answer and close before reading it all
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return ""
	}
	if f := strings.Fields(line); len(f) >= 2 {
		return f[1]
	}
	return ""
}

// TestIdentity_KeyRotation: the IdP replaces its RSA key mid-test. Tokens of
// the new kid work after the refresh their unknown kid triggers; tokens of the
// removed key stop working; and the refresh is rate limited, so a burst of
// made-up kids fetches nothing more.
func TestIdentity_KeyRotation(t *testing.T) {
	idp := apitest.StartIdP(t, "rotate")
	e := startWithIdP(t, idp)
	me(t, e, idp.Token(t, "rsa-1", "rot-1"))
	oldRSA := idp.Key("rsa-1")
	if n := idp.Fetches(); n != 1 {
		t.Fatalf("fetches after start and one token = %d, want 1 (the start)", n)
	}
	idp.Serve(apitest.NewRSAKey(t, "rsa-2"), idp.Key("ec-1"))
	me(t, e, idp.Token(t, "rsa-2", "rot-1")) // unknown kid: one refresh, then accepted
	me(t, e, idp.Token(t, "ec-1", "rot-1"))  // the kept key still works
	if n := idp.Fetches(); n != 2 {
		t.Fatalf("fetches after the rotation = %d, want 2", n)
	}
	e.Do(t, http.MethodGet, "/api/auth/me", oldRSA.Sign(t, idp.Claims("rot-1")), nil).Expect(t, http.StatusUnauthorized)
	took := kidBurst(t, e, idp, 1000)
	t.Logf("1000 random-kid tokens after a rotation: %d JWKS fetches in all, burst took %v", idp.Fetches(), took)
	if n := idp.Fetches(); n != 2 {
		t.Fatalf("fetches after a burst of unknown kids within the cooldown = %d, want still 2", n)
	}
}

// TestIdentity_UnknownKIDBurst is B-54: 1000 tokens with random kids, sent
// concurrently, cost at most one JWKS fetch (one per cooldown per issuer).
func TestIdentity_UnknownKIDBurst(t *testing.T) {
	idp := apitest.StartIdP(t, "burst")
	e := startWithIdP(t, idp)
	before := idp.Fetches()
	took := kidBurst(t, e, idp, 1000)
	fetched := idp.Fetches() - before
	t.Logf("1000 random-kid tokens: %d JWKS fetches, %v", fetched, took)
	if fetched > 1 {
		t.Fatalf("a burst of unknown kids fetched the JWKS %d times, want at most 1", fetched)
	}
	me(t, e, idp.Token(t, "ec-1", "burst-after"))
}

// kidBurst sends n tokens with random kids from 20 goroutines, checks each
// gets 401, and returns how long that took.
func kidBurst(t *testing.T, e *apitest.Env, idp *apitest.IdP, n int) time.Duration {
	t.Helper()
	key := apitest.NewECKey(t, "")
	toks := make([]string, n)
	for i := range toks {
		toks[i] = withKIDOf(t, key, parley.NewID(), idp.Claims("x-burst"))
	}
	var bad atomic.Int64
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				resp, err := e.Client.Do(bearer(t, e, toks[i]))
				if err != nil || resp.StatusCode != http.StatusUnauthorized {
					bad.Add(1)
				}
				if err == nil {
					resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	if b := bad.Load(); b != 0 {
		t.Fatalf("%d of %d random-kid tokens were not answered 401", b, n)
	}
	return time.Since(start)
}

// signRaw builds a token with alg and extra header fields over claims,
// signed by sign: for algorithms a library would refuse to pair with a key.
func signRaw(t *testing.T, alg string, header map[string]any, claims jwt.MapClaims, sign func([]byte) []byte) string {
	t.Helper()
	h := map[string]any{"alg": alg, "typ": "JWT"}
	for k, v := range header {
		h[k] = v
	}
	hb, _ := json.Marshal(h)
	cb, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	in := enc(hb) + "." + enc(cb)
	return in + "." + enc(sign([]byte(in)))
}

func hmacSHA256(secret, in []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(in)
	return m.Sum(nil)
}

func unsignedToken(header map[string]any, claims jwt.MapClaims) string {
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(hb) + "." + enc(cb) + "."
}

// withKIDOf signs claims with k's key and method but kid as the kid.
func withKIDOf(t *testing.T, k *apitest.Key, kid any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(k.Method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func noKID(t *testing.T, k *apitest.Key, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(k.Method, claims).SignedString(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signMethod(t *testing.T, m jwt.SigningMethod, k *apitest.Key, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tamperSub replaces the subject in a signed token's payload, keeping the signature.
func tamperSub(tok, from, to string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"`+from+`"`, `"`+to+`"`, 1)))
	return strings.Join(parts, ".")
}

func dropSig(tok string) string { return tok[:strings.LastIndex(tok, ".")+1] }

// TestIdentity_ExternalSocketEnds: the WebSocket of an external token closes
// with 4001 at the token's exp, and with 4503 when a platform admin bans the
// linked account, whose tokens are refused from then on (an IdP-side
// revocation is not checked: an unbanned token lives until its exp).
func TestIdentity_ExternalSocketEnds(t *testing.T) {
	idp := apitest.StartIdP(t, "ends")
	e := startWithIdP(t, idp)
	claims := idp.Claims("ext-brief")
	exp := time.Now().Add(2 * time.Second)
	claims["exp"] = exp.Unix()
	w := e.MustDialWS(t, idp.Key("rsa-1").Sign(t, claims))
	if code := w.CloseCode(t, time.Until(exp)+revokedWithin); code != wsproto.CloseTokenExpired {
		t.Fatalf("external socket closed with %d at exp, want %d", code, wsproto.CloseTokenExpired)
	}
	tok := idp.Token(t, "ec-1", "ext-banned")
	u := me(t, e, tok)
	bw := e.MustDialWS(t, tok)
	start := time.Now()
	e.Do(t, http.MethodPost, "/api/admin/users/"+u.ID+"/ban", e.Token(t, "root", true), nil).Expect(t, http.StatusNoContent)
	closedWith(t, bw, wsproto.CloseForbidden, start)
	e.Do(t, http.MethodGet, "/api/auth/me", idp.Token(t, "rsa-1", "ext-banned"), nil).Expect(t, http.StatusUnauthorized)
	if _, resp, err := e.DialWS(t, tok, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("banned external user's handshake: resp %v, err %v; want 401", resp, err)
	}
}
