package api_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/persistence/storetest"
)

// TestLimits_ConnsPerUser: a user's sockets on one node are bounded; the
// handshake past the bound gets 429 with Retry-After before any upgrade, and
// a closed socket frees its slot.
func TestLimits_ConnsPerUser(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{WS: api.WSConfig{MaxConnsPerUser: 2}}})
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")
	first := e.MustDialWS(t, alice.Token)
	e.MustDialWS(t, alice.Token)
	_, resp, err := e.DialWS(t, alice.Token, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third socket of alice: resp %v, err %v; want 429 with Retry-After", resp, err)
	}
	e.MustDialWS(t, bob.Token) // other users are not affected
	_ = first.Conn.Close()
	storetest.WaitFor(t, wait, "alice's slot is freed", func() bool {
		w, _, err := e.DialWS(t, alice.Token, nil)
		if err == nil {
			_ = w.Conn.Close()
		}
		return err == nil
	})
}

// TestLimits_ConnsPerIP: sockets from one address are bounded whoever
// opens them.
func TestLimits_ConnsPerIP(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{WS: api.WSConfig{MaxConnsPerIP: 3}}})
	for i := range 3 {
		e.MustDialWS(t, e.Token(t, parley.UserID(fmt.Sprint("user", i)), false))
	}
	_, resp, err := e.DialWS(t, e.Token(t, "user9", false), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth socket from one IP: resp %v, err %v; want 429", resp, err)
	}
}

// TestLimits_FrameRate is B-20's rate half: frames over the rate are answered
// with rate_limited, and a client that keeps flooding is closed with 1008.
func TestLimits_FrameRate(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{WS: api.WSConfig{FrameRate: api.Rate{PerSecond: 0.5, Burst: 5}}}})
	w := e.MustDialWS(t, e.Token(t, "alice", false))
	answers := func(from, to int) []string {
		for id := from; id <= to; id++ {
			w.Send(t, map[string]any{"id": id, "type": "ping"})
		}
		var got []string
		for range to - from + 1 {
			ev := w.Next(t, wait)
			got = append(got, fmt.Sprint(ev["type"], " ", ev["code"]))
		}
		return got
	}
	if got := answers(1, 5); !slices.Equal(got, slices.Repeat([]string{"pong <nil>"}, 5)) {
		t.Fatalf("within the burst: %v, want 5 pongs", got)
	}
	if got := answers(6, 10); !slices.Equal(got, slices.Repeat([]string{"error rate_limited"}, 5)) {
		t.Fatalf("over the rate: %v, want 5 rate_limited errors", got)
	}
	_ = w.Conn.WriteJSON(map[string]any{"id": 11, "type": "ping"})
	if code := w.CloseCode(t, wait); code != wsproto.ClosePolicy {
		t.Errorf("flooding client closed with %d, want 1008", code)
	}
}

// TestLimits_TypingRate: typing signals beyond the per-connection rate are
// dropped, not relayed to the room.
func TestLimits_TypingRate(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{WS: api.WSConfig{TypingRate: api.Rate{PerSecond: 0.01, Burst: 2}}}})
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")
	room := createRoom(t, e, alice.Token, "general", "public").ID
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/join/", bob.Token, nil).Expect(t, http.StatusOK)
	bw := e.MustDialWS(t, bob.Token)
	bw.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room})
	bw.Reply(t, 1)
	aw := e.MustDialWS(t, alice.Token)
	for id := 1; id <= 6; id++ {
		aw.Send(t, map[string]any{"id": id, "type": "typing", "room": room})
	}
	aw.Send(t, map[string]any{"id": 7, "type": "send", "room": room, "body": "done typing"})
	aw.Reply(t, 7)
	typing := 0
	bw.Until(t, wait, func(ev map[string]any) bool {
		if ev["type"] == "typing" {
			typing++
		}
		return isMessage(ev)
	})
	if typing != 2 {
		t.Errorf("bob saw %d typing signals, want 2 (the burst)", typing)
	}
}

// TestLimits_OversizedFrameHeader is B-20: a frame that declares 64 MiB is
// refused with 1009 on its header, without the server buffering it.
func TestLimits_OversizedFrameHeader(t *testing.T) {
	e := apitest.Start(t)
	w := e.MustDialWS(t, e.Token(t, "alice", false))
	hdr := []byte{0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	binary.BigEndian.PutUint64(hdr[2:10], 64<<20)
	if _, err := w.Conn.NetConn().Write(append(hdr, make([]byte, 1024)...)); err != nil {
		t.Fatal(err)
	}
	if code := w.CloseCode(t, wait); code != wsproto.CloseTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
}

// TestLimits_StalledClients is B-23: a client that sends half a frame and
// stalls, and one that never answers pings, are closed within the idle
// timeout; their sockets and presence go away.
func TestLimits_StalledClients(t *testing.T) {
	const idle = time.Second
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{WS: api.WSConfig{IdleTimeout: idle, PingInterval: 200 * time.Millisecond}}})
	alice := e.SignUp(t, "alice")
	room := createRoom(t, e, alice.Token, "general", "public").ID
	const n = 10
	ended := make(chan time.Duration, 2*n)
	for i := range 2 * n {
		w := e.MustDialWS(t, alice.Token)
		w.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room})
		w.Reply(t, 1)
		w.Conn.SetPingHandler(func(string) error { return nil }) // never pong
		start := time.Now()
		if i < n { // half a frame: a header announcing 100 bytes, then 10
			if _, err := w.Conn.NetConn().Write(append([]byte{0x81, 0x80 | 100, 1, 2, 3, 4}, make([]byte, 10)...)); err != nil {
				t.Fatal(err)
			}
		}
		go func() {
			for {
				if _, _, err := w.Conn.ReadMessage(); err != nil {
					ended <- time.Since(start)
					return
				}
			}
		}()
	}
	for range 2 * n {
		if d := <-ended; d > idle+2*time.Second {
			t.Errorf("a stalled client was closed after %v, want about %v", d, idle)
		}
	}
	storetest.WaitFor(t, wait, "sockets closed", func() bool { return e.Server.OpenConns() == 0 })
	storetest.WaitFor(t, wait, "presence cleared", func() bool {
		online, err := e.Shared.Online(t.Context(), parley.RoomID(room))
		return err == nil && len(online) == 0
	})
}

// TestLimits_Slowloris: a client that trickles its request headers is cut off
// at the read timeout, on the REST routes and on the WebSocket handshake.
func TestLimits_Slowloris(t *testing.T) {
	const readTimeout = time.Second
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{ReadTimeout: readTimeout}})
	for _, start := range []string{"GET /api/chat/rooms/ HTTP/1.1\r\nHost: x\r\n", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"} {
		conn, err := net.Dial("tcp", e.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		begin := time.Now()
		if _, err := io.WriteString(conn, start); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = io.Copy(io.Discard, conn) // ends when the server closes
		}()
		ticker := time.NewTicker(100 * time.Millisecond)
	trickle:
		for i := 0; ; i++ {
			select {
			case <-done:
				break trickle
			case <-ticker.C:
				if _, err := fmt.Fprintf(conn, "X-Slow-%d: y\r\n", i); err != nil {
					<-done
					break trickle
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%q: still open after 10s", firstLine(start))
			}
		}
		ticker.Stop()
		if d := time.Since(begin); d > readTimeout+2*time.Second {
			t.Errorf("%q: closed after %v, want about %v", firstLine(start), d, readTimeout)
		}
	}
}

// TestLimits_ClientIP is B-10: per-IP limits count the socket peer unless it
// is a trusted proxy, and then the right-most untrusted X-Forwarded-For hop.
func TestLimits_ClientIP(t *testing.T) {
	login := func(e *apitest.Env, user, xff string) int {
		req := e.NewRequest(t, http.MethodPost, "/api/auth/login", strings.NewReader(`{"username":"`+user+`","password":"wrong password"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		return e.Send(t, req).Status
	}
	statuses := func(e *apitest.Env, xff func(i int) string) []int {
		var out []int
		for i := range 7 { // a new username each time: only the IP limit can bite
			out = append(out, login(e, "user"+parley.NewID()[:8], xff(i)))
		}
		return out
	}
	limited := []int{401, 401, 401, 401, 401, 429, 429}
	free := []int{401, 401, 401, 401, 401, 401, 401}

	direct := apitest.StartWith(t, apitest.Options{Config: api.Config{LoginLimit: api.Limit{Count: 5}}})
	if got := statuses(direct, func(i int) string { return fmt.Sprint("198.51.100.", i) }); !slices.Equal(got, limited) {
		t.Errorf("spoofed X-Forwarded-For without a trusted proxy: %v, want %v", got, limited)
	}
	direct.Stop(t)

	proxied := apitest.StartWith(t, apitest.Options{Config: api.Config{LoginLimit: api.Limit{Count: 5}, TrustedProxies: []string{"127.0.0.1/32"}}})
	if got := statuses(proxied, func(i int) string { return fmt.Sprint("198.51.100.", i) }); !slices.Equal(got, free) {
		t.Errorf("distinct clients behind a trusted proxy: %v, want %v", got, free)
	}
	if got := statuses(proxied, func(i int) string { return fmt.Sprint("10.0.0.", i, ", 203.0.113.7") }); !slices.Equal(got, limited) {
		t.Errorf("spoofed left part behind a trusted proxy: %v, want %v", got, limited)
	}
	if got := statuses(proxied, func(i int) string { return fmt.Sprint("10.0.1.", i, ", 203.0.113.8, 127.0.0.1") }); !slices.Equal(got, limited) {
		t.Errorf("through two trusted proxies: %v, want %v", got, limited)
	}
}
