package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

const (
	// sharedLong is a TTL or window that no test outlives: what is set with it
	// must still be there when the test looks.
	sharedLong = time.Minute
	// sharedBrief is a TTL that a test checks is in force right after setting
	// it, then waits out. Long enough for one round trip on a loaded machine.
	sharedBrief = 750 * time.Millisecond
	// sharedExpiry bounds how long a test waits for something set with
	// sharedBrief (or a shorter window) to lapse.
	sharedExpiry = 5 * time.Second
	// sharedCrowd is how many goroutines race on one key in concurrency tests.
	sharedCrowd = 50
)

// RunShared checks an implementation of persistence.Shared against the contract.
// newShared returns an instance for one subtest and closes it in t.Cleanup;
// instances may share a backend, since every key, room and ticket a subtest
// uses is unique to it. Subtests run in parallel.
//
// Beyond the interface comments, the contract is:
//   - Allow never admits more than Count events in a Window, however many
//     calls race on one key; a refused event is not counted. An allowed
//     decision has RetryAfter 0; a refused one has Remaining 0 and
//     0 < RetryAfter <= Window. A limit with Count < 1 or Window <= 0 is an
//     error that does not wrap parley.ErrUnavailable.
//   - Online returns nil or an empty slice for a room nobody is in. A
//     heartbeat's ttl counts from that heartbeat; Depart of an unknown
//     connection succeeds.
//   - IssueTicket of a ticket that is still live returns parley.ErrConflict and
//     keeps the first principal. Of many concurrent redemptions exactly one wins.
//   - Of many concurrent UseRefresh calls for one id exactly one is first.
//     Once its ttl has passed, the id counts as unused again.
//   - Revoke never shortens a revocation: the later deadline wins.
//   - The revocation feed returns every Revoke in order, each once per read
//     position; its cursor advances only with the keys it returns.
//   - A ttl <= 0 is an error that does not wrap parley.ErrUnavailable.
//   - A cancelled context fails every call with an error wrapping
//     parley.ErrUnavailable. Close may be called again (later calls return
//     nil); after Close every method returns an error and none panics.
func RunShared(t *testing.T, newShared func(t *testing.T) persistence.Shared) {
	t.Helper()
	for _, tc := range sharedTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(&sharedCase{t: t, s: newShared(t), ctx: t.Context()})
		})
	}
}

// sharedTests lists the suite's subtests in the order they start.
var sharedTests = []struct {
	name string
	run  func(c *sharedCase)
}{
	{"Ping", testSharedPing},
	{"CancelledContext", testSharedCancelledContext},
	{"Close", testSharedClose},
	{"NonPositiveTTL", testSharedNonPositiveTTL},
	{"LimiterCounts", testLimiterCounts},
	{"LimiterExactUnderConcurrency", testLimiterExactUnderConcurrency},
	{"LimiterKeysIndependent", testLimiterKeysIndependent},
	{"LimiterWindowPasses", testLimiterWindowPasses},
	{"LimiterInvalidLimit", testLimiterInvalidLimit},
	{"PresenceOnline", testPresenceOnline},
	{"PresenceMultiDevice", testPresenceMultiDevice},
	{"PresenceExpiry", testPresenceExpiry},
	{"PresenceHeartbeatExtends", testPresenceHeartbeatExtends},
	{"PresenceRoomIsolation", testPresenceRoomIsolation},
	{"PresenceConcurrent", testPresenceConcurrent},
	{"TicketRedeemOnce", testTicketRedeemOnce},
	{"TicketUnknown", testTicketUnknown},
	{"TicketExpired", testTicketExpired},
	{"TicketConcurrentRedeem", testTicketConcurrentRedeem},
	{"TicketReissue", testTicketReissue},
	{"RefreshUsedOnce", testRefreshUsedOnce},
	{"RefreshConcurrent", testRefreshConcurrent},
	{"RefreshExpires", testRefreshExpires},
	{"Revoke", testRevoke},
	{"RevokeExpires", testRevokeExpires},
	{"RevokeKeepsLonger", testRevokeKeepsLonger},
	{"Unrevoke", testUnrevoke},
	{"RevocationFeed", testRevocationFeed},
	{"RevocationFeedAhead", testRevocationFeedAhead},
}

// sharedCase is one subtest of RunShared: its instance and checks that fail
// it with the operation's name.
type sharedCase struct {
	t   *testing.T
	s   persistence.Shared
	ctx context.Context
}

// name returns a key, room, user or ticket name unique to this subtest.
func (c *sharedCase) name(what string) string {
	return UniqueName(c.t) + "_" + what
}

func (c *sharedCase) ok(err error, op string) {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("%s: %v", op, err)
	}
}

func (c *sharedCase) errIs(err error, want *parley.Error, op string) {
	c.t.Helper()
	if !errors.Is(err, want) {
		c.t.Fatalf("%s = %v, want %s", op, err, want.Code)
	}
}

// misuse checks that err reports a caller's mistake: an error, but not one a
// caller would retry or answer from a fallback.
func (c *sharedCase) misuse(err error, op string) {
	c.t.Helper()
	if err == nil || errors.Is(err, parley.ErrUnavailable) {
		c.t.Fatalf("%s = %v, want an error not wrapping %s", op, err, parley.ErrUnavailable.Code)
	}
}

func (c *sharedCase) same(op string, got, want any) {
	c.t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		c.t.Fatalf("%s mismatch (-want +got):\n%s", op, diff)
	}
}

// waitOut waits until ttl, counted from now, has passed by the backend's own
// clock: it revokes a probe key for ttl and waits until the backend forgets
// it. Everything set with ttl before the call has lapsed by then. It relies on
// revocations expiring, which RevokeExpires checks on its own.
func (c *sharedCase) waitOut(ttl time.Duration) {
	c.t.Helper()
	probe := c.name("clock_probe")
	c.ok(c.s.Revoke(c.ctx, probe, ttl), "Revoke(probe)")
	WaitFor(c.t, ttl+sharedExpiry, "probe revocation to lapse", func() bool {
		revoked, err := c.s.IsRevoked(c.ctx, probe)
		c.ok(err, "IsRevoked(probe)")
		return !revoked
	})
}

// concurrently runs f(0) … f(n-1) on n goroutines released at once, and
// waits for them all. f must not call t.Fatal: it records, the test checks.
func (c *sharedCase) concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

func testSharedPing(c *sharedCase) {
	c.ok(c.s.Ping(c.ctx), "Ping")
}

func testSharedCancelledContext(c *sharedCase) {
	ctx, cancel := context.WithCancel(c.ctx)
	cancel()
	room, user, conn := parley.RoomID(c.name("room")), parley.UserID("u"), parley.ConnID("c")
	_, err := c.s.Allow(ctx, c.name("key"), persistence.Limit{Count: 1, Window: sharedLong})
	c.errIs(err, parley.ErrUnavailable, "Allow")
	c.errIs(c.s.Heartbeat(ctx, room, user, conn, sharedLong), parley.ErrUnavailable, "Heartbeat")
	c.errIs(c.s.Depart(ctx, room, user, conn), parley.ErrUnavailable, "Depart")
	_, err = c.s.Online(ctx, room)
	c.errIs(err, parley.ErrUnavailable, "Online")
	c.errIs(c.s.IssueTicket(ctx, c.name("ticket"), parley.Principal{User: user}, sharedLong), parley.ErrUnavailable, "IssueTicket")
	_, err = c.s.RedeemTicket(ctx, c.name("ticket"))
	c.errIs(err, parley.ErrUnavailable, "RedeemTicket")
	_, err = c.s.UseRefresh(ctx, c.name("family"), "id", sharedLong)
	c.errIs(err, parley.ErrUnavailable, "UseRefresh")
	c.errIs(c.s.Revoke(ctx, c.name("key"), sharedLong), parley.ErrUnavailable, "Revoke")
	_, err = c.s.IsRevoked(ctx, c.name("key"))
	c.errIs(err, parley.ErrUnavailable, "IsRevoked")
	c.errIs(c.s.Unrevoke(ctx, c.name("key")), parley.ErrUnavailable, "Unrevoke")
	_, err = c.s.RevokedSince(ctx, 0, 10)
	c.errIs(err, parley.ErrUnavailable, "RevokedSince")
	c.errIs(c.s.Ping(ctx), parley.ErrUnavailable, "Ping")
}

func testSharedClose(c *sharedCase) {
	c.ok(c.s.Close(), "Close")
	c.ok(c.s.Close(), "second Close")
	room := parley.RoomID(c.name("room"))
	if _, err := c.s.Allow(c.ctx, c.name("key"), persistence.Limit{Count: 1, Window: sharedLong}); err == nil {
		c.t.Fatal("Allow after Close succeeded, want an error")
	}
	if err := c.s.Heartbeat(c.ctx, room, "u", "c", sharedLong); err == nil {
		c.t.Fatal("Heartbeat after Close succeeded, want an error")
	}
	if _, err := c.s.Online(c.ctx, room); err == nil {
		c.t.Fatal("Online after Close succeeded, want an error")
	}
	if _, err := c.s.RedeemTicket(c.ctx, c.name("ticket")); err == nil {
		c.t.Fatal("RedeemTicket after Close succeeded, want an error")
	}
	if _, err := c.s.IsRevoked(c.ctx, c.name("key")); err == nil {
		c.t.Fatal("IsRevoked after Close succeeded, want an error")
	}
	if _, err := c.s.RevokedSince(c.ctx, 0, 10); err == nil {
		c.t.Fatal("RevokedSince after Close succeeded, want an error")
	}
}

func testSharedNonPositiveTTL(c *sharedCase) {
	room, p := parley.RoomID(c.name("room")), parley.Principal{User: "u"}
	for _, ttl := range []time.Duration{0, -time.Second} {
		c.misuse(c.s.Heartbeat(c.ctx, room, "u", "c", ttl), "Heartbeat(ttl "+ttl.String()+")")
		c.misuse(c.s.IssueTicket(c.ctx, c.name("ticket"), p, ttl), "IssueTicket(ttl "+ttl.String()+")")
		_, err := c.s.UseRefresh(c.ctx, c.name("family"), "id", ttl)
		c.misuse(err, "UseRefresh(ttl "+ttl.String()+")")
		c.misuse(c.s.Revoke(c.ctx, c.name("key"), ttl), "Revoke(ttl "+ttl.String()+")")
	}
}
