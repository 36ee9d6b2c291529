package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/parleychat/parley/persistence"
)

// allow calls Allow and fails the test on an error.
func (c *sharedCase) allow(key string, l persistence.Limit) persistence.Decision {
	c.t.Helper()
	d, err := c.s.Allow(c.ctx, key, l)
	c.ok(err, fmt.Sprintf("Allow(%s)", key))
	return d
}

// refused checks that d refuses an event under l the way the contract says.
func (c *sharedCase) refused(d persistence.Decision, l persistence.Limit, op string) {
	c.t.Helper()
	if d.Allowed || d.Remaining != 0 || d.RetryAfter <= 0 || d.RetryAfter > l.Window {
		c.t.Fatalf("%s = %+v, want refused with Remaining 0 and RetryAfter in (0, %v]", op, d, l.Window)
	}
}

func testLimiterCounts(c *sharedCase) {
	key, l := c.name("send"), persistence.Limit{Count: 3, Window: sharedLong}
	for i, remaining := range []int{2, 1, 0} {
		c.same(fmt.Sprintf("Allow #%d", i+1), c.allow(key, l), persistence.Decision{Allowed: true, Remaining: remaining})
	}
	c.refused(c.allow(key, l), l, "Allow #4")
	c.refused(c.allow(key, l), l, "Allow #5")
}

// testLimiterExactUnderConcurrency is B-09: 200 concurrent calls on one key
// with a limit of 10 admit exactly 10, each with its own Remaining.
func testLimiterExactUnderConcurrency(c *sharedCase) {
	const calls = 200
	key, l := c.name("send"), persistence.Limit{Count: 10, Window: sharedLong}
	decisions := make([]persistence.Decision, calls)
	errs := make([]error, calls)
	c.concurrently(calls, func(i int) {
		decisions[i], errs[i] = c.s.Allow(c.ctx, key, l)
	})
	var remaining []int
	for i, d := range decisions {
		c.ok(errs[i], "concurrent Allow")
		if d.Allowed {
			remaining = append(remaining, d.Remaining)
			continue
		}
		c.refused(d, l, "concurrent Allow")
	}
	slices.Sort(remaining)
	c.same("Remaining of the allowed calls", remaining, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
}

func testLimiterKeysIndependent(c *sharedCase) {
	l := persistence.Limit{Count: 2, Window: sharedLong}
	a, b := c.name("a"), c.name("b")
	c.allow(a, l)
	c.allow(a, l)
	c.refused(c.allow(a, l), l, "Allow(a) over the limit")
	c.same("Allow(b)", c.allow(b, l), persistence.Decision{Allowed: true, Remaining: 1})

	// 200 users sending once each, at once: nobody is refused.
	const users = 200
	decisions := make([]persistence.Decision, users)
	errs := make([]error, users)
	c.concurrently(users, func(i int) {
		decisions[i], errs[i] = c.s.Allow(c.ctx, fmt.Sprintf("%s_user_%d", c.name("send"), i), l)
	})
	for i, d := range decisions {
		c.ok(errs[i], "Allow of one of many keys")
		c.same(fmt.Sprintf("Allow(user %d)", i), d, persistence.Decision{Allowed: true, Remaining: 1})
	}
}

// testLimiterWindowPasses checks that a refused key is admitted again once
// its window has passed, and not before; polling with refused calls must not
// hold it back, since refused events are not counted.
func testLimiterWindowPasses(c *sharedCase) {
	key, l := c.name("send"), persistence.Limit{Count: 2, Window: 400 * time.Millisecond}
	start := time.Now() // before the first event: no event can leave its window earlier than start+Window
	c.allow(key, l)
	c.allow(key, l)
	refused := c.allow(key, l)
	c.refused(refused, l, "Allow over the limit")
	WaitFor(c.t, refused.RetryAfter+sharedExpiry, "the window to pass", func() bool {
		return c.allow(key, l).Allowed
	})
	// A backend clock may tick in milliseconds; allow it one tick of slack.
	if elapsed := time.Since(start); elapsed < l.Window-time.Millisecond {
		c.t.Fatalf("admitted again %v after the first event, want at least the window %v", elapsed, l.Window)
	}
}

func testLimiterInvalidLimit(c *sharedCase) {
	for _, l := range []persistence.Limit{
		{Count: 0, Window: time.Minute},
		{Count: -1, Window: time.Minute},
		{Count: 1, Window: 0},
		{Count: 1, Window: -time.Second},
	} {
		_, err := c.s.Allow(c.ctx, c.name("key"), l)
		c.misuse(err, fmt.Sprintf("Allow(%+v)", l))
	}
}
