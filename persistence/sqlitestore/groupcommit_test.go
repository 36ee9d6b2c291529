package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// groupEpoch is the creation time of the messages of these tests.
var groupEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// groupMsg returns message seq of room from alice with the client id "c<seq>".
func groupMsg(room parley.RoomID, seq uint64) parley.Message {
	return parley.Message{
		ID: parley.MessageID(fmt.Sprintf("%s-%d", room, seq)), RoomID: room, Seq: seq, SenderID: "alice",
		ClientID: fmt.Sprintf("c%d", seq), Body: fmt.Sprintf("message %d of %s", seq, room), CreatedAt: groupEpoch,
	}
}

// groupStore opens a store with the given rooms, owned by alice.
func groupStore(t *testing.T, dir string, rooms ...parley.RoomID) *Store {
	t.Helper()
	s := mustOpen(t, Config{Dir: dir})
	for _, id := range rooms {
		r := parley.Room{ID: id, Name: string(id), Kind: parley.RoomPublic, CreatedBy: "alice"}
		if err := s.CreateRoom(t.Context(), r, parley.Member{UserID: "alice", Role: parley.RoleOwner}); err != nil {
			t.Fatalf("CreateRoom(%s): %v", id, err)
		}
	}
	return s
}

// holdWriter takes the store's one write connection, so that AppendMessages
// calls queue up until release hands it back.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	conn, err := s.w.Conn(t.Context())
	if err != nil {
		t.Fatalf("take the write connection: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if err := conn.Close(); err != nil {
				t.Errorf("release the write connection: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// waitFor fails t unless cond becomes true within timeout.
func waitFor(t *testing.T, what string, cond func() bool, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// queued returns the number of calls in the committer's queue.
func (a *appender) queued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.queue)
}

// startAppend calls AppendMessages(ctx, msgs) in a goroutine whose result
// arrives on the returned channel, and waits until the call is queued, so
// calls started one after another queue in that order.
func startAppend(t *testing.T, s *Store, ctx context.Context, msgs ...parley.Message) <-chan error {
	t.Helper()
	before := s.appends.queued()
	res := make(chan error, 1)
	go func() { res <- s.AppendMessages(ctx, msgs) }()
	waitFor(t, "the call to queue", func() bool { return s.appends.queued() == before+1 }, 5*time.Second)
	return res
}

// groupCall is one AppendMessages call of TestAppendMessages_GroupCommit.
type groupCall struct {
	name string
	ctx  context.Context
	msgs []parley.Message
	want *parley.Error // nil: stored
}

// groupCalls returns the calls of TestAppendMessages_GroupCommit in the order
// they queue, on a store that holds a/1 and c/1. The call with withdrawCtx
// withdraws while queued.
func groupCalls(ctx, withdrawCtx context.Context) []groupCall {
	reusedClientID := groupMsg("a", 3)
	reusedClientID.ClientID = "c1" // a/1's: conflicts after a/2 went into the savepoint
	cClientTaken := groupMsg("c", 2)
	cClientTaken.ClientID = "c1"
	dLoser := groupMsg("d", 1)
	dLoser.ID, dLoser.SenderID, dLoser.ClientID = "d-1-bob", "bob", "b1"
	msgs := func(m ...parley.Message) []parley.Message { return m }
	return []groupCall{
		{"Stored", ctx, msgs(groupMsg("b", 1), groupMsg("b", 2), groupMsg("b", 3)), nil},
		{"ClientIDTakenAtLast", ctx, msgs(groupMsg("a", 2), reusedClientID), parley.ErrConflict},
		{"SeqsFreedBySavepoint", ctx, msgs(groupMsg("a", 2), groupMsg("a", 3)), nil},
		{"ClientIDTaken", ctx, msgs(cClientTaken), parley.ErrConflict},
		{"MissingRoom", ctx, msgs(groupMsg("ghost", 1)), parley.ErrRoomNotFound},
		{"RaceWinner", ctx, msgs(groupMsg("d", 1)), nil},
		{"RaceLoser", ctx, msgs(dLoser), parley.ErrConflict},
		{"Withdrawn", withdrawCtx, msgs(groupMsg("d", 2)), parley.ErrUnavailable},
		{"SeqFreedByConflict", ctx, msgs(groupMsg("c", 2)), nil},
	}
}

// TestAppendMessages_GroupCommit queues calls behind a held write connection,
// so that the committer writes them all in one transaction: the conflicting
// ones fail alone, nothing of them is stored, and the others are.
func TestAppendMessages_GroupCommit(t *testing.T) {
	s := groupStore(t, t.TempDir(), "a", "b", "c", "d")
	ctx := t.Context()
	for _, m := range []parley.Message{groupMsg("a", 1), groupMsg("c", 1)} {
		if err := s.AppendMessages(ctx, []parley.Message{m}); err != nil {
			t.Fatalf("AppendMessages(%s/%d): %v", m.RoomID, m.Seq, err)
		}
	}
	withdrawCtx, withdraw := context.WithCancel(ctx)
	calls := groupCalls(ctx, withdrawCtx)
	release := holdWriter(t, s)
	results := make([]<-chan error, len(calls))
	for i, c := range calls {
		results[i] = startAppend(t, s, c.ctx, c.msgs...)
	}
	got := make([]error, len(calls))
	w := slices.IndexFunc(calls, func(c groupCall) bool { return c.ctx == withdrawCtx })
	withdraw()
	got[w] = <-results[w] // answered while the writer is still held: never written
	release()
	for i, c := range calls {
		if i != w {
			got[i] = <-results[i]
		}
		if (c.want == nil && got[i] != nil) || (c.want != nil && !errors.Is(got[i], c.want)) {
			t.Errorf("%s: AppendMessages = %v, want %v", c.name, got[i], c.want)
		}
	}
	assertHistory(t, s, map[parley.RoomID][]parley.Message{
		"a": {groupMsg("a", 1), groupMsg("a", 2), groupMsg("a", 3)},
		"b": {groupMsg("b", 1), groupMsg("b", 2), groupMsg("b", 3)},
		"c": {groupMsg("c", 1), groupMsg("c", 2)},
		"d": {groupMsg("d", 1)},
	})
}

// assertHistory checks that each room holds exactly want, in ascending seq.
func assertHistory(t *testing.T, s *Store, want map[parley.RoomID][]parley.Message) {
	t.Helper()
	for room, msgs := range want {
		got, err := s.Messages(t.Context(), persistence.MessageQuery{Room: room, Limit: 100})
		if err != nil {
			t.Fatalf("Messages(%s): %v", room, err)
		}
		for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
			got[i], got[j] = got[j], got[i]
		}
		if diff := cmp.Diff(msgs, got); diff != "" {
			t.Errorf("history of %s (-want +got):\n%s", room, diff)
		}
	}
}

// TestAppendMessages_CloseAnswersQueued: Close while calls are queued answers
// them with ErrUnavailable, stores none of them and stops the committer.
func TestAppendMessages_CloseAnswersQueued(t *testing.T) {
	dir := t.TempDir()
	s := groupStore(t, dir, "a", "b")
	release := holdWriter(t, s)
	results := []<-chan error{
		startAppend(t, s, t.Context(), groupMsg("a", 1)),
		startAppend(t, s, t.Context(), groupMsg("b", 1), groupMsg("b", 2)),
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	waitFor(t, "Close to stop the queue", s.appends.isClosed, 5*time.Second)
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, res := range results {
		if err := <-res; !errors.Is(err, parley.ErrUnavailable) {
			t.Errorf("call %d queued at Close = %v, want ErrUnavailable", i, err)
		}
	}
	select {
	case <-s.appends.done:
	default:
		t.Errorf("committer still running after Close")
	}
	if err := s.AppendMessages(t.Context(), []parley.Message{groupMsg("a", 1)}); !errors.Is(err, parley.ErrUnavailable) {
		t.Errorf("AppendMessages after Close = %v, want ErrUnavailable", err)
	}
	again := mustOpen(t, Config{Dir: dir})
	for _, room := range []parley.RoomID{"a", "b"} {
		if last, err := again.LastSeq(t.Context(), room); err != nil || last != 0 {
			t.Errorf("LastSeq(%s) after reopen = %d, %v; want 0: nothing queued at Close is stored", room, last, err)
		}
	}
}

// TestAppendMessages_WithOtherWrites: appends and the other writes share the
// one write connection without losing or failing anything.
func TestAppendMessages_WithOtherWrites(t *testing.T) {
	const rooms, perRoom = 8, 40
	ids := make([]parley.RoomID, rooms)
	for i := range ids {
		ids[i] = parley.RoomID(fmt.Sprintf("r%d", i))
	}
	s := groupStore(t, t.TempDir(), ids...)
	ctx := t.Context()
	errs := make(chan error, 2*rooms)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			for seq := uint64(1); seq <= perRoom; seq++ {
				if err := s.AppendMessages(ctx, []parley.Message{groupMsg(id, seq)}); err != nil {
					errs <- fmt.Errorf("append %s/%d: %w", id, seq, err)
					return
				}
			}
		})
		wg.Go(func() {
			for i := range perRoom {
				m := parley.Member{RoomID: id, UserID: parley.UserID(fmt.Sprintf("u%d", i)), Role: parley.RoleMember}
				if err := s.PutMember(ctx, m); err != nil {
					errs <- fmt.Errorf("put member %s/%s: %w", id, m.UserID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		last, err := s.LastSeq(ctx, id)
		members, merr := s.Members(ctx, id)
		if err != nil || merr != nil || last != perRoom || len(members) != perRoom+1 {
			t.Errorf("%s: LastSeq = %d, %v; %d members, %v; want %d and %d", id, last, err, len(members), merr, perRoom, perRoom+1)
		}
	}
}

// TestAppender_TakeBounds: a group holds at most maxGroupCalls calls and
// maxGroupMessages messages (but always its first call), in arrival order,
// without withdrawn calls.
func TestAppender_TakeBounds(t *testing.T) {
	a := &appender{}
	a.ready.L = &a.mu
	call := func(n int) *appendCall { return &appendCall{msgs: make([]parley.Message, n)} }
	check := func(name string, wantCalls, wantLeft int) {
		t.Helper()
		a.take()
		if len(a.group) != wantCalls || len(a.queue) != wantLeft {
			t.Errorf("%s: took %d calls, %d left; want %d, %d", name, len(a.group), len(a.queue), wantCalls, wantLeft)
		}
		for _, c := range a.group {
			if c.state.Load() != callClaimed {
				t.Errorf("%s: a taken call is in state %d, want claimed", name, c.state.Load())
			}
		}
	}
	for range maxGroupCalls + 1 {
		a.queue = append(a.queue, call(1))
	}
	check("calls", maxGroupCalls, 1)
	a.take()
	a.queue = append(a.queue, call(maxGroupMessages+1), call(1))
	check("huge first", 1, 1)
	a.take()
	withdrawn := call(1)
	withdrawn.state.Store(callWithdrawn)
	a.queue = append(a.queue, call(maxGroupMessages-1), withdrawn, call(1), call(1))
	check("messages", 2, 1)
}
