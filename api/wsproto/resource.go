package wsproto

import (
	"time"

	"github.com/parleychat/parley"
)

// The JSON shapes of rooms, members, messages and users. REST responses use
// them as they are; WebSocket events carry the same field names (see
// AppendMessage), so a client parses a message the same way from either.
// Times are RFC 3339 strings in UTC with milliseconds; optional times are
// left out when unset. Field names are append only.

// TimeFormat is the layout of every time on the wire.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime formats t for the wire; the zero time is "".
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}

// Room is a room as clients see it. Role and LastSeq are filled when the
// caller's standing is known (room detail), and left out in lists.
type Room struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Kind        string  `json:"kind"`
	CreatedBy   string  `json:"created_by"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at,omitempty"`
	DeletedAt   string  `json:"deleted_at,omitempty"`
	Role        string  `json:"role,omitempty"`     // the caller's role; absent for non-members
	LastSeq     *uint64 `json:"last_seq,omitempty"` // the room's newest seq
}

// RoomFrom converts a domain room.
func RoomFrom(r parley.Room) Room {
	return Room{
		ID: string(r.ID), Name: r.Name, Description: r.Description, Kind: string(r.Kind),
		CreatedBy: string(r.CreatedBy), CreatedAt: FormatTime(r.CreatedAt),
		UpdatedAt: FormatTime(r.UpdatedAt), DeletedAt: FormatTime(r.DeletedAt),
	}
}

// Member is one membership as clients see it.
type Member struct {
	Room     string `json:"room"`
	User     string `json:"user"`
	Role     string `json:"role"`
	JoinedAt string `json:"joined_at"`
	Banned   bool   `json:"banned,omitempty"`
}

// MemberFrom converts a domain membership.
func MemberFrom(m parley.Member) Member {
	return Member{
		Room: string(m.RoomID), User: string(m.UserID), Role: m.Role.String(),
		JoinedAt: FormatTime(m.JoinedAt), Banned: m.Banned,
	}
}

// Message is one message as clients see it: the fields of the WebSocket
// message events. A deleted message is a tombstone: no body, Deleted set.
// ClientID appears only in the sender's own send acknowledgement.
type Message struct {
	ID        string `json:"id"`
	Room      string `json:"room"`
	Seq       uint64 `json:"seq"`
	Sender    string `json:"sender"`
	Body      string `json:"body,omitempty"`
	Deleted   bool   `json:"deleted,omitempty"`
	DeletedBy string `json:"deleted_by,omitempty"`
	DeletedAt string `json:"deleted_at,omitempty"`
	CreatedAt string `json:"created_at"`
	EditedAt  string `json:"edited_at,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
}

// MessageFrom converts a domain message as readers see it (m.Public()): a
// deleted message loses its body, and the client id is left out.
func MessageFrom(m parley.Message) Message {
	m = m.Public()
	return Message{
		ID: string(m.ID), Room: string(m.RoomID), Seq: m.Seq, Sender: string(m.SenderID),
		Body: m.Body, Deleted: m.IsDeleted(), DeletedBy: string(m.DeletedBy),
		DeletedAt: FormatTime(m.DeletedAt), CreatedAt: FormatTime(m.CreatedAt),
		EditedAt: FormatTime(m.EditedAt),
	}
}

// AckFrom converts a message for its sender's acknowledgement: MessageFrom
// plus the client id.
func AckFrom(m parley.Message) Message {
	out := MessageFrom(m)
	out.ClientID = m.ClientID
	return out
}

// User is an account as clients see it; secrets never leave the server.
type User struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	IsAdmin     bool   `json:"is_admin"`
	CreatedAt   string `json:"created_at"`
}

// UserFrom converts a domain user without its password hash or external id.
func UserFrom(u parley.User) User {
	return User{
		ID: string(u.ID), Username: u.Username, DisplayName: u.DisplayName,
		IsAdmin: u.IsAdmin, CreatedAt: FormatTime(u.CreatedAt),
	}
}
