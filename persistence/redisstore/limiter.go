package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/redis/go-redis/v9"
)

// allowScript is a sliding-window log. KEYS[1] is a sorted set of the events
// allowed in the last window, scored by Redis time in microseconds; ARGV is
// count, window (µs) and a member unique to this event. It returns
// {allowed 0|1, remaining, retry after (µs)}. A refused event is not recorded.
// The key expires one window after its newest event.
var allowScript = redis.NewScript(`
local count = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < count then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, count - n - 1, 0}
end
-- Fewer than count remain once the event at rank n-count has left the window.
local freeing = redis.call('ZRANGE', KEYS[1], n - count, n - count, 'WITHSCORES')
return {0, 0, tonumber(freeing[2]) + window - now}
`)

// Allow counts one event for key against l with a sliding-window log: it is
// allowed if fewer than l.Count events were allowed in the l.Window before it,
// by Redis's clock. A refused event is not counted. Memory is one sorted-set
// entry per allowed event still in its window. A limit with Count < 1 or
// Window <= 0 is an error; an unreachable Redis is parley.ErrUnavailable.
func (s *Store) Allow(ctx context.Context, key string, l persistence.Limit) (persistence.Decision, error) {
	if l.Count < 1 || l.Window <= 0 {
		return persistence.Decision{}, fmt.Errorf("redisstore: allow %s: invalid limit of %d per %v", key, l.Count, l.Window)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	window := max(l.Window.Microseconds(), 1)
	member := strconv.FormatUint(rand.Uint64(), 36) // only needs to differ from the key's other live members
	r, err := allowScript.Run(ctx, s.rdb, []string{s.key("limit", key)}, l.Count, window, member).Int64Slice()
	if err != nil {
		return persistence.Decision{}, fmt.Errorf("redisstore: allow %s: %w: %w", key, parley.ErrUnavailable, err)
	}
	if len(r) != 3 {
		return persistence.Decision{}, fmt.Errorf("redisstore: allow %s: reply %v, want 3 integers", key, r)
	}
	return persistence.Decision{
		Allowed:    r[0] == 1,
		Remaining:  int(r[1]),
		RetryAfter: time.Duration(r[2]) * time.Microsecond,
	}, nil
}
