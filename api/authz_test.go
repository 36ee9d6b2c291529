package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/apitest"
)

// The authorization suite: every REST route and every WebSocket command,
// tried by every kind of caller, on a private and on a public room. Each
// expected answer is written out by hand, so a change of policy shows up
// here as a deliberate edit.

// Callers, the columns of every table.
const (
	anon      = iota // no credential
	outsider         // signed in, never a member
	banned           // was a member, banned
	kicked           // was a member, kicked
	member           // plain member (author of message 2)
	moderator        //
	admin            //
	owner            // the room's owner (author of message 1)
	platform         // platform admin, not a member
	nCallers
)

var callerNames = [nCallers]string{"anonymous", "outsider", "banned", "kicked", "member", "moderator", "admin", "owner", "platform_admin"}

// authzWorld is one Env with every user of the suite signed up once.
type authzWorld struct {
	e     *apitest.Env
	users map[string]apitest.User
	admin string // platform admin token
}

func newAuthzWorld(t *testing.T, e *apitest.Env) *authzWorld {
	t.Helper()
	w := &authzWorld{e: e, users: map[string]apitest.User{}, admin: e.Token(t, "platformadmin", true)}
	for _, name := range []string{"owner", "admin", "admin2", "moderator", "member", "member2", "banned", "kicked", "outsider", "newcomer", "victim"} {
		w.users[name] = e.SignUp(t, name)
	}
	return w
}

// token returns the caller's token ("" for anonymous).
func (w *authzWorld) token(caller int) string {
	switch caller {
	case anon:
		return ""
	case platform:
		return w.admin
	}
	return w.users[callerNames[caller]].Token
}

func (w *authzWorld) id(name string) string { return string(w.users[name].ID) }

// room creates a room of kind owned by "owner" with admin, moderator, member
// and member2, a banned and a kicked user, message 1 by the owner and message
// 2 by the member. It returns the room id.
func (w *authzWorld) room(t *testing.T, kind string) string {
	t.Helper()
	e, ownerTok := w.e, w.users["owner"].Token
	id := createRoom(t, e, ownerTok, "authz "+kind, kind).ID
	base := "/api/chat/rooms/" + id
	for name, role := range map[string]string{"admin": "admin", "moderator": "moderator", "member": "member",
		"member2": "member", "banned": "member", "kicked": "member"} {
		e.Do(t, http.MethodPost, base+"/members/", ownerTok, map[string]string{"user_id": w.id(name), "role": role}).
			Expect(t, http.StatusCreated)
	}
	e.Do(t, http.MethodDelete, base+"/members/"+w.id("banned")+"/?ban=true", ownerTok, nil).Expect(t, http.StatusNoContent)
	e.Do(t, http.MethodDelete, base+"/members/"+w.id("kicked")+"/", ownerTok, nil).Expect(t, http.StatusNoContent)
	send(t, e, ownerTok, id, "by the owner")
	send(t, e, w.users["member"].Token, id, "by the member")
	return id
}

// expand fills the placeholders of a route template.
func (w *authzWorld) expand(path, room string) string {
	return strings.NewReplacer("{room}", room, "{member2}", w.id("member2"), "{moderator}", w.id("moderator"),
		"{owner}", w.id("owner"), "{banned}", w.id("banned"), "{newcomer}", w.id("newcomer")).Replace(path)
}

// authzRoute is one route with the status each caller gets.
type authzRoute struct {
	name, method, path, body string
	private, public          [nCallers]int
}

// authzRoutes covers every route under /api/chat/rooms/{id}/. Columns:
// anonymous, outsider, banned, kicked, member, moderator, admin, owner,
// platform admin.
var authzRoutes = []authzRoute{
	{"Detail", "GET", "/", "",
		[nCallers]int{401, 404, 404, 404, 200, 200, 200, 200, 200},
		[nCallers]int{401, 200, 200, 200, 200, 200, 200, 200, 200}},
	{"UpdateRoom", "PATCH", "/", `{"name":"renamed"}`,
		[nCallers]int{401, 404, 404, 404, 403, 403, 200, 200, 200},
		[nCallers]int{401, 403, 403, 403, 403, 403, 200, 200, 200}},
	{"DeleteRoom", "DELETE", "/", "",
		[nCallers]int{401, 404, 404, 404, 403, 403, 403, 204, 204},
		[nCallers]int{401, 403, 403, 403, 403, 403, 403, 204, 204}},
	{"Join", "POST", "/join/", "",
		[nCallers]int{401, 404, 404, 404, 409, 409, 409, 409, 200},
		[nCallers]int{401, 200, 403, 200, 409, 409, 409, 409, 200}},
	{"Leave", "POST", "/leave/", "",
		[nCallers]int{401, 404, 404, 404, 204, 204, 204, 409, 403},
		[nCallers]int{401, 403, 403, 403, 204, 204, 204, 409, 403}},
	{"Send", "POST", "/send_message/", `{"body":"hello"}`,
		[nCallers]int{401, 404, 404, 404, 201, 201, 201, 201, 201},
		[nCallers]int{401, 403, 403, 403, 201, 201, 201, 201, 201}},
	{"History", "GET", "/messages/", "",
		[nCallers]int{401, 404, 404, 404, 200, 200, 200, 200, 200},
		[nCallers]int{401, 403, 403, 403, 200, 200, 200, 200, 200}},
	{"EditOwnersMessage", "PATCH", "/messages/1/", `{"body":"edited"}`,
		[nCallers]int{401, 404, 404, 404, 403, 403, 403, 200, 403},
		[nCallers]int{401, 403, 403, 403, 403, 403, 403, 200, 403}},
	{"EditMembersMessage", "PATCH", "/messages/2/", `{"body":"edited"}`,
		[nCallers]int{401, 404, 404, 404, 200, 403, 403, 403, 403},
		[nCallers]int{401, 403, 403, 403, 200, 403, 403, 403, 403}},
	{"DeleteOwnersMessage", "DELETE", "/messages/1/", "",
		[nCallers]int{401, 404, 404, 404, 403, 200, 200, 200, 200},
		[nCallers]int{401, 403, 403, 403, 403, 200, 200, 200, 200}},
	{"DeleteMembersMessage", "DELETE", "/messages/2/", "",
		[nCallers]int{401, 404, 404, 404, 200, 200, 200, 200, 200},
		[nCallers]int{401, 403, 403, 403, 200, 200, 200, 200, 200}},
	{"Members", "GET", "/members/", "",
		[nCallers]int{401, 404, 404, 404, 200, 200, 200, 200, 200},
		[nCallers]int{401, 403, 403, 403, 200, 200, 200, 200, 200}},
	{"AddMember", "POST", "/members/", `{"user_id":"{newcomer}","role":"member"}`,
		[nCallers]int{401, 404, 404, 404, 403, 403, 201, 201, 201},
		[nCallers]int{401, 403, 403, 403, 403, 403, 201, 201, 201}},
	{"AddAdmin", "POST", "/members/", `{"user_id":"{newcomer}","role":"admin"}`,
		[nCallers]int{401, 404, 404, 404, 403, 403, 403, 201, 201},
		[nCallers]int{401, 403, 403, 403, 403, 403, 403, 201, 201}},
	{"AddOwner", "POST", "/members/", `{"user_id":"{newcomer}","role":"owner"}`,
		[nCallers]int{401, 404, 404, 404, 400, 400, 400, 400, 400},
		[nCallers]int{401, 403, 403, 403, 400, 400, 400, 400, 400}},
	{"PromoteToModerator", "PATCH", "/members/{member2}/", `{"role":"moderator"}`,
		[nCallers]int{401, 404, 404, 404, 403, 403, 200, 200, 200},
		[nCallers]int{401, 403, 403, 403, 403, 403, 200, 200, 200}},
	{"PromoteModeratorToAdmin", "PATCH", "/members/{moderator}/", `{"role":"admin"}`,
		[nCallers]int{401, 404, 404, 404, 403, 403, 403, 200, 200},
		[nCallers]int{401, 403, 403, 403, 403, 403, 403, 200, 200}},
	{"TransferOwnership", "PATCH", "/members/{member2}/", `{"role":"owner"}`,
		[nCallers]int{401, 404, 404, 404, 403, 403, 403, 200, 200},
		[nCallers]int{401, 403, 403, 403, 403, 403, 403, 200, 200}},
	{"DemoteOwner", "PATCH", "/members/{owner}/", `{"role":"member"}`,
		[nCallers]int{401, 404, 404, 404, 409, 409, 409, 409, 409},
		[nCallers]int{401, 403, 403, 403, 409, 409, 409, 409, 409}},
	{"KickMember", "DELETE", "/members/{member2}/", "",
		[nCallers]int{401, 404, 404, 404, 403, 204, 204, 204, 204},
		[nCallers]int{401, 403, 403, 403, 403, 204, 204, 204, 204}},
	{"KickModerator", "DELETE", "/members/{moderator}/", "",
		[nCallers]int{401, 404, 404, 404, 403, 403, 204, 204, 204},
		[nCallers]int{401, 403, 403, 403, 403, 403, 204, 204, 204}},
	{"KickOwner", "DELETE", "/members/{owner}/", "",
		[nCallers]int{401, 404, 404, 404, 409, 409, 409, 403, 409},
		[nCallers]int{401, 403, 403, 403, 409, 409, 409, 403, 409}},
	{"BanMember", "DELETE", "/members/{member2}/?ban=true", "",
		[nCallers]int{401, 404, 404, 404, 403, 204, 204, 204, 204},
		[nCallers]int{401, 403, 403, 403, 403, 204, 204, 204, 204}},
	{"Unban", "POST", "/members/{banned}/unban/", "",
		[nCallers]int{401, 404, 404, 404, 403, 204, 204, 204, 204},
		[nCallers]int{401, 403, 403, 403, 403, 204, 204, 204, 204}},
	{"Audit", "GET", "/audit/", "",
		[nCallers]int{401, 404, 404, 404, 403, 403, 200, 200, 200},
		[nCallers]int{401, 403, 403, 403, 403, 403, 200, 200, 200}},
	{"Presence", "GET", "/presence/", "",
		[nCallers]int{401, 404, 404, 404, 200, 200, 200, 200, 200},
		[nCallers]int{401, 403, 403, 403, 200, 200, 200, 200, 200}},
}

// do sends one request of route r as caller to room.
func (w *authzWorld) do(t *testing.T, r authzRoute, caller int, room string) *apitest.Response {
	t.Helper()
	var body any
	if r.body != "" {
		body = w.expand(r.body, room)
	}
	return w.e.Do(t, r.method, "/api/chat/rooms/"+room+w.expand(r.path, room), w.token(caller), body)
}

// TestAuthz_Routes runs every cell of authzRoutes. A cell that expects a
// change (a 2xx write) gets a room of its own; the others share one, which
// they must leave as it was.
func TestAuthz_Routes(t *testing.T) {
	w := newAuthzWorld(t, apitest.Start(t))
	for _, kind := range []string{"private", "public"} {
		shared := w.room(t, kind)
		for _, r := range authzRoutes {
			want := r.private
			if kind == "public" {
				want = r.public
			}
			for caller := range nCallers {
				room := shared
				if want[caller] < 300 && r.method != http.MethodGet {
					room = w.room(t, kind)
				}
				if got := w.do(t, r, caller, room).Status; got != want[caller] {
					t.Errorf("%s room, %s as %s: status %d, want %d", kind, r.name, callerNames[caller], got, want[caller])
				}
			}
		}
	}
}

// authzWS is one WebSocket command with the answer each caller gets: "ok",
// an error code, or "401" when the handshake itself is refused.
type authzWS struct {
	name            string
	frame           map[string]any
	private, public [nCallers]string
}

var (
	wsPrivate = [nCallers]string{"401", "room_not_found", "room_not_found", "room_not_found", "ok", "ok", "ok", "ok", "ok"}
	wsPublic  = [nCallers]string{"401", "not_member", "banned", "not_member", "ok", "ok", "ok", "ok", "ok"}
)

var authzCommands = []authzWS{
	{"Subscribe", map[string]any{"type": "subscribe"}, wsPrivate, wsPublic},
	{"Send", map[string]any{"type": "send", "body": "over the socket"}, wsPrivate, wsPublic},
	{"Typing", map[string]any{"type": "typing"}, wsPrivate, wsPublic},
}

// TestAuthz_WSCommands runs every cell of authzCommands.
func TestAuthz_WSCommands(t *testing.T) {
	w := newAuthzWorld(t, apitest.Start(t))
	for _, kind := range []string{"private", "public"} {
		room := w.room(t, kind)
		for _, c := range authzCommands {
			want := c.private
			if kind == "public" {
				want = c.public
			}
			for caller := range nCallers {
				if got := w.command(t, caller, room, c.frame); got != want[caller] {
					t.Errorf("%s room, %s as %s: %s, want %s", kind, c.name, callerNames[caller], got, want[caller])
				}
			}
		}
	}
}

// command opens a socket as caller, sends frame (id 1) to room and returns
// "ok", the error code, or the handshake status. A ping (id 2) follows, so a
// command that answers nothing on success (typing) is judged by what comes
// first.
func (w *authzWorld) command(t *testing.T, caller int, room string, frame map[string]any) string {
	t.Helper()
	ws, resp, err := w.e.DialWS(t, w.token(caller), nil)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return fmt.Sprint(resp.StatusCode)
	}
	defer ws.Conn.Close()
	f := map[string]any{"id": 1, "room": room}
	for k, v := range frame {
		f[k] = v
	}
	ws.Send(t, f)
	ws.Send(t, map[string]any{"id": 2, "type": "ping"})
	ev := ws.Until(t, wait, func(ev map[string]any) bool {
		return ev["id"] == 1.0 || ev["type"] == "pong"
	})
	if ev["type"] == "error" {
		return fmt.Sprint(ev["code"])
	}
	return "ok"
}

// TestAuthz_PrivateRoomsDoNotExist is B-46: to callers who may not see a
// private room, it answers every route and command with the same bytes as a
// room that does not exist.
func TestAuthz_PrivateRoomsDoNotExist(t *testing.T) {
	w := newAuthzWorld(t, apitest.Start(t))
	real := w.room(t, "private")
	const requestID = "fixedrequestid0000000001" // so the bodies may be compared byte for byte
	for _, caller := range []int{outsider, banned, kicked} {
		for _, r := range authzRoutes {
			var got [2]*apitest.Response
			for i, room := range []string{real, parley.NewID()} {
				var body io.Reader
				if r.body != "" {
					body = strings.NewReader(w.expand(r.body, room))
				}
				req := w.e.NewRequest(t, r.method, "/api/chat/rooms/"+room+w.expand(r.path, room), body)
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("Authorization", "Bearer "+w.token(caller))
				req.Header.Set("X-Request-ID", requestID)
				got[i] = w.e.Send(t, req)
			}
			if got[0].Status != http.StatusNotFound || got[0].Status != got[1].Status ||
				string(got[0].Body) != string(got[1].Body) || got[0].Header.Get("Content-Type") != got[1].Header.Get("Content-Type") {
				t.Errorf("%s as %s: private room %d %s, missing room %d %s", r.name, callerNames[caller],
					got[0].Status, got[0].Body, got[1].Status, got[1].Body)
			}
		}
		for _, c := range authzCommands {
			a, b := w.command(t, caller, real, c.frame), w.command(t, caller, parley.NewID(), c.frame)
			if a != "room_not_found" || a != b {
				t.Errorf("%s as %s: private room %s, missing room %s", c.name, callerNames[caller], a, b)
			}
		}
	}
	var detail struct{ Name string }
	w.e.Do(t, http.MethodGet, "/api/chat/rooms/"+real+"/", w.users["owner"].Token, nil).Expect(t, http.StatusOK).JSON(t, &detail)
	if detail.Name != "authz private" {
		t.Errorf("the probes changed the room: %+v", detail)
	}
	assertNothingStoredIn(t, w.e, w.users["owner"].Token, real, 2)
}
