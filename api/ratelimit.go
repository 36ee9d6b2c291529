package api

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
)

// Rate limits per action. Each limited request counts one event against the
// action's limit for its user and, separately, for its client IP (c.IP(),
// which honours Config.TrustedProxies), in the shared limiter, so that every
// node of a deployment counts together. What happens while the shared
// limiter is down is the limiter's policy, chosen by cmd/parleyd: fall back
// to node-local limits (the default) or fail closed with 503. Limits are
// never lifted.
//
// Limiter keys are "<scope>:<action>:<id>", scope "user" or "ip". Login
// attempts per username are counted where the name is known (login).

// action is a rate-limited operation; its name is part of the limiter keys.
type action string

const (
	actSend     action = "send"     // a message, over REST or WebSocket
	actRoom     action = "room"     // creating a room
	actJoin     action = "join"     // joining a room
	actLogin    action = "login"    // a login attempt
	actRegister action = "register" // a registration
)

// limitsOf returns a's limit per user and per client IP. A zero Count means
// the action has no limit in that scope.
func (c Config) limitsOf(a action) (perUser, perIP Limit) {
	switch a {
	case actSend:
		return c.SendLimit, c.SendIPLimit
	case actRoom:
		return c.RoomLimit, c.RoomIPLimit
	case actJoin:
		return c.JoinLimit, c.JoinIPLimit
	case actLogin:
		return Limit{}, c.LoginIPLimit
	case actRegister:
		return Limit{}, c.RegisterLimit
	}
	return Limit{}, Limit{}
}

// limit counts one event of a for user (skipped when empty) and for ip. A
// spent limit is a *limitError (429 with Retry-After). The user is counted
// first, so a user over their own limit spends nothing of their address's.
func (s *Server) limit(ctx context.Context, a action, user parley.UserID, ip string) error {
	perUser, perIP := s.cfg.limitsOf(a)
	if user != "" && perUser.Count > 0 {
		if err := s.allow(ctx, "user:"+string(a)+":"+string(user), perUser); err != nil {
			return err
		}
	}
	if perIP.Count > 0 {
		return s.allow(ctx, "ip:"+string(a)+":"+ip, perIP)
	}
	return nil
}

// limitIP is middleware that counts each request against a's per-IP limit
// before the handler reads the body: for routes without a user yet (login,
// registration).
func (s *Server) limitIP(a action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.limit(c.UserContext(), a, "", c.IP()); err != nil {
			return err
		}
		return c.Next()
	}
}

// limited wraps h so each call first counts against a's limits for the
// caller and the caller's IP.
func (s *Server) limited(a action, h authedHandler) authedHandler {
	return func(c *fiber.Ctx, p parley.Principal) error {
		if err := s.limit(c.UserContext(), a, p.User, c.IP()); err != nil {
			return err
		}
		return h(c, p)
	}
}

// Bounds of a Limit's text form: a window of at least a second (Retry-After
// has whole seconds) and at most a day; a count that fits any limiter.
const (
	minLimitWindow = time.Second
	maxLimitWindow = 24 * time.Hour
	maxLimitCount  = 1_000_000_000
)

// orDefault returns l, or def when l.Count is zero or less; a missing Window
// is a minute.
func (l Limit) orDefault(def Limit) Limit {
	if l.Count <= 0 {
		l = def
	}
	if l.Window <= 0 {
		l.Window = time.Minute
	}
	return l
}

// String returns the text form "count/window", e.g. "600/1m"; "" for the
// zero Limit.
func (l Limit) String() string {
	if l == (Limit{}) {
		return ""
	}
	return strconv.Itoa(l.Count) + "/" + formatWindow(l.Window)
}

// MarshalText returns String.
func (l Limit) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses "count/window": a positive decimal count and a Go
// duration of 1s to 24h ("600/1m", "5/30s", "100/1h"). Anything else, signs,
// spaces and fractions of a count included, is an error that says so.
func (l *Limit) UnmarshalText(text []byte) error {
	count, window, ok := strings.Cut(string(text), "/")
	if !ok {
		return fmt.Errorf("limit %q: want count/window, e.g. 600/1m", text)
	}
	n, err := parseCount(count)
	if err != nil {
		return fmt.Errorf("limit %q: %w", text, err)
	}
	w, err := parseWindow(window)
	if err != nil {
		return fmt.Errorf("limit %q: %w", text, err)
	}
	*l = Limit{Count: n, Window: w}
	return nil
}

func parseCount(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("count must be a whole number")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimitCount {
		return 0, fmt.Errorf("count must be 1 to %d", maxLimitCount)
	}
	return n, nil
}

func parseWindow(s string) (time.Duration, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, errors.New("window must be a duration such as 1m, 30s or 1h")
	}
	w, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("window must be a duration such as 1m, 30s or 1h")
	}
	if w < minLimitWindow || w > maxLimitWindow {
		return 0, fmt.Errorf("window must be %v to %v", minLimitWindow, maxLimitWindow)
	}
	return w, nil
}

// formatWindow writes whole hours, minutes and seconds without the zero
// units time.Duration.String adds ("1m", not "1m0s").
func formatWindow(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}
