package persistence

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/parleychat/parley"
)

// fallbackProbeInterval is how often a degraded FallbackLimiter tries its
// primary again. Between probes every call goes straight to the local
// limiter, so a primary that hangs (rather than refusing connections) costs
// one caller per interval a timeout, not every caller.
const fallbackProbeInterval = time.Second

var _ Limiter = (*FallbackLimiter)(nil)

// FallbackLimiter is the rate-limit policy for an outage of shared state
// (B-34): it answers from a primary Limiter (Redis, shared by the cluster)
// while that works, and from a node-local one (memstore) while the primary
// fails with parley.ErrUnavailable. Limits stay enforced either way, never
// lifted: during an outage each node counts on its own, so a cluster of n
// nodes admits at most n times a limit. It logs one Warn when an outage
// starts and one Info when it ends, not one per request.
// It is safe for concurrent use.
type FallbackLimiter struct {
	primary, local Limiter
	log            *slog.Logger

	degraded  atomic.Bool  // answering from local since the primary failed
	nextProbe atomic.Int64 // while degraded: UnixNano from which one call tries the primary again
}

// NewFallbackLimiter returns a limiter that prefers primary and falls back to
// local. A nil log discards the outage reports.
func NewFallbackLimiter(primary, local Limiter, log *slog.Logger) *FallbackLimiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &FallbackLimiter{primary: primary, local: local, log: log.With("component", "rate_limiter")}
}

// Allow counts one event for key against l in the primary limiter or, while
// the primary is unavailable, in the local one. Errors other than
// parley.ErrUnavailable (a bad limit), and any error once ctx is done, are
// returned as they are: they say nothing about the primary's health.
func (f *FallbackLimiter) Allow(ctx context.Context, key string, l Limit) (Decision, error) {
	probe := f.degraded.Load()
	if probe && !f.claimProbe() {
		return f.local.Allow(ctx, key, l)
	}
	d, err := f.primary.Allow(ctx, key, l)
	switch {
	case err == nil:
		if probe { // only a call made while degraded proves the outage over
			f.recovered(ctx)
		}
		return d, nil
	case !errors.Is(err, parley.ErrUnavailable) || ctx.Err() != nil:
		return d, err
	}
	f.failed(ctx, err)
	return f.local.Allow(ctx, key, l)
}

// IsDegraded reports whether answers come from the local limiter because the
// primary is unavailable: for health endpoints and metrics.
func (f *FallbackLimiter) IsDegraded() bool { return f.degraded.Load() }

// claimProbe reports whether this call is the one that tries the primary
// again: at most one per fallbackProbeInterval.
func (f *FallbackLimiter) claimProbe() bool {
	next, now := f.nextProbe.Load(), time.Now().UnixNano()
	return now >= next && f.nextProbe.CompareAndSwap(next, now+int64(fallbackProbeInterval))
}

// failed records a primary failure; the first one of an outage is logged.
func (f *FallbackLimiter) failed(ctx context.Context, err error) {
	f.nextProbe.Store(time.Now().Add(fallbackProbeInterval).UnixNano())
	if f.degraded.CompareAndSwap(false, true) {
		f.log.LogAttrs(ctx, slog.LevelWarn, "shared rate limiter unavailable; enforcing node-local limits",
			slog.Any("err", err))
	}
}

// recovered records a primary success; the first one after an outage is logged.
func (f *FallbackLimiter) recovered(ctx context.Context) {
	if f.degraded.CompareAndSwap(true, false) {
		f.log.LogAttrs(ctx, slog.LevelInfo, "shared rate limiter available again")
	}
}
