package persistence_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/memstore"
	"github.com/parleychat/parley/persistence/storetest"
)

// limiterFunc is a Limiter made of a function: the fake primary that injects failures.
type limiterFunc func(ctx context.Context, key string, l persistence.Limit) (persistence.Decision, error)

func (f limiterFunc) Allow(ctx context.Context, key string, l persistence.Limit) (persistence.Decision, error) {
	return f(ctx, key, l)
}

// flakyPrimary is a real in-process limiter that fails with
// parley.ErrUnavailable while down is set, as Redis would in an outage.
type flakyPrimary struct {
	down  atomic.Bool
	calls atomic.Int64
	store *memstore.Store
}

func (p *flakyPrimary) limiter() persistence.Limiter {
	return limiterFunc(func(ctx context.Context, key string, l persistence.Limit) (persistence.Decision, error) {
		p.calls.Add(1)
		if p.down.Load() {
			return persistence.Decision{}, fmt.Errorf("fake: allow %s: %w: connection refused", key, parley.ErrUnavailable)
		}
		return p.store.Allow(ctx, key, l)
	})
}

// logBuffer collects log lines from goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many lines contain s.
func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

type fallbackCase struct {
	t       *testing.T
	primary *flakyPrimary
	local   *memstore.Store
	logs    *logBuffer
	f       *persistence.FallbackLimiter
}

func newFallbackCase(t *testing.T) *fallbackCase {
	c := &fallbackCase{t: t, primary: &flakyPrimary{store: newMemstore(t)}, local: newMemstore(t), logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c.f = persistence.NewFallbackLimiter(c.primary.limiter(), c.local, log)
	return c
}

func newMemstore(t *testing.T) *memstore.Store {
	s := memstore.New(memstore.Config{})
	t.Cleanup(func() { _ = s.Close() }) // Close always returns nil
	return s
}

// allowed makes n calls for key (concurrently) and returns how many were allowed.
func (c *fallbackCase) allowed(n int, key string, l persistence.Limit) int {
	c.t.Helper()
	var ok atomic.Int64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d, err := c.f.Allow(c.t.Context(), key, l)
			errs[i] = err
			if d.Allowed {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.t.Fatalf("Allow: %v", err)
	}
	return int(ok.Load())
}

func (c *fallbackCase) logged(level string, want int) {
	c.t.Helper()
	if got := c.logs.count("level=" + level); got != want {
		c.t.Fatalf("%d %s lines logged, want %d:\n%s", got, level, want, c.logs.buf.String())
	}
}

func TestFallbackLimiter_Healthy(t *testing.T) {
	c := newFallbackCase(t)
	l := persistence.Limit{Count: 5, Window: time.Minute}
	if got := c.allowed(50, "k", l); got != 5 {
		t.Fatalf("allowed %d of 50, want 5", got)
	}
	// The local limiter was never asked: it still has the whole limit.
	if d, err := c.local.Allow(t.Context(), "k", l); err != nil || d.Remaining != 4 {
		t.Fatalf("local Allow = %+v, %v; want untouched", d, err)
	}
	if c.f.IsDegraded() {
		t.Fatal("IsDegraded() = true with a healthy primary")
	}
	c.logged("WARN", 0)
}

// TestFallbackLimiter_Outage is B-34: with the primary down, limits are
// still enforced (by the local limiter), never lifted, and the outage is
// logged once; once the primary is back it is used again and that is logged once.
func TestFallbackLimiter_Outage(t *testing.T) {
	c := newFallbackCase(t)
	l := persistence.Limit{Count: 10, Window: time.Minute}
	c.primary.down.Store(true)
	if got := c.allowed(1000, "send:user:amy", l); got != 10 {
		t.Fatalf("allowed %d of 1000 during the outage, want 10", got)
	}
	if !c.f.IsDegraded() {
		t.Fatal("IsDegraded() = false during the outage")
	}
	c.logged("WARN", 1)
	if calls := c.primary.calls.Load(); calls > 100 {
		t.Errorf("the primary was called %d times during the outage, want a few probes", calls)
	}

	c.primary.down.Store(false)
	storetest.WaitFor(t, 5*time.Second, "the limiter to use the primary again", func() bool {
		_, err := c.f.Allow(t.Context(), "probe", l)
		return err == nil && !c.f.IsDegraded()
	})
	c.logged("INFO", 1)
	if got := c.allowed(20, "send:user:amy", l); got != 10 {
		t.Fatalf("allowed %d of 20 after recovery, want the primary's 10", got)
	}

	c.primary.down.Store(true) // a second outage is reported again
	c.allowed(5, "send:user:bob", l)
	c.logged("WARN", 2)
}

func TestFallbackLimiter_PassesOtherErrors(t *testing.T) {
	c := newFallbackCase(t)
	bad := persistence.Limit{Count: 0, Window: time.Minute}
	if _, err := c.f.Allow(t.Context(), "k", bad); err == nil || errors.Is(err, parley.ErrUnavailable) {
		t.Fatalf("Allow(%+v) = %v, want the primary's error", bad, err)
	}
	if c.f.IsDegraded() {
		t.Fatal("a bad limit made the limiter degraded")
	}

	// A caller that gave up is not an outage either.
	c.primary.down.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.f.Allow(ctx, "k", persistence.Limit{Count: 1, Window: time.Minute}); !errors.Is(err, parley.ErrUnavailable) {
		t.Fatalf("Allow with a cancelled context = %v, want %s", err, parley.ErrUnavailable.Code)
	}
	if c.f.IsDegraded() {
		t.Fatal("a cancelled caller made the limiter degraded")
	}
	c.logged("WARN", 0)
}
