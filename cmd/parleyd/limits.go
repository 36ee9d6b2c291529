package main

import (
	"flag"
	"fmt"

	"github.com/parleychat/parley/api"
)

// What rate limiting does while Redis is unavailable (-limit-fallback,
// PARLEY_LIMIT_FALLBACK). Without Redis the limits are in process and this
// setting has no effect.
const (
	limitsLocal  = "local"  // each node enforces the limits on its own: at most n times a limit across n nodes
	limitsClosed = "closed" // limited requests fail with 503 until Redis is back
)

// limitSetting is one per-action rate limit parleyd reads, as "count/window"
// (e.g. 600/1m; see api.Limit.UnmarshalText).
type limitSetting struct {
	flag, env, usage string
	field            func(*api.Config) *api.Limit
}

// limitSettings lists the rate limits; api.Config documents each default.
func limitSettings() []limitSetting {
	return []limitSetting{
		{"limit-send", "PARLEY_LIMIT_SEND", "messages per user, REST and WebSocket; default 600/1m", func(c *api.Config) *api.Limit { return &c.SendLimit }},
		{"limit-send-ip", "PARLEY_LIMIT_SEND_IP", "messages per client IP; default 3000/1m", func(c *api.Config) *api.Limit { return &c.SendIPLimit }},
		{"limit-room", "PARLEY_LIMIT_ROOM", "rooms created per user; default 10/1m", func(c *api.Config) *api.Limit { return &c.RoomLimit }},
		{"limit-room-ip", "PARLEY_LIMIT_ROOM_IP", "rooms created per client IP; default 50/1m", func(c *api.Config) *api.Limit { return &c.RoomIPLimit }},
		{"limit-join", "PARLEY_LIMIT_JOIN", "rooms joined per user; default 60/1m", func(c *api.Config) *api.Limit { return &c.JoinLimit }},
		{"limit-join-ip", "PARLEY_LIMIT_JOIN_IP", "joins per client IP; default 300/1m", func(c *api.Config) *api.Limit { return &c.JoinIPLimit }},
		{"limit-login", "PARLEY_LIMIT_LOGIN", "login attempts per username; default 10/1m", func(c *api.Config) *api.Limit { return &c.LoginLimit }},
		{"limit-login-ip", "PARLEY_LIMIT_LOGIN_IP", "login attempts per client IP; default: as -limit-login", func(c *api.Config) *api.Limit { return &c.LoginIPLimit }},
		{"limit-register", "PARLEY_LIMIT_REGISTER", "registrations per client IP; default: as -limit-login", func(c *api.Config) *api.Limit { return &c.RegisterLimit }},
	}
}

// limitInputs are the raw flag values of the rate limits; apply parses them.
type limitInputs struct {
	raw      []*string // one per limitSettings entry, in order
	fallback *string
}

// limitFlags registers the rate-limit flags, each defaulting to its
// environment variable.
func limitFlags(fs *flag.FlagSet, env func(def string, names ...string) string) *limitInputs {
	in := &limitInputs{}
	for _, s := range limitSettings() {
		in.raw = append(in.raw, fs.String(s.flag, env("", s.env), s.usage+" ("+s.env+")"))
	}
	in.fallback = fs.String("limit-fallback", env(limitsLocal, "PARLEY_LIMIT_FALLBACK"),
		"rate limits while Redis is down: local (each node counts on its own) or closed (503) (PARLEY_LIMIT_FALLBACK)")
	return in
}

// apply parses the inputs into c.API and c.LimitFallback. An empty value
// keeps the default; anything else must parse exactly.
func (in *limitInputs) apply(c *config) error {
	for i, s := range limitSettings() {
		raw := *in.raw[i]
		if raw == "" {
			continue
		}
		if err := s.field(&c.API).UnmarshalText([]byte(raw)); err != nil {
			return fmt.Errorf("%s (-%s): %w", s.env, s.flag, err)
		}
	}
	switch *in.fallback {
	case limitsLocal, limitsClosed:
		c.LimitFallback = *in.fallback
	default:
		return fmt.Errorf("PARLEY_LIMIT_FALLBACK (-limit-fallback) %q: use %s or %s", *in.fallback, limitsLocal, limitsClosed)
	}
	return nil
}
