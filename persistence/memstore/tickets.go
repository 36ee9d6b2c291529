package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/parleychat/parley"
)

// IssueTicket stores ticket -> p until ttl from now. Returns
// parley.ErrConflict if the ticket is already live. A ttl <= 0 is an error.
// Errors never quote the ticket: it is a secret.
func (s *Store) IssueTicket(ctx context.Context, ticket string, p parley.Principal, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("memstore: issue ticket for %s: %w", p.User, err)
	}
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("memstore: issue ticket for %s: %w", p.User, err)
	}
	if !s.tickets.issue(ticket, p, s.now()+ttl, s.now()) {
		return fmt.Errorf("memstore: issue ticket for %s: %w", p.User, parley.ErrConflict)
	}
	return nil
}

// RedeemTicket returns the ticket's principal and deletes the ticket in one
// step. Returns parley.ErrUnauthorized if it is unknown, expired or already used.
func (s *Store) RedeemTicket(ctx context.Context, ticket string) (parley.Principal, error) {
	if err := s.check(ctx); err != nil {
		return parley.Principal{}, fmt.Errorf("memstore: redeem ticket: %w", err)
	}
	p, ok := s.tickets.redeem(ticket, s.now())
	if !ok {
		return parley.Principal{}, fmt.Errorf("memstore: redeem ticket: %w", parley.ErrUnauthorized)
	}
	return p, nil
}

// tickets holds the issued, unredeemed tickets.
type tickets struct {
	mu   sync.Mutex
	live map[string]ticket
}

type ticket struct {
	principal parley.Principal
	deadline  time.Duration
}

// issue stores the ticket unless a live one has that name; it reports whether it did.
func (ts *tickets) issue(name string, p parley.Principal, deadline, now time.Duration) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t, ok := ts.live[name]; ok && t.deadline > now {
		return false
	}
	ts.live[name] = ticket{principal: p, deadline: deadline}
	return true
}

func (ts *tickets) redeem(name string, now time.Duration) (parley.Principal, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.live[name]
	if !ok {
		return parley.Principal{}, false
	}
	delete(ts.live, name)
	return t.principal, t.deadline > now
}

func (ts *tickets) sweep(now time.Duration) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for name, t := range ts.live {
		if t.deadline <= now {
			delete(ts.live, name)
		}
	}
}
