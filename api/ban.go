package api

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
)

// banTTL is how long a platform ban lasts: until it is lifted, in practice.
// Bans live in the shared store with the other revocations: with the
// in-process store (a single node without Redis) a restart lifts them.
const banTTL = 100 * 365 * 24 * time.Hour

// routesAdmin registers the platform admin routes under /api.
func (s *Server) routesAdmin(api fiber.Router) {
	admin := api.Group("/admin")
	admin.Post("/users/:user/ban", s.authed(s.banUser))
	admin.Post("/users/:user/unban", s.authed(s.unbanUser))
}

// banUser bans a user from the platform: POST /api/admin/users/{id}/ban
// {reason?} -> 204 (platform admins only). Every token of the user stops
// working, refresh and login included, and the user's WebSockets on every
// node close with 4503 within a poll of the revocation feed.
func (s *Server) banUser(c *fiber.Ctx, p parley.Principal) error {
	target, reason, err := s.banTarget(c, p)
	if err != nil {
		return err
	}
	if target == p.User {
		return parley.Invalid("user", "platform admins cannot ban themselves")
	}
	if err := s.revoke(c.UserContext(), userRevocationKey(target), banTTL); err != nil {
		return fmt.Errorf("api: ban %s: %w", target, err)
	}
	s.audit(c, "platform ban", p, target, reason)
	return c.SendStatus(fiber.StatusNoContent)
}

// unbanUser lifts a platform ban: POST /api/admin/users/{id}/unban
// {reason?} -> 204 (platform admins only). Tokens issued before the ban
// work again until they expire.
func (s *Server) unbanUser(c *fiber.Ctx, p parley.Principal) error {
	target, reason, err := s.banTarget(c, p)
	if err != nil {
		return err
	}
	if err := s.shared.Unrevoke(c.UserContext(), userRevocationKey(target)); err != nil {
		return fmt.Errorf("api: unban %s: %w", target, err)
	}
	s.audit(c, "platform unban", p, target, reason)
	return c.SendStatus(fiber.StatusNoContent)
}

// banTarget checks that p is a platform admin and returns the existing user
// the path names, and the audit reason.
func (s *Server) banTarget(c *fiber.Ctx, p parley.Principal) (parley.UserID, string, error) {
	if !p.Admin {
		return "", "", parley.ErrForbidden
	}
	target := parley.UserID(strings.Clone(c.Params("user")))
	if !parley.ValidID(string(target)) {
		return "", "", parley.ErrUserNotFound
	}
	if _, err := s.store.UserByID(c.UserContext(), target); err != nil {
		if errors.Is(err, parley.ErrUserNotFound) {
			return "", "", parley.ErrUserNotFound
		}
		return "", "", fmt.Errorf("api: ban target %s: %w", target, err)
	}
	reason, err := bodyReason(c)
	if err != nil {
		return "", "", err
	}
	return target, reason, nil
}

// audit records a platform admin action in the log: who, whom, why.
func (s *Server) audit(c *fiber.Ctx, action string, actor parley.Principal, target parley.UserID, reason string) {
	s.log.LogAttrs(c.UserContext(), slog.LevelInfo, action,
		slog.String("actor", string(actor.User)), slog.String("target", string(target)),
		slog.String("reason", reason), slog.String("ip", c.IP()))
}
