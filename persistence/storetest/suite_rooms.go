package storetest

import (
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// testRoomCreate: the room and its owner's membership are stored together.
func testRoomCreate(c *storeCase) {
	r := c.room("r1", parley.RoomPrivate, "alice")
	r.CreatedAt = c.clock(1).Add(250 * time.Millisecond)
	r.UpdatedAt = c.clock(2)
	c.createRoom(r)

	got, err := c.s.Room(c.ctx, r.ID)
	c.ok(err, "Room r1")
	c.same("Room r1", got, r)
	c.utc("Room r1", got.CreatedAt, got.UpdatedAt, got.DeletedAt)
	if got.IsDeleted() {
		c.t.Errorf("new room IsDeleted() = true")
	}

	members, err := c.s.Members(c.ctx, r.ID)
	c.ok(err, "Members r1")
	c.same("Members r1", members, []parley.Member{ownerOf(r)})
	c.utc("Members r1", members[0].JoinedAt)
}

// testRoomDuplicate: a taken id is ErrConflict, and neither the room nor the
// second owner's membership changes.
func testRoomDuplicate(c *storeCase) {
	r := c.room("r1", parley.RoomPublic, "alice")
	c.createRoom(r)

	again := c.room("r1", parley.RoomPrivate, "bob")
	again.Name = "Other"
	err := c.s.CreateRoom(c.ctx, again, ownerOf(again))
	c.errIs(err, parley.ErrConflict, "CreateRoom with a taken id")

	got, err := c.s.Room(c.ctx, r.ID)
	c.ok(err, "Room r1")
	c.same("Room r1 after a rejected duplicate", got, r)
	members, err := c.s.Members(c.ctx, r.ID)
	c.ok(err, "Members r1")
	c.same("Members r1 after a rejected duplicate", members, []parley.Member{ownerOf(r)})
}

// testRoomNotFound: reading or updating a missing room is ErrRoomNotFound, and
// the update creates nothing.
func testRoomNotFound(c *storeCase) {
	c.createRoom(c.room("r1", parley.RoomPublic, "alice"))
	_, err := c.s.Room(c.ctx, "nope")
	c.errIs(err, parley.ErrRoomNotFound, "Room nope")

	err = c.s.UpdateRoom(c.ctx, c.room("nope", parley.RoomPublic, "alice"))
	c.errIs(err, parley.ErrRoomNotFound, "UpdateRoom nope")
	_, err = c.s.Room(c.ctx, "nope")
	c.errIs(err, parley.ErrRoomNotFound, "Room nope after UpdateRoom")
}

// testRoomUpdate: UpdateRoom replaces name, description, kind and updated_at,
// and never the creator or creation time.
func testRoomUpdate(c *storeCase) {
	r := c.room("r1", parley.RoomPublic, "alice")
	other := c.room("r2", parley.RoomPublic, "alice")
	c.createRoom(r)
	c.createRoom(other)

	upd := r
	upd.Name = "Renamed"
	upd.Description = "New description\nwith two lines"
	upd.Kind = parley.RoomPrivate
	upd.UpdatedAt = c.clock(30)
	upd.CreatedBy = "mallory" // ignored
	upd.CreatedAt = c.clock(99)
	c.ok(c.s.UpdateRoom(c.ctx, upd), "UpdateRoom r1")

	want := r
	want.Name, want.Description, want.Kind, want.UpdatedAt = upd.Name, upd.Description, upd.Kind, upd.UpdatedAt
	got, err := c.s.Room(c.ctx, r.ID)
	c.ok(err, "Room r1")
	c.same("Room r1 after UpdateRoom", got, want)

	got, err = c.s.Room(c.ctx, other.ID)
	c.ok(err, "Room r2")
	c.same("Room r2 (not updated)", got, other)
}

// testRoomSoftDelete: a deleted room keeps its record, is still returned by
// Room, drops out of ListRooms, and a later update does not undelete it.
func testRoomSoftDelete(c *storeCase) {
	r := c.room("r1", parley.RoomPublic, "alice")
	keep := c.room("r2", parley.RoomPublic, "alice")
	c.createRoom(r)
	c.createRoom(keep)

	del := r
	del.UpdatedAt = c.clock(10)
	del.DeletedAt = c.clock(10)
	del.DeletedBy = "admin"
	c.ok(c.s.UpdateRoom(c.ctx, del), "UpdateRoom (delete) r1")

	got, err := c.s.Room(c.ctx, r.ID)
	c.ok(err, "Room of a deleted room")
	c.same("Room r1 after delete", got, del)
	c.utc("Room r1 after delete", got.DeletedAt)
	if !got.IsDeleted() {
		c.t.Errorf("deleted room IsDeleted() = false")
	}

	for _, q := range []persistence.RoomQuery{
		{Viewer: "alice", Limit: 10},
		{Viewer: "admin", ViewerIsAdmin: true, Limit: 10},
		{Viewer: "alice", MemberOnly: true, Limit: 10},
	} {
		c.listIs(q, 1, keep.ID)
	}

	upd := del
	upd.Name = "Renamed after delete"
	upd.UpdatedAt = c.clock(20)
	upd.DeletedAt, upd.DeletedBy = time.Time{}, ""
	c.ok(c.s.UpdateRoom(c.ctx, upd), "UpdateRoom of a deleted room")
	got, err = c.s.Room(c.ctx, r.ID)
	c.ok(err, "Room r1")
	want := del
	want.Name, want.UpdatedAt = upd.Name, upd.UpdatedAt
	c.same("deleted room after an update with zero DeletedAt", got, want)
}

// testMemberPutAndReplace: PutMember inserts or replaces the one record of
// (room, user); Members returns all records in join order (JoinedAt, then
// user id), departed and banned ones included.
func testMemberPutAndReplace(c *storeCase) {
	r := c.room("r1", parley.RoomPublic, "alice")
	r.CreatedAt = c.clock(10)
	c.createRoom(r)
	owner := ownerOf(r)
	carol := c.member("r1", "carol", parley.RoleMember, 20)
	bob := c.member("r1", "bob", parley.RoleMember, 20) // same JoinedAt as carol: "bob" < "carol"
	dan := c.member("r1", "dan", parley.RoleAdmin, 5)   // joined before the owner (imported history)
	for _, m := range []parley.Member{carol, bob, dan} {
		c.putMember(m)
	}
	c.membersAre("r1", dan, owner, bob, carol)

	bob.Role = parley.RoleModerator // role change
	carol.DeletedAt, carol.DeletedBy = c.clock(30), "carol"
	dan.Banned, dan.DeletedAt, dan.DeletedBy = true, c.clock(31), "alice"
	for _, m := range []parley.Member{bob, carol, dan} {
		c.putMember(m)
	}
	c.membersAre("r1", dan, owner, bob, carol)

	carol = c.member("r1", "carol", parley.RoleMember, 40) // rejoins: a fresh record
	c.putMember(carol)
	c.membersAre("r1", dan, owner, bob, carol)
	dan.Banned = false // ban lifted: still departed, free to rejoin
	c.putMember(dan)
	c.membersAre("r1", dan, owner, bob, carol)
	dan = c.member("r1", "dan", parley.RoleMember, 50)
	c.putMember(dan)
	c.membersAre("r1", owner, bob, carol, dan)
}

// membersAre fails the test unless Members(room) is exactly want.
func (c *storeCase) membersAre(room string, want ...parley.Member) {
	c.t.Helper()
	got, err := c.s.Members(c.ctx, parley.RoomID(room))
	c.ok(err, "Members "+room)
	c.same("Members "+room, got, want)
	for _, m := range got {
		c.utc("Members "+room, m.JoinedAt, m.DeletedAt)
	}
}

// testMemberIsolation: a room's members never show in another room, and an
// unknown room has none.
func testMemberIsolation(c *storeCase) {
	a := c.room("a", parley.RoomPublic, "alice")
	b := c.room("b", parley.RoomPublic, "bob")
	c.createRoom(a)
	c.createRoom(b)
	ma := c.member("a", "carol", parley.RoleMember, 1)
	mb := c.member("b", "carol", parley.RoleAdmin, 2)
	c.putMember(ma)
	c.putMember(mb)
	c.membersAre("a", ownerOf(a), ma)
	c.membersAre("b", ownerOf(b), mb)
	c.membersAre("unknown")
}

// testMissingRoomWrites: a write naming a missing room either succeeds or
// returns ErrRoomNotFound, never another error.
func testMissingRoomWrites(c *storeCase) {
	err := c.s.PutMember(c.ctx, c.member("ghost", "alice", parley.RoleMember, 1))
	if err != nil {
		c.errIs(err, parley.ErrRoomNotFound, "PutMember to a missing room")
	}
	err = c.s.AppendMessages(c.ctx, c.messages("ghost", 1, 2))
	if err != nil {
		c.errIs(err, parley.ErrRoomNotFound, "AppendMessages to a missing room")
	}
}
