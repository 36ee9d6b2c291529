package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/parleychat/parley"
)

// watch subscribes to a room over WebSocket and prints every event, one JSON
// object per line, until interrupted (or until --count messages arrived).
func (e env) watch(args []string) error {
	fs := e.flags("watch")
	c := e.clientFlags(fs)
	room := fs.String("room", "", "room id (required)")
	since := fs.Uint64("since", 0, "replay the messages after this seq first")
	count := fs.Int("count", 0, "exit after this many message events (0: run until interrupted)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := required("room", *room); err != nil {
		return err
	}
	if !parley.ValidID(*room) {
		return fmt.Errorf("%w: --room %q is not a room id", errUsage, *room)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	conn, err := dialWS(ctx, *c.server, *c.token)
	if err != nil {
		return err
	}
	defer conn.Close()
	go func() { <-ctx.Done(); _ = conn.Close() }() // unblock the read on Ctrl-C
	sub := map[string]any{"id": 1, "type": "subscribe", "room": *room, "since": *since}
	if err := conn.WriteJSON(sub); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return e.printEvents(ctx, conn, *count)
}

// printEvents prints events until count messages were seen, the connection
// closes or ctx ends. An error frame answering the subscription is an error.
func (e env) printEvents(ctx context.Context, conn *websocket.Conn, count int) error {
	seen := 0
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("connection ended: %w", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			fmt.Fprintln(e.stdout, line)
			var ev struct {
				Type, Code, Message string
				ID                  any // a request id (number) on replies, a message id (string) on messages
			}
			if json.Unmarshal([]byte(line), &ev) != nil {
				continue
			}
			if ev.Type == "error" && ev.ID == 1.0 {
				return fmt.Errorf("subscribe refused: %s (%s)", ev.Message, ev.Code)
			}
			if ev.Type == "message" {
				seen++
			}
		}
		if count > 0 && seen >= count {
			return nil
		}
	}
}

// dialWS opens the server's /ws with the token as a Bearer header.
func dialWS(ctx context.Context, server, token string) (*websocket.Conn, error) {
	u, err := url.Parse(strings.TrimRight(server, "/") + "/ws")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: --server %q must be an http(s) URL", errUsage, server)
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.DialContext(ctx, u.String(), h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("websocket handshake refused: %s", resp.Status)
		}
		return nil, fmt.Errorf("websocket: %w", err)
	}
	return conn, nil
}

// health exits 0 when the server answers /readyz with 200: for container
// health checks, where no curl is at hand.
func (e env) health(args []string) error {
	fs := e.flags("health")
	c := e.clientFlags(fs)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	cl := &http.Client{Timeout: 3 * time.Second}
	resp, err := cl.Get(strings.TrimRight(*c.server, "/") + "/readyz")
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("not ready: " + resp.Status)
	}
	fmt.Fprintln(e.stdout, "ready")
	return nil
}
