package api

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
)

// Connection limits: how many sockets a user and an IP may hold on this node,
// and how fast one socket may send. The handshake reserves a slot before the
// upgrade, so a flood of handshakes is refused with 429 instead of becoming a
// flood of goroutines; the socket's handler releases it when it ends.

// connRetryAfter is the Retry-After of a handshake refused for too many
// connections: a slot frees only when another socket closes.
const connRetryAfter = 30 * time.Second

// localSlot is the Locals key of the handshake's connection slot
// (contrib/websocket copies Locals by string key into the connection).
const localSlot = "parley.slot"

func (r Rate) withDefaults(d Rate) Rate {
	if r.PerSecond <= 0 {
		r.PerSecond = d.PerSecond
	}
	if r.Burst <= 0 {
		r.Burst = d.Burst
	}
	return r
}

// connLimits counts open (and upgrading) connections per user and per IP.
// The mutex guards only the two maps.
type connLimits struct {
	perUser, perIP int

	mu    sync.Mutex
	users map[parley.UserID]int
	ips   map[string]int
}

func newConnLimits(cfg WSConfig) *connLimits {
	return &connLimits{perUser: cfg.MaxConnsPerUser, perIP: cfg.MaxConnsPerIP,
		users: map[parley.UserID]int{}, ips: map[string]int{}}
}

// reserve takes a slot for one connection of user from ip, or returns a
// *limitError (429) when either is at its limit.
func (l *connLimits) reserve(user parley.UserID, ip string) (*connSlot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.users[user] >= l.perUser || l.ips[ip] >= l.perIP {
		return nil, &limitError{retryAfter: connRetryAfter}
	}
	l.users[user]++
	l.ips[ip]++
	return &connSlot{l: l, user: user, ip: ip}, nil
}

func (l *connLimits) free(user parley.UserID, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.users[user]--; l.users[user] <= 0 {
		delete(l.users, user)
	}
	if l.ips[ip]--; l.ips[ip] <= 0 {
		delete(l.ips, ip)
	}
}

// connSlot is one reserved connection. The socket's handler claims it; a
// slot whose upgrade never ran (the client vanished before the 101 was
// written) is released by a timer, so no slot leaks.
type connSlot struct {
	l        *connLimits
	user     parley.UserID
	ip       string
	claimed  atomic.Bool // by the handler, or by the timer that released it
	released sync.Once
}

// claim marks the slot as owned by a running connection; false if the
// timer released it first (the handler then closes at once).
func (s *connSlot) claim() bool { return s != nil && s.claimed.CompareAndSwap(false, true) }

// release frees the slot; safe to call more than once, and on nil.
func (s *connSlot) release() {
	if s != nil {
		s.released.Do(func() { s.l.free(s.user, s.ip) })
	}
}

// releaseUnclaimed frees the slot unless a handler claimed it.
func (s *connSlot) releaseUnclaimed() {
	if s.claim() {
		s.release()
	}
}

// admitWS reserves a connection slot for p from the client's IP, then runs
// the upgrade. The slot is released when the upgrade fails, when the socket's
// handler ends, or (if the handler never runs) after the handshake and write
// timeouts.
func (s *Server) admitWS(c *fiber.Ctx, p parley.Principal) error {
	slot, err := s.wsLimits.reserve(p.User, c.IP())
	if err != nil {
		return err
	}
	c.Locals(localSlot, slot)
	if err := c.Next(); err != nil {
		slot.release()
		return err
	}
	time.AfterFunc(s.cfg.WS.HandshakeTimeout+s.cfg.WS.WriteTimeout, slot.releaseUnclaimed)
	return nil
}

// claimSlot takes ownership of the handshake's slot for a running socket;
// false means the slot expired and the socket must close at once.
func claimSlot(conn *websocket.Conn) (*connSlot, bool) {
	slot, _ := conn.Locals(localSlot).(*connSlot)
	return slot, slot.claim()
}

// bucket is a token bucket. It is used by one goroutine (a connection's read
// loop), so it has no lock.
type bucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(r Rate) bucket {
	return bucket{rate: r.PerSecond, burst: float64(r.Burst), tokens: float64(r.Burst)}
}

// allow spends one token if there is one.
func (b *bucket) allow(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// frameLimiter is a connection's send rate: frames within the rate pass,
// frames over it are refused, and refusals themselves are counted against
// a second bucket of the same size, so a client that keeps sending at more
// than twice the rate is disconnected instead of costing a reply each time.
type frameLimiter struct {
	frames, refusals bucket
}

func newFrameLimiter(r Rate) frameLimiter {
	return frameLimiter{frames: newBucket(r), refusals: newBucket(r)}
}

// limitVerdict says what to do with one frame.
type limitVerdict uint8

const (
	frameAllowed limitVerdict = iota
	frameRefused              // answer rate_limited, keep the socket
	frameAbusive              // close with 1008
)

func (f *frameLimiter) check(now time.Time) limitVerdict {
	switch {
	case f.frames.allow(now):
		return frameAllowed
	case f.refusals.allow(now):
		return frameRefused
	}
	return frameAbusive
}

// limitFrame applies the send rate to frame id. It returns handled=true when
// the frame must not be processed, and ok=false when the socket was closed.
func (c *wsConn) limitFrame(id uint64) (handled, ok bool) {
	switch c.limiter.check(time.Now()) {
	case frameAllowed:
		return false, true
	case frameRefused:
		return true, c.fail(id, parley.ErrRateLimited)
	}
	c.s.log.LogAttrs(c.ctx, slog.LevelWarn, "websocket closed for flooding",
		slog.String("conn", string(c.id)), slog.String("user", string(c.who.User)))
	c.closeWith(wsproto.ClosePolicy, "rate limit exceeded")
	return true, false
}
