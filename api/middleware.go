package api

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
)

// localKey types the keys this package stores in fiber.Ctx.Locals.
type localKey int

const (
	requestIDKey localKey = iota // string: the request id
	userKey                      // string: the authenticated user, for the access log
)

// headerRequestID carries the request id in both directions.
const headerRequestID = "X-Request-ID"

// requestID returns the id middleware assigned to the request ("" for
// requests rejected before routing, such as 413 and 431).
func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}

// observe assigns the request id, writes one access log record per request and
// answers errors through handleError, so the record carries the final status.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	id := strings.Clone(c.Get(headerRequestID))
	if !parley.ValidID(id) { // ids from clients are logged, so only safe ones are kept
		id = parley.NewID()
	}
	c.Locals(requestIDKey, id)
	c.Set(headerRequestID, id)
	setSecurityHeaders(c)
	if err := c.Next(); err != nil {
		if herr := s.handleError(c, err); herr != nil {
			return herr
		}
	}
	s.logAccess(c, id, start)
	return nil
}

func (s *Server) logAccess(c *fiber.Ctx, id string, start time.Time) {
	status := c.Response().StatusCode()
	level := slog.LevelInfo
	switch path := c.Path(); {
	case path == "/healthz" || path == "/readyz":
		level = slog.LevelDebug
	case status >= 500:
		level = slog.LevelWarn
	}
	if !s.log.Enabled(c.UserContext(), level) {
		return
	}
	user, _ := c.Locals(userKey).(string)
	s.log.LogAttrs(c.UserContext(), level, "request",
		slog.String("request_id", id),
		slog.String("method", strings.Clone(c.Method())),
		slog.String("path", strings.Clone(c.Path())), // a handler may keep the record
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
		slog.Int("bytes", len(c.Response().Body())),
		slog.String("ip", c.IP()),
		slog.String("user", user),
	)
}

// recoverPanic turns a panic in a handler into a 500. The panic value and stack
// are logged; the client sees only "internal error".
func (s *Server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.LogAttrs(c.UserContext(), slog.LevelError, "handler panicked",
				slog.String("request_id", requestID(c)), slog.String("path", strings.Clone(c.Path())),
				slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("api: panic in handler: %w", parley.ErrInternal)
		}
	}()
	return c.Next()
}

// withTimeout bounds the work of one API request: handlers pass
// c.UserContext() to the store and the rooms, and it ends with the request.
func (s *Server) withTimeout(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// contentSecurityPolicy is the CSP of every response. The server sends JSON
// only (there is no embedded web client yet), so a response rendered as a
// document may load nothing, run nothing and be framed by nobody.
const contentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// setSecurityHeaders sets the headers every response carries. Responses are
// JSON and never HTML, so browsers must not sniff them into anything else, and
// they hold personal data and tokens, so nothing caches them, and other sites
// may not embed them (CORP; CORS reads by allowed origins are unaffected).
func setSecurityHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
	c.Set(fiber.HeaderCrossOriginResourcePolicy, "same-origin")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderCacheControl, "no-store")
}
