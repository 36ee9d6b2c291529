package actors_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/actors"
)

// TestSession_MaxSubscriptions: a connection subscribes at most
// Config.MaxSubscriptions rooms at once; resubscribing one it holds, or
// subscribing after an unsubscribe, still works.
func TestSession_MaxSubscriptions(t *testing.T) {
	nd := startNode(t, t.TempDir(), actors.Config{MaxSubscriptions: 2})
	rooms := []parley.RoomID{nd.newRoom(t, "alice"), nd.newRoom(t, "alice"), nd.newRoom(t, "alice")}
	s := nd.n.OpenSession("alice-1", parley.Principal{User: "alice"}, &recorder{})
	defer s.Close()
	ctx := context.Background()
	for i, room := range rooms[:2] {
		if err := s.Subscribe(ctx, uint64(i+1), room, 0); err != nil {
			t.Fatalf("subscribe %d: %v", i, err)
		}
	}
	if err := s.Subscribe(ctx, 3, rooms[2], 0); !errors.Is(err, parley.ErrInvalid) {
		t.Fatalf("third subscription = %v, want invalid", err)
	}
	if err := s.Subscribe(ctx, 4, rooms[0], 0); err != nil {
		t.Fatalf("resubscribe = %v", err)
	}
	s.Unsubscribe(rooms[1])
	if err := s.Subscribe(ctx, 5, rooms[2], 0); err != nil {
		t.Fatalf("subscribe after unsubscribe = %v", err)
	}
}
