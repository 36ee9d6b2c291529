package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parleychat/parley"
	"github.com/redis/go-redis/v9"
)

// ticketRecord is how a ticket's principal is stored.
type ticketRecord struct {
	User  parley.UserID `json:"user"`
	Admin bool          `json:"admin,omitempty"`
}

// IssueTicket stores ticket -> p until ttl from now, if no live ticket has
// that name. Returns parley.ErrConflict if one has (for another principal).
// A ttl <= 0 is an error. Errors never quote the ticket: it is a secret.
func (s *Store) IssueTicket(ctx context.Context, ticket string, p parley.Principal, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("redisstore: issue ticket for %s: %w", p.User, err)
	}
	value, err := json.Marshal(ticketRecord{User: p.User, Admin: p.Admin})
	if err != nil {
		return fmt.Errorf("redisstore: issue ticket for %s: %w", p.User, err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	stored, err := s.setOnce(ctx, s.ticketKey(ticket), value, ttl)
	switch {
	case err != nil:
		return fmt.Errorf("redisstore: issue ticket for %s: %w: %w", p.User, parley.ErrUnavailable, err)
	case !stored:
		return fmt.Errorf("redisstore: issue ticket for %s: %w", p.User, parley.ErrConflict)
	}
	return nil
}

// RedeemTicket returns the ticket's principal and deletes the ticket in one
// command (GETDEL). Returns parley.ErrUnauthorized if it is unknown, expired
// or already used.
func (s *Store) RedeemTicket(ctx context.Context, ticket string) (parley.Principal, error) {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	value, err := s.rdb.GetDel(ctx, s.ticketKey(ticket)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return parley.Principal{}, fmt.Errorf("redisstore: redeem ticket: %w", parley.ErrUnauthorized)
	case err != nil:
		return parley.Principal{}, fmt.Errorf("redisstore: redeem ticket: %w: %w", parley.ErrUnavailable, err)
	}
	var r ticketRecord
	if err := json.Unmarshal(value, &r); err != nil {
		return parley.Principal{}, fmt.Errorf("redisstore: redeem ticket: decode: %w", err)
	}
	return parley.Principal{User: r.User, Admin: r.Admin}, nil
}

// ticketKey names a ticket by its SHA-256, so neither a key listing nor
// MONITOR shows a redeemable ticket.
func (s *Store) ticketKey(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return s.key("ticket", hex.EncodeToString(sum[:]))
}
