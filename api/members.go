package api

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/cluster/chatpb"
)

// listMembers: GET /api/chat/rooms/{id}/members/ -> the active members in
// join order (members only), in the list envelope with a single page.
func (s *Server) listMembers(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	acc, err := s.rooms.Access(c.UserContext(), id, p, parley.ActRead)
	if err != nil {
		return err
	}
	out := page[wsproto.Member]{Results: make([]wsproto.Member, 0, len(acc.Members))}
	for _, m := range acc.Members {
		if m.IsActive() {
			out.Results = append(out.Results, wsproto.MemberFrom(m))
		}
	}
	out.Count = len(out.Results)
	return writeJSON(c, fiber.StatusOK, out)
}

// addMember: POST /api/chat/rooms/{id}/members/ {user_id, role, reason?} ->
// 201 the membership. Admins add members and moderators, the owner also
// admins; this is how users get into private rooms.
func (s *Server) addMember(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	var b addMemberBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if !parley.ValidID(b.UserID) {
		return parley.Invalid("user_id", "must be a user id")
	}
	role, err := roleValue(b.Role)
	if err != nil {
		return err
	}
	reason, err := auditReason(c, b.Reason)
	if err != nil {
		return err
	}
	// Callers who may not read the room learn nothing about which users exist.
	if _, err := s.rooms.Access(c.UserContext(), id, p, parley.ActRead); err != nil {
		return err
	}
	if _, err := s.store.UserByID(c.UserContext(), parley.UserID(b.UserID)); err != nil {
		return fmt.Errorf("api: add member %s: %w", b.UserID, err)
	}
	return s.changeMember(c, id, p, fiber.StatusCreated, cluster.MemberChange{
		Op: chatpb.MemberOp_MEMBER_OP_ADD, Target: parley.UserID(b.UserID), Role: role, Reason: reason,
	})
}

// setRole: PATCH /api/chat/rooms/{id}/members/{user}/ {role, reason?} -> the
// membership. role "owner" transfers ownership (owner or platform admin).
func (s *Server) setRole(c *fiber.Ctx, p parley.Principal) error {
	id, user, err := memberParams(c)
	if err != nil {
		return err
	}
	var b setRoleBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	role, err := roleValue(b.Role)
	if err != nil {
		return err
	}
	reason, err := auditReason(c, b.Reason)
	if err != nil {
		return err
	}
	return s.changeMember(c, id, p, fiber.StatusOK, cluster.MemberChange{
		Op: chatpb.MemberOp_MEMBER_OP_SET_ROLE, Target: user, Role: role, Reason: reason,
	})
}

// changeMember applies ch in the room's grain and answers status with the
// membership record after the change.
func (s *Server) changeMember(c *fiber.Ctx, id parley.RoomID, p parley.Principal, status int, ch cluster.MemberChange) error {
	m, err := s.rooms.ChangeMember(c.UserContext(), id, p, ch)
	if err != nil {
		return err
	}
	return writeJSON(c, status, wsproto.MemberFrom(m))
}

// removeMember: DELETE /api/chat/rooms/{id}/members/{user}/[?ban=true] ->
// 204. A kick lets the user rejoin a public room; a ban keeps them out.
func (s *Server) removeMember(c *fiber.Ctx, p parley.Principal) error {
	id, user, err := memberParams(c)
	if err != nil {
		return err
	}
	ban, err := parseBan(string(c.Request().URI().QueryString()))
	if err != nil {
		return err
	}
	reason, err := bodyReason(c)
	if err != nil {
		return err
	}
	op := chatpb.MemberOp_MEMBER_OP_KICK
	if ban {
		op = chatpb.MemberOp_MEMBER_OP_BAN
	}
	if _, err := s.rooms.ChangeMember(c.UserContext(), id, p, cluster.MemberChange{
		Op: op, Target: user, Reason: reason,
	}); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// memberParams returns the {room} and {user} path parameters, copied. A user
// parameter that is not an id shape is a user that does not exist.
func memberParams(c *fiber.Ctx) (parley.RoomID, parley.UserID, error) {
	id, err := roomParam(c)
	if err != nil {
		return "", "", err
	}
	user := c.Params("user")
	if !parley.ValidID(user) {
		return "", "", parley.ErrUserNotFound
	}
	return id, parley.UserID(strings.Clone(user)), nil
}

func roleValue(s string) (parley.Role, error) {
	r, ok := parley.ParseRole(s)
	if !ok {
		return parley.RoleNone, parley.Invalid("role", "must be member, moderator, admin or owner")
	}
	return r, nil
}
