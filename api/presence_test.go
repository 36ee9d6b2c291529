package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/persistence/storetest"
)

func TestWS_TicketIsSingleUse(t *testing.T) {
	e := apitest.Start(t)
	u := e.SignUp(t, "alice")
	var tk struct {
		Ticket    string `json:"ticket"`
		ExpiresIn int    `json:"expires_in"`
	}
	e.Do(t, http.MethodPost, "/api/chat/ws-ticket", u.Token, nil).Expect(t, http.StatusCreated).JSON(t, &tk)
	if len(tk.Ticket) < 40 || tk.ExpiresIn != 30 {
		t.Fatalf("ticket = %+v", tk)
	}
	e.Do(t, http.MethodPost, "/api/chat/ws-ticket", "", nil).Expect(t, http.StatusUnauthorized)
	w, err := e.DialWSPath(t, "/ws?ticket="+tk.Ticket)
	if err != nil {
		t.Fatalf("dial with ticket: %v", err)
	}
	w.Send(t, map[string]any{"id": 1, "type": "ping"})
	w.Next(t, wait)
	if _, err := e.DialWSPath(t, "/ws?ticket="+tk.Ticket); err == nil {
		t.Error("a used ticket opened a second connection")
	}
	if _, err := e.DialWSPath(t, "/ws?ticket=forged0123456789"); err == nil {
		t.Error("a forged ticket opened a connection")
	}
}

func TestWS_PresenceFollowsConnections(t *testing.T) {
	e := apitest.Start(t)
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")
	room := createRoom(t, e, alice.Token, "general", "public").ID
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/join/", bob.Token, nil).Expect(t, http.StatusOK)
	online := func() []string {
		var p struct {
			Online []string `json:"online"`
		}
		e.Do(t, http.MethodGet, "/api/chat/rooms/"+room+"/presence/", alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &p)
		return p.Online
	}
	aw := e.MustDialWS(t, alice.Token)
	aw.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room})
	aw.Reply(t, 1)
	tabs := []*apitest.WS{e.MustDialWS(t, bob.Token), e.MustDialWS(t, bob.Token)} // two tabs
	for _, w := range tabs {
		w.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room})
		w.Reply(t, 1)
	}
	aw.Until(t, wait, func(ev map[string]any) bool {
		return ev["type"] == "presence" && ev["user"] == string(bob.ID) && ev["online"] == true
	})
	if got := online(); !slices.Contains(got, string(bob.ID)) || !slices.Contains(got, string(alice.ID)) {
		t.Fatalf("online = %v, want alice and bob", got)
	}
	_ = tabs[0].Conn.Close() // one tab closes: bob stays online
	storetest.WaitFor(t, wait, "first tab's departure", func() bool { return e.Server.OpenConns() == 2 })
	if got := online(); !slices.Contains(got, string(bob.ID)) {
		t.Fatalf("after one tab closed: online = %v, want bob still there", got)
	}
	_ = tabs[1].Conn.Close()
	aw.Until(t, wait, func(ev map[string]any) bool {
		return ev["type"] == "presence" && ev["user"] == string(bob.ID) && ev["online"] == false
	})
	if got := online(); slices.Contains(got, string(bob.ID)) {
		t.Errorf("after both tabs closed: online = %v", got)
	}
}
