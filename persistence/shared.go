package persistence

import (
	"context"
	"time"

	"github.com/parleychat/parley"
)

// Shared is the state every node of a cluster must agree on. memstore keeps it
// in process for a single node; redisstore keeps it in Redis. Errors from an
// unreachable backend wrap parley.ErrUnavailable.
type Shared interface {
	Limiter
	Presence
	Tickets
	Revocations
	// Ping checks the backend answers (readiness).
	Ping(ctx context.Context) error
	Close() error
}

// Limit is a rate: at most Count events per Window for one key (a fixed or
// sliding window, as the implementation documents; atomic in any case).
type Limit struct {
	Count  int
	Window time.Duration
}

// Decision is a limiter's answer.
type Decision struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration // when not allowed: how long until a request may pass
}

// Limiter counts events per key. Keys are built by callers, e.g. "send:user:<id>".
type Limiter interface {
	// Allow counts one event for key against l and says whether it may proceed.
	Allow(ctx context.Context, key string, l Limit) (Decision, error)
}

// Presence tracks which users are online in which room, per connection, with a
// TTL so a crashed node's users fade out.
type Presence interface {
	// Heartbeat marks conn of user as present in room for ttl.
	Heartbeat(ctx context.Context, room parley.RoomID, user parley.UserID, conn parley.ConnID, ttl time.Duration) error
	// Depart removes conn; the user stays online while another conn is present.
	Depart(ctx context.Context, room parley.RoomID, user parley.UserID, conn parley.ConnID) error
	// Online returns the users with at least one live connection in room, sorted.
	Online(ctx context.Context, room parley.RoomID) ([]parley.UserID, error)
}

// Tickets are one-time secrets that let a client open a WebSocket on any node
// without cookies or headers.
type Tickets interface {
	// IssueTicket stores ticket -> p for ttl.
	IssueTicket(ctx context.Context, ticket string, p parley.Principal, ttl time.Duration) error
	// RedeemTicket returns the principal and deletes the ticket atomically.
	// Returns parley.ErrUnauthorized if it is unknown, expired or already used.
	RedeemTicket(ctx context.Context, ticket string) (parley.Principal, error)
}

// Revocations track refresh-token families and revoked tokens across nodes.
type Revocations interface {
	// UseRefresh marks refresh token id of family as used, for ttl. It returns
	// false if id was used before (a replay: the caller revokes the family).
	UseRefresh(ctx context.Context, family, id string, ttl time.Duration) (first bool, err error)
	// Revoke marks key (a refresh family, or "user:<id>" for every session of a
	// user) revoked for ttl, and appends key to the revocation feed.
	Revoke(ctx context.Context, key string, ttl time.Duration) error
	// IsRevoked reports whether key was revoked.
	IsRevoked(ctx context.Context, key string) (bool, error)
	// Unrevoke lifts the revocation of key (a platform ban being undone).
	// Lifting a key that is not revoked succeeds.
	Unrevoke(ctx context.Context, key string) error
	// RevokedSince reads the revocation feed: up to limit keys revoked after
	// sequence number after, oldest first. Each node polls it to close the
	// open connections of revoked sessions, with one call per poll however
	// many connections it holds. Pass the returned Next to the following call;
	// start with StartOfFeed. limit < 1 is an error.
	RevokedSince(ctx context.Context, after uint64, limit int) (RevocationFeed, error)
}

// StartOfFeed is the RevokedSince cursor meaning "from now on": the call
// returns no keys, Reset, and the current sequence number as Next.
const StartOfFeed = ^uint64(0)

// MinRevocationFeed is how many of the latest revocations every
// implementation keeps in its feed, at least. A reader that falls further
// behind gets Reset.
const MinRevocationFeed = 1000

// RevocationFeed is one read of the revocation feed.
type RevocationFeed struct {
	// Keys are the keys revoked after the cursor, oldest first; a key revoked
	// twice may appear twice.
	Keys []string
	// Next is the cursor for the next read: the sequence number of the last
	// key returned, or the current one when none was.
	Next uint64
	// Reset means revocations between the cursor and Keys may be missing: the
	// cursor fell out of the feed (the reader was away for too long), or is
	// ahead of it (the backend lost its data, or StartOfFeed). A reader that
	// holds revocable state checks all of it with IsRevoked.
	Reset bool
}
