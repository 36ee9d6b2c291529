package api

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/cluster/chatpb"
)

// ticketTTL is how long a one-time WebSocket ticket stays valid.
const ticketTTL = 30 * time.Second

// presenceTTL is how long one heartbeat keeps a connection present: three
// pings, so a crashed node's users go offline within about 75 s.
func (s *Server) presenceTTL() time.Duration { return 3 * s.cfg.WS.PingInterval }

// issueTicket answers POST /api/chat/ws-ticket: a secret usable once, within
// 30 s, on any node, as /ws?ticket=, for clients that cannot send cookies or
// headers with the upgrade.
func (s *Server) issueTicket(c *fiber.Ctx, p parley.Principal) error {
	ticket := newTicket(credentialOf(c)) // 256 random bits, and the token's expiry and session
	if err := s.shared.IssueTicket(c.UserContext(), ticket, p, ticketTTL); err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusCreated, map[string]any{
		"ticket": ticket, "expires_in": int(ticketTTL / time.Second),
	})
}

// presence answers GET /api/chat/rooms/{id}/presence/: the members online now.
func (s *Server) presence(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	if _, err := s.rooms.Access(c.UserContext(), id, p, parley.ActRead); err != nil {
		return err
	}
	users, err := s.shared.Online(c.UserContext(), id)
	if err != nil {
		return err
	}
	online := make([]string, len(users))
	for i, u := range users {
		online[i] = string(u)
	}
	return writeJSON(c, fiber.StatusOK, map[string]any{"room": string(id), "online": online})
}

// arrive marks the connection present in room and tells the room's watchers.
// Presence is best effort: a failure is logged, never the client's problem.
func (c *wsConn) arrive(ctx context.Context, room parley.RoomID) {
	if err := c.s.shared.Heartbeat(ctx, room, c.who.User, c.id, c.s.presenceTTL()); err != nil {
		c.s.log.LogAttrs(ctx, slog.LevelDebug, "presence heartbeat failed", slog.String("room", string(room)), slog.Any("err", err))
		return
	}
	c.signal(ctx, room, chatpb.SignalKind_SIGNAL_KIND_ONLINE)
}

// depart removes the connection from room's presence and, if it was the
// user's last connection there, tells the room the user went offline.
func (c *wsConn) depart(ctx context.Context, room parley.RoomID) {
	if err := c.s.shared.Depart(ctx, room, c.who.User, c.id); err != nil {
		c.s.log.LogAttrs(ctx, slog.LevelDebug, "presence depart failed", slog.String("room", string(room)), slog.Any("err", err))
		return
	}
	online, err := c.s.shared.Online(ctx, room)
	if err != nil || slices.Contains(online, c.who.User) {
		return
	}
	c.signal(ctx, room, chatpb.SignalKind_SIGNAL_KIND_OFFLINE)
}

// renewPresence refreshes the heartbeat of every subscribed room; the ping
// timer calls it.
func (c *wsConn) renewPresence() {
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.WS.WriteTimeout)
	defer cancel()
	for _, room := range c.session.Rooms() {
		_ = c.s.shared.Heartbeat(ctx, room, c.who.User, c.id, c.s.presenceTTL()) // best effort: the next ping retries
	}
}

func (c *wsConn) signal(ctx context.Context, room parley.RoomID, kind chatpb.SignalKind) {
	if err := c.s.rooms.Signal(ctx, room, c.who, kind); err != nil {
		c.s.log.LogAttrs(ctx, slog.LevelDebug, "room signal failed", slog.String("room", string(room)), slog.Any("err", err))
	}
}
