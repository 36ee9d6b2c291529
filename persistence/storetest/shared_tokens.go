package storetest

import (
	"fmt"
	"time"

	"github.com/parleychat/parley"
)

func (c *sharedCase) issue(ticket string, p parley.Principal, ttl time.Duration) {
	c.t.Helper()
	c.ok(c.s.IssueTicket(c.ctx, ticket, p, ttl), "IssueTicket")
}

func (c *sharedCase) redeemIs(ticket string, want parley.Principal) {
	c.t.Helper()
	got, err := c.s.RedeemTicket(c.ctx, ticket)
	c.ok(err, "RedeemTicket")
	c.same("RedeemTicket", got, want)
}

func (c *sharedCase) redeemFails(ticket, why string) {
	c.t.Helper()
	_, err := c.s.RedeemTicket(c.ctx, ticket)
	c.errIs(err, parley.ErrUnauthorized, "RedeemTicket of "+why)
}

func testTicketRedeemOnce(c *sharedCase) {
	admin, plain := parley.Principal{User: "amy", Admin: true}, parley.Principal{User: "bob"}
	t1, t2 := c.name("t1"), c.name("t2")
	c.issue(t1, admin, sharedLong)
	c.issue(t2, plain, sharedLong)
	c.redeemIs(t2, plain)
	c.redeemIs(t1, admin)
	c.redeemFails(t1, "a used ticket")
	c.redeemFails(t2, "a used ticket")
}

func testTicketUnknown(c *sharedCase) {
	c.redeemFails(c.name("never_issued"), "an unknown ticket")
	c.redeemFails("", "the empty ticket")
}

func testTicketExpired(c *sharedCase) {
	ticket := c.name("ticket")
	c.issue(ticket, parley.Principal{User: "amy"}, sharedBrief)
	c.waitOut(sharedBrief)
	c.redeemFails(ticket, "an expired ticket")
}

func testTicketConcurrentRedeem(c *sharedCase) {
	ticket, p := c.name("ticket"), parley.Principal{User: "amy"}
	c.issue(ticket, p, sharedLong)
	got := make([]parley.Principal, sharedCrowd)
	errs := make([]error, sharedCrowd)
	c.concurrently(sharedCrowd, func(i int) {
		got[i], errs[i] = c.s.RedeemTicket(c.ctx, ticket)
	})
	wins := 0
	for i, err := range errs {
		if err == nil {
			wins++
			c.same("winning RedeemTicket", got[i], p)
			continue
		}
		c.errIs(err, parley.ErrUnauthorized, "losing RedeemTicket")
	}
	if wins != 1 {
		c.t.Fatalf("%d of %d concurrent redemptions succeeded, want exactly 1", wins, sharedCrowd)
	}
}

func testTicketReissue(c *sharedCase) {
	ticket := c.name("ticket")
	c.issue(ticket, parley.Principal{User: "amy"}, sharedLong)
	err := c.s.IssueTicket(c.ctx, ticket, parley.Principal{User: "mallory", Admin: true}, sharedLong)
	c.errIs(err, parley.ErrConflict, "IssueTicket of a live ticket")
	c.redeemIs(ticket, parley.Principal{User: "amy"})
}

func (c *sharedCase) useRefresh(family, id string, ttl time.Duration) bool {
	c.t.Helper()
	first, err := c.s.UseRefresh(c.ctx, family, id, ttl)
	c.ok(err, fmt.Sprintf("UseRefresh(%s, %s)", family, id))
	return first
}

func (c *sharedCase) revokedIs(key string, want bool) {
	c.t.Helper()
	got, err := c.s.IsRevoked(c.ctx, key)
	c.ok(err, "IsRevoked("+key+")")
	if got != want {
		c.t.Fatalf("IsRevoked(%s) = %v, want %v", key, got, want)
	}
}

func testRefreshUsedOnce(c *sharedCase) {
	family, other := c.name("family"), c.name("other")
	for _, tc := range []struct {
		family, id string
		first      bool
	}{
		{family, "r1", true},
		{family, "r1", false}, // a replay
		{family, "r2", true},
		{other, "r1", true},
		{family, "r2", false},
	} {
		if got := c.useRefresh(tc.family, tc.id, sharedLong); got != tc.first {
			c.t.Fatalf("UseRefresh(%s, %s) = %v, want %v", tc.family, tc.id, got, tc.first)
		}
	}
}

func testRefreshConcurrent(c *sharedCase) {
	family := c.name("family")
	first := make([]bool, sharedCrowd)
	errs := make([]error, sharedCrowd)
	c.concurrently(sharedCrowd, func(i int) {
		first[i], errs[i] = c.s.UseRefresh(c.ctx, family, "r1", sharedLong)
	})
	firsts := 0
	for i, err := range errs {
		c.ok(err, "concurrent UseRefresh")
		if first[i] {
			firsts++
		}
	}
	if firsts != 1 {
		c.t.Fatalf("%d of %d concurrent UseRefresh calls were first, want exactly 1", firsts, sharedCrowd)
	}
}

func testRefreshExpires(c *sharedCase) {
	family := c.name("family")
	if !c.useRefresh(family, "r1", sharedBrief) {
		c.t.Fatal("UseRefresh of a new id = false, want true")
	}
	c.waitOut(sharedBrief)
	if !c.useRefresh(family, "r1", sharedLong) {
		c.t.Fatal("UseRefresh after the ttl passed = false, want true")
	}
}

func testRevoke(c *sharedCase) {
	family, user := c.name("family"), "user:"+c.name("amy")
	c.revokedIs(family, false)
	c.ok(c.s.Revoke(c.ctx, family, sharedLong), "Revoke(family)")
	c.ok(c.s.Revoke(c.ctx, user, sharedLong), "Revoke(user)")
	c.ok(c.s.Revoke(c.ctx, user, sharedLong), "Revoke(user) again")
	c.revokedIs(family, true)
	c.revokedIs(user, true)
	c.revokedIs(c.name("other_family"), false)
}

func testRevokeExpires(c *sharedCase) {
	key := c.name("family")
	c.ok(c.s.Revoke(c.ctx, key, sharedBrief), "Revoke")
	c.revokedIs(key, true)
	WaitFor(c.t, sharedBrief+sharedExpiry, "the revocation to lapse", func() bool {
		revoked, err := c.s.IsRevoked(c.ctx, key)
		c.ok(err, "IsRevoked")
		return !revoked
	})
}

func testRevokeKeepsLonger(c *sharedCase) {
	key := c.name("family")
	c.ok(c.s.Revoke(c.ctx, key, sharedLong), "Revoke(long)")
	c.ok(c.s.Revoke(c.ctx, key, sharedBrief), "Revoke(brief)")
	c.waitOut(sharedBrief)
	c.revokedIs(key, true)
}
