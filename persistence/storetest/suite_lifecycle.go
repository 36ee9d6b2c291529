package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// testConcurrentAppendRooms: writers of different rooms never conflict.
func testConcurrentAppendRooms(c *storeCase) {
	const writers, batches, size = 8, 10, 8
	for w := range writers {
		c.messageRooms(fmt.Sprintf("r%d", w))
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			room := fmt.Sprintf("r%d", w)
			for b := range batches {
				from := uint64(b*size + 1)
				if err := c.s.AppendMessages(c.ctx, c.messages(room, from, from+size-1)); err != nil {
					errs[w] = fmt.Errorf("append %s from %d: %w", room, from, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.t.Fatalf("concurrent appends to different rooms: %v", err)
	}
	for w := range writers {
		room := fmt.Sprintf("r%d", w)
		c.lastSeq(room, batches*size)
		c.same("Messages "+room, c.history(room), reversed(c.messages(room, 1, batches*size)))
	}
}

// testConcurrentAppendSameSeq: two activations racing for the same seq: one
// wins, the other gets ErrConflict, and the winner's message is stored.
func testConcurrentAppendSameSeq(c *storeCase) {
	c.messageRooms("r1")
	for seq := uint64(1); seq <= 16; seq++ {
		var racers [2]parley.Message
		var errs [2]error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, sender := range []parley.UserID{"alice", "bob"} {
			racers[i] = c.message("r1", seq)
			racers[i].ID = parley.MessageID(fmt.Sprintf("%s-%d", sender, seq))
			racers[i].SenderID = sender
			wg.Go(func() {
				<-start
				errs[i] = c.s.AppendMessages(c.ctx, racers[i:i+1])
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won < 0:
				won = i
			case err == nil:
				c.t.Fatalf("seq %d: both racers won", seq)
			case !errors.Is(err, parley.ErrConflict):
				c.t.Fatalf("seq %d: loser got %v, want ErrConflict", seq, err)
			}
		}
		if won < 0 {
			c.t.Fatalf("seq %d: no racer won: %v", seq, errors.Join(errs[:]...))
		}
		c.bySeq(racers[won])
	}
	c.lastSeq("r1", 16)
}

// testPing: a fresh store answers.
func testPing(c *storeCase) {
	c.ok(c.s.Ping(c.ctx), "Ping")
}

// storeCall is one store method applied to fixed arguments.
type storeCall struct {
	name string
	call func(ctx context.Context) error
}

// everyCall returns a call of each store method. The writes target "r1"
// (whose message 1 exists after callFixture) or new records.
func (c *storeCase) everyCall() []storeCall {
	newRoom := c.room("new", parley.RoomPublic, "alice")
	upd := c.room("r1", parley.RoomPrivate, "alice")
	upd.Name = "renamed"
	edit := c.message("r1", 1)
	edit.Body = "edited"
	s := c.s
	ignore := func(_ any, err error) error { return err }
	return []storeCall{
		{"Ping", s.Ping},
		{"CreateUser", func(ctx context.Context) error { return s.CreateUser(ctx, c.user("zed")) }},
		{"UserByID", func(ctx context.Context) error { return ignore(s.UserByID(ctx, "alice")) }},
		{"UserByUsername", func(ctx context.Context) error { return ignore(s.UserByUsername(ctx, "alice")) }},
		{"UserByExternalID", func(ctx context.Context) error { return ignore(s.UserByExternalID(ctx, "x|alice")) }},
		{"CreateRoom", func(ctx context.Context) error { return s.CreateRoom(ctx, newRoom, ownerOf(newRoom)) }},
		{"Room", func(ctx context.Context) error { return ignore(s.Room(ctx, "r1")) }},
		{"UpdateRoom", func(ctx context.Context) error { return s.UpdateRoom(ctx, upd) }},
		{"ListRooms", func(ctx context.Context) error {
			return ignore(s.ListRooms(ctx, persistence.RoomQuery{Viewer: "alice", Limit: 10}))
		}},
		{"PutMember", func(ctx context.Context) error { return s.PutMember(ctx, c.member("r1", "bob", parley.RoleMember, 5)) }},
		{"Members", func(ctx context.Context) error { return ignore(s.Members(ctx, "r1")) }},
		{"AppendMessages", func(ctx context.Context) error { return s.AppendMessages(ctx, c.messages("r1", 2, 3)) }},
		{"LastSeq", func(ctx context.Context) error { return ignore(s.LastSeq(ctx, "r1")) }},
		{"Messages", func(ctx context.Context) error {
			return ignore(s.Messages(ctx, persistence.MessageQuery{Room: "r1", Limit: 10}))
		}},
		{"MessageBySeq", func(ctx context.Context) error { return ignore(s.MessageBySeq(ctx, "r1", 1)) }},
		{"MessageByClientID", func(ctx context.Context) error { return ignore(s.MessageByClientID(ctx, "r1", "alice", "c1")) }},
		{"UpdateMessage", func(ctx context.Context) error { return s.UpdateMessage(ctx, edit) }},
		{"AppendAudit", func(ctx context.Context) error { return s.AppendAudit(ctx, c.auditEntry("r1", 1)) }},
		{"Audit", func(ctx context.Context) error { return ignore(s.Audit(ctx, "r1", time.Time{}, 10)) }},
	}
}

// callFixture stores what everyCall reads: user alice, room r1 and its
// message 1.
func (c *storeCase) callFixture() {
	alice := c.user("alice")
	alice.ExternalID = "x|alice"
	c.ok(c.s.CreateUser(c.ctx, alice), "CreateUser alice")
	c.createRoom(c.room("r1", parley.RoomPublic, "alice"))
	c.appendMessages(c.message("r1", 1))
}

// testContextDone: a cancelled or expired context fails every call with
// ErrUnavailable, and the failed writes store nothing.
func testContextDone(c *storeCase) {
	c.callFixture()
	cancelled, cancel := context.WithCancel(c.ctx)
	cancel()
	expired, cancel := context.WithTimeout(c.ctx, 0)
	defer cancel()
	for _, ctx := range []context.Context{cancelled, expired} {
		for _, sc := range c.everyCall() {
			c.errIs(sc.call(ctx), parley.ErrUnavailable, fmt.Sprintf("%s with %v context", sc.name, context.Cause(ctx)))
		}
	}
	_, err := c.s.UserByID(c.ctx, "zed")
	c.errIs(err, parley.ErrUserNotFound, "UserByID of a user created with a done context")
	_, err = c.s.Room(c.ctx, "new")
	c.errIs(err, parley.ErrRoomNotFound, "Room created with a done context")
	room, err := c.s.Room(c.ctx, "r1")
	c.ok(err, "Room r1")
	c.same("Room r1 updated with a done context", room, c.room("r1", parley.RoomPublic, "alice"))
	c.membersAre("r1", ownerOf(c.room("r1", parley.RoomPublic, "alice")))
	c.lastSeq("r1", 1)
	c.bySeq(c.message("r1", 1))
	c.auditIs("r1", time.Time{}, 10)
}

// testCloseThenUse: Close may be repeated, and afterwards every call returns
// an error instead of panicking.
func testCloseThenUse(c *storeCase) {
	c.callFixture()
	c.ok(c.s.Close(), "Close")
	c.ok(c.s.Close(), "second Close")
	for _, sc := range c.everyCall() {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
					c.t.Errorf("%s after Close panicked: %v", sc.name, r)
				}
			}()
			return sc.call(c.ctx)
		}()
		if err == nil {
			c.t.Errorf("%s after Close = nil, want an error", sc.name)
		}
	}
}
