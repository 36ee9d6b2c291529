package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/apitest"
)

// TestAuthz_CrossRoomConfusion: a message seq in a room's path always means
// that room's message. Acting on room B's message through room A's path acts
// on A's message of that seq, or finds none.
func TestAuthz_CrossRoomConfusion(t *testing.T) {
	e := apitest.Start(t)
	alice, bob, mallory := e.SignUp(t, "alice"), e.SignUp(t, "bob"), e.SignUp(t, "mallory")
	roomA := createRoom(t, e, bob.Token, "A", "public").ID // bob's room; alice joins
	roomB := createRoom(t, e, alice.Token, "B", "private").ID
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+roomA+"/join/", alice.Token, nil).Expect(t, http.StatusOK)
	send(t, e, bob.Token, roomA, "bob in A") // A#1 by bob
	for i := 1; i <= 3; i++ {
		send(t, e, alice.Token, roomB, fmt.Sprint("alice in B #", i)) // B#1..3 by alice
	}
	a := "/api/chat/rooms/" + roomA
	// alice wrote B#1, but A#1 is bob's: through A's path she may not edit it.
	e.Do(t, http.MethodPatch, a+"/messages/1/", alice.Token, map[string]string{"body": "hijacked"}).Expect(t, http.StatusForbidden)
	e.Do(t, http.MethodDelete, a+"/messages/1/", alice.Token, nil).Expect(t, http.StatusForbidden)
	// A has no #3: B's #3 is not found through A.
	e.Do(t, http.MethodPatch, a+"/messages/3/", alice.Token, map[string]string{"body": "hijacked"}).Expect(t, http.StatusNotFound)
	e.Do(t, http.MethodDelete, a+"/messages/3/", bob.Token, nil).Expect(t, http.StatusNotFound)
	// bob, owner of A, deleting "#2" in his room touches nothing of B's.
	e.Do(t, http.MethodDelete, a+"/messages/2/", bob.Token, nil).Expect(t, http.StatusNotFound)
	// mallory, owner of her own room, gets nothing of B through her rank.
	roomM := createRoom(t, e, mallory.Token, "M", "private").ID
	send(t, e, mallory.Token, roomM, "mallory's")
	e.Do(t, http.MethodDelete, "/api/chat/rooms/"+roomM+"/messages/1/", mallory.Token, nil).Expect(t, http.StatusOK)
	b := "/api/chat/rooms/" + roomB
	for _, r := range []struct{ method, path, body string }{
		{http.MethodPatch, b + "/", `{"name":"pwned"}`},
		{http.MethodDelete, b + "/messages/1/", ""},
		{http.MethodDelete, b + "/members/" + string(alice.ID) + "/", ""},
		{http.MethodGet, b + "/audit/", ""},
		{http.MethodPost, b + "/members/", `{"user_id":"` + string(mallory.ID) + `","role":"admin"}`},
	} {
		var body any
		if r.body != "" {
			body = r.body
		}
		e.Do(t, r.method, r.path, mallory.Token, body).Expect(t, http.StatusNotFound)
	}
	var page messagePage
	e.Do(t, http.MethodGet, b+"/messages/", alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &page)
	for _, m := range page.Results {
		if m.Body != fmt.Sprint("alice in B #", m.Seq) || m.Deleted {
			t.Errorf("B#%d changed: %+v", m.Seq, m)
		}
	}
	e.Do(t, http.MethodGet, a+"/messages/", bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Results) != 1 || page.Results[0].Body != "bob in A" {
		t.Errorf("A changed: %+v", page.Results)
	}
}

// TestAuthz_MembershipRoutes is B-47: every route that changes membership or
// roles, tried by a member and a moderator of a private room, is refused
// unless the policy allows it, and the roster ends as it began.
func TestAuthz_MembershipRoutes(t *testing.T) {
	w := newAuthzWorld(t, apitest.Start(t))
	room := w.room(t, "private")
	before := w.roster(t, room)
	attempts := []struct {
		caller       int
		method, path string
		body         string
		want         int
	}{
		{member, "POST", "/members/", `{"user_id":"{newcomer}","role":"member"}`, 403},
		{member, "POST", "/members/", `{"user_id":"{newcomer}","role":"moderator"}`, 403},
		{member, "PATCH", "/members/{member2}/", `{"role":"moderator"}`, 403},
		{member, "PATCH", "/members/{self}/", `{"role":"admin"}`, 403},
		{member, "PATCH", "/members/{self}/", `{"role":"owner"}`, 403},
		{member, "PATCH", "/members/{moderator}/", `{"role":"member"}`, 403},
		{member, "DELETE", "/members/{member2}/", "", 403},
		{member, "DELETE", "/members/{member2}/?ban=true", "", 403},
		{member, "POST", "/members/{banned}/unban/", "", 403},
		{member, "POST", "/join/", "", 409},
		{moderator, "POST", "/members/", `{"user_id":"{newcomer}","role":"member"}`, 403},
		{moderator, "PATCH", "/members/{member2}/", `{"role":"moderator"}`, 403},
		{moderator, "PATCH", "/members/{member2}/", `{"role":"admin"}`, 403},
		{moderator, "PATCH", "/members/{self}/", `{"role":"admin"}`, 403},
		{moderator, "PATCH", "/members/{self}/", `{"role":"owner"}`, 403},
		{moderator, "DELETE", "/members/{admin}/", "", 403},
		{moderator, "DELETE", "/members/{admin}/?ban=true", "", 403},
		{moderator, "DELETE", "/members/{owner}/", "", 409},
		{moderator, "POST", "/join/", "", 409},
	}
	for _, a := range attempts {
		self := w.id(callerNames[a.caller])
		path := w.expand(a.path, room)
		path = w.expandMore(path, self)
		var body any
		if a.body != "" {
			body = w.expandMore(w.expand(a.body, room), self)
		}
		if got := w.e.Do(t, a.method, "/api/chat/rooms/"+room+path, w.token(a.caller), body).Status; got != a.want {
			t.Errorf("%s %s as %s: %d, want %d", a.method, a.path, callerNames[a.caller], got, a.want)
		}
	}
	// Creating a room never takes a member list: the field is unknown.
	w.e.Do(t, http.MethodPost, "/api/chat/rooms/", w.token(member),
		map[string]any{"name": "sneaky", "members": []string{w.id("newcomer")}}).Expect(t, http.StatusBadRequest)
	// A WebSocket subscribe or send is no join.
	outsiderRoom := w.room(t, "public")
	w.command(t, outsider, outsiderRoom, map[string]any{"type": "subscribe"})
	w.command(t, outsider, outsiderRoom, map[string]any{"type": "send", "body": "hi"})
	if roles := w.roster(t, outsiderRoom); roles[w.id("outsider")] != "" {
		t.Errorf("a WebSocket command made the outsider a member: %v", roles)
	}
	if after := w.roster(t, room); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("roster changed:\n before %v\n after  %v", before, after)
	}
}

func (w *authzWorld) expandMore(s, self string) string {
	return strings.NewReplacer("{self}", self, "{admin}", w.id("admin")).Replace(s)
}

// roster returns every membership record of room in the store: user ->
// role, with "+banned" or "+gone" for records that are not active.
func (w *authzWorld) roster(t *testing.T, room string) map[string]string {
	t.Helper()
	members, err := w.e.Store.Members(t.Context(), parley.RoomID(room))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range members {
		s := m.Role.String()
		switch {
		case m.Banned:
			s += "+banned"
		case !m.DeletedAt.IsZero():
			s += "+gone"
		}
		out[string(m.UserID)] = s
	}
	return out
}

// TestAuthz_OneOwner is B-49: the owner cannot leave without a transfer, and
// concurrent transfers, demotions and departures always leave exactly one
// owner, the same in the room and in the store.
func TestAuthz_OneOwner(t *testing.T) {
	w := newAuthzWorld(t, apitest.Start(t))
	room := w.room(t, "private")
	if p := w.e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/leave/", w.token(owner), nil).
		Expect(t, http.StatusConflict).Problem(t); p.Code != parley.ErrOwnerMustStay.Code {
		t.Errorf("owner leaving: code %q", p.Code)
	}
	for i := range 50 {
		w.ownerRace(t, i)
	}
}

// ownerRace runs one iteration of TestAuthz_OneOwner.
func (w *authzWorld) ownerRace(t *testing.T, i int) {
	t.Helper()
	e, own := w.e, w.users["owner"].Token
	room := createRoom(t, e, own, fmt.Sprint("race ", i), "private").ID
	base := "/api/chat/rooms/" + room
	for name, role := range map[string]string{"admin": "admin", "admin2": "admin", "moderator": "moderator"} {
		e.Do(t, http.MethodPost, base+"/members/", own, map[string]string{"user_id": w.id(name), "role": role}).Expect(t, http.StatusCreated)
	}
	a1, a2 := w.users["admin"], w.users["admin2"]
	ops := []struct {
		token, method, path, role string
	}{
		{own, "PATCH", "/members/" + w.id("admin") + "/", "owner"},
		{own, "PATCH", "/members/" + w.id("admin2") + "/", "owner"},
		{a1.Token, "PATCH", "/members/" + w.id("admin2") + "/", "member"},
		{a2.Token, "PATCH", "/members/" + w.id("admin") + "/", "member"},
		{a1.Token, "PATCH", "/members/" + w.id("admin") + "/", "member"},
		{w.admin, "PATCH", "/members/" + w.id("moderator") + "/", "owner"},
		{own, "POST", "/leave/", ""},
		{a1.Token, "POST", "/leave/", ""},
		{a2.Token, "POST", "/leave/", ""},
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var body any
			if op.role != "" {
				body = map[string]string{"role": op.role}
			}
			if s := e.Do(t, op.method, base+op.path, op.token, body).Status; s >= 500 {
				t.Errorf("iteration %d: %s %s: %d", i, op.method, op.path, s)
			}
		}()
	}
	close(start)
	wg.Wait()
	var page memberPage
	e.Do(t, http.MethodGet, base+"/members/", w.admin, nil).Expect(t, http.StatusOK).JSON(t, &page)
	inRoom := map[string]string{}
	owners := 0
	for _, m := range page.Results {
		inRoom[m.User] = m.Role
		if m.Role == "owner" {
			owners++
		}
	}
	stored := map[string]string{}
	for u, r := range w.roster(t, room) {
		if r == "owner" || r == "admin" || r == "moderator" || r == "member" {
			stored[u] = r
		}
	}
	if owners != 1 || fmt.Sprint(inRoom) != fmt.Sprint(stored) {
		t.Fatalf("iteration %d: %d owners; room %v, store %v", i, owners, inRoom, stored)
	}
}

// TestAuthz_BannedSocketsGoQuiet is B-50: a user banned from a busy room
// while two of their sockets subscribe to it receives none of its messages
// after the ban (their other room keeps flowing), and history is refused.
func TestAuthz_BannedSocketsGoQuiet(t *testing.T) {
	w := newAuthzWorld(t, apitest.Start(t))
	e := w.e
	roomA := w.room(t, "private")
	roomB := createRoom(t, e, w.users["owner"].Token, "other", "public").ID
	victim := w.users["victim"]
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+roomA+"/members/", w.token(owner),
		map[string]string{"user_id": string(victim.ID), "role": "member"}).Expect(t, http.StatusCreated)
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+roomB+"/join/", victim.Token, nil).Expect(t, http.StatusOK)
	sockets := []*apitest.WS{e.MustDialWS(t, victim.Token), e.MustDialWS(t, victim.Token)}
	for _, s := range sockets {
		for id, room := range []string{roomA, roomB} {
			s.Send(t, map[string]any{"id": id + 1, "type": "subscribe", "room": room})
			if r := s.Reply(t, uint64(id+1)); r["ok"] != true {
				t.Fatalf("subscribe: %v", r)
			}
		}
	}
	events := make([]chan []map[string]any, len(sockets))
	const marker = "the end"
	for i, s := range sockets {
		events[i] = make(chan []map[string]any, 1)
		go func() { events[i] <- readUntilMarker(s, roomB, marker) }()
	}
	w.busyBan(t, roomA, victim.ID)
	send(t, e, w.users["owner"].Token, roomB, marker)
	for i := range sockets {
		evs := <-events[i]
		if evs == nil {
			t.Fatalf("socket %d did not see the marker", i)
		}
		checkQuietAfterBan(t, i, evs, roomA, string(victim.ID))
	}
	e.Do(t, http.MethodGet, "/api/chat/rooms/"+roomA+"/messages/", victim.Token, nil).Expect(t, http.StatusNotFound)
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+roomA+"/send_message/", victim.Token, map[string]string{"body": "x"}).Expect(t, http.StatusNotFound)
}

// busyBan has ten senders post to room while the owner bans user, and keeps
// them posting after the ban's ack.
func (w *authzWorld) busyBan(t *testing.T, room string, user parley.UserID) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	for g := range 10 {
		tok := w.token([]int{owner, admin, moderator, member}[g%4])
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ctx.Err() == nil; j++ {
				if w.e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/send_message/", tok,
					map[string]string{"body": fmt.Sprint("busy ", g, "-", j)}).Status == http.StatusCreated {
					mu.Lock()
					sent++
					mu.Unlock()
				}
			}
		}()
	}
	waitSent := func(n int) {
		for deadline := time.Now().Add(wait); ; time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			s := sent
			mu.Unlock()
			if s >= n || time.Now().After(deadline) {
				return
			}
		}
	}
	waitSent(50)
	w.e.Do(t, http.MethodDelete, "/api/chat/rooms/"+room+"/members/"+string(user)+"/?ban=true", w.token(owner), nil).
		Expect(t, http.StatusNoContent)
	mu.Lock()
	atBan := sent
	mu.Unlock()
	waitSent(atBan + 100)
	cancel()
	wg.Wait()
}

// readUntilMarker collects s's events until the message marker in room
// arrives; nil if it does not within the test's patience.
func readUntilMarker(s *apitest.WS, room, marker string) []map[string]any {
	var out []map[string]any
	for {
		ev, err := s.TryNext(wait)
		if err != nil {
			return nil
		}
		out = append(out, ev)
		if ev["type"] == "message" && ev["room"] == room && ev["body"] == marker {
			return out
		}
	}
}

// checkQuietAfterBan checks one socket's events: the room's messages stop
// at the ban's member_left, and none of them was sequenced after it.
func checkQuietAfterBan(t *testing.T, i int, evs []map[string]any, room, user string) {
	t.Helper()
	left, before, after := -1.0, 0, 0
	for _, ev := range evs {
		if ev["room"] != room {
			continue
		}
		switch {
		case ev["type"] == "member_left" && ev["user"] == user:
			left, _ = ev["at_seq"].(float64)
		case ev["type"] == "message" && left < 0:
			before++
		case ev["type"] == "message":
			after++
		}
	}
	if left < 0 {
		t.Fatalf("socket %d: no member_left for the ban", i)
	}
	if after != 0 || before < 2 {
		t.Errorf("socket %d: %d messages of the room before the ban, %d after; want some, then none", i, before, after)
	}
	for _, ev := range evs {
		if seq, _ := ev["seq"].(float64); ev["room"] == room && ev["type"] == "message" && seq > left {
			t.Errorf("socket %d: message seq %v sequenced after the ban at %v", i, seq, left)
		}
	}
}
