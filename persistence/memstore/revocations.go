package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"
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

// IsRevoked reports whether key is revoked.
func (s *Store) IsRevoked(ctx context.Context, key string) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, fmt.Errorf("memstore: is revoked %s: %w", key, err)
	}
	return s.revocations.isRevoked(key, s.now()), nil
}

// revocations holds used refresh token ids and revoked keys, each with its deadline.
type revocations struct {
	mu      sync.Mutex
	used    map[refreshKey]time.Duration
	revoked map[string]time.Duration
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
