package api

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
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
// request gets 401. The credential stays in the request's Locals for
// handlers that need more than the principal (credentialOf).
func (s *Server) authed(h authedHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cred, err := s.identify(c)
		if err != nil {
			return err
		}
		c.Locals(userKey, string(cred.User))
		c.Locals(localCredential, cred)
		return h(c, cred.Principal)
	}
}

// credentialOf returns the credential authed stored for this request.
func credentialOf(c *fiber.Ctx) credential {
	cred, _ := c.Locals(localCredential).(credential)
	return cred
}

// authenticate returns the principal of the request's access token (see identify).
func (s *Server) authenticate(c *fiber.Ctx) (parley.Principal, error) {
	cred, err := s.identify(c)
	if err != nil {
		return parley.Principal{}, err
	}
	return cred.Principal, nil
}

// identify returns the credential of the request's access token, taken from
// "Authorization: Bearer" or, when that header is absent, the access cookie:
// one of Parley's HS256 tokens or, when configured, an external ID token
// (RS256, ES256). A token of a logged out session (revoked family) or of a
// user banned from the platform is refused. A cookie-authenticated request
// that changes state must come from this site.
func (s *Server) identify(c *fiber.Ctx) (credential, error) {
	raw, fromCookie, err := accessToken(c)
	if err != nil {
		return credential{}, err
	}
	cred, err := s.verifyAccess(c, raw)
	if err != nil {
		return credential{}, err
	}
	if err := s.checkRevoked(c.UserContext(), cred); err != nil {
		return credential{}, err
	}
	if fromCookie && !isSafeMethod(c.Method()) {
		if err := checkSameOrigin(c); err != nil {
			return credential{}, err
		}
	}
	return cred, nil
}

// verifyAccess verifies an access token with the verifier its header names.
// Each verifier pins its own algorithms, so the choice only saves work: an
// RS256 or ES256 token never reaches the HMAC check, and an HS256 token never
// reaches a public key.
func (s *Server) verifyAccess(c *fiber.Ctx, raw string) (credential, error) {
	switch tokenAlg(raw) {
	case jwt.SigningMethodHS256.Alg():
		cl, err := s.tokens.parse(raw, typAccess)
		if err != nil {
			return credential{}, err
		}
		return cl.credential(), nil
	case jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg():
		return s.signInExternal(c, raw)
	}
	return credential{}, parley.ErrUnauthorized
}

// checkRevoked refuses a credential whose login session was revoked (logout,
// refresh token replay) or whose user is banned from the platform.
func (s *Server) checkRevoked(ctx context.Context, cred credential) error {
	code, err := s.revokedBy(ctx, cred)
	if err != nil {
		return err
	}
	if code != 0 {
		return parley.ErrUnauthorized
	}
	return nil
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

// wsCredential authenticates a WebSocket handshake: a one-time ?ticket=, or
// an access token (see identify). A ticket's socket inherits the expiry and
// session of the token that asked for the ticket.
func (s *Server) wsCredential(c *fiber.Ctx) (credential, error) {
	ticket := c.Query("ticket")
	if ticket == "" {
		return s.identify(c)
	}
	ticket = strings.Clone(ticket)
	p, err := s.shared.RedeemTicket(c.UserContext(), ticket)
	if err != nil {
		return credential{}, err
	}
	cred := ticketCredential(ticket, p, s.now().Add(s.cfg.AccessTTL))
	if err := s.checkRevoked(c.UserContext(), cred); err != nil {
		return credential{}, err
	}
	return cred, nil
}
