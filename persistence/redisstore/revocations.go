package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/redis/go-redis/v9"
)

// Revocation layout: "<prefix>:revoked:<key>" exists while key is revoked.
// The feed is two keys that share the hash tag {<prefix>} (one Redis Cluster
// slot): "<prefix>:revfeed:{<prefix>}:seq" counts revocations, and
// "<prefix>:revfeed:{<prefix>}:log" is a stream of the latest revoked keys
// (field "k"), each entry's id "<seq>-0", capped at Config.RevocationFeed
// entries.

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

// publishScript appends ARGV[1] to the feed (KEYS[1] the counter, KEYS[2]
// the stream, ARGV[2] its cap) and returns its sequence number.
var publishScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], n .. '-0', 'k', ARGV[1])
return n
`)

// feedScript reads the feed: KEYS[1] the counter, KEYS[2] the stream;
// ARGV[1] the cursor, ARGV[2] the limit. It returns the current sequence
// number followed by id, key pairs after the cursor, oldest first, and
// nothing else when the cursor is at or past the current sequence number.
var feedScript = redis.NewScript(`
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local out = {seq}
if tonumber(ARGV[1]) >= seq then
  return out
end
local entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
for _, e in ipairs(entries) do
  table.insert(out, e[1])
  table.insert(out, e[2][2])
end
return out
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
	// Published after the revocation, so a reader of the feed finds it in
	// force. Should this step fail, the error tells the caller to try again.
	if err := publishScript.Run(ctx, s.rdb, s.feedKeys(), key, s.feedLen).Err(); err != nil {
		return fmt.Errorf("redisstore: publish revocation of %s: %w: %w", key, parley.ErrUnavailable, err)
	}
	return nil
}

// feedKeys returns the keys of the revocation feed: the counter, the stream.
func (s *Store) feedKeys() []string {
	tag := "{" + s.prefix + "}"
	return []string{s.key("revfeed", tag+":seq"), s.key("revfeed", tag+":log")}
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

// Unrevoke lifts the revocation of key; lifting an unknown key succeeds.
func (s *Store) Unrevoke(ctx context.Context, key string) error {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	if err := s.rdb.Del(ctx, s.key("revoked", key)).Err(); err != nil {
		return fmt.Errorf("redisstore: unrevoke %s: %w: %w", key, parley.ErrUnavailable, err)
	}
	return nil
}

// RevokedSince returns up to limit keys revoked after sequence number after,
// oldest first, in one script call (see persistence.Revocations). The feed
// keeps the latest Config.RevocationFeed revocations.
func (s *Store) RevokedSince(ctx context.Context, after uint64, limit int) (persistence.RevocationFeed, error) {
	if limit < 1 {
		return persistence.RevocationFeed{}, fmt.Errorf("redisstore: revoked since %d: limit %d is not positive", after, limit)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	reply, err := feedScript.Run(ctx, s.rdb, s.feedKeys(), strconv.FormatUint(after, 10), limit).Slice()
	if err != nil {
		return persistence.RevocationFeed{}, fmt.Errorf("redisstore: revoked since %d: %w: %w", after, parley.ErrUnavailable, err)
	}
	feed, err := parseFeed(reply, after)
	if err != nil {
		return persistence.RevocationFeed{}, fmt.Errorf("redisstore: revoked since %d: %w", after, err)
	}
	return feed, nil
}

// parseFeed turns feedScript's reply into a feed read after cursor after.
func parseFeed(reply []any, after uint64) (persistence.RevocationFeed, error) {
	seq, ok := reply[0].(int64)
	if !ok || seq < 0 {
		return persistence.RevocationFeed{}, fmt.Errorf("unexpected sequence %v", reply[0])
	}
	out := persistence.RevocationFeed{Next: uint64(seq)}
	if after >= out.Next {
		out.Reset = after > out.Next
		return out, nil
	}
	for i := 1; i+1 < len(reply); i += 2 {
		id, _ := reply[i].(string)
		key, _ := reply[i+1].(string)
		n, err := strconv.ParseUint(strings.TrimSuffix(id, "-0"), 10, 64)
		if err != nil {
			return persistence.RevocationFeed{}, fmt.Errorf("unexpected feed id %q", id)
		}
		if len(out.Keys) == 0 {
			out.Reset = n != after+1 // entries between the cursor and n were trimmed
		}
		out.Keys = append(out.Keys, key)
		out.Next = n
	}
	if len(out.Keys) == 0 {
		out.Reset = true // the counter is ahead of the cursor, yet the stream kept nothing after it
	}
	return out, nil
}
