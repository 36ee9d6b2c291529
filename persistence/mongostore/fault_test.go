package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/mongostore"
	"github.com/parleychat/parley/persistence/storetest"
)

// faultConfig keeps an outage short to observe: calls give up after about a
// second instead of the production defaults.
func faultConfig(uri, db string) mongostore.Config {
	return mongostore.Config{
		URI: uri, Database: db,
		OpTimeout: 2 * time.Second, ServerSelectionTimeout: time.Second, ConnectTimeout: time.Second,
	}
}

// appender appends one message at a time to a room, as a room actor would,
// and records what was acked. On an error it retries the same message; a
// conflict on the retry means an earlier attempt was stored but its ack was
// lost, which it checks and counts as acked.
type appender struct {
	s    *mongostore.Store
	room parley.RoomID

	mu        sync.Mutex
	acked     []parley.Message
	failures  int   // errors since the last ack
	unexpect  error // the first error that did not wrap ErrUnavailable
	sinceFail int   // acks since the last failure
}

func (a *appender) message(seq uint64) parley.Message {
	return parley.Message{
		ID: parley.MessageID(fmt.Sprintf("%s-%d", a.room, seq)), RoomID: a.room, Seq: seq,
		SenderID: "alice", ClientID: fmt.Sprintf("c%d", seq), Body: fmt.Sprintf("message %d", seq),
		CreatedAt: time.Now(),
	}
}

// run appends until ctx is done, at most one message per tick: a busy room's
// pace, which keeps the history small enough to verify quickly.
func (a *appender) run(ctx context.Context, tick time.Duration) {
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for seq := uint64(1); ; {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		m := a.message(seq)
		err := a.s.AppendMessages(ctx, []parley.Message{m})
		if errors.Is(err, parley.ErrConflict) {
			got, lookupErr := a.s.MessageBySeq(ctx, a.room, seq)
			if lookupErr == nil && got.ID == m.ID {
				err = nil // stored by an attempt whose ack was lost
			}
		}
		a.record(ctx, m, err)
		if err == nil {
			seq++
		}
	}
}

func (a *appender) record(ctx context.Context, m parley.Message, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case err == nil:
		a.acked = append(a.acked, m)
		a.failures, a.sinceFail = 0, a.sinceFail+1
	case errors.Is(err, parley.ErrUnavailable):
		a.failures, a.sinceFail = a.failures+1, 0
	case ctx.Err() == nil && a.unexpect == nil:
		a.unexpect = fmt.Errorf("append seq %d: %w", m.Seq, err)
	}
}

// state returns a snapshot of the counters.
func (a *appender) state() (acked, failures, sinceFail int, unexpected error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.acked), a.failures, a.sinceFail, a.unexpect
}

// TestStore_ServerRestart: while a writer appends, the server stops. Calls
// then fail with errors wrapping ErrUnavailable (never hang, never another
// kind), Open fails fast, and once the server is back the same Store recovers
// by itself, with every message acked before the stop still stored and no
// gap in the sequence.
func TestStore_ServerRestart(t *testing.T) {
	srv := storetest.StartMongoServer(t)
	db := storetest.UniqueName(t)
	s := mustOpenConfig(t, faultConfig(srv.URI(), db))
	a := &appender{s: s, room: "r1"}
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { a.run(ctx, 5*time.Millisecond) })
	defer wg.Wait()
	defer stop()

	storetest.WaitFor(t, 10*time.Second, "20 acked appends", func() bool { n, _, _, _ := a.state(); return n >= 20 })
	srv.Stop()
	storetest.WaitFor(t, 10*time.Second, "appends to fail", func() bool { _, f, _, _ := a.state(); return f >= 2 })
	ackedBeforeRestart, _, _, _ := a.state()
	checkUnavailable(t, "Ping while stopped", s.Ping(t.Context()))
	_, err := mongostore.Open(t.Context(), faultConfig(srv.URI(), db))
	checkUnavailable(t, "Open while stopped", err)

	srv.Restart()
	storetest.WaitFor(t, 15*time.Second, "Ping after restart", func() bool { return s.Ping(t.Context()) == nil })
	storetest.WaitFor(t, 10*time.Second, "10 appends after restart", func() bool { _, _, n, _ := a.state(); return n >= 10 })
	stop()
	wg.Wait()

	_, _, _, unexpected := a.state()
	if unexpected != nil {
		t.Fatalf("an append failed with an error other than ErrUnavailable: %v", unexpected)
	}
	checkHistory(t, s, a.room, a.acked, ackedBeforeRestart)
}

// checkUnavailable fails t unless err wraps parley.ErrUnavailable.
func checkUnavailable(t *testing.T, op string, err error) {
	t.Helper()
	if !errors.Is(err, parley.ErrUnavailable) {
		t.Fatalf("%s = %v, want an error wrapping ErrUnavailable", op, err)
	}
}

// checkHistory fails t unless every acked message is stored as acked and the
// room's seqs run 1..LastSeq without a gap.
func checkHistory(t *testing.T, s *mongostore.Store, room parley.RoomID, acked []parley.Message, ackedBeforeRestart int) {
	t.Helper()
	last, err := s.LastSeq(t.Context(), room)
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	if last < uint64(len(acked)) {
		t.Fatalf("LastSeq = %d, but %d messages were acked", last, len(acked))
	}
	stored := map[uint64]parley.Message{}
	for q := (persistence.MessageQuery{Room: room, Before: last + 1, Limit: parley.MaxHistory}); ; {
		page, err := s.Messages(t.Context(), q)
		if err != nil {
			t.Fatalf("Messages(%+v): %v", q, err)
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			stored[m.Seq] = m
		}
		q.Before = page[len(page)-1].Seq
	}
	if uint64(len(stored)) != last {
		t.Fatalf("stored %d messages with LastSeq %d: a gap in the sequence", len(stored), last)
	}
	for i, m := range acked {
		got, ok := stored[m.Seq]
		if !ok || got.ID != m.ID || got.Body != m.Body {
			t.Fatalf("acked message %d (seq %d, acked before restart: %v) stored as %+v (found %v)",
				i, m.Seq, i < ackedBeforeRestart, got, ok)
		}
	}
	t.Logf("%d messages acked (%d before the restart), LastSeq %d", len(acked), ackedBeforeRestart, last)
}

// TestOpen_Unreachable: with nothing listening, Open fails within about the
// server selection timeout, wrapping ErrUnavailable, instead of the driver's
// default 30 s.
func TestOpen_Unreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // only probed for a port nobody listens on
	cfg := faultConfig("mongodb://"+addr+"/", storetest.UniqueName(t))
	cfg.ServerSelectionTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err = mongostore.Open(t.Context(), cfg)
	checkUnavailable(t, "Open with the server down", err)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Open took %v with a 300ms server selection timeout", d)
	}
}
