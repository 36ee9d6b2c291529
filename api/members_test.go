package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
)

// TestMembers_Story: add, role changes, kick, ban, through REST.
func TestMembers_Story(t *testing.T) {
	e := apitest.Start(t)
	alice, bob, carol, dave := e.SignUp(t, "alice"), e.SignUp(t, "bob"), e.SignUp(t, "carol"), e.SignUp(t, "dave")
	room := createRoom(t, e, alice.Token, "Team", "private")
	base := "/api/chat/rooms/" + room.ID
	add := func(token string, who parley.UserID, role string) *apitest.Response {
		return e.Do(t, http.MethodPost, base+"/members/", token, map[string]string{"user_id": string(who), "role": role})
	}
	var m wsproto.Member
	add(alice.Token, bob.ID, "member").Expect(t, http.StatusCreated).JSON(t, &m)
	if m.User != string(bob.ID) || m.Role != "member" || m.Room != room.ID {
		t.Fatalf("added = %+v", m)
	}
	add(bob.Token, carol.ID, "member").Expect(t, http.StatusForbidden)
	add(alice.Token, carol.ID, "member").Expect(t, http.StatusCreated)
	add(alice.Token, dave.ID, "member").Expect(t, http.StatusCreated)
	add(alice.Token, "nosuchuser", "member").Expect(t, http.StatusNotFound)
	add(alice.Token, carol.ID, "member").Expect(t, http.StatusConflict)

	setRole := func(token string, who parley.UserID, role string) *apitest.Response {
		return e.Do(t, http.MethodPatch, base+"/members/"+string(who)+"/", token, map[string]string{"role": role})
	}
	setRole(bob.Token, bob.ID, "admin").Expect(t, http.StatusForbidden)
	setRole(alice.Token, bob.ID, "moderator").Expect(t, http.StatusOK).JSON(t, &m)
	if m.Role != "moderator" {
		t.Fatalf("role = %+v", m)
	}
	setRole(bob.Token, carol.ID, "admin").Expect(t, http.StatusForbidden) // a moderator cannot make admins

	msg := send(t, e, carol.Token, room.ID, "carol's message")
	e.Do(t, http.MethodDelete, base+"/messages/"+u64(msg.Seq)+"/", dave.Token, nil).Expect(t, http.StatusForbidden)
	var tomb wsproto.Message
	e.Do(t, http.MethodDelete, base+"/messages/"+u64(msg.Seq)+"/", bob.Token, map[string]string{"reason": "off topic"}).
		Expect(t, http.StatusOK).JSON(t, &tomb)
	if !tomb.Deleted || tomb.Body != "" || tomb.DeletedBy != string(bob.ID) {
		t.Errorf("tombstone = %+v", tomb)
	}

	remove := func(token string, who parley.UserID, query string) *apitest.Response {
		return e.Do(t, http.MethodDelete, base+"/members/"+string(who)+"/"+query, token, nil)
	}
	remove(dave.Token, carol.ID, "").Expect(t, http.StatusForbidden)
	remove(bob.Token, alice.ID, "").Expect(t, http.StatusConflict) // nobody removes the owner
	remove(bob.Token, dave.ID, "").Expect(t, http.StatusNoContent)
	e.Do(t, http.MethodGet, base+"/messages/", dave.Token, nil).Expect(t, http.StatusNotFound) // private: gone from view
	remove(bob.Token, carol.ID, "?ban=true").Expect(t, http.StatusNoContent)
	e.Do(t, http.MethodGet, base+"/", carol.Token, nil).Expect(t, http.StatusNotFound)
	e.Do(t, http.MethodPost, base+"/join/", carol.Token, nil).Expect(t, http.StatusNotFound)

	var members memberPage
	e.Do(t, http.MethodGet, base+"/members/", alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &members)
	roles := map[string]string{}
	for _, m := range members.Results {
		roles[m.User] = m.Role
	}
	if len(roles) != 2 || roles[string(alice.ID)] != "owner" || roles[string(bob.ID)] != "moderator" {
		t.Errorf("members = %v, want alice owner and bob moderator", roles)
	}
}

// TestMembers_PublicBanAndKick: a kicked user may rejoin a public room, a
// banned one may not.
func TestMembers_PublicBanAndKick(t *testing.T) {
	e := apitest.Start(t)
	alice, bob, carol := e.SignUp(t, "alice"), e.SignUp(t, "bob"), e.SignUp(t, "carol")
	room := createRoom(t, e, alice.Token, "Lobby", "public")
	base := "/api/chat/rooms/" + room.ID
	for _, u := range []apitest.User{bob, carol} {
		e.Do(t, http.MethodPost, base+"/join/", u.Token, nil).Expect(t, http.StatusOK)
	}
	e.Do(t, http.MethodPost, base+"/join/", bob.Token, nil).Expect(t, http.StatusConflict)
	e.Do(t, http.MethodDelete, base+"/members/"+string(bob.ID)+"/", alice.Token, nil).Expect(t, http.StatusNoContent)
	e.Do(t, http.MethodPost, base+"/join/", bob.Token, nil).Expect(t, http.StatusOK)
	e.Do(t, http.MethodDelete, base+"/members/"+string(carol.ID)+"/?ban=true", alice.Token, nil).Expect(t, http.StatusNoContent)
	if p := e.Do(t, http.MethodPost, base+"/join/", carol.Token, nil).Expect(t, http.StatusForbidden).Problem(t); p.Code != "banned" {
		t.Errorf("banned join code = %q", p.Code)
	}
	e.Do(t, http.MethodPost, base+"/send_message/", carol.Token, map[string]string{"body": "let me in"}).Expect(t, http.StatusForbidden)
	assertNothingStoredIn(t, e, alice.Token, room.ID, 0)
}

// TestMembers_PrivateRoomHidden: to a non-member, a private room and a room
// that does not exist answer with the same bytes on every path.
func TestMembers_PrivateRoomHidden(t *testing.T) {
	e := apitest.Start(t)
	alice, mallory := e.SignUp(t, "alice"), e.SignUp(t, "mallory")
	room := createRoom(t, e, alice.Token, "Private", "private")
	send(t, e, alice.Token, room.ID, "secret")
	for _, rc := range []struct{ method, suffix, body string }{
		{http.MethodGet, "/", ""},
		{http.MethodGet, "/messages/", ""},
		{http.MethodGet, "/members/", ""},
		{http.MethodPost, "/send_message/", `{"body":"hi"}`},
		{http.MethodPost, "/join/", ""},
		{http.MethodPatch, "/", `{"name":"pwned"}`},
		{http.MethodDelete, "/", ""},
		{http.MethodPatch, "/messages/1/", `{"body":"pwned"}`},
		{http.MethodDelete, "/messages/1/", ""},
		{http.MethodPost, "/members/", `{"user_id":"` + string(mallory.ID) + `","role":"admin"}`},
	} {
		var body any
		if rc.body != "" {
			body = rc.body
		}
		real := e.Do(t, rc.method, "/api/chat/rooms/"+room.ID+rc.suffix, mallory.Token, body).Expect(t, http.StatusNotFound).Problem(t)
		fake := e.Do(t, rc.method, "/api/chat/rooms/"+parley.NewID()+rc.suffix, mallory.Token, body).Expect(t, http.StatusNotFound).Problem(t)
		real.RequestID, fake.RequestID = "", ""
		if real != fake {
			t.Errorf("%s %s: private room %+v differs from missing room %+v", rc.method, rc.suffix, real, fake)
		}
	}
	admin := e.Token(t, "platformadmin", true)
	var page messagePage
	e.Do(t, http.MethodGet, "/api/chat/rooms/"+room.ID+"/messages/", admin, nil).Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Results) != 1 {
		t.Errorf("platform admin reads %d messages, want 1", len(page.Results))
	}
	var detail wsproto.Room
	e.Do(t, http.MethodGet, "/api/chat/rooms/"+room.ID+"/", alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &detail)
	if detail.Name != "Private" || *detail.LastSeq != 1 {
		t.Errorf("room after mallory's attempts = %+v", detail)
	}
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }
