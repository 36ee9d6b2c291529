package api

import (
	"context"
	"sync"
	"time"

	"github.com/parleychat/parley/api/wsproto"
)

// WSConfig tunes the WebSocket endpoint. Every field has a usable zero value.
type WSConfig struct {
	// MaxFrame bounds one client frame in bytes; a larger one closes the
	// connection with 1009 before it is buffered. Zero means 32 KiB.
	MaxFrame int
	// OutboxFrames and OutboxBytes bound a connection's queued outbound events;
	// a client that falls further behind is closed with 4000 (slow consumer)
	// and resumes with since. Zero means 1024 frames and 4 MiB.
	OutboxFrames int
	OutboxBytes  int
	// PingInterval is how often the server pings; zero means 25s.
	PingInterval time.Duration
	// IdleTimeout closes a connection from which nothing (not even a pong) was
	// read for this long; zero means 60s.
	IdleTimeout time.Duration
	// WriteTimeout bounds one frame write; zero means 10s.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the upgrade; zero means 10s.
	HandshakeTimeout time.Duration
	// MaxConnsPerUser and MaxConnsPerIP bound the open connections of one
	// user and of one client IP on this node; a handshake past either gets 429
	// with Retry-After. Zero means 20 per user and 100 per IP.
	MaxConnsPerUser int
	MaxConnsPerIP   int
	// FrameRate bounds the frames one connection sends. A frame over it is
	// answered with a rate_limited error frame; a connection whose refused
	// frames alone exceed the rate again is closed with 1008. Zero means 20
	// per second with bursts of 40.
	FrameRate Rate
	// TypingRate bounds the typing signals one connection relays; extra ones
	// are dropped silently. Zero means 1 per second with bursts of 3.
	TypingRate Rate
}

// Rate is a token bucket: PerSecond events on average, up to Burst at once.
type Rate struct {
	PerSecond float64 // zero means the default of the field that holds it
	Burst     int     // zero means the default of the field that holds it
}

func (c WSConfig) withDefaults() WSConfig {
	if c.MaxFrame <= 0 {
		c.MaxFrame = wsproto.MaxClientFrame
	}
	if c.OutboxFrames <= 0 {
		c.OutboxFrames = 1024
	}
	if c.OutboxBytes <= 0 {
		c.OutboxBytes = 4 << 20
	}
	if c.MaxConnsPerUser <= 0 {
		c.MaxConnsPerUser = 20
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = 100
	}
	c.FrameRate = c.FrameRate.withDefaults(Rate{PerSecond: 20, Burst: 40})
	c.TypingRate = c.TypingRate.withDefaults(Rate{PerSecond: 1, Burst: 3})
	for _, d := range []struct {
		v *time.Duration
		d time.Duration
	}{{&c.PingInterval, 25 * time.Second}, {&c.IdleTimeout, 60 * time.Second}, {&c.WriteTimeout, 10 * time.Second}, {&c.HandshakeTimeout, 10 * time.Second}} {
		if *d.v <= 0 {
			*d.v = d.d
		}
	}
	return c
}

// connRegistry tracks open WebSockets so shutdown can close each with 1001
// and wait for its handler. The mutex guards only the map.
type connRegistry struct {
	mu      sync.Mutex
	conns   map[*wsConn]struct{}
	closing bool
	wg      sync.WaitGroup
}

func newConnRegistry() *connRegistry { return &connRegistry{conns: map[*wsConn]struct{}{}} }

// add registers c; false when the server is shutting down.
func (r *connRegistry) add(c *wsConn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false
	}
	r.conns[c] = struct{}{}
	r.wg.Add(1)
	return true
}

func (r *connRegistry) remove(c *wsConn) {
	r.mu.Lock()
	_, ok := r.conns[c]
	delete(r.conns, c)
	r.mu.Unlock()
	if ok {
		r.wg.Done()
	}
}

// count returns the number of open connections.
func (r *connRegistry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}

// closeAll tells every connection the server is going away (1001) and waits
// for their handlers to return, or for ctx.
func (r *connRegistry) closeAll(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	conns := make([]*wsConn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	for _, c := range conns {
		go c.closeWith(wsproto.CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// OpenConns returns the number of open WebSocket connections.
func (s *Server) OpenConns() int { return s.conns.count() }
