package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/memstore"
	"github.com/parleychat/parley/persistence/redisstore"
)

// openShared opens the state every node shares: in process (memstore) when
// no Redis is configured, else Redis, with the rate-limit policy for a Redis
// outage that cfg.LimitFallback names. Redis must answer at start-up, so a
// wrong URL stops parleyd with a message instead of running degraded.
func openShared(ctx context.Context, cfg config, log *slog.Logger) (persistence.Shared, error) {
	if cfg.RedisURL == "" {
		return memstore.New(memstore.Config{}), nil
	}
	rs, err := redisstore.Open(ctx, redisstore.Config{URL: cfg.RedisURL})
	if err != nil {
		return nil, fmt.Errorf("PARLEY_REDIS_URL: %w: use redis://[:password@]host:port[/db]", err)
	}
	if err := rs.Ping(ctx); err != nil {
		_ = rs.Close() // the ping error is the one to report
		return nil, fmt.Errorf("PARLEY_REDIS_URL: Redis at %s does not answer (%w): "+
			"check the URL and that Redis runs and is reachable, or unset it on a single node to keep shared state in process",
			redisHost(cfg.RedisURL), err)
	}
	if cfg.LimitFallback == limitsClosed {
		return rs, nil
	}
	return newFallbackShared(rs, log), nil
}

// redisHost returns the host:port of a Redis URL, never its password.
func redisHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the configured address"
	}
	return u.Host
}

var _ persistence.Shared = (*fallbackShared)(nil)

// fallbackShared is the shared state in Redis, whose rate limits fall back to
// this node's own limiter while Redis is unavailable (B-34): limits stay
// enforced, per node, and are never lifted; the outage is logged once, not
// per request. Presence, tickets and revocations are Redis's alone and fail
// with parley.ErrUnavailable meanwhile. It is safe for concurrent use.
type fallbackShared struct {
	*redisstore.Store
	limiter *persistence.FallbackLimiter
	local   *memstore.Store // the node-local limiter's state
}

// newFallbackShared wraps rs; Close closes rs too.
func newFallbackShared(rs *redisstore.Store, log *slog.Logger) *fallbackShared {
	local := memstore.New(memstore.Config{})
	return &fallbackShared{Store: rs, limiter: persistence.NewFallbackLimiter(rs, local, log), local: local}
}

// Allow counts one event in Redis or, while Redis is unavailable, in this
// node's limiter.
func (f *fallbackShared) Allow(ctx context.Context, key string, l persistence.Limit) (persistence.Decision, error) {
	return f.limiter.Allow(ctx, key, l)
}

// Close closes the Redis client and the local limiter.
func (f *fallbackShared) Close() error {
	return errors.Join(f.Store.Close(), f.local.Close())
}
