package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/persistence"
)

// tokenResponse answers login and refresh. The refresh token is in the body
// too, for clients that keep no cookies (mobile apps, the command line).
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
}

// register creates an account: POST /api/auth/register -> 201 user.
func (s *Server) register(c *fiber.Ctx) error {
	var b registerBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := s.allow(c.UserContext(), "register:ip:"+c.IP(), s.cfg.LoginLimit); err != nil {
		return err
	}
	u, err := newUser(b)
	if err != nil {
		return err
	}
	u.PasswordHash = hashPassword(b.Password, s.cfg.Password)
	u.CreatedAt = s.now()
	if err := s.store.CreateUser(c.UserContext(), u); err != nil {
		return fmt.Errorf("api: register %s: %w", u.Username, err)
	}
	return writeJSON(c, fiber.StatusCreated, wsproto.UserFrom(u))
}

// newUser validates a registration. Usernames are folded to lower case, so
// "Alice" and "alice" are one account.
func newUser(b registerBody) (parley.User, error) {
	name := strings.ToLower(b.Username)
	if err := parley.CheckUsername(name); err != nil {
		return parley.User{}, err
	}
	if err := parley.CheckPassword(b.Password); err != nil {
		return parley.User{}, err
	}
	display, err := parley.CleanDisplayName(b.DisplayName)
	if err != nil {
		return parley.User{}, err
	}
	if display == "" {
		display = name
	}
	return parley.User{ID: parley.UserID(parley.NewID()), Username: name, DisplayName: display}, nil
}

// login checks a password and starts a login session (a refresh family):
// POST /api/auth/login -> tokens in the body and in cookies. An unknown user
// costs the same password hash as a wrong password and gets the same answer,
// so neither timing nor errors reveal which usernames exist.
func (s *Server) login(c *fiber.Ctx) error {
	var b loginBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	name := strings.ToLower(b.Username)
	if err := s.allow(c.UserContext(), "login:ip:"+c.IP(), s.cfg.LoginLimit); err != nil {
		return err
	}
	if parley.CheckUsername(name) == nil {
		if err := s.allow(c.UserContext(), "login:user:"+name, s.cfg.LoginLimit); err != nil {
			return err
		}
	}
	u, err := s.checkPassword(c.UserContext(), name, b.Password)
	if err != nil {
		return err
	}
	if banned, err := s.shared.IsRevoked(c.UserContext(), userRevocationKey(u.ID)); err != nil {
		return fmt.Errorf("api: check ban of %s: %w", u.ID, err)
	} else if banned { // the password was right: saying so reveals nothing new
		return parley.ErrForbidden
	}
	return s.startSession(c, parley.Principal{User: u.ID, Admin: u.IsAdmin}, parley.NewID())
}

func (s *Server) checkPassword(ctx context.Context, name, password string) (parley.User, error) {
	u, err := s.store.UserByUsername(ctx, name)
	if err != nil && !errors.Is(err, parley.ErrUserNotFound) {
		return parley.User{}, fmt.Errorf("api: login %s: %w", name, err)
	}
	hash := u.PasswordHash
	usable := err == nil && hash != "" && u.DeletedAt.IsZero() && len(password) <= parley.MaxPassword
	if !usable {
		hash = s.dummyHash
	}
	ok, verr := verifyPassword(password, hash)
	if verr != nil {
		return parley.User{}, fmt.Errorf("api: login %s: %w: %w", name, parley.ErrInternal, verr)
	}
	if !ok || !usable {
		return parley.User{}, parley.ErrBadCredentials
	}
	return u, nil
}

// startSession mints tokens of family for p and answers with them.
func (s *Server) startSession(c *fiber.Ctx, p parley.Principal, family string) error {
	access, refresh, err := s.tokens.pair(p, family, s.cfg.AccessTTL, s.cfg.RefreshTTL)
	if err != nil {
		return err
	}
	s.setAuthCookies(c, access, refresh)
	return writeJSON(c, fiber.StatusOK, tokenResponse{
		AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTTL / time.Second),
		RefreshToken: refresh, RefreshExpiresIn: int(s.cfg.RefreshTTL / time.Second),
	})
}

// refresh rotates a refresh token: POST /api/auth/refresh with the refresh
// cookie or {"refresh_token"}. Each refresh token works once; presenting a
// used one again means it was stolen, so the whole family is revoked and both
// the thief and the owner must log in again.
func (s *Server) refresh(c *fiber.Ctx) error {
	raw, err := refreshToken(c)
	if err != nil {
		return err
	}
	cl, err := s.tokens.parse(raw, typRefresh)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := s.checkRevoked(ctx, cl.credential()); err != nil { // logged out, replayed or banned
		return err
	}
	ttl := cl.ExpiresAt.Time.Sub(s.now()) + s.tokens.skew()
	first, err := s.shared.UseRefresh(ctx, cl.Family, cl.ID, ttl)
	if err != nil {
		return fmt.Errorf("api: use refresh token: %w", err)
	}
	if !first {
		if err := s.revoke(ctx, cl.Family, s.cfg.RefreshTTL); err != nil {
			return fmt.Errorf("api: revoke family after replay: %w", err)
		}
		s.log.WarnContext(ctx, "refresh token replayed: session revoked",
			slog.String("user", cl.Subject), slog.String("family", cl.Family))
		s.clearAuthCookies(c)
		return parley.ErrUnauthorized
	}
	u, err := s.store.UserByID(ctx, parley.UserID(cl.Subject))
	if errors.Is(err, parley.ErrUserNotFound) || err == nil && !u.DeletedAt.IsZero() {
		return parley.ErrUnauthorized
	} else if err != nil {
		return fmt.Errorf("api: refresh for %s: %w", cl.Subject, err)
	}
	return s.startSession(c, parley.Principal{User: u.ID, Admin: u.IsAdmin}, cl.Family)
}

// refreshToken returns the refresh token from the JSON body or the cookie.
func refreshToken(c *fiber.Ctx) (string, error) {
	var b refreshBody
	if err := decodeOptionalJSON(c, &b); err != nil {
		return "", err
	}
	if b.RefreshToken != "" {
		return b.RefreshToken, nil
	}
	tok := strings.Clone(c.Cookies(cookieRefresh))
	if tok == "" {
		return "", parley.ErrUnauthorized
	}
	if err := checkSameOrigin(c); err != nil {
		return "", err
	}
	return tok, nil
}

// logout ends the login session of the presented tokens: POST
// /api/auth/logout revokes the refresh family (access tokens of the family
// stop working too, and its WebSockets on every node close with 4501) and
// clears the cookies. It answers 204 even when no valid token came with it,
// so it is safe to repeat. An external ID token has no session here to end:
// it stays valid until its exp, unless the user is banned.
func (s *Server) logout(c *fiber.Ctx) error {
	var families []string
	if raw, err := refreshToken(c); err == nil {
		if cl, err := s.tokens.parse(raw, typRefresh); err == nil {
			families = append(families, cl.Family)
		}
	} else if !errors.Is(err, parley.ErrUnauthorized) {
		return err
	}
	if raw, _, err := accessToken(c); err == nil { // no access token is fine: the refresh token may do
		if cl, err := s.tokens.parse(raw, typAccess); err == nil && cl.Family != "" {
			families = append(families, cl.Family)
		}
	}
	for _, f := range families {
		if err := s.revoke(c.UserContext(), f, s.cfg.RefreshTTL); err != nil {
			return fmt.Errorf("api: logout: %w", err)
		}
	}
	s.clearAuthCookies(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// me returns the caller's account: GET /api/auth/me.
func (s *Server) me(c *fiber.Ctx, p parley.Principal) error {
	u, err := s.store.UserByID(c.UserContext(), p.User)
	if err != nil {
		return fmt.Errorf("api: me %s: %w", p.User, err)
	}
	out := wsproto.UserFrom(u)
	out.IsAdmin = out.IsAdmin || p.Admin
	return writeJSON(c, fiber.StatusOK, out)
}

// HashPassword returns the argon2id hash of password with p's parameters (zero
// fields mean the defaults), in the format the server verifies.
func HashPassword(password string, p PasswordParams) string {
	return hashPassword(password, p.withDefaults())
}

// EnsureAdmin creates a platform admin with username and password unless a
// user with that username exists (which is left as it is). It reports whether
// it created one.
func EnsureAdmin(ctx context.Context, store persistence.UserStore, username, password string, now time.Time) (bool, error) {
	u, err := newUser(registerBody{Username: username, Password: password})
	if err != nil {
		return false, fmt.Errorf("api: admin account: %w", err)
	}
	if _, err := store.UserByUsername(ctx, u.Username); err == nil {
		return false, nil
	} else if !errors.Is(err, parley.ErrUserNotFound) {
		return false, fmt.Errorf("api: look up admin %s: %w", u.Username, err)
	}
	u.IsAdmin, u.CreatedAt = true, now
	u.PasswordHash = HashPassword(password, PasswordParams{})
	if err := store.CreateUser(ctx, u); err != nil {
		return false, fmt.Errorf("api: create admin %s: %w", u.Username, err)
	}
	return true, nil
}
