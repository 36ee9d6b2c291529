package apitest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// WS is a real WebSocket client speaking Parley's protocol, for tests. Read
// methods split server frames into events (one JSON object per line).
type WS struct {
	Conn    *websocket.Conn
	pending []map[string]any
}

// DialWS opens /ws with the given token as a Bearer header ("" for none) and
// returns the client, or the handshake's HTTP response and error.
func (e *Env) DialWS(t testing.TB, token string, header http.Header) (*WS, *http.Response, error) {
	t.Helper()
	if header == nil {
		header = http.Header{}
	}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.Dial("ws://"+e.Addr+"/ws", header)
	if err != nil {
		return nil, resp, err
	}
	w := &WS{Conn: conn}
	t.Cleanup(func() { _ = conn.Close() })
	return w, resp, nil
}

// MustDialWS opens /ws as token's user or fails t.
func (e *Env) MustDialWS(t testing.TB, token string) *WS {
	t.Helper()
	w, _, err := e.DialWS(t, token, nil)
	if err != nil {
		t.Fatalf("dial ws: %v", err)
	}
	return w
}

// Send writes one client frame.
func (w *WS) Send(t testing.TB, frame any) {
	t.Helper()
	if err := w.Conn.WriteJSON(frame); err != nil {
		t.Fatalf("ws send: %v", err)
	}
}

// Next returns the next event, waiting up to timeout.
func (w *WS) Next(t testing.TB, timeout time.Duration) map[string]any {
	t.Helper()
	ev, err := w.TryNext(timeout)
	if err != nil {
		t.Fatalf("ws read: %v", err)
	}
	return ev
}

// TryNext returns the next event or the read error (a *websocket.CloseError
// when the server closed with a code).
func (w *WS) TryNext(timeout time.Duration) (map[string]any, error) {
	for len(w.pending) == 0 {
		_ = w.Conn.SetReadDeadline(time.Now().Add(timeout))
		mt, data, err := w.Conn.ReadMessage()
		if err != nil {
			return nil, err
		}
		if mt != websocket.TextMessage {
			return nil, errInvalidFrame{"ws: server sent a non-text frame"}
		}
		for _, line := range strings.Split(string(data), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				return nil, errInvalidFrame{"ws: server sent a line that is not one JSON object: " + line}
			}
			w.pending = append(w.pending, ev)
		}
	}
	ev := w.pending[0]
	w.pending = w.pending[1:]
	return ev, nil
}

// Until returns the first event for which match is true, failing t if the
// connection ends or timeout passes first.
func (w *WS) Until(t testing.TB, timeout time.Duration, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ev := w.Next(t, time.Until(deadline))
		if match(ev) {
			return ev
		}
	}
}

// Reply waits for the reply or error to request id.
func (w *WS) Reply(t testing.TB, id uint64) map[string]any {
	t.Helper()
	return w.Until(t, 10*time.Second, func(ev map[string]any) bool {
		return (ev["type"] == "reply" || ev["type"] == "error") && ev["id"] == float64(id)
	})
}

// CloseCode reads until the server closes and returns its close code (1006
// when the connection ended without a close frame), or fails t on timeout.
func (w *WS) CloseCode(t testing.TB, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := w.TryNext(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if time.Now().After(deadline) {
			t.Fatalf("ws: no close within %v: %v", timeout, err)
		}
		return websocket.CloseAbnormalClosure
	}
}

// DialWSPath opens the given path (with its query) without credentials.
func (e *Env) DialWSPath(t testing.TB, pathAndQuery string) (*WS, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial("ws://"+e.Addr+pathAndQuery, nil)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &WS{Conn: conn}, nil
}

// errInvalidFrame marks a frame that breaks the protocol (not one JSON object
// per line, or not text).
type errInvalidFrame struct{ msg string }

func (e errInvalidFrame) Error() string { return e.msg }

// IsInvalidFrame reports whether err is a protocol violation by the server,
// as opposed to the connection ending.
func IsInvalidFrame(err error) bool {
	var e errInvalidFrame
	return errors.As(err, &e)
}
