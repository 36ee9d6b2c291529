package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/redisstore"
	"github.com/parleychat/parley/persistence/storetest"
	"github.com/redis/go-redis/v9"
)

// recoveryBound is how soon after Redis returns the store must work again
// (B-32: normal operation within 5 s, without reopening the store).
const recoveryBound = 5 * time.Second

// storeOp is one call of every kind the store serves.
type storeOp struct {
	name string
	run  func(ctx context.Context) error
}

// storeOps returns a call of each kind on s. Each succeeds against a working
// Redis (a redemption of an unknown ticket counts: Redis gave a definite answer).
func storeOps(s *redisstore.Store, name string) []storeOp {
	room := parley.RoomID(name + "_room")
	return []storeOp{
		{"Ping", s.Ping},
		{"Allow", func(ctx context.Context) error {
			_, err := s.Allow(ctx, name+"_send", persistence.Limit{Count: 1000, Window: time.Minute})
			return err
		}},
		{"Heartbeat", func(ctx context.Context) error { return s.Heartbeat(ctx, room, "amy", "c1", time.Minute) }},
		{"Online", func(ctx context.Context) error { _, err := s.Online(ctx, room); return err }},
		{"Depart", func(ctx context.Context) error { return s.Depart(ctx, room, "amy", "c1") }},
		{"IssueTicket", func(ctx context.Context) error {
			return s.IssueTicket(ctx, parley.NewID(), parley.Principal{User: "amy"}, time.Minute)
		}},
		{"RedeemTicket", func(ctx context.Context) error {
			if _, err := s.RedeemTicket(ctx, parley.NewID()); !errors.Is(err, parley.ErrUnauthorized) {
				return err
			}
			return nil
		}},
		{"UseRefresh", func(ctx context.Context) error {
			_, err := s.UseRefresh(ctx, name, parley.NewID(), time.Minute)
			return err
		}},
		{"Revoke", func(ctx context.Context) error { return s.Revoke(ctx, name+"_family", time.Minute) }},
		{"IsRevoked", func(ctx context.Context) error { _, err := s.IsRevoked(ctx, name+"_family"); return err }},
		{"Unrevoke", func(ctx context.Context) error { return s.Unrevoke(ctx, name+"_user") }},
		{"RevokedSince", func(ctx context.Context) error { _, err := s.RevokedSince(ctx, 0, 10); return err }},
	}
}

// allSucceed fails t for each op that returns an error.
func allSucceed(t *testing.T, ops []storeOp, when string) {
	t.Helper()
	for _, op := range ops {
		if err := op.run(t.Context()); err != nil {
			t.Errorf("%s %s: %v", op.name, when, err)
		}
	}
}

// allUnavailable fails t for each op that does not fail with
// parley.ErrUnavailable, and logs how long each took to fail.
func allUnavailable(t *testing.T, ops []storeOp, when string) {
	t.Helper()
	for _, op := range ops {
		start := time.Now()
		err := op.run(t.Context())
		t.Logf("%s %s: failed after %v: %v", op.name, when, time.Since(start).Round(time.Millisecond), err)
		if !errors.Is(err, parley.ErrUnavailable) {
			t.Errorf("%s %s = %v, want %s", op.name, when, err, parley.ErrUnavailable.Code)
		}
	}
}

// waitRecovered waits until s reaches Redis again and logs how long that took.
func waitRecovered(t *testing.T, s *redisstore.Store) {
	t.Helper()
	start := time.Now()
	storetest.WaitFor(t, recoveryBound, "the store to reach redis again", func() bool {
		return s.Ping(t.Context()) == nil
	})
	t.Logf("recovered %v after redis was back", time.Since(start).Round(time.Millisecond))
}

// TestStore_Outage is B-32: with Redis stopped every call fails fast with
// parley.ErrUnavailable, under steady traffic; once Redis is back on the same
// address the same Store works again, its pool having reconnected by itself.
func TestStore_Outage(t *testing.T) {
	srv := storetest.StartRedisServer(t)
	name := storetest.UniqueName(t)
	// A small pool, so that the traffic below exhausts go-redis's dial-error
	// budget and the pool goes through its circuit breaker, as in go-redis #3289.
	s := mustOpen(t, redisstore.Config{Addr: srv.Addr(), KeyPrefix: name, PoolSize: 2})
	ops := storeOps(s, name)
	allSucceed(t, ops, "before the outage")

	srv.Stop()
	allUnavailable(t, ops, "while redis is down")
	errs := make([]error, 50)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = ops[1].run(t.Context()) })
	}
	wg.Wait()
	for _, err := range errs {
		if !errors.Is(err, parley.ErrUnavailable) {
			t.Fatalf("concurrent Allow while redis is down = %v, want %s", err, parley.ErrUnavailable.Code)
		}
	}
	allUnavailable(t, ops, "after the pool gave up dialing")

	srv.Restart() // empty: the limiter's cached script is gone too (NOSCRIPT, then EVAL)
	waitRecovered(t, s)
	allSucceed(t, ops, "after redis came back")
}

// TestStore_OpenWhileDown checks a node can start while Redis is down: Open
// succeeds, Ping reports the outage, and the store works once Redis is up.
func TestStore_OpenWhileDown(t *testing.T) {
	srv := storetest.StartRedisServer(t)
	srv.Stop()
	name := storetest.UniqueName(t)
	s := mustOpen(t, redisstore.Config{Addr: srv.Addr(), KeyPrefix: name})
	if err := s.Ping(t.Context()); !errors.Is(err, parley.ErrUnavailable) {
		t.Fatalf("Ping with redis down = %v, want %s", err, parley.ErrUnavailable.Code)
	}
	srv.Restart()
	waitRecovered(t, s)
	allSucceed(t, storeOps(s, name), "once redis is up")
}

// TestStore_Hung checks a Redis that accepts connections but never answers
// fails calls within the store's timeouts rather than hanging them.
func TestStore_Hung(t *testing.T) {
	srv := storetest.StartRedisServer(t)
	name := storetest.UniqueName(t)
	s := mustOpen(t, redisstore.Config{Addr: srv.Addr(), KeyPrefix: name})
	ops := storeOps(s, name)[:2] // Ping and Allow: each waits out a timeout
	allSucceed(t, ops, "before the hang")
	srv.Pause()
	allUnavailable(t, ops, "while redis hangs")
	srv.Resume()
	waitRecovered(t, s)
	allSucceed(t, ops, "after the hang")
}

// TestStore_PoolExhausted is B-36: when every connection is stuck, further
// calls give up after PoolTimeout with a clear error instead of queueing.
func TestStore_PoolExhausted(t *testing.T) {
	srv := storetest.StartRedisServer(t)
	s := mustOpen(t, redisstore.Config{
		Addr: srv.Addr(), KeyPrefix: storetest.UniqueName(t),
		PoolSize: 1, PoolTimeout: 100 * time.Millisecond, ReadTimeout: time.Second, OpTimeout: 3 * time.Second,
	})
	srv.Pause()
	defer srv.Resume()
	errs := make([]error, 5)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = s.Ping(t.Context()) })
	}
	wg.Wait()
	timeouts := 0
	for i, err := range errs {
		if !errors.Is(err, parley.ErrUnavailable) {
			t.Fatalf("Ping %d with the pool stuck = %v, want %s", i, err, parley.ErrUnavailable.Code)
		}
		if errors.Is(err, redis.ErrPoolTimeout) {
			timeouts++
		}
	}
	// One call holds the only connection until its read times out; the
	// others, or their retries, find the pool empty.
	if timeouts == 0 {
		t.Fatalf("no call failed with a pool timeout: %v", fmt.Sprint(errs))
	}
}
