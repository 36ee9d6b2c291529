package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/parleychat/parley"
	"github.com/redis/go-redis/v9"
)

// revokeScript sets KEYS[1] to expire in ARGV[1] ms unless it already lives
// longer: a revocation is never shortened.
var revokeScript = redis.NewScript(`
local ttl = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left == -1 or left >= ttl then
  return 0
end
redis.call('SET', KEYS[1], '1', 'PX', ttl)
return 1
`)

// UseRefresh marks refresh token id of family as used until ttl from now. It
// returns false if id was used before and that mark has not expired (a
// replay: the caller revokes the family). A ttl <= 0 is an error. Since an
// expired mark counts as unused, ttl must outlast the refresh token itself.
func (s *Store) UseRefresh(ctx context.Context, family, id string, ttl time.Duration) (bool, error) {
	if err := checkTTL(ttl); err != nil {
		return false, fmt.Errorf("redisstore: use refresh of %s: %w", family, err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	use := strconv.AppendUint(nil, rand.Uint64(), 36) // tells this call's own retry from a replay
	first, err := s.setOnce(ctx, s.key("refresh", pair(family, id)), use, ttl)
	if err != nil {
		return false, fmt.Errorf("redisstore: use refresh of %s: %w: %w", family, parley.ErrUnavailable, err)
	}
	return first, nil
}

// Revoke marks key revoked until ttl from now, or later if an earlier Revoke
// said so: a revocation is never shortened. A ttl <= 0 is an error.
func (s *Store) Revoke(ctx context.Context, key string, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("redisstore: revoke %s: %w", key, err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	if err := revokeScript.Run(ctx, s.rdb, []string{s.key("revoked", key)}, millis(ttl)).Err(); err != nil {
		return fmt.Errorf("redisstore: revoke %s: %w: %w", key, parley.ErrUnavailable, err)
	}
	return nil
}

// IsRevoked reports whether key is revoked.
func (s *Store) IsRevoked(ctx context.Context, key string) (bool, error) {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	n, err := s.rdb.Exists(ctx, s.key("revoked", key)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: is revoked %s: %w: %w", key, parley.ErrUnavailable, err)
	}
	return n > 0, nil
}
