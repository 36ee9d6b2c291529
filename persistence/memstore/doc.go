// Package memstore keeps Parley's shared state (rate limits, presence,
// one-time tickets, refresh-token use and revocations) in process memory: the
// persistence.Shared of a single node, where there is nothing to share with.
// It is also the node-local fallback limiter behind persistence.FallbackLimiter.
//
// It imports only the domain (parley) and persistence, and no third-party
// module. Everything is lost when the process exits, which suits state that
// lives seconds to days and that clients rebuild (heartbeats, new tickets).
//
// A Store is safe for concurrent use. Each kind of state has its own mutex,
// held only for map updates, never for I/O, and no method holds two at once.
// Expired entries are dropped when they are next touched and by a sweep that
// runs on a ticker, so memory stays bounded by what is live; the sweeper
// goroutine belongs to the Store and Close stops it.
package memstore
