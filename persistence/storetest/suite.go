package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// Run checks a durable store against the persistence.Store contract. Each
// subtest calls newStore for a fresh, empty store; newStore registers the
// store's Close with t.Cleanup. Subtests run one after another.
//
// Beyond the interface comments, the suite pins these rules, which every store
// must follow the same way:
//
//   - Times: a store keeps at least millisecond precision and returns times in
//     UTC; the zero time comes back as the zero time. The suite compares times
//     truncated to the millisecond.
//   - Users: an empty ExternalID is "not linked": any number of users may have
//     it, and UserByExternalID("") returns parley.ErrUserNotFound.
//   - Rooms: CreateRoom stores owner as the membership of r.ID and stores
//     nothing when it fails. UpdateRoom never changes CreatedBy or CreatedAt,
//     and a zero DeletedAt leaves deleted_at and deleted_by as they are (an
//     update never undeletes a room).
//   - ListRooms orders by the ordering's key, then by id in the same
//     direction, so a descending ordering is the exact reverse of its
//     ascending one. Names compare byte-wise ("Zulu" < "alpha"). Search folds
//     ASCII case only and matches literally (no pattern characters).
//   - Members and Messages of an unknown room, LastSeq and Audit of one, are
//     empty (0), not an error.
//   - A write that names a missing room (PutMember, AppendMessages) either
//     succeeds or returns parley.ErrRoomNotFound.
//   - AppendMessages of an empty batch is a no-op. MessageByClientID with an
//     empty client id returns parley.ErrMessageNotFound.
//   - UpdateMessage replaces body, edited_at, deleted_at and deleted_by
//     unconditionally (a zero DeletedAt restores a message) and nothing else.
//   - A cancelled or expired context fails every call with an error wrapping
//     parley.ErrUnavailable, and a write that fails so stores nothing.
//   - Close may be called again (later calls return nil); after Close every
//     method returns an error and none panics.
func Run(t *testing.T, newStore func(t *testing.T) persistence.Store) {
	for _, tc := range storeTests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(&storeCase{t: t, s: newStore(t), ctx: t.Context()})
		})
	}
}

// storeTests lists the suite's subtests in the order they run.
var storeTests = []struct {
	name string
	run  func(c *storeCase)
}{
	{"UserRoundTrip", testUserRoundTrip},
	{"UserDuplicates", testUserDuplicates},
	{"UserEmptyExternalID", testUserEmptyExternalID},
	{"UserNotFound", testUserNotFound},
	{"RoomCreate", testRoomCreate},
	{"RoomDuplicate", testRoomDuplicate},
	{"RoomNotFound", testRoomNotFound},
	{"RoomUpdate", testRoomUpdate},
	{"RoomSoftDelete", testRoomSoftDelete},
	{"ListRoomsVisibility", testListRoomsVisibility},
	{"ListRoomsKindAndMemberOnly", testListRoomsKindAndMemberOnly},
	{"ListRoomsSearch", testListRoomsSearch},
	{"ListRoomsOrdering", testListRoomsOrdering},
	{"ListRoomsPaging", testListRoomsPaging},
	{"MemberPutAndReplace", testMemberPutAndReplace},
	{"MemberIsolation", testMemberIsolation},
	{"MissingRoomWrites", testMissingRoomWrites},
	{"AppendAndLastSeq", testAppendAndLastSeq},
	{"AppendSeqConflict", testAppendSeqConflict},
	{"AppendClientIDConflict", testAppendClientIDConflict},
	{"AppendEmptyClientID", testAppendEmptyClientID},
	{"MessageLookup", testMessageLookup},
	{"UpdateMessage", testUpdateMessage},
	{"MessageRoomIsolation", testMessageRoomIsolation},
	{"MessagesPage", testMessagesPage},
	{"MessagesWalkBackward", testMessagesWalkBackward},
	{"MessagesWalkForward", testMessagesWalkForward},
	{"Audit", testAudit},
	{"AuditWalk", testAuditWalk},
	{"ConcurrentAppendRooms", testConcurrentAppendRooms},
	{"ConcurrentAppendSameSeq", testConcurrentAppendSameSeq},
	{"Ping", testPing},
	{"ContextDone", testContextDone},
	{"CloseThenUse", testCloseThenUse},
}

// storeEpoch is the suite's clock origin: every timestamp is an explicit
// offset from it, so runs are deterministic.
var storeEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// storeCmpOpts compare times at millisecond precision, whatever their
// location, and treat nil and empty slices alike.
var storeCmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool {
		return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
	}),
	cmpopts.EquateEmpty(),
}

// storeCase is one subtest's store and the helpers that drive it.
type storeCase struct {
	t   *testing.T
	s   persistence.Store
	ctx context.Context
}

// clock returns storeEpoch plus sec seconds.
func (c *storeCase) clock(sec int) time.Time {
	return storeEpoch.Add(time.Duration(sec) * time.Second)
}

// ok fails the test now if err is not nil.
func (c *storeCase) ok(err error, op string) {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("%s: unexpected error: %v", op, err)
	}
}

// errIs fails the test now unless err wraps want.
func (c *storeCase) errIs(err error, want *parley.Error, op string) {
	c.t.Helper()
	if !errors.Is(err, want) {
		c.t.Fatalf("%s = %v, want an error wrapping %q (%s)", op, err, want, want.Code)
	}
}

// same fails the test now if got differs from want (times at millisecond
// precision).
func (c *storeCase) same(op string, got, want any) {
	c.t.Helper()
	if d := cmp.Diff(want, got, storeCmpOpts); d != "" {
		c.t.Fatalf("%s mismatch (-want +got):\n%s", op, d)
	}
}

// utc reports every non-zero time in ts that is not in UTC.
func (c *storeCase) utc(op string, ts ...time.Time) {
	c.t.Helper()
	for i, v := range ts {
		if !v.IsZero() && v.Location() != time.UTC {
			c.t.Errorf("%s: time #%d is %v in %v, want UTC", op, i, v, v.Location())
		}
	}
}

// user returns a user with every field set; id doubles as the username.
func (c *storeCase) user(id string) parley.User {
	return parley.User{
		ID:           parley.UserID(id),
		Username:     id,
		DisplayName:  "User " + id,
		PasswordHash: "$argon2id$hash-of-" + id,
		ExternalID:   "https://issuer.example|" + id,
		CreatedAt:    c.clock(0),
	}
}

// room returns a live room of kind created by owner at clock(0).
func (c *storeCase) room(id string, kind parley.RoomKind, owner string) parley.Room {
	return parley.Room{
		ID:          parley.RoomID(id),
		Name:        "Room " + id,
		Description: "About " + id,
		Kind:        kind,
		CreatedBy:   parley.UserID(owner),
		CreatedAt:   c.clock(0),
		UpdatedAt:   c.clock(0),
	}
}

// ownerOf returns the owner membership CreateRoom stores with r.
func ownerOf(r parley.Room) parley.Member {
	return parley.Member{RoomID: r.ID, UserID: r.CreatedBy, Role: parley.RoleOwner, JoinedAt: r.CreatedAt}
}

// createRoom stores r with its owner's membership.
func (c *storeCase) createRoom(r parley.Room) {
	c.t.Helper()
	c.ok(c.s.CreateRoom(c.ctx, r, ownerOf(r)), "CreateRoom "+string(r.ID))
}

// member returns an active membership of user in room with role, joined at
// clock(sec).
func (c *storeCase) member(room, user string, role parley.Role, sec int) parley.Member {
	return parley.Member{RoomID: parley.RoomID(room), UserID: parley.UserID(user), Role: role, JoinedAt: c.clock(sec)}
}

// putMember stores m.
func (c *storeCase) putMember(m parley.Member) {
	c.t.Helper()
	c.ok(c.s.PutMember(c.ctx, m), fmt.Sprintf("PutMember %s/%s", m.RoomID, m.UserID))
}

// message returns message seq of room, sent by "alice" at clock(seq).
func (c *storeCase) message(room string, seq uint64) parley.Message {
	return parley.Message{
		ID:        parley.MessageID(fmt.Sprintf("%s-m%d", room, seq)),
		RoomID:    parley.RoomID(room),
		Seq:       seq,
		SenderID:  "alice",
		ClientID:  fmt.Sprintf("c%d", seq),
		Body:      fmt.Sprintf("message %d of %s", seq, room),
		CreatedAt: c.clock(int(seq)),
	}
}

// messages returns messages from..to (inclusive) of room.
func (c *storeCase) messages(room string, from, to uint64) []parley.Message {
	var out []parley.Message
	for seq := from; seq <= to; seq++ {
		out = append(out, c.message(room, seq))
	}
	return out
}

// appendMessages stores msgs as one batch.
func (c *storeCase) appendMessages(msgs ...parley.Message) {
	c.t.Helper()
	c.ok(c.s.AppendMessages(c.ctx, msgs), fmt.Sprintf("AppendMessages(%d)", len(msgs)))
}

// history returns the room's whole history, newest first.
func (c *storeCase) history(room string) []parley.Message {
	c.t.Helper()
	got, err := c.s.Messages(c.ctx, persistence.MessageQuery{Room: parley.RoomID(room), Limit: parley.MaxHistory})
	c.ok(err, "Messages "+room)
	return got
}

// reversed returns a reversed copy of s.
func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
