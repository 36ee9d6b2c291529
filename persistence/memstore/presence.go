package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/parleychat/parley"
)

// Heartbeat marks conn of user as present in room until ttl from now.
// A ttl <= 0 is an error.
func (s *Store) Heartbeat(ctx context.Context, room parley.RoomID, user parley.UserID, conn parley.ConnID, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("memstore: heartbeat %s/%s: %w", room, user, err)
	}
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("memstore: heartbeat %s/%s: %w", room, user, err)
	}
	s.presence.heartbeat(room, connKey{user, conn}, s.now()+ttl)
	return nil
}

// Depart removes conn of user from room; the user stays online while another
// of their connections is present. Departing an unknown connection succeeds.
func (s *Store) Depart(ctx context.Context, room parley.RoomID, user parley.UserID, conn parley.ConnID) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("memstore: depart %s/%s: %w", room, user, err)
	}
	s.presence.depart(room, connKey{user, conn})
	return nil
}

// Online returns the users with at least one live connection in room, sorted.
func (s *Store) Online(ctx context.Context, room parley.RoomID) ([]parley.UserID, error) {
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("memstore: online %s: %w", room, err)
	}
	return s.presence.online(room, s.now()), nil
}

// presence holds, per room, the deadline of each live connection.
type presence struct {
	mu    sync.Mutex
	rooms map[parley.RoomID]map[connKey]time.Duration
}

// connKey is one connection of one user. Kept apart rather than joined into
// one string, so no pair of ids can collide with another.
type connKey struct {
	user parley.UserID
	conn parley.ConnID
}

func (p *presence) heartbeat(room parley.RoomID, k connKey, deadline time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	conns := p.rooms[room]
	if conns == nil {
		conns = make(map[connKey]time.Duration)
		p.rooms[room] = conns
	}
	conns[k] = deadline
}

func (p *presence) depart(room parley.RoomID, k connKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if conns := p.rooms[room]; conns != nil {
		delete(conns, k)
		if len(conns) == 0 {
			delete(p.rooms, room)
		}
	}
}

func (p *presence) online(room parley.RoomID, now time.Duration) []parley.UserID {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expireRoom(room, now)
	var users []parley.UserID
	for k := range p.rooms[room] {
		users = append(users, k.user)
	}
	slices.Sort(users)
	return slices.Compact(users)
}

// expireRoom drops the room's connections whose deadline has passed, and the
// room once it is empty. p.mu must be held.
func (p *presence) expireRoom(room parley.RoomID, now time.Duration) {
	conns := p.rooms[room]
	for k, deadline := range conns {
		if deadline <= now {
			delete(conns, k)
		}
	}
	if conns != nil && len(conns) == 0 {
		delete(p.rooms, room)
	}
}

func (p *presence) sweep(now time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for room := range p.rooms {
		p.expireRoom(room, now)
	}
}
