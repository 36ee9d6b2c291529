package memstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

var _ persistence.Shared = (*Store)(nil)

// Store is an in-process persistence.Shared. Create it with New and stop its
// sweeper with Close.
type Store struct {
	epoch       time.Time // start of the store's clock; readings are monotonic
	limits      limiter
	presence    presence
	tickets     tickets
	revocations revocations

	closed atomic.Bool
	stop   chan struct{} // closed by Close: the sweeper returns
	done   chan struct{} // closed when the sweeper has returned
}

// New returns an empty Store and starts its sweeper.
func New(cfg Config) *Store {
	s := &Store{
		epoch:       time.Now(),
		limits:      limiter{logs: make(map[string]*eventLog)},
		presence:    presence{rooms: make(map[parley.RoomID]map[connKey]time.Duration)},
		tickets:     tickets{live: make(map[string]ticket)},
		revocations: newRevocations(cfg.revocationFeed()),
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	go s.sweepEvery(cfg.sweepInterval())
	return s
}

// Ping reports whether the store can serve calls: it fails only after Close.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("memstore: ping: %w", err)
	}
	return nil
}

// Close stops the sweeper and waits for it. Later calls of any other method
// fail with an error wrapping parley.ErrUnavailable. Close always returns nil.
func (s *Store) Close() error {
	if s.closed.CompareAndSwap(false, true) {
		close(s.stop)
		<-s.done
	}
	return nil
}

// now reads the store's clock: time since New, from the monotonic clock, so
// wall-clock steps neither expire nor revive anything.
func (s *Store) now() time.Duration { return time.Since(s.epoch) }

// check returns why a call cannot be served: the store is closed or the
// caller's context is done. Both wrap parley.ErrUnavailable, as an
// unreachable backend would.
func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("store closed: %w", parley.ErrUnavailable)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", parley.ErrUnavailable, err)
	}
	return nil
}

// sweepEvery drops expired entries every interval until Close.
func (s *Store) sweepEvery(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// sweep drops every expired entry, one kind of state (and one lock) at a time.
func (s *Store) sweep() {
	s.limits.sweep(s.now())
	s.presence.sweep(s.now())
	s.tickets.sweep(s.now())
	s.revocations.sweep(s.now())
}

// checkTTL rejects a ttl that would expire an entry before it is stored.
func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("ttl %v is not positive", ttl)
	}
	return nil
}
