package actors

import (
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/cluster/chatpb"
)

// changeMember authorizes a membership command and returns the records to
// store with their events, in order. It does not change s; the grain applies
// the records with applyMembers as soon as the command is accepted, so the
// commands queued behind it are judged against them, and stores them in the
// same order (see room.member).
func (s *roomState) changeMember(p parley.Principal, req *chatpb.MemberRequest, now time.Time) ([]memberEvent, error) {
	target := parley.UserID(req.GetTarget())
	newRole := parley.Role(0)
	if r := req.GetRole(); r <= uint32(parley.RoleOwner) {
		newRole = parley.Role(r)
	}
	switch req.GetOp() {
	case chatpb.MemberOp_MEMBER_OP_JOIN:
		return s.join(p, p.User, parley.RoleMember, parley.ActJoin, now)
	case chatpb.MemberOp_MEMBER_OP_LEAVE:
		return s.remove(p, p.User, parley.ActLeave, now)
	case chatpb.MemberOp_MEMBER_OP_ADD:
		return s.add(p, target, newRole, now)
	case chatpb.MemberOp_MEMBER_OP_SET_ROLE:
		return s.setRole(p, target, newRole, now)
	case chatpb.MemberOp_MEMBER_OP_KICK:
		return s.remove(p, target, parley.ActKick, now)
	case chatpb.MemberOp_MEMBER_OP_BAN:
		return s.remove(p, target, parley.ActBan, now)
	case chatpb.MemberOp_MEMBER_OP_UNBAN:
		return s.unban(p, target)
	}
	return nil, parley.Invalid("op", "unknown member operation")
}

func (s *roomState) target(p parley.Principal, u parley.UserID, act parley.Action, newRole parley.Role) (parley.Member, error) {
	if !parley.ValidID(string(u)) {
		return parley.Member{}, parley.Invalid("user_id", "must be a user id")
	}
	t := parley.Target{User: u, Role: s.role(u), NewRole: newRole}
	if err := s.authorize(p, act, t); err != nil {
		return parley.Member{}, err
	}
	m, ok := s.members[u]
	if !ok {
		m = parley.Member{RoomID: s.info.ID, UserID: u}
	}
	return m, nil
}

func (s *roomState) join(p parley.Principal, u parley.UserID, role parley.Role, act parley.Action, now time.Time) ([]memberEvent, error) {
	m, err := s.target(p, u, act, role)
	if err != nil {
		return nil, err
	}
	m.Role, m.JoinedAt, m.Banned, m.DeletedAt, m.DeletedBy = role, now, false, time.Time{}, ""
	return []memberEvent{{rec: m, typ: wsproto.TypeMemberJoined}}, nil
}

func (s *roomState) add(p parley.Principal, u parley.UserID, role parley.Role, now time.Time) ([]memberEvent, error) {
	if s.role(u).Valid() {
		if err := s.authorize(p, parley.ActAddMember, parley.Target{User: u, NewRole: role}); err != nil {
			return nil, err
		}
		return nil, parley.ErrAlreadyMember
	}
	evs, err := s.join(p, u, role, parley.ActAddMember, now)
	if err == nil && s.members[u].Banned {
		evs[0].audit = "unban" // adding a banned user lifts the ban: worth a record
	}
	return evs, err
}

func (s *roomState) setRole(p parley.Principal, u parley.UserID, role parley.Role, now time.Time) ([]memberEvent, error) {
	m, err := s.target(p, u, parley.ActSetRole, role)
	if err != nil {
		return nil, err
	}
	if m.Role == role {
		return []memberEvent{{rec: m}}, nil
	}
	evs := []memberEvent{}
	if role == parley.RoleOwner { // transfer: the old owner becomes an admin
		for _, old := range s.members {
			if old.IsActive() && old.Role == parley.RoleOwner {
				old.Role = parley.RoleAdmin
				evs = append(evs, memberEvent{rec: old, typ: wsproto.TypeRoleChanged, audit: "set_role"})
			}
		}
	}
	m.Role = role
	return append(evs, memberEvent{rec: m, typ: wsproto.TypeRoleChanged, audit: "set_role"}), nil
}

func (s *roomState) remove(p parley.Principal, u parley.UserID, act parley.Action, now time.Time) ([]memberEvent, error) {
	m, err := s.target(p, u, act, parley.RoleNone)
	if err != nil {
		return nil, err
	}
	wasMember := m.IsActive()
	if !wasMember && act != parley.ActBan {
		return nil, parley.ErrNotMember
	}
	e := memberEvent{typ: wsproto.TypeMemberLeft, drop: true}
	switch act {
	case parley.ActLeave:
		e.why = "left"
	case parley.ActKick:
		e.why, e.audit = "kicked", "kick"
	case parley.ActBan:
		e.why, e.audit, m.Banned = "banned", "ban", true
	}
	if wasMember {
		m.DeletedAt, m.DeletedBy = now, p.User
	} else {
		e.typ, m.Role = "", parley.RoleNone // a pre-emptive ban: nothing to tell the room
		if m.DeletedAt.IsZero() {
			m.DeletedAt, m.DeletedBy = now, p.User
		}
	}
	e.rec = m
	return []memberEvent{e}, nil
}

func (s *roomState) unban(p parley.Principal, u parley.UserID) ([]memberEvent, error) {
	m, err := s.target(p, u, parley.ActUnban, parley.RoleNone)
	if err != nil {
		return nil, err
	}
	if _, known := s.members[u]; !known {
		return nil, parley.ErrNotMember // nothing to lift, and no record to invent
	}
	if !m.Banned {
		return []memberEvent{{rec: m}}, nil
	}
	m.Banned = false
	return []memberEvent{{rec: m, audit: "unban"}}, nil
}

// applyMembers makes the records the room's view at once, so the next command
// is judged against them; the store write follows in the same order.
func (s *roomState) applyMembers(evs []memberEvent) {
	for _, e := range evs {
		s.members[e.rec.UserID] = e.rec
	}
}
