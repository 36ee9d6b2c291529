package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// readyTimeout bounds each readiness check, so a hung backend makes /readyz
// answer 503 quickly instead of hanging the prober.
const readyTimeout = 2 * time.Second

type healthResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

// healthz: GET /healthz -> 200 while the process serves HTTP.
func (s *Server) healthz(c *fiber.Ctx) error {
	return writeJSON(c, fiber.StatusOK, healthResponse{Status: "ok"})
}

// readyz: GET /readyz -> 200 when the store, the shared state and the actor
// node all answer, else 503 naming what failed. Failures are logged at Warn
// with their cause; the response says only "unavailable".
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	checks := map[string]string{"store": "ok", "shared": "ok", "node": "ok"}
	ok := true
	fail := func(part string, err error) {
		ok = false
		checks[part] = "unavailable"
		s.log.WarnContext(ctx, "not ready", "part", part, "err", err)
	}
	if err := s.store.Ping(ctx); err != nil {
		fail("store", err)
	}
	if err := s.shared.Ping(ctx); err != nil {
		fail("shared", err)
	}
	if !s.node.Ready() {
		fail("node", errNodeNotReady)
	}
	if !ok {
		return writeJSON(c, fiber.StatusServiceUnavailable, healthResponse{Status: "unavailable", Checks: checks})
	}
	return writeJSON(c, fiber.StatusOK, healthResponse{Status: "ok", Checks: checks})
}
