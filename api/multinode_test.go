package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/persistence/storetest"
)

// TestMultiNode_PresenceAndTickets runs two nodes on one Redis (same key
// prefix), each with its own HTTP server and Redis client: presence written
// on one node is read on the other, a user online through both stays online
// until the last connection closes, and a one-time ticket issued on one node
// opens a WebSocket on the other exactly once. (The nodes share one actor
// cluster, see apitest.Options.Peer: presence and tickets are shared state
// and need no more.)
func TestMultiNode_PresenceAndTickets(t *testing.T) {
	addr, prefix := storetest.StartRedis(t), storetest.UniqueName(t)
	a := apitest.StartWith(t, apitest.Options{Shared: openRedis(t, addr, prefix)})
	b := apitest.StartWith(t, apitest.Options{Peer: a, Shared: openRedis(t, addr, prefix)})
	alice, bob := a.SignUp(t, "alice"), a.SignUp(t, "bob")
	room := createRoom(t, a, alice.Token, "Everywhere", "public").ID
	a.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/join/", bob.Token, nil).Expect(t, http.StatusOK)

	// A ticket from node A opens a socket on node B, once.
	var tk struct {
		Ticket string `json:"ticket"`
	}
	a.Do(t, http.MethodPost, "/api/chat/ws-ticket", bob.Token, nil).Expect(t, http.StatusCreated).JSON(t, &tk)
	onB, err := b.DialWSPath(t, "/ws?ticket="+tk.Ticket)
	if err != nil {
		t.Fatalf("ticket from node A refused by node B: %v", err)
	}
	for _, n := range []*apitest.Env{b, a} {
		if _, err := n.DialWSPath(t, "/ws?ticket="+tk.Ticket); err == nil {
			t.Fatalf("a used ticket opened a second socket on %s", n.URL)
		}
	}

	// Bob is online through node B and node A; alice asks on either node.
	onB.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room})
	onB.Reply(t, 1)
	onA := a.MustDialWS(t, bob.Token)
	onA.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room})
	onA.Reply(t, 1)
	isOnline := func(n *apitest.Env) bool {
		var p struct {
			Online []string `json:"online"`
		}
		n.Do(t, http.MethodGet, "/api/chat/rooms/"+room+"/presence/", alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &p)
		return slices.Contains(p.Online, string(bob.ID))
	}
	if !isOnline(a) || !isOnline(b) {
		t.Fatalf("bob online on node A: %v, on node B: %v; want both", isOnline(a), isOnline(b))
	}
	_ = onB.Conn.Close() // node B's connection ends: bob is still online through node A
	storetest.WaitFor(t, wait, "node B to drop its connection", func() bool { return b.Server.OpenConns() == 0 })
	if !isOnline(b) {
		t.Fatal("bob went offline while his node-A connection is open")
	}
	_ = onA.Conn.Close()
	storetest.WaitFor(t, wait, "bob offline on node B", func() bool { return !isOnline(b) })
}
