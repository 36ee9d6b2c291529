// Package redisstore keeps the state every node of a Parley cluster shares
// (rate limits, presence, one-time tickets, refresh-token use and
// revocations) in Redis 6.2 or later, through go-redis v9.
//
// It imports the domain (parley), persistence and go-redis, nothing else of
// the project. No go-redis type or error leaves it: a failure to reach Redis
// (refused, timed out, pool exhausted, closed) comes back wrapping
// parley.ErrUnavailable, and redis.Nil becomes the sentinel the operation
// documents.
//
// Every operation is one command or one Lua script on one key (or on keys
// that share a hash tag, like the revocation feed's), so each is atomic in
// Redis, and the store also works against a Redis Cluster. Revoke alone is
// two steps: the revocation, then its entry in the feed. Scripts
// read Redis's clock (TIME), never the node's, so nodes with skewed clocks
// still agree on windows and expiry. Open does not dial: a node starts while
// Redis is down, Ping reports it, and the pool reconnects by itself once Redis
// is back. Timeouts are short (see Config) so an outage fails calls fast
// rather than piling them up.
//
// A Store is safe for concurrent use; it holds no lock of its own.
package redisstore
