package parley

import "time"

// Message is one chat message. Seq orders messages within their room: 1, 2, 3, ...
// with no gaps. A deleted message keeps its record; readers see a tombstone.
type Message struct {
	ID        MessageID
	RoomID    RoomID
	Seq       uint64
	SenderID  UserID
	ClientID  string // the sender's idempotency key, unique per (room, sender)
	Body      string
	CreatedAt time.Time
	EditedAt  time.Time // zero unless edited
	DeletedAt time.Time // zero unless deleted
	DeletedBy UserID
}

// IsDeleted reports whether the message was soft deleted.
func (m Message) IsDeleted() bool { return !m.DeletedAt.IsZero() }

// Public returns the message as readers may see it: deleted messages lose their
// body (a tombstone) and the client id is never shown to anyone but the sender's
// own acks.
func (m Message) Public() Message {
	if m.IsDeleted() {
		m.Body = ""
	}
	return m
}

// Limits shared by every transport.
const (
	MaxRoomName        = 100  // runes
	MaxRoomDescription = 1000 // runes
	MaxBody            = 4000 // runes
	MaxBodyBytes       = 16000
	MaxClientID        = 64 // bytes, [A-Za-z0-9_-]
	MaxDisplayName     = 64
	MinPassword        = 8
	MaxPassword        = 256 // bytes; bounds hashing cost
	DefaultPageSize    = 20
	MaxPageSize        = 100
	DefaultHistory     = 50
	MaxHistory         = 200
)
