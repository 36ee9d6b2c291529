package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// loadConfig bounds one load run in count and in time.
type loadConfig struct {
	rooms, senders, messages, watchers int
	duration                           time.Duration
}

// load is the load generator: senders WebSocket connections send messages,
// round robin over rooms it creates, each waiting for its ack; watchers
// connections subscribe to the first room and count deliveries. It stops at
// --messages acks or --duration, whichever comes first, and prints figures.
func (e env) load(args []string) error {
	fs := e.flags("load")
	c := e.clientFlags(fs)
	var lc loadConfig
	fs.IntVar(&lc.rooms, "rooms", 10, "rooms to create and spread the sends over")
	fs.IntVar(&lc.senders, "senders", 32, "concurrent sending connections")
	fs.IntVar(&lc.messages, "messages", 20000, "stop after this many acked sends (at most 1,000,000)")
	fs.IntVar(&lc.watchers, "watchers", 0, "connections subscribed to the first room, counting deliveries")
	fs.DurationVar(&lc.duration, "duration", time.Minute, "stop after this long (at most 10m)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if lc.rooms < 1 || lc.senders < 1 || lc.messages < 1 || lc.messages > 1_000_000 || lc.watchers < 0 ||
		lc.duration <= 0 || lc.duration > 10*time.Minute {
		return fmt.Errorf("%w: rooms, senders and messages must be positive (messages ≤ 1,000,000), duration in (0, 10m]", errUsage)
	}
	rooms, err := createLoadRooms(c, lc.rooms)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), lc.duration)
	defer cancel()
	delivered, stopWatch, err := startWatchers(ctx, *c.server, *c.token, rooms[0], lc.watchers)
	if err != nil {
		return err
	}
	res := runSenders(ctx, *c.server, *c.token, rooms, lc)
	stopWatch()
	res.delivered = delivered.Load()
	res.print(e, lc)
	return res.err
}

func createLoadRooms(c *client, n int) ([]string, error) {
	rooms := make([]string, n)
	stamp := time.Now().UTC().Format("150405")
	for i := range rooms {
		var r struct{ ID string }
		body := map[string]string{"name": fmt.Sprintf("load %s #%d", stamp, i), "kind": "private"}
		if err := c.call("POST", "/api/chat/rooms/", body, &r); err != nil {
			return nil, fmt.Errorf("create room: %w", err)
		}
		rooms[i] = r.ID
	}
	return rooms, nil
}

// loadResult is what a run measured.
type loadResult struct {
	acked, refused int64
	elapsed        time.Duration
	latencies      []time.Duration
	delivered      int64
	err            error
}

func runSenders(ctx context.Context, server, token string, rooms []string, lc loadConfig) loadResult {
	var res loadResult
	var mu sync.Mutex
	var wg sync.WaitGroup
	var budget atomic.Int64
	budget.Store(int64(lc.messages))
	start := time.Now()
	for s := range lc.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat, refused, err := sendLoop(ctx, server, token, rooms, s, &budget)
			mu.Lock()
			defer mu.Unlock()
			res.latencies = append(res.latencies, lat...)
			res.refused += refused
			if err != nil && res.err == nil {
				res.err = err
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.acked = int64(len(res.latencies))
	return res
}

// sendLoop sends on one connection until the shared budget or ctx runs out.
func sendLoop(ctx context.Context, server, token string, rooms []string, sender int, budget *atomic.Int64) ([]time.Duration, int64, error) {
	conn, err := dialWS(ctx, server, token)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	go func() { <-ctx.Done(); _ = conn.Close() }()
	var lat []time.Duration
	var refused int64
	for i := 0; budget.Add(-1) >= 0 && ctx.Err() == nil; i++ {
		frame := map[string]any{"id": i + 1, "type": "send", "room": rooms[(sender+i)%len(rooms)],
			"body": "load test message", "client_id": fmt.Sprintf("load-%d-%d-%d", time.Now().UnixNano(), sender, i)}
		t0 := time.Now()
		if err := conn.WriteJSON(frame); err != nil {
			return lat, refused, nil // ctx ended: the connection was closed under us
		}
		ok, err := awaitReply(conn, uint64(i+1))
		if err != nil {
			return lat, refused, nil
		}
		if ok {
			lat = append(lat, time.Since(t0))
		} else {
			refused++
		}
	}
	return lat, refused, nil
}

// awaitReply reads until the reply or error to id; other events are skipped.
func awaitReply(conn *websocket.Conn, id uint64) (bool, error) {
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return false, err
		}
		for _, line := range strings.Split(string(data), "\n") {
			var ev struct {
				Type string
				ID   any // a number on replies, a string on message events
			}
			if json.Unmarshal([]byte(line), &ev) == nil && ev.ID == float64(id) && (ev.Type == "reply" || ev.Type == "error") {
				return ev.Type == "reply", nil
			}
		}
	}
}

// startWatchers subscribes n connections to room and counts message events.
func startWatchers(ctx context.Context, server, token, room string, n int) (*atomic.Int64, func(), error) {
	var count atomic.Int64
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, 0, n)
	for range n {
		conn, err := dialWS(ctx, server, token)
		if err != nil {
			return nil, nil, err
		}
		if err := conn.WriteJSON(map[string]any{"id": 1, "type": "subscribe", "room": room}); err != nil {
			return nil, nil, err
		}
		conns = append(conns, conn)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					return
				}
				count.Add(int64(strings.Count(string(data), `"type":"message"`)))
			}
		}()
	}
	stop := func() {
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
	}
	return &count, stop, nil
}

func (r loadResult) print(e env, lc loadConfig) {
	slices.Sort(r.latencies)
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	secs := r.elapsed.Seconds()
	fmt.Fprintf(e.stdout, "rooms=%d senders=%d watchers=%d elapsed=%.2fs\n", lc.rooms, lc.senders, lc.watchers, secs)
	fmt.Fprintf(e.stdout, "acked=%d refused=%d sends/s=%.0f ack p50=%v p99=%v\n",
		r.acked, r.refused, float64(r.acked)/secs, pct(0.50), pct(0.99))
	if lc.watchers > 0 {
		fmt.Fprintf(e.stdout, "delivered=%d deliveries/s=%.0f\n", r.delivered, float64(r.delivered)/secs)
	}
}
