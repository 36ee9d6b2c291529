package persistence

import (
	"context"
	"time"

	"github.com/parleychat/parley"
)

// Store is the durable truth: every acked message, every room and membership.
// No driver error escapes an implementation: failures come back as parley
// sentinels (ErrConflict, ErrRoomNotFound, ...) or, when the backend cannot be
// reached or times out, wrapped with parley.ErrUnavailable.
type Store interface {
	UserStore
	RoomStore
	MemberStore
	MessageStore
	AuditStore
	// Ping checks the backend answers (readiness).
	Ping(ctx context.Context) error
	Close() error
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser stores u. Returns parley.ErrUsernameTaken if the username (or
	// the external id) is in use, parley.ErrConflict if the id is.
	CreateUser(ctx context.Context, u parley.User) error
	// UserByID returns parley.ErrUserNotFound if there is no such user.
	UserByID(ctx context.Context, id parley.UserID) (parley.User, error)
	// UserByUsername returns parley.ErrUserNotFound if there is no such user.
	UserByUsername(ctx context.Context, username string) (parley.User, error)
	// UserByExternalID returns parley.ErrUserNotFound if no user is linked to ext.
	UserByExternalID(ctx context.Context, ext string) (parley.User, error)
}

// RoomStore keeps rooms. Deleted rooms stay readable by id (IsDeleted) and drop
// out of lists.
type RoomStore interface {
	// CreateRoom stores r and its owner's membership. Returns parley.ErrConflict
	// if the id is in use.
	CreateRoom(ctx context.Context, r parley.Room, owner parley.Member) error
	// Room returns the room, deleted or not, or parley.ErrRoomNotFound.
	Room(ctx context.Context, id parley.RoomID) (parley.Room, error)
	// UpdateRoom replaces name, description, kind and updated_at of r.ID, and
	// deleted_at/deleted_by when set. Returns parley.ErrRoomNotFound.
	UpdateRoom(ctx context.Context, r parley.Room) error
	// ListRooms returns one page of live rooms visible to q.Viewer.
	ListRooms(ctx context.Context, q RoomQuery) (RoomPage, error)
}

// RoomOrdering names a sort order of room lists. Append only.
type RoomOrdering string

// Orderings accepted by ListRooms; a leading "-" means descending.
const (
	OrderCreatedDesc RoomOrdering = "-created_at" // default
	OrderCreatedAsc  RoomOrdering = "created_at"
	OrderNameAsc     RoomOrdering = "name"
	OrderNameDesc    RoomOrdering = "-name"
)

// Valid reports whether o is a known ordering.
func (o RoomOrdering) Valid() bool {
	switch o {
	case OrderCreatedDesc, OrderCreatedAsc, OrderNameAsc, OrderNameDesc:
		return true
	}
	return false
}

// RoomQuery selects a page of rooms. Public rooms are visible to everyone,
// private rooms only to their active members, unless ViewerIsAdmin.
type RoomQuery struct {
	Viewer        parley.UserID
	ViewerIsAdmin bool
	Search        string          // case-insensitive literal substring of name or description; "" = all
	Kind          parley.RoomKind // "" = any
	MemberOnly    bool            // only rooms Viewer is an active member of
	Ordering      RoomOrdering    // zero means OrderCreatedDesc; ties broken by id
	Offset        int
	Limit         int
}

// RoomPage is one page of rooms and the total number that match.
type RoomPage struct {
	Count int
	Rooms []parley.Room
}

// MemberStore keeps memberships, one record per (room, user).
type MemberStore interface {
	// PutMember inserts or replaces the record for (m.RoomID, m.UserID): joins,
	// role changes, leaves and kicks (soft deleted), bans.
	PutMember(ctx context.Context, m parley.Member) error
	// Members returns every record of the room, in join order, including
	// departed and banned ones (callers filter with IsActive).
	Members(ctx context.Context, room parley.RoomID) ([]parley.Member, error)
}

// MessageStore keeps history.
type MessageStore interface {
	// AppendMessages stores a batch of one room's messages in ascending seq.
	// Returns parley.ErrConflict if a message with the same (room, seq) or the
	// same (room, sender, client id) exists: another activation of the room is
	// live, or a resend raced. Implementations that cannot write the batch
	// atomically (Mongo) may have stored a prefix of it; the caller reconciles
	// by client id.
	AppendMessages(ctx context.Context, msgs []parley.Message) error
	// LastSeq returns the highest stored seq of the room, 0 if none.
	LastSeq(ctx context.Context, room parley.RoomID) (uint64, error)
	// Messages returns a page of history, newest first (see MessageQuery).
	Messages(ctx context.Context, q MessageQuery) ([]parley.Message, error)
	// MessageBySeq returns parley.ErrMessageNotFound if there is none.
	MessageBySeq(ctx context.Context, room parley.RoomID, seq uint64) (parley.Message, error)
	// MessageByClientID returns parley.ErrMessageNotFound if there is none.
	MessageByClientID(ctx context.Context, room parley.RoomID, sender parley.UserID, clientID string) (parley.Message, error)
	// UpdateMessage replaces body, edited_at, deleted_at and deleted_by of the
	// message (room, seq). Returns parley.ErrMessageNotFound.
	UpdateMessage(ctx context.Context, m parley.Message) error
}

// MessageQuery selects a page of one room's history. Messages come back newest
// first (descending seq), deleted ones included (callers show tombstones).
//   - Before > 0: the Limit messages with seq < Before.
//   - else After > 0: the Limit messages right after After (seq > After).
//   - both > 0: seq strictly between, the newest Limit of them.
//   - neither: the newest Limit messages.
type MessageQuery struct {
	Room   parley.RoomID
	Before uint64
	After  uint64
	Limit  int // 1..MaxHistory; callers validate
}

// AuditStore keeps the audit log.
type AuditStore interface {
	// AppendAudit stores e.
	AppendAudit(ctx context.Context, e parley.AuditEntry) error
	// Audit returns up to limit entries of the room, newest first, older than
	// before (zero time = newest).
	Audit(ctx context.Context, room parley.RoomID, before time.Time, limit int) ([]parley.AuditEntry, error)
}
