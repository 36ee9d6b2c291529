package storetest

import (
	"fmt"
	"time"

	"github.com/parleychat/parley"
)

// messageRooms creates public rooms with the given ids, owned by alice.
func (c *storeCase) messageRooms(ids ...string) {
	c.t.Helper()
	for _, id := range ids {
		c.createRoom(c.room(id, parley.RoomPublic, "alice"))
	}
}

// bySeq fails the test unless MessageBySeq returns want.
func (c *storeCase) bySeq(want parley.Message) {
	c.t.Helper()
	op := fmt.Sprintf("MessageBySeq %s/%d", want.RoomID, want.Seq)
	got, err := c.s.MessageBySeq(c.ctx, want.RoomID, want.Seq)
	c.ok(err, op)
	c.same(op, got, want)
	c.utc(op, got.CreatedAt, got.EditedAt, got.DeletedAt)
}

// lastSeq fails the test unless LastSeq(room) is want.
func (c *storeCase) lastSeq(room string, want uint64) {
	c.t.Helper()
	got, err := c.s.LastSeq(c.ctx, parley.RoomID(room))
	c.ok(err, "LastSeq "+room)
	if got != want {
		c.t.Fatalf("LastSeq(%s) = %d, want %d", room, got, want)
	}
}

// testAppendAndLastSeq: a batch stores every message as given; LastSeq is 0
// for an empty or unknown room; an empty batch is a no-op.
func testAppendAndLastSeq(c *storeCase) {
	c.messageRooms("r1")
	c.lastSeq("r1", 0)
	c.lastSeq("unknown", 0)
	c.ok(c.s.AppendMessages(c.ctx, nil), "AppendMessages(nil)")
	c.lastSeq("r1", 0)

	batch := c.messages("r1", 1, 5)
	batch[2].CreatedAt = c.clock(3).In(time.FixedZone("UTC-7", -7*3600)).Add(7 * time.Millisecond)
	batch[3].Body = "multi-line\nbody with ünïcödé and emoji 👋"
	c.appendMessages(batch...)
	c.lastSeq("r1", 5)
	c.appendMessages(c.message("r1", 6))
	c.lastSeq("r1", 6)
	all := append(batch, c.message("r1", 6))
	for _, m := range all {
		c.bySeq(m)
	}
	c.same("Messages r1", c.history("r1"), reversed(all))
}

// checkFailedBatch checks what a batch that failed with ErrConflict at index
// bad left behind: messages before it may or may not be stored (a non-atomic
// store keeps a prefix), it and every later one are not, and existing is
// unchanged.
func (c *storeCase) checkFailedBatch(batch []parley.Message, bad int, existing parley.Message) {
	c.t.Helper()
	c.errIs(c.s.AppendMessages(c.ctx, batch), parley.ErrConflict, fmt.Sprintf("AppendMessages conflicting at #%d", bad))
	c.bySeq(existing)
	for i, m := range batch {
		got, err := c.s.MessageBySeq(c.ctx, m.RoomID, m.Seq)
		switch {
		case i < bad && err == nil:
			c.same("stored prefix of a failed batch", got, m)
		case i < bad:
			c.errIs(err, parley.ErrMessageNotFound, "MessageBySeq in the prefix of a failed batch")
		case m.Seq != existing.Seq:
			c.errIs(err, parley.ErrMessageNotFound, fmt.Sprintf("MessageBySeq %d (at or after the conflict)", m.Seq))
		}
	}
}

// testAppendSeqConflict: a taken (room, seq) is ErrConflict, the fence between
// two live activations of a room.
func testAppendSeqConflict(c *storeCase) {
	c.messageRooms("r1", "r2")
	existing := c.message("r1", 3)
	existing.SenderID, existing.ClientID = "bob", "first"
	c.appendMessages(existing)

	batch := c.messages("r1", 1, 5) // 1, 2, then the taken 3, then 4, 5
	c.checkFailedBatch(batch, 2, existing)
	c.errIs(c.s.AppendMessages(c.ctx, c.messages("r1", 3, 3)), parley.ErrConflict, "AppendMessages of a lone taken seq")
	c.bySeq(existing)

	c.appendMessages(c.messages("r2", 1, 5)...) // the same seqs are free in another room
	c.lastSeq("r2", 5)
}

// testAppendClientIDConflict: a taken (room, sender, client id) is
// ErrConflict; the same client id from another sender or in another room is
// fine.
func testAppendClientIDConflict(c *storeCase) {
	c.messageRooms("r1", "r2")
	first := c.message("r1", 1)
	first.ClientID = "same"
	c.appendMessages(first)

	dup := c.messages("r1", 2, 4)
	dup[1].ClientID = "same" // seq 3: alice resends "same"
	c.checkFailedBatch(dup, 1, first)

	other := c.message("r1", 10) // past the batch: a non-atomic store may have kept seq 2
	other.SenderID, other.ClientID = "bob", "same"
	c.appendMessages(other)
	elsewhere := c.message("r2", 1)
	elsewhere.ClientID = "same"
	c.appendMessages(elsewhere)
	c.bySeq(other)
	c.bySeq(elsewhere)
}

// testAppendEmptyClientID: an empty client id is never a conflict, and never
// found by MessageByClientID.
func testAppendEmptyClientID(c *storeCase) {
	c.messageRooms("r1")
	batch := c.messages("r1", 1, 3)
	for i := range batch {
		batch[i].ClientID = ""
	}
	c.appendMessages(batch...)
	next := c.message("r1", 4)
	next.ClientID = ""
	c.appendMessages(next)
	c.lastSeq("r1", 4)
	for _, m := range append(batch, next) {
		c.bySeq(m)
	}
	_, err := c.s.MessageByClientID(c.ctx, "r1", "alice", "")
	c.errIs(err, parley.ErrMessageNotFound, `MessageByClientID("")`)
}

// testMessageLookup: MessageBySeq and MessageByClientID find exactly their
// message and return ErrMessageNotFound otherwise.
func testMessageLookup(c *storeCase) {
	c.messageRooms("r1", "r2")
	c.appendMessages(c.messages("r1", 1, 3)...)
	want := c.message("r1", 2)

	got, err := c.s.MessageByClientID(c.ctx, "r1", "alice", want.ClientID)
	c.ok(err, "MessageByClientID r1/alice/c2")
	c.same("MessageByClientID r1/alice/c2", got, want)
	c.bySeq(want)

	for _, tc := range []struct {
		room   parley.RoomID
		seq    uint64
		sender parley.UserID
		client string
	}{
		{"r1", 4, "bob", "c2"},     // wrong sender
		{"r2", 0, "alice", "c2"},   // wrong room (empty)
		{"r1", 99, "alice", "c99"}, // unknown
		{"nope", 1, "alice", "c1"}, // unknown room
	} {
		_, err := c.s.MessageByClientID(c.ctx, tc.room, tc.sender, tc.client)
		c.errIs(err, parley.ErrMessageNotFound, fmt.Sprintf("MessageByClientID %s/%s/%s", tc.room, tc.sender, tc.client))
		_, err = c.s.MessageBySeq(c.ctx, tc.room, tc.seq)
		c.errIs(err, parley.ErrMessageNotFound, fmt.Sprintf("MessageBySeq %s/%d", tc.room, tc.seq))
	}
}

// testUpdateMessage: UpdateMessage replaces body, edited_at, deleted_at and
// deleted_by of (room, seq) and nothing else; deleted messages stay readable.
func testUpdateMessage(c *storeCase) {
	c.messageRooms("r1")
	c.appendMessages(c.messages("r1", 1, 3)...)
	orig := c.message("r1", 2)

	edit := orig
	edit.Body, edit.EditedAt = "edited body", c.clock(100)
	edit.ID, edit.SenderID, edit.ClientID, edit.CreatedAt = "other-id", "mallory", "other", c.clock(999) // ignored
	c.ok(c.s.UpdateMessage(c.ctx, edit), "UpdateMessage (edit)")
	want := orig
	want.Body, want.EditedAt = edit.Body, edit.EditedAt
	c.bySeq(want)

	del := want
	del.DeletedAt, del.DeletedBy = c.clock(200), "moderator"
	c.ok(c.s.UpdateMessage(c.ctx, del), "UpdateMessage (delete)")
	c.bySeq(del)
	hist := c.history("r1")
	c.same("Messages with a deleted message (tombstones included)", hist, []parley.Message{c.message("r1", 3), del, c.message("r1", 1)})
	got, err := c.s.MessageByClientID(c.ctx, "r1", "alice", orig.ClientID)
	c.ok(err, "MessageByClientID of a deleted message")
	c.same("MessageByClientID of a deleted message", got, del)

	restored := del
	restored.DeletedAt, restored.DeletedBy = time.Time{}, ""
	c.ok(c.s.UpdateMessage(c.ctx, restored), "UpdateMessage (restore)")
	c.bySeq(restored)

	missing := c.message("r1", 9)
	c.errIs(c.s.UpdateMessage(c.ctx, missing), parley.ErrMessageNotFound, "UpdateMessage r1/9")
	missing = c.message("nope", 1)
	c.errIs(c.s.UpdateMessage(c.ctx, missing), parley.ErrMessageNotFound, "UpdateMessage nope/1")
	c.lastSeq("r1", 3)
}

// testMessageRoomIsolation: messages of one room never show in another.
func testMessageRoomIsolation(c *storeCase) {
	c.messageRooms("r1", "r2", "r3")
	c.appendMessages(c.messages("r1", 1, 4)...)
	c.appendMessages(c.messages("r2", 1, 2)...)
	c.same("Messages r1", c.history("r1"), reversed(c.messages("r1", 1, 4)))
	c.same("Messages r2", c.history("r2"), reversed(c.messages("r2", 1, 2)))
	c.same("Messages r3", c.history("r3"), []parley.Message(nil))
	c.bySeq(c.message("r2", 2))
	c.lastSeq("r1", 4)
	c.lastSeq("r2", 2)
	c.lastSeq("r3", 0)
}
