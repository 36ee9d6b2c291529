package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/parleychat/parley/persistence"
)

// Allow counts one event for key against l with a sliding-window log: it is
// allowed if fewer than l.Count events were allowed in the l.Window before it.
// A refused event is not counted. A limit with Count < 1 or Window <= 0 is an
// error.
func (s *Store) Allow(ctx context.Context, key string, l persistence.Limit) (persistence.Decision, error) {
	if l.Count < 1 || l.Window <= 0 {
		return persistence.Decision{}, fmt.Errorf("memstore: allow %s: invalid limit of %d per %v", key, l.Count, l.Window)
	}
	if err := s.check(ctx); err != nil {
		return persistence.Decision{}, fmt.Errorf("memstore: allow %s: %w", key, err)
	}
	return s.limits.allow(key, l, s.now()), nil
}

// limiter holds one event log per key.
type limiter struct {
	mu   sync.Mutex
	logs map[string]*eventLog
}

// eventLog is the allowed events of one key that are still inside their window.
type eventLog struct {
	times []time.Duration // oldest first; at most the largest Count used for the key
	until time.Duration   // when the newest event leaves its window: the log can go then
}

func (lm *limiter) allow(key string, l persistence.Limit, now time.Duration) persistence.Decision {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	events := lm.logs[key]
	if events == nil {
		events = &eventLog{times: make([]time.Duration, 0, min(l.Count, 16))}
		lm.logs[key] = events
	}
	events.forget(now - l.Window)
	if n := len(events.times); n >= l.Count {
		// The event is allowed once enough old ones have left the window for
		// the rest to number fewer than Count: after times[n-Count] has.
		return persistence.Decision{RetryAfter: events.times[n-l.Count] + l.Window - now}
	}
	events.times = append(events.times, now)
	events.until = now + l.Window
	return persistence.Decision{Allowed: true, Remaining: l.Count - len(events.times)}
}

// forget drops the events at or before cutoff.
func (e *eventLog) forget(cutoff time.Duration) {
	i := 0
	for i < len(e.times) && e.times[i] <= cutoff {
		i++
	}
	if i > 0 {
		e.times = e.times[:copy(e.times, e.times[i:])]
	}
}

func (lm *limiter) sweep(now time.Duration) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	for key, events := range lm.logs {
		if events.until <= now {
			delete(lm.logs, key)
		}
	}
}
