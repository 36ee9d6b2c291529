package actors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/actors"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/persistence/sqlitestore"
	"github.com/parleychat/parley/persistence/storetest"
)

// node is one real single-node stack: SQLite store, cluster, actors.
type node struct {
	store *sqlitestore.Store
	cl    *cluster.Cluster
	n     *actors.Node
	rooms *cluster.RoomClient
}

func startNode(t testing.TB, dir string, cfg actors.Config) *node {
	t.Helper()
	return startNodeSync(t, dir, cfg, true)
}

// startNodeSync starts a node whose SQLite store fsyncs every commit
// (relaxed=false, the production default) or only at checkpoints (relaxed:
// survives a process crash, not a power loss; fast enough for most tests).
func startNodeSync(t testing.TB, dir string, cfg actors.Config, relaxed bool) *node {
	t.Helper()
	store, err := sqlitestore.Open(context.Background(), sqlitestore.Config{Dir: dir, RelaxedSync: relaxed})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	deps := actors.Deps{Store: store, Log: log, Config: cfg}
	cl, err := cluster.Start(cluster.Config{}, log, actors.Kinds(deps)...)
	if err != nil {
		t.Fatal(err)
	}
	n, err := actors.StartNode(cl, deps)
	if err != nil {
		t.Fatal(err)
	}
	nd := &node{store: store, cl: cl, n: n, rooms: cl.Rooms()}
	t.Cleanup(nd.stop)
	return nd
}

func (nd *node) stop() {
	if nd.cl == nil {
		return
	}
	nd.n.Stop()
	nd.cl.Stop()
	_ = nd.store.Close()
	nd.cl = nil
}

// newRoom creates a public room owned by "owner" with members m1..mN.
func (nd *node) newRoom(t testing.TB, members ...parley.UserID) parley.RoomID {
	t.Helper()
	ctx := context.Background()
	id := parley.RoomID(parley.NewID())
	now := time.Now().UTC()
	r := parley.Room{ID: id, Name: "general", Kind: parley.RoomPublic, CreatedBy: "owner", CreatedAt: now}
	if err := nd.store.CreateRoom(ctx, r, parley.Member{RoomID: id, UserID: "owner", Role: parley.RoleOwner, JoinedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, u := range members {
		if _, err := nd.rooms.Join(ctx, id, parley.Principal{User: u}); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// recorder is an in-process actors.Outbox that keeps every frame.
type recorder struct {
	mu     sync.Mutex
	frames []map[string]any
}

func (r *recorder) Push(frame []byte) bool {
	var m map[string]any
	if err := json.Unmarshal(frame, &m); err != nil {
		panic(fmt.Sprintf("frame is not one JSON object: %s", frame))
	}
	r.mu.Lock()
	r.frames = append(r.frames, m)
	r.mu.Unlock()
	return true
}

func (r *recorder) snapshot() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.frames...)
}

// seqs returns the seqs of message events, in order of arrival.
func (r *recorder) seqs() []uint64 {
	var out []uint64
	for _, f := range r.snapshot() {
		if f["type"] == "message" {
			out = append(out, uint64(f["seq"].(float64)))
		}
	}
	return out
}

func post(t testing.TB, nd *node, room parley.RoomID, user parley.UserID, cid, body string) parley.Message {
	t.Helper()
	m, _, err := nd.rooms.Post(context.Background(), room, parley.Principal{User: user}, cid, body)
	if err != nil {
		t.Fatalf("post %s: %v", cid, err)
	}
	return m
}

func TestRoom_PostOrdersAndStores(t *testing.T) {
	nd := startNode(t, t.TempDir(), actors.Config{})
	room := nd.newRoom(t, "alice")
	for i := 1; i <= 5; i++ {
		if m := post(t, nd, room, "alice", fmt.Sprint("c", i), "hi"); m.Seq != uint64(i) {
			t.Fatalf("seq = %d, want %d", m.Seq, i)
		}
	}
	if last, _ := nd.store.LastSeq(context.Background(), room); last != 5 {
		t.Errorf("stored last seq = %d, want 5", last)
	}
	_, _, err := nd.rooms.Post(context.Background(), room, parley.Principal{User: "mallory"}, "x", "hi")
	if !errors.Is(err, parley.ErrNotMember) {
		t.Errorf("non-member post = %v, want not_member", err)
	}
	_, _, err = nd.rooms.Post(context.Background(), "nosuchroom", parley.Principal{User: "alice"}, "x", "hi")
	if !errors.Is(err, parley.ErrRoomNotFound) {
		t.Errorf("post to missing room = %v, want room_not_found", err)
	}
}

func TestRoom_IdempotentResend(t *testing.T) {
	nd := startNode(t, t.TempDir(), actors.Config{})
	room := nd.newRoom(t, "alice")
	first := post(t, nd, room, "alice", "same", "hello")
	var wg sync.WaitGroup
	for range 8 { // concurrent resends: one message, the first ack each time
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, dup, err := nd.rooms.Post(context.Background(), room, parley.Principal{User: "alice"}, "same", "hello")
			if err != nil || !dup || m.ID != first.ID || m.Seq != first.Seq {
				t.Errorf("resend = %+v dup=%v err=%v; want the first ack", m, dup, err)
			}
		}()
	}
	wg.Wait()
	_, _, err := nd.rooms.Post(context.Background(), room, parley.Principal{User: "alice"}, "same", "changed")
	if !errors.Is(err, parley.ErrClientIDReused) {
		t.Errorf("reuse with another body = %v", err)
	}
	if last, _ := nd.store.LastSeq(context.Background(), room); last != 1 {
		t.Errorf("stored %d messages, want 1", last)
	}
}

func TestRoom_ConcurrentSendersOneOrder(t *testing.T) {
	nd := startNode(t, t.TempDir(), actors.Config{})
	senders := []parley.UserID{"a", "b", "c", "d", "e", "f"}
	room := nd.newRoom(t, senders...)
	watchers := make([]*recorder, 3)
	for i := range watchers {
		watchers[i] = &recorder{}
		s := nd.n.OpenSession(parley.ConnID(fmt.Sprint("w", i)), parley.Principal{User: "owner"}, watchers[i])
		defer s.Close()
		if err := s.Subscribe(context.Background(), 1, room, 0); err != nil {
			t.Fatal(err)
		}
	}
	const each = 40
	var wg sync.WaitGroup
	for _, u := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := uint64(0)
			for i := range each {
				m := post(t, nd, room, u, fmt.Sprint(u, i), fmt.Sprint(u, ":", i))
				if m.Seq <= prev {
					t.Errorf("sender %s: seq %d after %d (per-sender FIFO broken)", u, m.Seq, prev)
				}
				prev = m.Seq
			}
		}()
	}
	wg.Wait()
	total := uint64(len(senders) * each)
	for i, w := range watchers {
		storetest.WaitFor(t, 10*time.Second, "all events delivered", func() bool { return len(w.seqs()) >= int(total) })
		for j, s := range w.seqs() {
			if s != uint64(j+1) {
				t.Fatalf("watcher %d: event %d has seq %d, want %d (gap or duplicate)", i, j, s, j+1)
			}
		}
	}
	page, err := nd.rooms.Access(context.Background(), room, parley.Principal{User: "owner"}, parley.ActRead)
	if err != nil || page.LastSeq != total {
		t.Errorf("last seq = %d, %v; want %d", page.LastSeq, err, total)
	}
}

// TestSession_SeamNoGapNoDuplicate subscribes with since=N while sends are in
// flight: the stream must be exactly N+1, N+2, ... with nothing missing or twice.
func TestSession_SeamNoGapNoDuplicate(t *testing.T) {
	nd := startNode(t, t.TempDir(), actors.Config{Window: 16}) // small window: part of the backlog comes from the store
	room := nd.newRoom(t, "alice")
	for i := range 50 {
		post(t, nd, room, "alice", fmt.Sprint("pre", i), "x")
	}
	stop := make(chan struct{})
	sent := make(chan uint64, 20001)
	go func() {
		defer close(sent)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			sent <- post(t, nd, room, "alice", fmt.Sprint("live", i), "y").Seq
			if i >= 20000 { // bounded even if the test stalls
				return
			}
		}
	}()
	for trial := range 5 {
		rec := &recorder{}
		s := nd.n.OpenSession(parley.ConnID(fmt.Sprint("seam", trial)), parley.Principal{User: "alice"}, rec)
		since := uint64(10 + trial*7)
		if err := s.Subscribe(context.Background(), 9, room, since); err != nil {
			t.Fatal(err)
		}
		first := rec.snapshot()[0]
		if first["type"] != "reply" || first["id"].(float64) != 9 {
			t.Fatalf("first frame = %v, want the reply", first)
		}
		target := uint64(first["last_seq"].(float64)) + 5
		deadline := time.Now().Add(10 * time.Second)
		for {
			seqs := rec.seqs()
			if len(seqs) > 0 && seqs[len(seqs)-1] >= target {
				break
			}
			if time.Now().After(deadline) {
				n := len(seqs)
				t.Fatalf("trial %d since %d target %d: got %d events, first %v last %v; frames %d", trial, since, target, n, seqs[:min(n, 3)], seqs[max(0, n-3):], len(rec.snapshot()))
			}
			time.Sleep(time.Millisecond)
		}
		for i, seq := range rec.seqs() {
			if seq != since+uint64(i)+1 {
				t.Fatalf("trial %d: event %d has seq %d, want %d", trial, i, seq, since+uint64(i)+1)
			}
		}
		s.Close()
	}
	close(stop)
	for range sent {
	}
}

func TestSession_KickStopsDelivery(t *testing.T) {
	nd := startNode(t, t.TempDir(), actors.Config{})
	room := nd.newRoom(t, "alice", "bob")
	rec := &recorder{}
	s := nd.n.OpenSession("bob-1", parley.Principal{User: "bob"}, rec)
	defer s.Close()
	if err := s.Subscribe(context.Background(), 1, room, 0); err != nil {
		t.Fatal(err)
	}
	post(t, nd, room, "alice", "a1", "before")
	_, err := nd.rooms.ChangeMember(context.Background(), room, parley.Principal{User: "owner"},
		cluster.MemberChange{Op: 5 /* kick */, Target: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	post(t, nd, room, "alice", "a2", "after")
	// A third post, watched by alice, proves the room's events after the kick
	// have been fanned out before we look at bob's frames.
	arec := &recorder{}
	as := nd.n.OpenSession("alice-1", parley.Principal{User: "alice"}, arec)
	defer as.Close()
	if err := as.Subscribe(context.Background(), 1, room, 0); err != nil {
		t.Fatal(err)
	}
	post(t, nd, room, "alice", "a3", "later")
	storetest.WaitFor(t, 5*time.Second, "alice sees a3", func() bool { return len(arec.seqs()) == 3 })
	var types []string
	for _, f := range rec.snapshot() {
		types = append(types, f["type"].(string))
		if f["type"] == "message" && f["body"] != "before" {
			t.Errorf("kicked member received %v", f)
		}
	}
	if len(types) < 3 || types[len(types)-1] != "member_left" {
		t.Errorf("bob's frames = %v, want reply, message, member_left", types)
	}
	if err := s.Subscribe(context.Background(), 2, room, 0); !errors.Is(err, parley.ErrNotMember) {
		t.Errorf("resubscribe after kick = %v, want not_member", err)
	}
}

func TestRoom_AckSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	nd := startNode(t, dir, actors.Config{})
	room := nd.newRoom(t, "alice")
	acked := post(t, nd, room, "alice", "durable", "keep me")
	nd.stop()

	nd2 := startNode(t, dir, actors.Config{})
	m, err := nd2.store.MessageBySeq(context.Background(), room, acked.Seq)
	if err != nil || m.ID != acked.ID || m.Body != "keep me" {
		t.Fatalf("after restart: %+v, %v", m, err)
	}
	if next := post(t, nd2, room, "alice", "next", "x"); next.Seq != acked.Seq+1 {
		t.Errorf("seq after restart = %d, want %d", next.Seq, acked.Seq+1)
	}
	m2, dup, err := nd2.rooms.Post(context.Background(), room, parley.Principal{User: "alice"}, "durable", "keep me")
	if err != nil || !dup || m2.ID != acked.ID {
		t.Errorf("resend after restart = %+v dup=%v err=%v; want the first ack", m2, dup, err)
	}
}

func TestRoom_EditDeleteTombstone(t *testing.T) {
	nd := startNode(t, t.TempDir(), actors.Config{})
	room := nd.newRoom(t, "alice", "bob")
	m := post(t, nd, room, "alice", "e1", "original")
	ctx := context.Background()
	alice, bob := parley.Principal{User: "alice"}, parley.Principal{User: "bob"}
	if _, err := nd.rooms.EditMessage(ctx, room, bob, m.Seq, "hijack"); !errors.Is(err, parley.ErrForbidden) {
		t.Errorf("edit by another member = %v", err)
	}
	e, err := nd.rooms.EditMessage(ctx, room, alice, m.Seq, "edited")
	if err != nil || e.Body != "edited" || e.EditedAt.IsZero() {
		t.Fatalf("edit = %+v, %v", e, err)
	}
	d, err := nd.rooms.DeleteMessage(ctx, room, parley.Principal{User: "owner"}, m.Seq, "spam")
	if err != nil || d.Body != "" || !d.IsDeleted() || d.DeletedBy != "owner" {
		t.Fatalf("delete = %+v, %v", d, err)
	}
	stored, _ := nd.store.MessageBySeq(ctx, room, m.Seq)
	if !stored.IsDeleted() || stored.Body != "edited" {
		t.Errorf("stored = %+v: soft delete keeps the record", stored)
	}
	audit, _ := nd.store.Audit(ctx, room, time.Time{}, 10)
	if len(audit) != 1 || audit[0].Action != "delete_message" || audit[0].Reason != "spam" {
		t.Errorf("audit = %+v", audit)
	}
	rec := &recorder{}
	s := nd.n.OpenSession("r", alice, rec)
	defer s.Close()
	if err := s.Subscribe(ctx, 1, room, 0); err != nil {
		t.Fatal(err)
	}
	for _, f := range rec.snapshot() {
		if f["type"] == "message" && (f["body"] != nil || f["deleted"] != true) {
			t.Errorf("replayed %v, want a tombstone", f)
		}
	}
	for _, f := range rec.snapshot() {
		if b, ok := f["body"].(string); ok && bytes.Contains([]byte(b), []byte("edited")) {
			t.Error("tombstone leaked the body")
		}
	}
}
