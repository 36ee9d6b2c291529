package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/parleychat/parley/persistence"
)

// UseRefresh marks refresh token id of family as used until ttl from now. It
// returns false if id was used before and that mark has not expired (a replay:
// the caller revokes the family). A ttl <= 0 is an error.
func (s *Store) UseRefresh(ctx context.Context, family, id string, ttl time.Duration) (bool, error) {
	if err := checkTTL(ttl); err != nil {
		return false, fmt.Errorf("memstore: use refresh of %s: %w", family, err)
	}
	if err := s.check(ctx); err != nil {
		return false, fmt.Errorf("memstore: use refresh of %s: %w", family, err)
	}
	return s.revocations.use(refreshKey{family, id}, s.now()+ttl, s.now()), nil
}

// Revoke marks key revoked until ttl from now, or later if an earlier Revoke
// said so: a revocation is never shortened. A ttl <= 0 is an error.
func (s *Store) Revoke(ctx context.Context, key string, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("memstore: revoke %s: %w", key, err)
	}
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("memstore: revoke %s: %w", key, err)
	}
	s.revocations.revoke(key, s.now()+ttl)
	return nil
}

// Unrevoke lifts the revocation of key; lifting an unknown key succeeds.
func (s *Store) Unrevoke(ctx context.Context, key string) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("memstore: unrevoke %s: %w", key, err)
	}
	s.revocations.unrevoke(key)
	return nil
}

// RevokedSince returns up to limit keys revoked after sequence number after,
// oldest first (see persistence.Revocations). The feed keeps the latest
// Config.RevocationFeed revocations.
func (s *Store) RevokedSince(ctx context.Context, after uint64, limit int) (persistence.RevocationFeed, error) {
	if limit < 1 {
		return persistence.RevocationFeed{}, fmt.Errorf("memstore: revoked since %d: limit %d is not positive", after, limit)
	}
	if err := s.check(ctx); err != nil {
		return persistence.RevocationFeed{}, fmt.Errorf("memstore: revoked since %d: %w", after, err)
	}
	return s.revocations.since(after, limit), nil
}

// IsRevoked reports whether key is revoked.
func (s *Store) IsRevoked(ctx context.Context, key string) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, fmt.Errorf("memstore: is revoked %s: %w", key, err)
	}
	return s.revocations.isRevoked(key, s.now()), nil
}

// revocations holds used refresh token ids and revoked keys, each with its
// deadline, and the feed of recent revocations.
type revocations struct {
	mu      sync.Mutex
	used    map[refreshKey]time.Duration
	revoked map[string]time.Duration
	seq     uint64   // sequence number of the latest revocation
	feed    []string // keys of revocations seq-len(feed)+1 … seq
	feedLen int      // the feed keeps at least this many; compacted at twice that
}

func newRevocations(feedLen int) revocations {
	return revocations{used: make(map[refreshKey]time.Duration), revoked: make(map[string]time.Duration), feedLen: feedLen}
}

type refreshKey struct{ family, id string }

// use marks k used until deadline and reports whether it was unused.
func (r *revocations) use(k refreshKey, deadline, now time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if until, ok := r.used[k]; ok && until > now {
		return false
	}
	r.used[k] = deadline
	return true
}

func (r *revocations) revoke(key string, deadline time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.revoked[key] = max(r.revoked[key], deadline)
	r.seq++
	r.feed = append(r.feed, key)
	if len(r.feed) >= 2*r.feedLen { // compact now and then, not on every call
		r.feed = append([]string(nil), r.feed[len(r.feed)-r.feedLen:]...)
	}
}

func (r *revocations) unrevoke(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.revoked, key)
}

// since reads the feed after sequence number after.
func (r *revocations) since(after uint64, limit int) persistence.RevocationFeed {
	r.mu.Lock()
	defer r.mu.Unlock()
	if after >= r.seq {
		return persistence.RevocationFeed{Next: r.seq, Reset: after > r.seq}
	}
	oldest := r.seq - uint64(len(r.feed)) + 1 // sequence number of feed[0]
	out := persistence.RevocationFeed{Reset: after+1 < oldest}
	from := max(after+1, oldest)
	n := min(uint64(limit), r.seq-from+1)
	out.Keys = append([]string(nil), r.feed[from-oldest:from-oldest+n]...)
	out.Next = from + n - 1
	return out
}

func (r *revocations) isRevoked(key string, now time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.revoked[key] > now
}

func (r *revocations) sweep(now time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, until := range r.used {
		if until <= now {
			delete(r.used, k)
		}
	}
	for key, until := range r.revoked {
		if until <= now {
			delete(r.revoked, key)
		}
	}
}
