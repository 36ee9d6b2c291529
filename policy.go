package parley

// Action is something a principal may try in a room. Append only.
type Action uint8

// Actions the permission policy decides.
const (
	ActViewRoom      Action = iota // room detail
	ActRead                        // history, member list, presence, subscribe
	ActPost                        // send a message
	ActJoin                        // join a public room
	ActLeave                       // leave a room
	ActEditMessage                 // edit a message (its author only)
	ActDeleteMessage               // soft delete a message (author, or moderator and above)
	ActAddMember                   // add someone else (invite to a private room)
	ActSetRole                     // change a member's role, ownership transfer included
	ActKick                        // remove a member
	ActBan                         // remove a member and keep them out
	ActUnban                       // lift a ban
	ActUpdateRoom                  // rename, describe, change kind
	ActDeleteRoom                  // soft delete the room
	ActViewAudit                   // read the room's audit log
	numActions
)

var actionNames = [...]string{
	"view_room", "read", "post", "join", "leave", "edit_message", "delete_message",
	"add_member", "set_role", "kick", "ban", "unban", "update_room", "delete_room", "view_audit",
}

// String returns the action's snake_case name.
func (a Action) String() string {
	if a < numActions {
		return actionNames[a]
	}
	return "unknown"
}

// Actions returns every action, for tables that must cover them all.
func Actions() []Action {
	out := make([]Action, numActions)
	for i := range out {
		out[i] = Action(i)
	}
	return out
}

// Standing is what a room knows of the acting user: their role (RoleNone when
// not a member) and whether they are banned.
type Standing struct {
	Role   Role
	Banned bool
}

// Target describes what an action applies to.
type Target struct {
	Author  UserID // message actions: the message's sender
	User    UserID // member actions: the user acted upon
	Role    Role   // member actions: the target's current role (RoleNone if not a member)
	NewRole Role   // add_member and set_role: the role to give
}

// Authorize decides whether p, standing as me in a room of the given kind, may do
// act to t. It returns nil, or the error the client should see:
//   - ErrRoomNotFound when the room is private and p may not know it exists;
//   - ErrNotMember / ErrBanned / ErrAlreadyMember when p's standing is wrong for act;
//   - ErrOwnerMustStay when act would leave the room without an owner;
//   - ErrForbidden when p's role is too low.
//
// Platform admins may do everything that keeps the room's invariants (one owner).
func Authorize(p Principal, kind RoomKind, me Standing, act Action, t Target) error {
	member := me.Role.Valid() && !me.Banned
	if !member && !p.Admin && kind != RoomPublic {
		return ErrRoomNotFound // hide private rooms, whatever the action
	}
	switch act {
	case ActViewRoom:
		return nil
	case ActJoin:
		return authorizeJoin(p, me, member)
	case ActLeave:
		return authorizeLeave(me, member)
	}
	if !member && !p.Admin {
		if me.Banned {
			return ErrBanned
		}
		return ErrNotMember
	}
	switch act {
	case ActRead, ActPost:
		return nil
	case ActEditMessage:
		return allowIf(t.Author == p.User && member)
	case ActDeleteMessage:
		return allowIf(p.Admin || t.Author == p.User || me.Role >= RoleModerator)
	case ActAddMember:
		return authorizeAdd(p, me, t)
	case ActSetRole:
		return authorizeSetRole(p, me, t)
	case ActKick, ActBan, ActUnban:
		return authorizeRemove(p, me, t)
	case ActUpdateRoom, ActViewAudit:
		return allowIf(p.Admin || me.Role >= RoleAdmin)
	case ActDeleteRoom:
		return allowIf(p.Admin || me.Role == RoleOwner)
	}
	return ErrForbidden
}

func allowIf(ok bool) error {
	if ok {
		return nil
	}
	return ErrForbidden
}

func authorizeJoin(p Principal, me Standing, member bool) error {
	switch {
	case member:
		return ErrAlreadyMember
	case me.Banned && !p.Admin:
		return ErrBanned
	}
	return nil // private rooms were refused above unless p is a platform admin
}

func authorizeLeave(me Standing, member bool) error {
	switch {
	case !member:
		return ErrNotMember
	case me.Role == RoleOwner:
		return ErrOwnerMustStay
	}
	return nil
}

// authorizeAdd: admins add members and moderators; the owner may also add admins.
// Nobody is added as owner: ownership moves only by transfer.
func authorizeAdd(p Principal, me Standing, t Target) error {
	if !t.NewRole.Valid() || t.NewRole == RoleOwner {
		return Invalid("role", "must be member, moderator or admin")
	}
	if p.Admin {
		return nil
	}
	return allowIf(me.Role >= RoleAdmin && t.NewRole < me.Role)
}

// authorizeSetRole: an actor changes only roles below their own, to a role below
// their own. The owner (or a platform admin) may transfer ownership; the owner's
// own role never changes otherwise, so a room always has exactly one owner.
func authorizeSetRole(p Principal, me Standing, t Target) error {
	if !t.NewRole.Valid() {
		return Invalid("role", "must be member, moderator, admin or owner")
	}
	if !t.Role.Valid() {
		return ErrNotMember
	}
	if t.Role == RoleOwner {
		if t.NewRole == RoleOwner {
			return nil // no change
		}
		return ErrOwnerMustStay
	}
	if t.NewRole == RoleOwner {
		return allowIf(p.Admin || me.Role == RoleOwner)
	}
	if p.Admin {
		return nil
	}
	return allowIf(me.Role >= RoleAdmin && me.Role > t.Role && me.Role > t.NewRole)
}

// authorizeRemove: moderators remove members, admins remove moderators, the owner
// removes admins. Nobody removes the owner, and nobody removes themselves (leave).
func authorizeRemove(p Principal, me Standing, t Target) error {
	if t.User == p.User {
		return ErrForbidden
	}
	if t.Role == RoleOwner {
		return ErrOwnerMustStay
	}
	if p.Admin {
		return nil
	}
	return allowIf(me.Role >= RoleModerator && me.Role > t.Role)
}
