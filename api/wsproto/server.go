package wsproto

import (
	"github.com/parleychat/parley"
)

// Server frame and event types. Append only.
const (
	TypeReply          = "reply"
	TypeError          = "error"
	TypePong           = "pong"
	TypeMessage        = "message"
	TypeMessageEdited  = "message_edited"
	TypeMessageDeleted = "message_deleted"
	TypeMemberJoined   = "member_joined"
	TypeMemberLeft     = "member_left"
	TypeRoleChanged    = "role_changed"
	TypeRoomUpdated    = "room_updated"
	TypeRoomDeleted    = "room_deleted"
	TypePresence       = "presence"
	TypeResync         = "resync"
)

// AppendMessage appends the event for a new message. Deleted messages are
// encoded as tombstones (no body). It allocates nothing beyond growing dst.
func AppendMessage(dst []byte, m parley.Message) []byte {
	return appendMessageEvent(dst, TypeMessage, m)
}

// AppendMessageEdited appends the event for an edited message.
func AppendMessageEdited(dst []byte, m parley.Message) []byte {
	return appendMessageEvent(dst, TypeMessageEdited, m)
}

// AppendMessageDeleted appends the event for a soft-deleted message.
func AppendMessageDeleted(dst []byte, m parley.Message) []byte {
	return appendMessageEvent(dst, TypeMessageDeleted, m)
}

func appendMessageEvent(dst []byte, typ string, m parley.Message) []byte {
	o := beginObj(dst)
	o.str("type", typ)
	o.str("room", string(m.RoomID))
	o.uint("seq", m.Seq)
	o.str("id", string(m.ID))
	o.str("sender", string(m.SenderID))
	if m.IsDeleted() {
		o.boolean("deleted", true)
		o.strIf("deleted_by", string(m.DeletedBy))
		o.time("deleted_at", m.DeletedAt)
	} else {
		o.str("body", m.Body)
	}
	o.time("created_at", m.CreatedAt)
	o.timeIf("edited_at", m.EditedAt)
	return o.end()
}

// MemberChange describes a membership event.
type MemberChange struct {
	Room   parley.RoomID
	User   parley.UserID
	By     parley.UserID // who made the change; the user themselves for join/leave
	Role   parley.Role
	Reason string // member_left: "left", "kicked" or "banned"
	Seq    uint64 // the room's last message seq when the change was sequenced
}

// AppendMemberEvent appends a member_joined, member_left or role_changed event.
func AppendMemberEvent(dst []byte, typ string, c MemberChange) []byte {
	o := beginObj(dst)
	o.str("type", typ)
	o.str("room", string(c.Room))
	o.str("user", string(c.User))
	o.strIf("by", string(c.By))
	if c.Role.Valid() {
		o.str("role", c.Role.String())
	}
	o.strIf("reason", c.Reason)
	o.uint("at_seq", c.Seq)
	return o.end()
}

// AppendRoomEvent appends room_updated or room_deleted with the room's public fields.
func AppendRoomEvent(dst []byte, typ string, r parley.Room) []byte {
	o := beginObj(dst)
	o.str("type", typ)
	o.str("room", string(r.ID))
	o.str("name", r.Name)
	o.str("description", r.Description)
	o.str("kind", string(r.Kind))
	o.timeIf("deleted_at", r.DeletedAt)
	return o.end()
}

// AppendPresence appends a presence event.
func AppendPresence(dst []byte, room parley.RoomID, user parley.UserID, online bool) []byte {
	o := beginObj(dst)
	o.str("type", TypePresence)
	o.str("room", string(room))
	o.str("user", string(user))
	o.boolean("online", online)
	return o.end()
}

// AppendTyping appends a typing event.
func AppendTyping(dst []byte, room parley.RoomID, user parley.UserID) []byte {
	o := beginObj(dst)
	o.str("type", TypeTyping)
	o.str("room", string(room))
	o.str("user", string(user))
	return o.end()
}

// Reply is the success answer to a client frame.
type Reply struct {
	ID        uint64
	LastSeq   uint64 // subscribe
	Recovered bool   // subscribe: every message after since was replayed
	HasSub    bool   // subscribe: include last_seq and recovered
	Message   *parley.Message
}

// AppendReply appends a reply frame.
func AppendReply(dst []byte, r Reply) []byte {
	o := beginObj(dst)
	o.str("type", TypeReply)
	o.uint("id", r.ID)
	o.boolean("ok", true)
	if r.HasSub {
		o.uint("last_seq", r.LastSeq)
		o.boolean("recovered", r.Recovered)
	}
	if m := r.Message; m != nil {
		o.str("room", string(m.RoomID))
		o.uint("seq", m.Seq)
		o.str("message_id", string(m.ID))
		o.strIf("client_id", m.ClientID)
		o.time("created_at", m.CreatedAt)
	}
	return o.end()
}

// AppendError appends an error frame. id 0 is left out.
func AppendError(dst []byte, id uint64, code, message, field string) []byte {
	o := beginObj(dst)
	o.str("type", TypeError)
	if id != 0 {
		o.uint("id", id)
	}
	o.str("code", code)
	o.str("message", message)
	o.strIf("field", field)
	return o.end()
}

// AppendPong appends the answer to ping.
func AppendPong(dst []byte, id uint64) []byte {
	o := beginObj(dst)
	o.str("type", TypePong)
	if id != 0 {
		o.uint("id", id)
	}
	return o.end()
}

// AppendResync tells a subscriber its view of room may have a gap: subscribe
// again with since = the last seq it holds.
func AppendResync(dst []byte, room parley.RoomID) []byte {
	o := beginObj(dst)
	o.str("type", TypeResync)
	o.str("room", string(room))
	return o.end()
}
