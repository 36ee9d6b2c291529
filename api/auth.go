package api

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// Cookies. The access cookie goes to every path (REST and the WebSocket
// handshake); the refresh cookie only to /api/auth, so it travels with
// refresh and logout requests and nothing else. Both are HttpOnly and
// SameSite=Lax, and Secure outside DevMode.
const (
	cookieAccess  = "parley_access"
	cookieRefresh = "parley_refresh"
	refreshPath   = "/api/auth"
)

// authedHandler is a handler that runs only for an authenticated principal.
type authedHandler func(c *fiber.Ctx, p parley.Principal) error

// authed wraps h so it runs only with a valid access token; otherwise the
// request gets 401.
func (s *Server) authed(h authedHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		c.Locals(userKey, string(p.User))
		return h(c, p)
	}
}

// authenticate returns the principal of the request's access token, taken from
// "Authorization: Bearer" or, when that header is absent, the access cookie.
// A token whose login session was logged out (revoked family) is refused. A
// cookie-authenticated request that changes state must come from this site.
func (s *Server) authenticate(c *fiber.Ctx) (parley.Principal, error) {
	raw, fromCookie, err := accessToken(c)
	if err != nil {
		return parley.Principal{}, err
	}
	cl, err := s.tokens.parse(raw, typAccess)
	if err != nil {
		return parley.Principal{}, err
	}
	if cl.Family != "" {
		revoked, err := s.shared.IsRevoked(c.UserContext(), cl.Family)
		if err != nil {
			return parley.Principal{}, fmt.Errorf("api: check revocation: %w", err)
		}
		if revoked {
			return parley.Principal{}, parley.ErrUnauthorized
		}
	}
	if fromCookie && !isSafeMethod(c.Method()) {
		if err := checkSameOrigin(c); err != nil {
			return parley.Principal{}, err
		}
	}
	return cl.principal(), nil
}

// accessToken returns the raw access token (a copy) and whether it came from
// the cookie. An Authorization header that is not a Bearer token is a 401,
// never a fallback to the cookie.
func accessToken(c *fiber.Ctx) (raw string, fromCookie bool, err error) {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", false, parley.ErrUnauthorized
		}
		return strings.Clone(strings.TrimSpace(tok)), false, nil
	}
	if tok := c.Cookies(cookieAccess); tok != "" {
		return strings.Clone(tok), true, nil
	}
	return "", false, parley.ErrUnauthorized
}

func isSafeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// checkSameOrigin refuses cross-site requests that would ride on cookies
// (CSRF). Browsers send Sec-Fetch-Site and, on unsafe requests, Origin; when
// Origin is absent a foreign Referer is refused too. Clients without either
// header (curl, services) send no ambient cookies to protect.
func checkSameOrigin(c *fiber.Ctx) error {
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return parley.ErrForbidden
	}
	source := c.Get(fiber.HeaderOrigin)
	if source == "" {
		source = c.Get(fiber.HeaderReferer)
	}
	if source == "" {
		return nil
	}
	u, err := url.Parse(source)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, string(c.Request().Host())) {
		return parley.ErrForbidden
	}
	return nil
}

// setAuthCookies sets the access and refresh cookies of a login session.
func (s *Server) setAuthCookies(c *fiber.Ctx, access, refresh string) {
	c.Cookie(s.cookie(cookieAccess, "/", access, s.cfg.AccessTTL))
	c.Cookie(s.cookie(cookieRefresh, refreshPath, refresh, s.cfg.RefreshTTL))
}

// clearAuthCookies expires both cookies.
func (s *Server) clearAuthCookies(c *fiber.Ctx) {
	for _, ck := range []*fiber.Cookie{s.cookie(cookieAccess, "/", "", 0), s.cookie(cookieRefresh, refreshPath, "", 0)} {
		ck.Expires = time.Unix(1, 0)
		c.Cookie(ck)
	}
}

func (s *Server) cookie(name, path, value string, ttl time.Duration) *fiber.Cookie {
	return &fiber.Cookie{
		Name: name, Value: value, Path: path, MaxAge: int(ttl / time.Second),
		Secure: s.cfg.secureCookies(), HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
	}
}

// allow counts one event against key under l. A spent limit is a
// *limitError (429 with Retry-After). If the shared store is down the call
// fails with parley.ErrUnavailable (503): limits fail closed, never open.
func (s *Server) allow(ctx context.Context, key string, l Limit) error {
	d, err := s.shared.Allow(ctx, key, persistence.Limit{Count: l.Count, Window: l.Window})
	if err != nil {
		return fmt.Errorf("api: rate limit %s: %w", key, err)
	}
	if !d.Allowed {
		return &limitError{retryAfter: d.RetryAfter}
	}
	return nil
}

// limitError is a spent rate limit: parley.ErrRateLimited with the time until
// a request may pass, which handleError sends as Retry-After.
type limitError struct{ retryAfter time.Duration }

func (e *limitError) Error() string { return parley.ErrRateLimited.Error() }

// Unwrap makes the error classify as parley.ErrRateLimited.
func (e *limitError) Unwrap() error { return parley.ErrRateLimited }

// seconds returns Retry-After: whole seconds, at least 1.
func (e *limitError) seconds() string {
	return strconv.Itoa(max(1, int((e.retryAfter+time.Second-1)/time.Second)))
}
