package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
)

// firebaseJWKSURL is where Firebase Authentication publishes the keys of its
// ID tokens.
const firebaseJWKSURL = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"

// usernameAttempts bounds how many usernames a first sign-in tries before
// giving up on a crowd of namesakes.
const usernameAttempts = 4

// IdentityConfig configures sign-in with ID tokens of an external identity
// provider (OpenID Connect, Firebase), verified against the provider's JSON
// Web Key Set. The zero value accepts only Parley's own tokens.
type IdentityConfig struct {
	// JWKSURL is the provider's key set. Zero disables external tokens.
	JWKSURL string
	// Issuer is the "iss" every token must carry; required with JWKSURL.
	Issuer string
	// Audience is the "aud" every token must carry (the client or project
	// id); required with JWKSURL.
	Audience string
	// RefreshInterval is how often the key set is fetched again, so that
	// removed keys stop working. Zero means 1h.
	RefreshInterval time.Duration
	// RefreshCooldown spaces the extra fetches a token with an unknown kid
	// causes (the provider rotated its keys): at most one per cooldown, so
	// made-up kids cannot turn the server against the provider. A new key is
	// therefore usable within the cooldown at worst. Zero means 1m.
	RefreshCooldown time.Duration
	// HTTPTimeout bounds one fetch of the key set. Zero means 5s.
	HTTPTimeout time.Duration
}

// FirebaseIdentity returns the settings for the ID tokens of Firebase
// project projectID: issuer https://securetoken.google.com/<id>, audience
// <id>, and Google's securetoken key set.
func FirebaseIdentity(projectID string) IdentityConfig {
	return IdentityConfig{
		JWKSURL:  firebaseJWKSURL,
		Issuer:   "https://securetoken.google.com/" + projectID,
		Audience: projectID,
	}
}

// Enabled reports whether external tokens are accepted.
func (c IdentityConfig) Enabled() bool { return c.JWKSURL != "" }

func (c IdentityConfig) withDefaults() IdentityConfig {
	for _, d := range []struct {
		v *time.Duration
		d time.Duration
	}{{&c.RefreshInterval, time.Hour}, {&c.RefreshCooldown, time.Minute}, {&c.HTTPTimeout, 5 * time.Second}} {
		if *d.v <= 0 {
			*d.v = d.d
		}
	}
	return c
}

// Check reports settings that cannot work: a key set URL that is not an
// absolute http(s) URL, one without issuer and audience, or those without it.
func (c IdentityConfig) Check() error {
	if !c.Enabled() {
		if c.Issuer != "" || c.Audience != "" {
			return errors.New("an issuer or audience needs the jwks url of its keys")
		}
		return nil
	}
	u, err := url.Parse(c.JWKSURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("jwks url %q: want an absolute https URL", c.JWKSURL)
	}
	if c.Issuer == "" || c.Audience == "" {
		return errors.New("a jwks url needs the issuer and audience its tokens must carry")
	}
	return nil
}

// credential is what a request or WebSocket proved when it authenticated:
// its principal, until when, and the login session it belongs to.
type credential struct {
	parley.Principal
	Expires time.Time // the token's exp; the WebSocket closes then
	Family  string    // the refresh family (login session); "" for minted and external tokens
}

// signInExternal verifies an external ID token and returns the credential of
// its user, creating the account on first sign-in (see externalUser).
func (s *Server) signInExternal(c *fiber.Ctx, raw string) (credential, error) {
	if s.external == nil {
		return credential{}, parley.ErrUnauthorized
	}
	cl, err := s.external.verify(c.UserContext(), raw)
	if err != nil {
		return credential{}, err
	}
	u, err := s.externalUser(c, cl)
	if err != nil {
		return credential{}, err
	}
	return credential{Principal: parley.Principal{User: u.ID, Admin: u.IsAdmin}, Expires: cl.ExpiresAt.Time}, nil
}

// externalUser returns the account linked to the token's issuer and
// subject, creating it on first sign-in. Accounts are linked by that pair
// only, never by e-mail address: an address proves nothing about who holds
// an existing Parley account.
func (s *Server) externalUser(c *fiber.Ctx, cl *externalClaims) (parley.User, error) {
	ctx := c.UserContext()
	ext := cl.Issuer + "|" + cl.Subject
	u, err := s.linkedUser(ctx, ext)
	if !errors.Is(err, parley.ErrUserNotFound) {
		return u, err
	}
	if err := s.allow(ctx, "register:ip:"+c.IP(), s.cfg.LoginLimit); err != nil {
		return parley.User{}, err
	}
	return s.createExternalUser(ctx, ext, cl)
}

// linkedUser returns the live user linked to ext. A deleted account is
// parley.ErrUnauthorized: it does not come back by signing in again.
func (s *Server) linkedUser(ctx context.Context, ext string) (parley.User, error) {
	u, err := s.store.UserByExternalID(ctx, ext)
	switch {
	case errors.Is(err, parley.ErrUserNotFound):
		return parley.User{}, err
	case err != nil:
		return parley.User{}, fmt.Errorf("api: user by external id: %w", err)
	case !u.DeletedAt.IsZero():
		return parley.User{}, parley.ErrUnauthorized
	}
	return u, nil
}

// createExternalUser creates the account of a first sign-in, trying a few
// usernames. A taken one may mean a concurrent first sign-in of the same
// identity won the race; then that account is the answer.
func (s *Server) createExternalUser(ctx context.Context, ext string, cl *externalClaims) (parley.User, error) {
	display, err := parley.CleanDisplayName(cl.Name)
	if err != nil {
		display = ""
	}
	for _, name := range usernameCandidates(ext, cl.Email) {
		u := parley.User{
			ID: parley.UserID(parley.NewID()), Username: name, DisplayName: display,
			ExternalID: ext, CreatedAt: s.now(),
		}
		if u.DisplayName == "" {
			u.DisplayName = name
		}
		err := s.store.CreateUser(ctx, u)
		if err == nil {
			s.log.InfoContext(ctx, "external user created", slog.String("user", string(u.ID)), slog.String("username", name))
			return u, nil
		}
		if !errors.Is(err, parley.ErrUsernameTaken) {
			return parley.User{}, fmt.Errorf("api: create external user: %w", err)
		}
		if u, err := s.linkedUser(ctx, ext); !errors.Is(err, parley.ErrUserNotFound) {
			return u, err
		}
	}
	return parley.User{}, fmt.Errorf("api: create external user: no free username: %w", parley.ErrUnavailable)
}

// usernameCandidates returns usernames to try for a new external account:
// the e-mail's local part folded to [a-z0-9_.-], then that with a suffix
// derived from the identity, then "u" and a longer one, then a random one.
func usernameCandidates(ext, email string) []string {
	sum := sha256.Sum256([]byte(ext))
	tag := hex.EncodeToString(sum[:])
	out := make([]string, 0, usernameAttempts)
	if base := usernameBase(email); base != "" {
		out = append(out, base, base+"-"+tag[:6])
	}
	out = append(out, "u"+tag[:12], "u"+strings.ToLower(parley.NewID()[:16]))
	return out[:min(len(out), usernameAttempts)]
}

// usernameBase returns the local part of email (without a +tag) reduced to
// what a username may hold, at most 24 characters, or "" if that leaves
// fewer than 3.
func usernameBase(email string) string {
	local, _, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	local, _, _ = strings.Cut(local, "+")
	var b strings.Builder
	for _, r := range strings.ToLower(local) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
			b.WriteRune(r)
		}
		if b.Len() == 24 {
			break
		}
	}
	if parley.CheckUsername(b.String()) != nil {
		return ""
	}
	return b.String()
}

// startIdentity sets up the verifier of external tokens when configured; its
// key set refresher runs until Shutdown.
func (s *Server) startIdentity() error {
	s.stopKeys = func() {}
	cfg := s.cfg.Identity
	if err := cfg.Check(); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if !cfg.Enabled() {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background()) // the refresher outlives any request
	v, err := newExternalVerifier(ctx, cfg, s.cfg.TokenLeeway, s.now, s.log)
	if err != nil {
		cancel()
		return err
	}
	s.external, s.stopKeys = v, cancel
	return nil
}
