package storetest

import (
	"time"

	"github.com/parleychat/parley"
)

// testUserRoundTrip: every field comes back from each lookup, times in UTC at
// millisecond precision whatever zone they were stored in.
func testUserRoundTrip(c *storeCase) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	alice := c.user("alice")
	alice.IsAdmin = true
	alice.CreatedAt = time.Date(2026, 1, 2, 8, 34, 5, 123456789, zone) // 03:04:05.123456789 UTC
	bob := c.user("bob")
	bob.PasswordHash = ""                // signs in with an external token only
	bob.DeletedAt = c.clock(60).In(zone) // deleted users keep their record
	c.ok(c.s.CreateUser(c.ctx, alice), "CreateUser alice")
	c.ok(c.s.CreateUser(c.ctx, bob), "CreateUser bob")

	for _, want := range []parley.User{alice, bob} {
		got, err := c.s.UserByID(c.ctx, want.ID)
		c.ok(err, "UserByID "+string(want.ID))
		c.same("UserByID "+string(want.ID), got, want)
		c.utc("UserByID "+string(want.ID), got.CreatedAt, got.DeletedAt)

		got, err = c.s.UserByUsername(c.ctx, want.Username)
		c.ok(err, "UserByUsername "+want.Username)
		c.same("UserByUsername "+want.Username, got, want)

		got, err = c.s.UserByExternalID(c.ctx, want.ExternalID)
		c.ok(err, "UserByExternalID "+want.ExternalID)
		c.same("UserByExternalID "+want.ExternalID, got, want)
	}
	got, err := c.s.UserByID(c.ctx, alice.ID)
	c.ok(err, "UserByID alice")
	if want := time.Date(2026, 1, 2, 3, 4, 5, 123000000, time.UTC); !got.CreatedAt.Truncate(time.Millisecond).Equal(want) {
		c.t.Errorf("alice.CreatedAt = %v, want %v at millisecond precision", got.CreatedAt, want)
	}
}

// testUserDuplicates: a taken username or external id is ErrUsernameTaken, a
// taken id is ErrConflict, and a rejected user leaves no trace.
func testUserDuplicates(c *storeCase) {
	alice := c.user("alice")
	c.ok(c.s.CreateUser(c.ctx, alice), "CreateUser alice")

	sameName := c.user("alice2")
	sameName.Username = alice.Username
	c.errIs(c.s.CreateUser(c.ctx, sameName), parley.ErrUsernameTaken, "CreateUser with a taken username")

	sameExt := c.user("alice3")
	sameExt.ExternalID = alice.ExternalID
	c.errIs(c.s.CreateUser(c.ctx, sameExt), parley.ErrUsernameTaken, "CreateUser with a taken external id")

	sameID := c.user("alice4")
	sameID.ID = alice.ID
	c.errIs(c.s.CreateUser(c.ctx, sameID), parley.ErrConflict, "CreateUser with a taken id")

	got, err := c.s.UserByID(c.ctx, alice.ID)
	c.ok(err, "UserByID alice")
	c.same("alice after rejected duplicates", got, alice)
	for _, id := range []parley.UserID{sameName.ID, sameExt.ID} {
		_, err := c.s.UserByID(c.ctx, id)
		c.errIs(err, parley.ErrUserNotFound, "UserByID of a rejected user "+string(id))
	}
	_, err = c.s.UserByUsername(c.ctx, sameID.Username)
	c.errIs(err, parley.ErrUserNotFound, "UserByUsername of a rejected user")
	_, err = c.s.UserByExternalID(c.ctx, sameID.ExternalID)
	c.errIs(err, parley.ErrUserNotFound, "UserByExternalID of a rejected user")
}

// testUserEmptyExternalID: "" is not an external identity; it never conflicts
// and never matches.
func testUserEmptyExternalID(c *storeCase) {
	for _, id := range []string{"alice", "bob", "carol"} {
		u := c.user(id)
		u.ExternalID = ""
		c.ok(c.s.CreateUser(c.ctx, u), "CreateUser without external id "+id)
	}
	_, err := c.s.UserByExternalID(c.ctx, "")
	c.errIs(err, parley.ErrUserNotFound, `UserByExternalID("")`)
}

// testUserNotFound: every lookup of a missing user is ErrUserNotFound.
func testUserNotFound(c *storeCase) {
	c.ok(c.s.CreateUser(c.ctx, c.user("alice")), "CreateUser alice")
	_, err := c.s.UserByID(c.ctx, "nobody")
	c.errIs(err, parley.ErrUserNotFound, "UserByID nobody")
	_, err = c.s.UserByUsername(c.ctx, "nobody")
	c.errIs(err, parley.ErrUserNotFound, "UserByUsername nobody")
	_, err = c.s.UserByUsername(c.ctx, "ALICE")
	c.errIs(err, parley.ErrUserNotFound, "UserByUsername ALICE (usernames are lower case and compared exactly)")
	_, err = c.s.UserByExternalID(c.ctx, "https://issuer.example|nobody")
	c.errIs(err, parley.ErrUserNotFound, "UserByExternalID nobody")
}
