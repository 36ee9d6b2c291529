package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/redis/go-redis/v9"
)

var _ persistence.Shared = (*Store)(nil)

// Store is a persistence.Shared kept in Redis. Open it with Open and release
// its connections with Close.
type Store struct {
	rdb       *redis.Client
	prefix    string
	opTimeout time.Duration
	feedLen   int // Config.RevocationFeed
	closed    atomic.Bool
}

// Open returns a Store for cfg. It checks cfg but does not dial, so it
// succeeds while Redis is down: calls fail with parley.ErrUnavailable until
// Redis answers, and Ping tells readiness probes. ctx is unused; Open takes
// it like every Open in Parley.
func Open(_ context.Context, cfg Config) (*Store, error) {
	opts, err := cfg.options()
	if err != nil {
		return nil, fmt.Errorf("redisstore: open: %w", err)
	}
	return &Store{
		rdb: redis.NewClient(opts), prefix: cfg.keyPrefix(), opTimeout: cfg.opTimeout(),
		feedLen: cfg.revocationFeed(),
	}, nil
}

// Ping checks that Redis answers. Returns an error wrapping
// parley.ErrUnavailable if it does not.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: ping: %w: %w", parley.ErrUnavailable, err)
	}
	return nil
}

// Close closes the connections. Later calls return nil; after Close every
// other method fails with an error wrapping parley.ErrUnavailable.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("redisstore: close: %w", err)
	}
	return nil
}

// setOnceScript stores ARGV[1] in KEYS[1] for ARGV[2] ms unless the key
// exists. It returns 1 if the key now holds ARGV[1] (set by this call, or by
// an earlier attempt of the same call that go-redis retried after losing the
// reply), 0 if it holds another value. A plain SET NX would answer such a
// retry with "already set": a false replay, a false conflict.
var setOnceScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return 1
end
return 0
`)

// setOnce runs setOnceScript: it reports whether key holds value for ttl
// because of this call.
func (s *Store) setOnce(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	n, err := setOnceScript.Run(ctx, s.rdb, []string{key}, value, millis(ttl)).Int()
	return n == 1, err
}

// opContext bounds one call, retries included, by the store's OpTimeout.
func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opTimeout)
}

// key returns the Redis key of id in the keyspace of kind ("limit", "presence", ...).
func (s *Store) key(kind, id string) string {
	return s.prefix + ":" + kind + ":" + id
}

// pair joins two ids into one key part that no other pair can produce: the
// first id is length-prefixed, so "a:b"+"c" and "a"+"b:c" stay apart.
func pair(a, b string) string {
	return strconv.Itoa(len(a)) + ":" + a + ":" + b
}

// millis converts ttl to whole milliseconds, Redis's finest expiry, rounding
// up so that a positive ttl never becomes zero.
func millis(ttl time.Duration) int64 {
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}

// checkTTL rejects a ttl that would expire an entry before it is stored.
func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("ttl %v is not positive", ttl)
	}
	return nil
}
