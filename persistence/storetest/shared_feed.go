package storetest

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parleychat/parley/persistence"
)

// readFeed reads the feed from cursor until it returns no more keys, limit
// keys at a time, and returns the keys that start with prefix (other subtests
// may share the backend and revoke too), the final cursor, and whether any
// read said Reset.
func (c *sharedCase) readFeed(cursor uint64, limit int, prefix string) (keys []string, next uint64, reset bool) {
	c.t.Helper()
	for range 10 * persistence.MinRevocationFeed {
		f, err := c.s.RevokedSince(c.ctx, cursor, limit)
		c.ok(err, "RevokedSince")
		if len(f.Keys) > limit {
			c.t.Fatalf("RevokedSince(limit %d) returned %d keys", limit, len(f.Keys))
		}
		if len(f.Keys) > 0 && f.Next <= cursor {
			c.t.Fatalf("RevokedSince(%d) returned keys but Next %d did not advance", cursor, f.Next)
		}
		reset = reset || f.Reset
		for _, k := range f.Keys {
			if strings.HasPrefix(k, prefix) {
				keys = append(keys, k)
			}
		}
		if len(f.Keys) == 0 {
			return keys, f.Next, reset
		}
		cursor = f.Next
	}
	c.t.Fatal("RevokedSince never ran dry")
	return nil, 0, false
}

// startFeed returns the cursor of the present, checking what StartOfFeed returns.
func (c *sharedCase) startFeed() uint64 {
	c.t.Helper()
	f, err := c.s.RevokedSince(c.ctx, persistence.StartOfFeed, 10)
	c.ok(err, "RevokedSince(StartOfFeed)")
	if len(f.Keys) != 0 || !f.Reset || f.Next == persistence.StartOfFeed {
		c.t.Fatalf("RevokedSince(StartOfFeed) = %+v, want no keys, Reset, the current cursor", f)
	}
	return f.Next
}

func testRevocationFeed(c *sharedCase) {
	cursor := c.startFeed()
	prefix := c.name("")
	a, b := prefix+"a", prefix+"b"
	for _, k := range []string{a, b, a} {
		c.ok(c.s.Revoke(c.ctx, k, sharedLong), "Revoke("+k+")")
	}
	for _, limit := range []int{1, 2, 100} {
		keys, next, reset := c.readFeed(cursor, limit, prefix)
		c.same("feed keys (limit "+strconv.Itoa(limit)+")", keys, []string{a, b, a})
		if reset {
			c.t.Fatalf("reading the feed from a recent cursor said Reset")
		}
		if keys, again, _ := c.readFeed(next, limit, prefix); len(keys) != 0 || again < next {
			c.t.Fatalf("feed after its end = %q, cursor %d; want nothing, cursor >= %d", keys, again, next)
		}
	}
	_, err := c.s.RevokedSince(c.ctx, cursor, 0)
	c.misuse(err, "RevokedSince(limit 0)")
}

func testRevocationFeedAhead(c *sharedCase) {
	cursor := c.startFeed()
	f, err := c.s.RevokedSince(c.ctx, cursor+1_000_000, 10)
	c.ok(err, "RevokedSince(ahead)")
	if len(f.Keys) != 0 || !f.Reset || f.Next > cursor+1_000_000 {
		c.t.Fatalf("RevokedSince(a cursor ahead of the feed) = %+v, want Reset and no keys", f)
	}
}

func testUnrevoke(c *sharedCase) {
	key := c.name("user")
	c.ok(c.s.Unrevoke(c.ctx, key), "Unrevoke(never revoked)")
	c.ok(c.s.Revoke(c.ctx, key, sharedLong), "Revoke")
	c.revokedIs(key, true)
	c.ok(c.s.Unrevoke(c.ctx, key), "Unrevoke")
	c.revokedIs(key, false)
	c.ok(c.s.Revoke(c.ctx, key, sharedLong), "Revoke again")
	c.revokedIs(key, true)
}

// RunRevocationFeedBehind checks a store whose feed keeps only feedLen
// revocations (feedLen < 10): a reader that falls further behind gets Reset
// and the latest keys, and a reader within the feed does not. s must be the
// only user of its backend.
func RunRevocationFeedBehind(t *testing.T, s persistence.Shared, feedLen int) {
	c := &sharedCase{t: t, s: s, ctx: t.Context()}
	cursor := c.startFeed()
	var all []string
	for i := range 2*feedLen + 1 {
		k := c.name(string(rune('a' + i)))
		all = append(all, k)
		c.ok(s.Revoke(c.ctx, k, sharedLong), "Revoke")
	}
	keys, next, reset := c.readFeed(cursor, 100, "")
	if !reset || len(keys) < feedLen || !slices.Equal(keys, all[len(all)-len(keys):]) {
		t.Fatalf("feed read from %d revocations ago = %q, reset %v; want Reset and the latest %d or more of %q",
			len(all), keys, reset, feedLen, all)
	}
	recent := next - uint64(feedLen) + 1
	keys, _, reset = c.readFeed(recent, 100, "")
	if reset || !slices.Equal(keys, all[len(all)-feedLen+1:]) {
		t.Fatalf("feed read within the feed = %q, reset %v; want %q", keys, reset, all[len(all)-feedLen+1:])
	}
}
