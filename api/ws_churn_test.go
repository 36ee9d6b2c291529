package api_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/persistence/storetest"
)

// TestWS_ChurnUnderFanout: clients connect, subscribe and drop at random
// while a room fans out (B-15, B-16, B-17). Every frame any client reads
// must be valid (one JSON object per line, UTF-8), the server must not panic,
// and once the churn stops every connection is gone from the registry.
func TestWS_ChurnUnderFanout(t *testing.T) {
	e := apitest.Start(t)
	u := e.SignUp(t, "alice")
	room := createRoom(t, e, u.Token, "busy", "public").ID
	stop := make(chan struct{})
	var sent atomic.Int64
	go func() { // the room stays busy: bounded to 2000 sends
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			resp := e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/send_message/", u.Token,
				map[string]string{"body": fmt.Sprint("tick ", i)})
			if resp.Status == http.StatusCreated {
				sent.Add(1)
			}
		}
	}()
	var wg sync.WaitGroup
	var frames atomic.Int64
	for c := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 5 {
				w, _, err := e.DialWS(t, u.Token, nil)
				if err != nil {
					t.Errorf("client %d round %d: dial: %v", c, round, err)
					return
				}
				w.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room, "since": rand.IntN(5)})
				for range 1 + rand.IntN(20) {
					if _, err := w.TryNext(5 * time.Second); err != nil {
						if apitest.IsInvalidFrame(err) {
							t.Errorf("client %d: %v", c, err)
						}
						break
					}
					frames.Add(1)
				}
				_ = w.Conn.Close() // drop abruptly, mid-stream
			}
		}()
	}
	wg.Wait()
	close(stop)
	storetest.WaitFor(t, 10*time.Second, "every connection closed server-side", func() bool { return e.Server.OpenConns() == 0 })
	if frames.Load() == 0 || sent.Load() == 0 {
		t.Fatalf("nothing flowed: %d frames, %d sends", frames.Load(), sent.Load())
	}
	t.Logf("%d frames read across churn, %d messages sent", frames.Load(), sent.Load())
}

// TestWS_ResumeFromForeignPosition: a since beyond the room's last seq is not
// a position in this room (B-65): the reply says recovered=false and nothing
// is replayed; a deleted room cannot be subscribed at all.
func TestWS_ResumeFromForeignPosition(t *testing.T) {
	e := apitest.Start(t)
	u := e.SignUp(t, "alice")
	room := createRoom(t, e, u.Token, "r", "public").ID
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/send_message/", u.Token, map[string]string{"body": "one"}).Expect(t, http.StatusCreated)
	w := e.MustDialWS(t, u.Token)
	w.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room, "since": 999})
	if r := w.Reply(t, 1); r["recovered"] != false || r["last_seq"] != 1.0 {
		t.Fatalf("reply = %v, want recovered=false last_seq=1", r)
	}
	w.Send(t, map[string]any{"id": 2, "type": "ping"})
	w.Until(t, wait, func(ev map[string]any) bool {
		if ev["type"] == "message" {
			t.Errorf("replayed %v for a foreign position", ev)
		}
		return ev["type"] == "pong" // presence events may come first
	})
	e.Do(t, http.MethodDelete, "/api/chat/rooms/"+room+"/", u.Token, nil).Expect(t, http.StatusNoContent)
	if ev := w.Until(t, wait, func(ev map[string]any) bool { return ev["type"] == "room_deleted" }); ev["room"] != room {
		t.Errorf("room_deleted = %v", ev)
	}
	w.Send(t, map[string]any{"id": 3, "type": "subscribe", "room": room, "since": 0})
	if r := w.Reply(t, 3); r["code"] != "room_not_found" {
		t.Errorf("subscribe to deleted room = %v", r)
	}
}
