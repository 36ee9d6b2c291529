package api

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/persistence"
)

// How a session's end reaches its open WebSockets. Revocations (logout, a
// replayed refresh token, a platform ban) go to the shared store, which
// keeps a feed of them. The node that revokes closes its own sockets at
// once; every node polls the feed each Config.RevocationPoll and closes the
// sockets it holds of what was revoked: one call per poll per node, however
// many sockets are open. A socket also closes when its token expires.

const (
	// feedPage is how many revoked keys one read of the feed returns at most.
	feedPage = 1000
	// feedPages bounds the reads of one poll; a longer backlog waits a poll.
	feedPages = 10
)

// userRevocationKey is the revocation key of every session of user, revoked
// while the user is banned from the platform. Family keys are IDs, which
// hold no ':', so the two never collide.
func userRevocationKey(user parley.UserID) string {
	if user == "" {
		return ""
	}
	return "user:" + string(user)
}

// revoke revokes key for ttl on every node, and closes this node's
// WebSockets it covers at once.
func (s *Server) revoke(ctx context.Context, key string, ttl time.Duration) error {
	if err := s.shared.Revoke(ctx, key, ttl); err != nil {
		return err
	}
	s.closeRevoked(map[string]bool{key: true})
	return nil
}

// revokedBy returns the close code a socket of cred gets now: 4503 if its
// user is banned from the platform, 4501 if its session was revoked, 0 if
// neither.
func (s *Server) revokedBy(ctx context.Context, cred credential) (int, error) {
	for _, k := range []struct {
		key  string
		code int
	}{{userRevocationKey(cred.User), wsproto.CloseForbidden}, {cred.Family, wsproto.CloseUnauthorized}} {
		if k.key == "" {
			continue
		}
		revoked, err := s.shared.IsRevoked(ctx, k.key)
		if err != nil {
			return 0, fmt.Errorf("api: check revocation: %w", err)
		}
		if revoked {
			return k.code, nil
		}
	}
	return 0, nil
}

// closeRevoked closes each WebSocket whose user or family is in keys: 4503
// for a ban, 4501 for an ended session. It returns how many it closed.
func (s *Server) closeRevoked(keys map[string]bool) int {
	n := 0
	for _, c := range s.conns.snapshot() {
		switch {
		case keys[userRevocationKey(c.cred.User)]:
			c.revokeWith(wsproto.CloseForbidden, "banned")
		case c.cred.Family != "" && keys[c.cred.Family]:
			c.revokeWith(wsproto.CloseUnauthorized, "revoked")
		default:
			continue
		}
		n++
	}
	return n
}

// closeIfRevoked asks the store about the keys of this node's WebSockets
// that are among candidates (all of them when candidates is nil) and closes
// the connections of those still revoked. The feed may report a key whose
// ban was lifted since; asking again keeps such users connected.
func (s *Server) closeIfRevoked(ctx context.Context, candidates map[string]bool) error {
	local := make(map[string]bool)
	for _, c := range s.conns.snapshot() {
		for _, key := range [2]string{c.cred.Family, userRevocationKey(c.cred.User)} {
			if key != "" && (candidates == nil || candidates[key]) {
				local[key] = true
			}
		}
	}
	revoked := make(map[string]bool)
	for key := range local {
		is, err := s.shared.IsRevoked(ctx, key)
		if err != nil {
			return err
		}
		revoked[key] = is
	}
	s.closeRevoked(revoked)
	return nil
}

// startRevocationWatcher runs watchRevocations until the returned func,
// which waits for it, is called.
func (s *Server) startRevocationWatcher() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background()) // the watcher outlives any request
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.watchRevocations(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// watchRevocations polls the revocation feed until ctx ends. While the
// store fails it logs once, keeps its place, and tries again each poll.
func (s *Server) watchRevocations(ctx context.Context) {
	tick := time.NewTicker(s.cfg.RevocationPoll)
	defer tick.Stop()
	cursor, failing := persistence.StartOfFeed, false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		next, err := s.pollRevocations(ctx, cursor)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			s.log.Warn("revocation feed unreadable: open websockets of revoked sessions stay open until it is back",
				slog.Any("err", err))
		case err == nil && failing:
			s.log.Info("revocation feed readable again")
		}
		cursor, failing = next, err != nil
	}
}

// pollRevocations reads the feed after cursor, closes what it revoked, and
// returns the cursor to read from next: the old one if anything failed, so
// that nothing is skipped.
func (s *Server) pollRevocations(ctx context.Context, cursor uint64) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	next, keys, reset := cursor, make(map[string]bool), false
	for range feedPages {
		f, err := s.shared.RevokedSince(ctx, next, feedPage)
		if err != nil {
			return cursor, err
		}
		for _, k := range f.Keys {
			keys[k] = true
		}
		next, reset = f.Next, reset || f.Reset
		if len(f.Keys) < feedPage {
			break
		}
	}
	if reset {
		keys = nil // something may be missing: check every open connection
	} else if len(keys) == 0 {
		return next, nil
	}
	if err := s.closeIfRevoked(ctx, keys); err != nil {
		return cursor, err
	}
	return next, nil
}

// snapshot returns the open connections.
func (r *connRegistry) snapshot() []*wsConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*wsConn, 0, len(r.conns))
	for c := range r.conns {
		out = append(out, c)
	}
	return out
}

// revokeWith refuses the connection's further frames at once and closes it
// with code, without making the caller wait for the close frame's write.
func (c *wsConn) revokeWith(code int, reason string) {
	c.closing.Store(true)
	go c.closeWith(code, reason) // bounded: closeWith writes with a 1s deadline
}

// armExpiry closes the connection with 4001 when its token expires; the
// client refreshes its token and reconnects with since. It returns the func
// that disarms the timer.
func (c *wsConn) armExpiry() (disarm func()) {
	if c.cred.Expires.IsZero() {
		return func() {}
	}
	t := time.AfterFunc(c.cred.Expires.Sub(c.s.now()), func() {
		c.revokeWith(wsproto.CloseTokenExpired, parley.ErrTokenExpired.Code)
	})
	return func() { t.Stop() }
}

// newTicket returns a one-time WebSocket ticket for cred: 256 random bits,
// then the credential's expiry and family, which the socket inherits (see
// ticketCredential). The store keys tickets by the whole string, so a client
// that alters those parts holds a ticket that was never issued.
func newTicket(cred credential) string {
	return parley.NewID() + parley.NewID() + "." + strconv.FormatInt(cred.Expires.Unix(), 10) + "." + cred.Family
}

// ticketCredential returns the credential of a redeemed ticket of p. A
// ticket without the parts newTicket adds expires at fallback.
func ticketCredential(ticket string, p parley.Principal, fallback time.Time) credential {
	cred := credential{Principal: p, Expires: fallback}
	parts := strings.Split(ticket, ".")
	if len(parts) != 3 || (parts[2] != "" && !parley.ValidID(parts[2])) {
		return cred
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || exp <= 0 {
		return cred
	}
	cred.Expires, cred.Family = time.Unix(exp, 0), parts[2]
	return cred
}

// guard arms the connection's expiry and, in the background, checks its
// session and user once more: a revocation that landed between the
// handshake's check and the connection's registration was not in any feed
// read that could still see this connection. It returns the func that
// disarms the expiry.
func (c *wsConn) guard() (disarm func()) {
	disarm = c.armExpiry()
	go func() { // bounded by RequestTimeout; ends early when the connection does
		ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.RequestTimeout)
		defer cancel()
		switch code, _ := c.s.revokedBy(ctx, c.cred); code { // an error leaves it to the watcher
		case wsproto.CloseForbidden:
			c.revokeWith(code, "banned")
		case wsproto.CloseUnauthorized:
			c.revokeWith(code, "revoked")
		}
	}()
	return disarm
}
