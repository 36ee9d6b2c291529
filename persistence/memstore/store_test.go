package memstore

import (
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/storetest"
)

func TestStore(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) persistence.Shared {
		s := New(Config{})
		t.Cleanup(func() { _ = s.Close() }) // Close always returns nil
		return s
	})
}

// TestStore_Sweep checks that memory stays bounded: the sweeper drops every
// expired entry of every kind on its own.
func TestStore_Sweep(t *testing.T) {
	s := New(Config{SweepInterval: 10 * time.Millisecond})
	t.Cleanup(func() { _ = s.Close() })
	ctx, ttl := t.Context(), 20*time.Millisecond
	for _, key := range []string{"a", "b", "c"} {
		if _, err := s.Allow(ctx, key, persistence.Limit{Count: 5, Window: ttl}); err != nil {
			t.Fatalf("Allow(%s): %v", key, err)
		}
		if err := s.Heartbeat(ctx, parley.RoomID("room_"+key), "u", "c", ttl); err != nil {
			t.Fatalf("Heartbeat: %v", err)
		}
		if err := s.IssueTicket(ctx, key, parley.Principal{User: "u"}, ttl); err != nil {
			t.Fatalf("IssueTicket: %v", err)
		}
		if _, err := s.UseRefresh(ctx, "family", key, ttl); err != nil {
			t.Fatalf("UseRefresh: %v", err)
		}
		if err := s.Revoke(ctx, key, ttl); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
	}
	if n := entries(s); n != 15 {
		t.Fatalf("entries after filling = %d, want 15", n)
	}
	storetest.WaitFor(t, 5*time.Second, "the sweeper to drop every entry", func() bool {
		return entries(s) == 0
	})
}

// TestStore_CloseStopsSweeper checks Close returns only once the sweeper has.
func TestStore_CloseStopsSweeper(t *testing.T) {
	s := New(Config{SweepInterval: time.Millisecond})
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	select {
	case <-s.done:
	default:
		t.Fatal("Close returned while the sweeper was still running")
	}
}

// entries counts what the store holds, expired or not.
func entries(s *Store) int {
	s.limits.mu.Lock()
	n := len(s.limits.logs)
	s.limits.mu.Unlock()
	s.presence.mu.Lock()
	for _, conns := range s.presence.rooms {
		n += len(conns)
	}
	s.presence.mu.Unlock()
	s.tickets.mu.Lock()
	n += len(s.tickets.live)
	s.tickets.mu.Unlock()
	s.revocations.mu.Lock()
	n += len(s.revocations.used) + len(s.revocations.revoked)
	s.revocations.mu.Unlock()
	return n
}

// TestStore_RevocationFeedBehind checks a reader that falls out of a short feed.
func TestStore_RevocationFeedBehind(t *testing.T) {
	s := New(Config{RevocationFeed: 3})
	t.Cleanup(func() { _ = s.Close() }) // Close always returns nil
	storetest.RunRevocationFeedBehind(t, s, 3)
}
