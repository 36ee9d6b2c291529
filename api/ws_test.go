package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
)

const wait = 10 * time.Second

func isMessage(ev map[string]any) bool { return ev["type"] == "message" }

func TestWS_HandshakeNeedsCredentials(t *testing.T) {
	e := apitest.Start(t)
	_, resp, err := e.DialWS(t, "", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous handshake: resp=%v err=%v; want 401", resp, err)
	}
	_, resp, err = e.DialWS(t, "not-a-token", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token handshake: resp=%v err=%v; want 401", resp, err)
	}
	for _, cookie := range []string{"a=b; ;=;;c", "=", strings.Repeat(";", 4000), "parley_access=\xff\xfe"} {
		h := http.Header{"Cookie": []string{cookie}}
		_, resp, err := e.DialWS(t, "", h)
		if err == nil || resp == nil || resp.StatusCode >= 500 {
			t.Errorf("cookie %q: resp=%v err=%v; want a 4xx", cookie[:min(len(cookie), 20)], resp, err)
		}
	}
	u := e.SignUp(t, "alice")
	w := e.MustDialWS(t, u.Token)
	w.Send(t, map[string]any{"id": 1, "type": "ping"})
	if ev := w.Next(t, wait); ev["type"] != "pong" || ev["id"] != 1.0 {
		t.Fatalf("ping answered %v", ev)
	}
}

func TestWS_ChatStory(t *testing.T) {
	e := apitest.Start(t)
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")
	room := createRoom(t, e, alice.Token, "general", "public").ID
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/join/", bob.Token, nil).Expect(t, http.StatusOK)

	aw, bw := e.MustDialWS(t, alice.Token), e.MustDialWS(t, bob.Token)
	for _, w := range []*apitest.WS{aw, bw} {
		w.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room, "since": 0})
		if r := w.Reply(t, 1); r["ok"] != true || r["last_seq"] != 0.0 {
			t.Fatalf("subscribe reply = %v", r)
		}
	}
	aw.Send(t, map[string]any{"id": 2, "type": "send", "room": room, "body": "hi bob", "client_id": "c1"})
	r := aw.Reply(t, 2)
	if r["ok"] != true || r["seq"] != 1.0 || r["message_id"] == "" {
		t.Fatalf("send reply = %v", r)
	}
	ev := bw.Until(t, wait, isMessage)
	if ev["body"] != "hi bob" || ev["sender"] != string(alice.ID) || ev["seq"] != 1.0 {
		t.Errorf("bob got %v", ev)
	}
	// A REST send reaches WebSocket subscribers too.
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/send_message/", bob.Token, map[string]string{"body": "hi alice"}).
		Expect(t, http.StatusCreated)
	if ev := aw.Until(t, wait, func(ev map[string]any) bool { return isMessage(ev) && ev["seq"] == 2.0 }); ev["body"] != "hi alice" {
		t.Errorf("alice got %v", ev)
	}
	// Same client_id again: the first reply, no second message.
	aw.Send(t, map[string]any{"id": 3, "type": "send", "room": room, "body": "hi bob", "client_id": "c1"})
	if r := aw.Reply(t, 3); r["seq"] != 1.0 || r["message_id"] != r["message_id"] {
		t.Errorf("resend reply = %v, want seq 1", r)
	}
	aw.Send(t, map[string]any{"id": 4, "type": "send", "room": room, "body": "different", "client_id": "c1"})
	if r := aw.Reply(t, 4); r["code"] != "client_id_reused" {
		t.Errorf("reuse reply = %v", r)
	}
	// Resume after a reconnect: since=1 replays exactly seq 2.
	cw := e.MustDialWS(t, bob.Token)
	cw.Send(t, map[string]any{"id": 5, "type": "subscribe", "room": room, "since": 1})
	if r := cw.Reply(t, 5); r["last_seq"] != 2.0 || r["recovered"] != true {
		t.Fatalf("resume reply = %v", r)
	}
	if ev := cw.Next(t, wait); !isMessage(ev) || ev["seq"] != 2.0 {
		t.Errorf("resume replayed %v, want seq 2", ev)
	}
}

func TestWS_BadFrames(t *testing.T) {
	e := apitest.Start(t)
	u := e.SignUp(t, "alice")
	room := createRoom(t, e, u.Token, "general", "private").ID
	w := e.MustDialWS(t, u.Token)
	frames := []struct {
		frame, code, field string
	}{
		{`not json`, "invalid", "frame"},
		{`{"id":1,"type":"subscribe","room":{"$ne":null}}`, "invalid", "room"},
		{`{"id":2,"type":"send","room":"` + room + `","body":"` + strings.Repeat("x", 4001) + `"}`, "invalid", "body"},
		{`{"id":3,"type":"send","room":"` + room + `","body":"a\u0000b"}`, "invalid", "body"},
		{`{"id":4,"type":"send","room":"` + room + `","body":"   "}`, "invalid", "body"},
		{`{"id":5,"type":"launch","room":"` + room + `"}`, "invalid", "type"},
		{`{"id":6,"type":"subscribe","room":"nosuchroom"}`, "room_not_found", ""},
		{`{"id":7,"type":"ping","extra":true}`, "invalid", "extra"},
	}
	for _, f := range frames {
		if err := w.Conn.WriteMessage(websocket.TextMessage, []byte(f.frame)); err != nil {
			t.Fatal(err)
		}
		ev := w.Until(t, wait, func(ev map[string]any) bool { return ev["type"] == "error" })
		if ev["code"] != f.code || (f.field != "" && ev["field"] != f.field) {
			t.Errorf("frame %.40s: error %v, want %s on %q", f.frame, ev, f.code, f.field)
		}
	}
	// Still open after all of that.
	w.Send(t, map[string]any{"id": 9, "type": "subscribe", "room": room})
	if r := w.Reply(t, 9); r["ok"] != true {
		t.Fatalf("subscribe after bad frames = %v", r)
	}
	if last, _ := e.Store.LastSeq(t.Context(), parley.RoomID(room)); last != 0 {
		t.Errorf("bad frames stored %d messages", last)
	}
}

func TestWS_ProtocolViolationsClose(t *testing.T) {
	e := apitest.Start(t)
	u := e.SignUp(t, "alice")
	tests := []struct {
		name string
		mt   int
		data []byte
		code int
	}{
		{"Binary", websocket.BinaryMessage, []byte(`{"type":"ping"}`), wsproto.CloseUnsupportedData},
		{"InvalidUTF8", websocket.TextMessage, []byte("{\"type\":\"ping\",\"x\":\"\xff\"}"), wsproto.CloseInvalidData},
		{"TooBig", websocket.TextMessage, []byte(`{"type":"ping","x":"` + strings.Repeat("x", 64<<10) + `"}`), wsproto.CloseTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.MustDialWS(t, u.Token)
			// The server may close on the frame header, before a large write
			// finishes: a write error here is expected, the close code is not.
			_ = w.Conn.WriteMessage(tt.mt, tt.data)
			if code := w.CloseCode(t, wait); code != tt.code {
				t.Errorf("close code = %d, want %d", code, tt.code)
			}
		})
	}
	w := e.MustDialWS(t, u.Token) // the server is still fine
	w.Send(t, map[string]any{"id": 1, "type": "ping"})
	if ev := w.Next(t, wait); ev["type"] != "pong" {
		t.Errorf("after violations: %v", ev)
	}
}

func TestWS_ShutdownSendsGoingAway(t *testing.T) {
	e := apitest.Start(t)
	u := e.SignUp(t, "alice")
	ws := []*apitest.WS{e.MustDialWS(t, u.Token), e.MustDialWS(t, u.Token), e.MustDialWS(t, u.Token)}
	for _, w := range ws { // each connection is registered once it answers
		w.Send(t, map[string]any{"id": 1, "type": "ping"})
		w.Next(t, wait)
	}
	done := make(chan struct{})
	go func() { e.Stop(t); close(done) }()
	for i, w := range ws {
		if code := w.CloseCode(t, wait); code != wsproto.CloseGoingAway {
			t.Errorf("conn %d: close code %d, want 1001", i, code)
		}
	}
	<-done
}

func TestWS_KickedMemberStopsReceiving(t *testing.T) {
	e := apitest.Start(t)
	owner, bob := e.SignUp(t, "owner"), e.SignUp(t, "bob")
	room := createRoom(t, e, owner.Token, "general", "public").ID
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/join/", bob.Token, nil).Expect(t, http.StatusOK)
	bw, ow := e.MustDialWS(t, bob.Token), e.MustDialWS(t, owner.Token)
	for _, w := range []*apitest.WS{bw, ow} {
		w.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room})
		w.Reply(t, 1)
	}
	e.Do(t, http.MethodDelete, "/api/chat/rooms/"+room+"/members/"+string(bob.ID)+"/", owner.Token, nil).Expect(t, http.StatusNoContent)
	left := bw.Until(t, wait, func(ev map[string]any) bool { return ev["type"] == "member_left" })
	if left["reason"] != "kicked" {
		t.Errorf("member_left = %v", left)
	}
	ow.Send(t, map[string]any{"id": 2, "type": "send", "room": room, "body": "secret"})
	ow.Until(t, wait, isMessage) // the owner's own copy (before or after the reply): the event has been fanned out
	bw.Send(t, map[string]any{"id": 3, "type": "ping"})
	if ev := bw.Next(t, wait); ev["type"] != "pong" {
		t.Errorf("kicked member received %v after the kick", ev)
	}
	bw.Send(t, map[string]any{"id": 4, "type": "send", "room": room, "body": "still here?"})
	if r := bw.Reply(t, 4); r["code"] != "not_member" {
		t.Errorf("kicked member's send = %v", r)
	}
}

// TestWS_SlowConsumerIsClosed: a client that stops reading while its room is
// busy is closed instead of growing the server's memory.
func TestWS_SlowConsumerIsClosed(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{WS: api.WSConfig{OutboxFrames: 8, OutboxBytes: 64 << 10}}})
	u := e.SignUp(t, "alice")
	room := createRoom(t, e, u.Token, "general", "public").ID
	slow := e.MustDialWS(t, u.Token)
	slow.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room})
	slow.Reply(t, 1)
	body := strings.Repeat("x", 3900)
	var wg sync.WaitGroup
	for g := range 4 { // bounded: at most 4 x 500 sends
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				resp := e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/send_message/", u.Token,
					map[string]string{"body": body, "client_id": fmt.Sprint("g", g, "-", i)})
				if resp.Status != http.StatusCreated {
					return
				}
			}
		}()
	}
	wg.Wait()
	code := slow.CloseCode(t, 30*time.Second)
	if code != wsproto.CloseSlowConsumer && code != websocket.CloseAbnormalClosure {
		t.Errorf("slow consumer close code = %d, want 4000 (or 1006 if its buffers were full)", code)
	}
}
