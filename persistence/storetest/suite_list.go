package storetest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// listIs fails the test unless ListRooms(q) returns exactly the rooms ids, in
// that order, and Count is count.
func (c *storeCase) listIs(q persistence.RoomQuery, count int, ids ...parley.RoomID) {
	c.t.Helper()
	got := c.list(q)
	c.same(fmt.Sprintf("ListRooms(%+v) ids", q), roomIDs(got.Rooms), ids)
	if got.Count != count {
		c.t.Fatalf("ListRooms(%+v).Count = %d, want %d", q, got.Count, count)
	}
}

// list returns ListRooms(q) and checks every room is live.
func (c *storeCase) list(q persistence.RoomQuery) persistence.RoomPage {
	c.t.Helper()
	got, err := c.s.ListRooms(c.ctx, q)
	c.ok(err, fmt.Sprintf("ListRooms(%+v)", q))
	for _, r := range got.Rooms {
		if r.IsDeleted() {
			c.t.Errorf("ListRooms(%+v) returned deleted room %s", q, r.ID)
		}
	}
	return got
}

// roomIDs returns the ids of rooms, in order.
func roomIDs(rooms []parley.Room) []parley.RoomID {
	ids := make([]parley.RoomID, len(rooms))
	for i, r := range rooms {
		ids[i] = r.ID
	}
	return ids
}

// listFixture creates rooms that exercise visibility, newest first:
// priv2 (bob's), priv1 (alice's; bob active, carol departed, dave banned,
// frank with no role, gina banned without a DeletedAt), pub2, pub1; plus
// deleted rooms nobody lists. Active means parley.Member.IsActive.
func (c *storeCase) listFixture() {
	for i, r := range []parley.Room{
		c.room("pub1", parley.RoomPublic, "alice"),
		c.room("pub2", parley.RoomPublic, "bob"),
		c.room("priv1", parley.RoomPrivate, "alice"),
		c.room("priv2", parley.RoomPrivate, "bob"),
		c.room("gone", parley.RoomPublic, "alice"),
		c.room("gone2", parley.RoomPrivate, "alice"),
	} {
		r.CreatedAt = c.clock(i + 1)
		c.createRoom(r)
		if strings.HasPrefix(string(r.ID), "gone") {
			r.DeletedAt, r.DeletedBy = c.clock(100), "alice"
			c.ok(c.s.UpdateRoom(c.ctx, r), "UpdateRoom (delete) "+string(r.ID))
		}
	}
	carol := c.member("priv1", "carol", parley.RoleMember, 10)
	carol.DeletedAt, carol.DeletedBy = c.clock(11), "carol"
	dave := c.member("priv1", "dave", parley.RoleMember, 10)
	dave.Banned, dave.DeletedAt, dave.DeletedBy = true, c.clock(12), "alice"
	gina := c.member("priv1", "gina", parley.RoleMember, 10)
	gina.Banned = true
	for _, m := range []parley.Member{
		c.member("priv1", "bob", parley.RoleMember, 10),
		carol,
		dave,
		c.member("priv1", "frank", parley.RoleNone, 10),
		gina,
	} {
		c.putMember(m)
	}
}

// testListRoomsVisibility: public rooms are listed to everyone, private ones
// only to active members and platform admins; deleted rooms to no one.
func testListRoomsVisibility(c *storeCase) {
	c.listFixture()
	for _, tc := range []struct {
		q    persistence.RoomQuery
		want []parley.RoomID
	}{
		{persistence.RoomQuery{}, []parley.RoomID{"pub2", "pub1"}}, // anonymous
		{persistence.RoomQuery{Viewer: "eve"}, []parley.RoomID{"pub2", "pub1"}},
		{persistence.RoomQuery{Viewer: "alice"}, []parley.RoomID{"priv1", "pub2", "pub1"}},
		{persistence.RoomQuery{Viewer: "bob"}, []parley.RoomID{"priv2", "priv1", "pub2", "pub1"}},
		{persistence.RoomQuery{Viewer: "carol"}, []parley.RoomID{"pub2", "pub1"}}, // departed
		{persistence.RoomQuery{Viewer: "dave"}, []parley.RoomID{"pub2", "pub1"}},  // banned
		{persistence.RoomQuery{Viewer: "frank"}, []parley.RoomID{"pub2", "pub1"}}, // RoleNone
		{persistence.RoomQuery{Viewer: "gina"}, []parley.RoomID{"pub2", "pub1"}},  // banned, not departed
		{persistence.RoomQuery{Viewer: "eve", ViewerIsAdmin: true}, []parley.RoomID{"priv2", "priv1", "pub2", "pub1"}},
	} {
		tc.q.Limit = 10
		c.listIs(tc.q, len(tc.want), tc.want...)
	}
}

// testListRoomsKindAndMemberOnly: Kind and MemberOnly narrow what the viewer
// may see; MemberOnly means an active membership, even for admins.
func testListRoomsKindAndMemberOnly(c *storeCase) {
	c.listFixture()
	for _, tc := range []struct {
		q    persistence.RoomQuery
		want []parley.RoomID
	}{
		{persistence.RoomQuery{Viewer: "alice", Kind: parley.RoomPrivate}, []parley.RoomID{"priv1"}},
		{persistence.RoomQuery{Viewer: "alice", Kind: parley.RoomPublic}, []parley.RoomID{"pub2", "pub1"}},
		{persistence.RoomQuery{Viewer: "eve", ViewerIsAdmin: true, Kind: parley.RoomPrivate}, []parley.RoomID{"priv2", "priv1"}},
		{persistence.RoomQuery{Viewer: "alice", MemberOnly: true}, []parley.RoomID{"priv1", "pub1"}},
		{persistence.RoomQuery{Viewer: "bob", MemberOnly: true}, []parley.RoomID{"priv2", "priv1", "pub2"}},
		{persistence.RoomQuery{Viewer: "bob", MemberOnly: true, Kind: parley.RoomPublic}, []parley.RoomID{"pub2"}},
		{persistence.RoomQuery{Viewer: "carol", MemberOnly: true}, nil},
		{persistence.RoomQuery{Viewer: "dave", MemberOnly: true}, nil},
		{persistence.RoomQuery{Viewer: "frank", MemberOnly: true}, nil},
		{persistence.RoomQuery{Viewer: "gina", MemberOnly: true}, nil},
		{persistence.RoomQuery{Viewer: "eve", ViewerIsAdmin: true, MemberOnly: true}, nil},
		{persistence.RoomQuery{MemberOnly: true}, nil},
	} {
		tc.q.Limit = 10
		c.listIs(tc.q, len(tc.want), tc.want...)
	}
}

// testListRoomsSearch: Search is a case-insensitive (ASCII) literal substring
// of name or description: regex and LIKE metacharacters match only
// themselves, and visibility still applies.
func testListRoomsSearch(c *storeCase) {
	for i, nd := range [][2]string{
		{"Go .* fans", ""},
		{"Regex (a+)+$ club", ""},
		{"100% pure", ""},
		{"snake_case", ""},
		{`back\slash`, ""},
		{"pizza", "about GOLANG and more"},
		{"Café talk", ""},
	} {
		r := c.room(fmt.Sprintf("s%d", i+1), parley.RoomPublic, "alice")
		r.Name, r.Description, r.CreatedAt = nd[0], nd[1], c.clock(i)
		c.createRoom(r)
	}
	hidden := c.room("hidden", parley.RoomPrivate, "alice")
	hidden.Name, hidden.CreatedAt = "hidden .* room", c.clock(50)
	c.createRoom(hidden)

	for _, tc := range []struct {
		search string
		want   []parley.RoomID
	}{
		{".*", []parley.RoomID{"s1"}},
		{"(a+)+$", []parley.RoomID{"s2"}},
		{"%", []parley.RoomID{"s3"}},
		{"_", []parley.RoomID{"s4"}},
		{"e_c", []parley.RoomID{"s4"}},
		{"k%", nil},
		{`\`, []parley.RoomID{"s5"}},
		{`\s`, []parley.RoomID{"s5"}},
		{"golang", []parley.RoomID{"s6"}}, // description
		{"GO", []parley.RoomID{"s6", "s1"}},
		{"PIZZA", []parley.RoomID{"s6"}},
		{"fé t", []parley.RoomID{"s7"}},
		{"no such room", nil},
	} {
		c.listIs(persistence.RoomQuery{Viewer: "eve", Search: tc.search, Limit: 10}, len(tc.want), tc.want...)
	}
	c.listIs(persistence.RoomQuery{Viewer: "eve", ViewerIsAdmin: true, Search: ".*", Limit: 10}, 2, "hidden", "s1")
	c.listIs(persistence.RoomQuery{Viewer: "alice", Search: "HIDDEN", Limit: 10}, 1, "hidden")
}

// testListRoomsOrdering: every RoomOrdering, ties broken by id in the
// ordering's direction, names compared byte-wise.
func testListRoomsOrdering(c *storeCase) {
	for _, r := range []struct {
		id, name string
		sec      int
	}{
		{"r-a", "beta", 1}, {"r-b", "alpha", 2}, {"r-c", "alpha", 2}, {"r-d", "Zulu", 0}, {"r-e", "gamma", 2},
	} {
		room := c.room(r.id, parley.RoomPublic, "alice")
		room.Name, room.CreatedAt = r.name, c.clock(r.sec)
		c.createRoom(room)
	}
	createdAsc := []parley.RoomID{"r-d", "r-a", "r-b", "r-c", "r-e"}
	nameAsc := []parley.RoomID{"r-d", "r-b", "r-c", "r-a", "r-e"}
	for _, tc := range []struct {
		order persistence.RoomOrdering
		want  []parley.RoomID
	}{
		{"", reversed(createdAsc)},
		{persistence.OrderCreatedDesc, reversed(createdAsc)},
		{persistence.OrderCreatedAsc, createdAsc},
		{persistence.OrderNameAsc, nameAsc},
		{persistence.OrderNameDesc, reversed(nameAsc)},
	} {
		q := persistence.RoomQuery{Viewer: "eve", Ordering: tc.order, Limit: 10}
		c.listIs(q, len(tc.want), tc.want...)
		var paged []parley.RoomID
		for q.Limit, q.Offset = 2, 0; q.Offset < len(tc.want); q.Offset += q.Limit {
			paged = append(paged, roomIDs(c.list(q).Rooms)...)
		}
		c.same(fmt.Sprintf("pages of 2 ordered by %q", tc.order), paged, tc.want)
	}
}

// testListRoomsPaging: Offset/Limit walk a stable order, Count is the total
// that match (not the page size), and a page past the end is empty.
func testListRoomsPaging(c *storeCase) {
	const n = 23
	var all []parley.RoomID // default order: created_at then id, both descending
	for i := range n {
		r := c.room(fmt.Sprintf("p%02d", i), parley.RoomPublic, "alice")
		r.CreatedAt = c.clock(i / 3) // groups of three share a created_at
		c.createRoom(r)
		all = append(all, r.ID)
	}
	slices.Reverse(all)

	var walked []parley.RoomID
	for off := 0; off < n+5; off += 5 {
		page := c.list(persistence.RoomQuery{Viewer: "eve", Offset: off, Limit: 5})
		if page.Count != n {
			c.t.Fatalf("ListRooms(offset %d).Count = %d, want %d", off, page.Count, n)
		}
		if want := min(5, max(0, n-off)); len(page.Rooms) != want {
			c.t.Fatalf("ListRooms(offset %d) returned %d rooms, want %d", off, len(page.Rooms), want)
		}
		walked = append(walked, roomIDs(page.Rooms)...)
	}
	c.same("rooms walked in pages of 5", walked, all)

	c.listIs(persistence.RoomQuery{Viewer: "eve", Offset: 1000, Limit: 5}, n)
	c.listIs(persistence.RoomQuery{Viewer: "eve", Limit: 100}, n, all...)
	// Search "p1" matches p10..p19 (names "Room p1x"): Count counts them all.
	c.listIs(persistence.RoomQuery{Viewer: "eve", Search: "p1", Offset: 2, Limit: 3}, 10, "p17", "p16", "p15")
	c.listIs(persistence.RoomQuery{Viewer: "eve", Search: "p1", Offset: 9, Limit: 3}, 10, "p10")
	c.listIs(persistence.RoomQuery{Viewer: "eve", Search: "p1", Offset: 10, Limit: 3}, 10)
}
