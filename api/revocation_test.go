package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/persistence/memstore"
	"github.com/parleychat/parley/persistence/redisstore"
	"github.com/parleychat/parley/persistence/storetest"
)

// revokedWithin bounds how long an open socket may outlive a revocation: one
// poll of the revocation feed (1s), plus the close handshake, with margin
// for a loaded test machine.
const revokedWithin = 3 * time.Second

// session is a login: both tokens.
type session struct{ Access, Refresh string }

func login(t *testing.T, e *apitest.Env, username, password string) session {
	t.Helper()
	var tok tokenPair
	e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": username, "password": password}).
		Expect(t, http.StatusOK).JSON(t, &tok)
	return session{tok.AccessToken, tok.RefreshToken}
}

// closedWith waits for w to close and fails t unless the code is want; it
// returns how long that took from since.
func closedWith(t *testing.T, w *apitest.WS, want int, since time.Time) time.Duration {
	t.Helper()
	if code := w.CloseCode(t, revokedWithin); code != want {
		t.Fatalf("socket closed with %d, want %d", code, want)
	}
	return time.Since(since)
}

// subscribed dials e as token and subscribes to room.
func subscribed(t *testing.T, e *apitest.Env, token, room string) *apitest.WS {
	t.Helper()
	w := e.MustDialWS(t, token)
	w.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room, "since": 0})
	if r := w.Reply(t, 1); r["ok"] != true {
		t.Fatalf("subscribe = %v", r)
	}
	return w
}

func historyBodies(t *testing.T, e *apitest.Env, token, room string) []string {
	t.Helper()
	var page messagePage
	e.Do(t, http.MethodGet, "/api/chat/rooms/"+room+"/messages/", token, nil).Expect(t, http.StatusOK).JSON(t, &page)
	out := make([]string, 0, len(page.Results))
	for _, m := range page.Results {
		out = append(out, m.Body)
	}
	return out
}

// TestRevocation_LogoutClosesSocket is B-24 on one node: logout closes the
// session's open WebSocket with 4501 before the logout answers; a frame the
// client sends after the logout is not acted on; the access token is refused.
func TestRevocation_LogoutClosesSocket(t *testing.T) {
	e := apitest.Start(t)
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")
	room := createRoom(t, e, bob.Token, "general", "public").ID
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/join/", alice.Token, nil).Expect(t, http.StatusOK)
	aw := subscribed(t, e, alice.Token, room)
	other := login(t, e, "alice", alice.Password) // another session of alice stays open
	ow := subscribed(t, e, other.Access, room)

	start := time.Now()
	e.Do(t, http.MethodPost, "/api/auth/logout", alice.Token, nil).Expect(t, http.StatusNoContent)
	_ = aw.Conn.WriteJSON(map[string]any{"id": 2, "type": "send", "room": room, "body": "after logout"}) // may fail: closed
	took := closedWith(t, aw, wsproto.CloseUnauthorized, start)
	t.Logf("logged out socket closed %v after the logout began", took.Round(100*time.Microsecond))

	e.Do(t, http.MethodGet, "/api/chat/rooms/", alice.Token, nil).Expect(t, http.StatusUnauthorized)
	for _, b := range historyBodies(t, e, bob.Token, room) {
		if b == "after logout" {
			t.Fatal("a frame sent after logout was posted")
		}
	}
	ow.Send(t, map[string]any{"id": 2, "type": "ping"})
	ow.Until(t, wait, func(ev map[string]any) bool { return ev["type"] == "pong" }) // logout ends one session only
}

// TestRevocation_TokenExpiry: a socket closes with 4001 when its token
// expires, also when it was opened with a ticket (which inherits the expiry).
func TestRevocation_TokenExpiry(t *testing.T) {
	e := apitest.Start(t)
	now := time.Now()
	short, err := api.MintAccessToken(apitest.Secret, "", parley.Principal{User: "shorty"}, 2*time.Second, now)
	if err != nil {
		t.Fatal(err)
	}
	w := e.MustDialWS(t, short)
	var tk struct {
		Ticket string `json:"ticket"`
	}
	e.Do(t, http.MethodPost, "/api/chat/ws-ticket", short, nil).Expect(t, http.StatusCreated).JSON(t, &tk)
	tw, err := e.DialWSPath(t, "/ws?ticket="+tk.Ticket)
	if err != nil {
		t.Fatalf("dial with ticket: %v", err)
	}
	exp := now.Truncate(time.Second).Add(2 * time.Second) // NumericDate keeps whole seconds
	for name, sock := range map[string]*apitest.WS{"token": w, "ticket": tw} {
		if code := sock.CloseCode(t, time.Until(exp)+revokedWithin); code != wsproto.CloseTokenExpired {
			t.Fatalf("%s socket closed with %d, want %d", name, code, wsproto.CloseTokenExpired)
		}
		t.Logf("%s socket closed %v after its token's exp", name, time.Since(exp).Round(100*time.Microsecond))
	}
}

// TestRevocation_PlatformBan: a platform admin bans a user; every socket of
// the user (token or ticket) closes with 4503, and tokens, refresh and login
// stop working until the ban is lifted. Only platform admins may ban.
func TestRevocation_PlatformBan(t *testing.T) {
	e := apitest.Start(t)
	admin := e.Token(t, "platformadmin", true)
	bob := e.SignUp(t, "bob")
	bobSession := login(t, e, "bob", bob.Password)
	alice := e.SignUp(t, "alice")
	ban := "/api/admin/users/" + string(bob.ID) + "/ban"

	e.Do(t, http.MethodPost, ban, alice.Token, nil).Expect(t, http.StatusForbidden)
	e.Do(t, http.MethodPost, ban, "", nil).Expect(t, http.StatusUnauthorized)
	e.Do(t, http.MethodPost, "/api/admin/users/nobody/ban", admin, nil).Expect(t, http.StatusNotFound)
	e.Do(t, http.MethodPost, "/api/admin/users/"+string(alice.ID)+"/ban", alice.Token, nil).Expect(t, http.StatusForbidden)

	w := e.MustDialWS(t, bob.Token)
	var tk struct {
		Ticket string `json:"ticket"`
	}
	e.Do(t, http.MethodPost, "/api/chat/ws-ticket", bob.Token, nil).Expect(t, http.StatusCreated).JSON(t, &tk)
	tw, err := e.DialWSPath(t, "/ws?ticket="+tk.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	e.Do(t, http.MethodPost, ban, admin, map[string]string{"reason": "spam"}).Expect(t, http.StatusNoContent)
	for name, sock := range map[string]*apitest.WS{"token": w, "ticket": tw} {
		took := closedWith(t, sock, wsproto.CloseForbidden, start)
		t.Logf("banned user's %s socket closed %v after the ban began", name, took.Round(100*time.Microsecond))
	}
	e.Do(t, http.MethodGet, "/api/chat/rooms/", bob.Token, nil).Expect(t, http.StatusUnauthorized)
	e.Do(t, http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": bobSession.Refresh}).Expect(t, http.StatusUnauthorized)
	e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "bob", "password": bob.Password}).Expect(t, http.StatusForbidden)
	if _, resp, err := e.DialWS(t, bob.Token, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("banned user's handshake: resp %v, err %v; want 401", resp, err)
	}

	e.Do(t, http.MethodPost, "/api/admin/users/"+string(bob.ID)+"/unban", alice.Token, nil).Expect(t, http.StatusForbidden)
	e.Do(t, http.MethodPost, "/api/admin/users/"+string(bob.ID)+"/unban", admin, nil).Expect(t, http.StatusNoContent)
	fresh := e.Login(t, "bob", bob.Password)
	e.Do(t, http.MethodGet, "/api/chat/rooms/", fresh, nil).Expect(t, http.StatusOK)
}

// twoNodes starts two Envs that share one Redis, each through its own
// client: two nodes of one deployment. (B is A's Peer: its own HTTP server,
// WebSocket registry, revocation watcher and Redis client, over A's actor
// node; see apitest's peer.go for why not a second cluster.)
func twoNodes(t *testing.T) (a, b *apitest.Env) {
	t.Helper()
	addr, prefix := storetest.StartRedis(t), storetest.UniqueName(t)
	client := func() *redisstore.Store {
		shared, err := redisstore.Open(t.Context(), redisstore.Config{Addr: addr, KeyPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = shared.Close() }) // runs after the Envs' Stop: cleanups run last first
		return shared
	}
	sa, sb := client(), client()
	a = apitest.StartWith(t, apitest.Options{Shared: sa})
	return a, apitest.StartWith(t, apitest.Options{Shared: sb, Peer: a})
}

// TestRevocation_AcrossNodes is B-24 across nodes: logging out on node A
// refuses the session's access token on node B and closes its socket on B
// with 4501 within a poll; a replayed refresh token on B revokes the family
// everywhere; a ban on A closes the user's socket on B with 4503.
func TestRevocation_AcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	alice := a.SignUp(t, "alice")
	b.Do(t, http.MethodGet, "/api/chat/rooms/", alice.Token, nil).Expect(t, http.StatusOK)
	w := b.MustDialWS(t, alice.Token)

	start := time.Now()
	a.Do(t, http.MethodPost, "/api/auth/logout", alice.Token, nil).Expect(t, http.StatusNoContent)
	b.Do(t, http.MethodGet, "/api/chat/rooms/", alice.Token, nil).Expect(t, http.StatusUnauthorized)
	took := closedWith(t, w, wsproto.CloseUnauthorized, start)
	t.Logf("logout on node A closed the socket on node B after %v", took.Round(100*time.Microsecond))

	// Refresh rotation: the old refresh token replayed on the other node
	// revokes the family, so the rotated tokens die too.
	s := login(t, a, "alice", alice.Password)
	var rotated tokenPair
	a.Do(t, http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": s.Refresh}).
		Expect(t, http.StatusOK).JSON(t, &rotated)
	b.Do(t, http.MethodGet, "/api/chat/rooms/", rotated.AccessToken, nil).Expect(t, http.StatusOK)
	rw := b.MustDialWS(t, rotated.AccessToken)
	start = time.Now()
	b.Do(t, http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": s.Refresh}).Expect(t, http.StatusUnauthorized)
	a.Do(t, http.MethodGet, "/api/chat/rooms/", rotated.AccessToken, nil).Expect(t, http.StatusUnauthorized)
	a.Do(t, http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": rotated.RefreshToken}).Expect(t, http.StatusUnauthorized)
	took = closedWith(t, rw, wsproto.CloseUnauthorized, start)
	t.Logf("refresh replay on node B closed the rotated session's socket on B after %v", took.Round(100*time.Microsecond))

	// A platform ban on A reaches a socket on B.
	fresh := login(t, a, "alice", alice.Password)
	bw := b.MustDialWS(t, fresh.Access)
	start = time.Now()
	a.Do(t, http.MethodPost, "/api/admin/users/"+string(alice.ID)+"/ban", a.Token(t, "root", true), nil).
		Expect(t, http.StatusNoContent)
	took = closedWith(t, bw, wsproto.CloseForbidden, start)
	t.Logf("ban on node A closed the socket on node B after %v", took.Round(100*time.Microsecond))
	b.Do(t, http.MethodGet, "/api/chat/rooms/", fresh.Access, nil).Expect(t, http.StatusUnauthorized)
}

// familyOf returns the fam claim of a Parley token (read, not verified).
func familyOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Family string `json:"fam"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Family == "" {
		t.Fatalf("token has no family: %v", err)
	}
	return c.Family
}

// TestRevocation_FeedFallsBehind: revocations made elsewhere (straight in the
// shared store, as another node would) close this node's sockets even when
// more of them arrive between two polls than the feed keeps: the watcher
// sees it fell behind and checks every open socket.
func TestRevocation_FeedFallsBehind(t *testing.T) {
	shared := memstore.New(memstore.Config{RevocationFeed: 2})
	t.Cleanup(func() { _ = shared.Close() }) // always nil
	e := apitest.StartWith(t, apitest.Options{Shared: shared})
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")
	aw, bw := e.MustDialWS(t, alice.Token), e.MustDialWS(t, bob.Token)
	start := time.Now()
	if err := shared.Revoke(t.Context(), familyOf(t, alice.Token), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := shared.Revoke(t.Context(), "user:"+string(bob.ID), time.Hour); err != nil {
		t.Fatal(err)
	}
	for i := range 10 { // push both out of the feed before the next poll
		if err := shared.Revoke(t.Context(), fmt.Sprint("unrelated-", i), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	took := closedWith(t, aw, wsproto.CloseUnauthorized, start)
	closedWith(t, bw, wsproto.CloseForbidden, start)
	t.Logf("sockets of revocations that fell out of the feed closed after %v", took.Round(100*time.Microsecond))
}
