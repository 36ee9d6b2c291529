package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley"
	"github.com/redis/go-redis/v9"
)

// Presence layout: one sorted set per room, "<prefix>:presence:<room>", with a
// member per connection (see connMember) scored by the Redis time in
// milliseconds at which that connection expires. Heartbeat and Online first
// drop the expired members, so a crashed node's connections vanish after
// their ttl without anyone departing them; the key itself expires with its
// longest-lived member, so an abandoned room leaves nothing behind.

// heartbeatScript: KEYS[1] the room's set; ARGV member, ttl (ms).
var heartbeatScript = redis.NewScript(`
local ttl = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)

// onlineScript: KEYS[1] the room's set. It returns the live members.
var onlineScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`)

// Heartbeat marks conn of user as present in room until ttl from now (Redis
// time). A ttl <= 0 is an error.
func (s *Store) Heartbeat(ctx context.Context, room parley.RoomID, user parley.UserID, conn parley.ConnID, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("redisstore: heartbeat %s/%s: %w", room, user, err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	keys := []string{s.key("presence", string(room))}
	if err := heartbeatScript.Run(ctx, s.rdb, keys, connMember(user, conn), millis(ttl)).Err(); err != nil {
		return fmt.Errorf("redisstore: heartbeat %s/%s: %w: %w", room, user, parley.ErrUnavailable, err)
	}
	return nil
}

// Depart removes conn of user from room; the user stays online while another
// of their connections is present. Departing an unknown connection succeeds.
func (s *Store) Depart(ctx context.Context, room parley.RoomID, user parley.UserID, conn parley.ConnID) error {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	if err := s.rdb.ZRem(ctx, s.key("presence", string(room)), connMember(user, conn)).Err(); err != nil {
		return fmt.Errorf("redisstore: depart %s/%s: %w: %w", room, user, parley.ErrUnavailable, err)
	}
	return nil
}

// Online returns the users with at least one live connection in room, sorted.
// It costs O(connections in the room).
func (s *Store) Online(ctx context.Context, room parley.RoomID) ([]parley.UserID, error) {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	members, err := onlineScript.Run(ctx, s.rdb, []string{s.key("presence", string(room))}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redisstore: online %s: %w: %w", room, parley.ErrUnavailable, err)
	}
	users := make([]parley.UserID, 0, len(members))
	for _, m := range members {
		user, ok := memberUser(m)
		if !ok {
			return nil, fmt.Errorf("redisstore: online %s: malformed member %q", room, m)
		}
		users = append(users, user)
	}
	slices.Sort(users)
	return slices.Compact(users), nil
}

// connMember is the set member of one connection: "<len(user)>:<user>:<conn>",
// readable in redis-cli and unambiguous whatever the ids contain.
func connMember(user parley.UserID, conn parley.ConnID) string {
	return pair(string(user), string(conn))
}

// memberUser returns the user of a connMember.
func memberUser(m string) (parley.UserID, bool) {
	head, rest, ok := strings.Cut(m, ":")
	n, err := strconv.Atoi(head)
	if !ok || err != nil || n < 0 || n >= len(rest) || rest[n] != ':' {
		return "", false
	}
	return parley.UserID(rest[:n]), true
}
