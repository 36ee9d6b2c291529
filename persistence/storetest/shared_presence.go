package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/parleychat/parley"
)

func (c *sharedCase) heartbeat(room parley.RoomID, user parley.UserID, conn parley.ConnID, ttl time.Duration) {
	c.t.Helper()
	c.ok(c.s.Heartbeat(c.ctx, room, user, conn, ttl), fmt.Sprintf("Heartbeat(%s, %s, %s)", room, user, conn))
}

func (c *sharedCase) depart(room parley.RoomID, user parley.UserID, conn parley.ConnID) {
	c.t.Helper()
	c.ok(c.s.Depart(c.ctx, room, user, conn), fmt.Sprintf("Depart(%s, %s, %s)", room, user, conn))
}

func (c *sharedCase) online(room parley.RoomID) []parley.UserID {
	c.t.Helper()
	users, err := c.s.Online(c.ctx, room)
	c.ok(err, fmt.Sprintf("Online(%s)", room))
	return users
}

// onlineIs checks Online(room) against want, treating nil and empty alike.
func (c *sharedCase) onlineIs(room parley.RoomID, want ...parley.UserID) {
	c.t.Helper()
	got := c.online(room)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	c.same(fmt.Sprintf("Online(%s)", room), got, want)
}

func testPresenceOnline(c *sharedCase) {
	room := parley.RoomID(c.name("room"))
	c.onlineIs(room)
	c.heartbeat(room, "zed", "c1", sharedLong)
	c.heartbeat(room, "amy", "c1", sharedLong)
	c.heartbeat(room, "bob", "c1", sharedLong)
	c.heartbeat(room, "amy", "c2", sharedLong)
	c.heartbeat(room, "zed", "c1", sharedLong) // a repeated heartbeat changes nothing
	c.onlineIs(room, "amy", "bob", "zed")
}

// testPresenceMultiDevice is B-35: one device leaving does not take the user
// offline while another is connected.
func testPresenceMultiDevice(c *sharedCase) {
	room := parley.RoomID(c.name("room"))
	c.heartbeat(room, "amy", "phone", sharedLong)
	c.heartbeat(room, "amy", "laptop", sharedLong)
	c.heartbeat(room, "bob", "phone", sharedLong)
	c.depart(room, "amy", "phone")
	c.onlineIs(room, "amy", "bob")
	c.depart(room, "amy", "phone") // again: nothing to remove
	c.depart(room, "amy", "tablet")
	c.depart(parley.RoomID(c.name("empty_room")), "amy", "laptop")
	c.onlineIs(room, "amy", "bob")
	c.depart(room, "amy", "laptop")
	c.onlineIs(room, "bob")
}

// testPresenceExpiry is B-35: connections of a crashed node stop
// heartbeating and fade out after their ttl, on their own, without a Depart;
// a user with a live connection elsewhere stays online.
func testPresenceExpiry(c *sharedCase) {
	room := parley.RoomID(c.name("room"))
	c.heartbeat(room, "alive", "c1", sharedLong)
	c.heartbeat(room, "crashed", "c1", sharedBrief)
	c.heartbeat(room, "multi", "on_live_node", sharedLong)
	c.heartbeat(room, "multi", "on_crashed_node", sharedBrief)
	c.onlineIs(room, "alive", "crashed", "multi")
	WaitFor(c.t, sharedBrief+sharedExpiry, "the crashed connections to expire", func() bool {
		return slices.Equal(c.online(room), []parley.UserID{"alive", "multi"})
	})
	c.depart(room, "multi", "on_live_node")
	c.onlineIs(room, "alive")
}

func testPresenceHeartbeatExtends(c *sharedCase) {
	room := parley.RoomID(c.name("room"))
	c.heartbeat(room, "amy", "c1", sharedBrief)
	c.heartbeat(room, "amy", "c1", sharedLong)
	c.waitOut(sharedBrief)
	c.onlineIs(room, "amy")
}

func testPresenceRoomIsolation(c *sharedCase) {
	lobby, other := parley.RoomID(c.name("lobby")), parley.RoomID(c.name("other"))
	c.heartbeat(lobby, "amy", "c1", sharedLong)
	c.onlineIs(other)
	c.heartbeat(other, "amy", "c1", sharedLong)
	c.depart(other, "amy", "c1")
	c.onlineIs(lobby, "amy")
	c.onlineIs(other)
}

func testPresenceConcurrent(c *sharedCase) {
	room := parley.RoomID(c.name("room"))
	users := make([]parley.UserID, sharedCrowd)
	for i := range users {
		users[i] = parley.UserID(fmt.Sprintf("user_%03d", i))
	}
	errs := make([]error, len(users))
	c.concurrently(len(users), func(i int) {
		errs[i] = c.s.Heartbeat(c.ctx, room, users[i], "c1", sharedLong)
	})
	for _, err := range errs {
		c.ok(err, "concurrent Heartbeat")
	}
	c.onlineIs(room, users...)
	c.concurrently(len(users), func(i int) {
		if i%2 == 0 {
			errs[i] = c.s.Depart(c.ctx, room, users[i], "c1")
		} else {
			errs[i] = c.s.Heartbeat(c.ctx, room, users[i], "c2", sharedLong)
		}
	})
	for _, err := range errs {
		c.ok(err, "concurrent Depart or Heartbeat")
	}
	var odd []parley.UserID
	for i := 1; i < len(users); i += 2 {
		odd = append(odd, users[i])
	}
	c.onlineIs(room, odd...)
}
