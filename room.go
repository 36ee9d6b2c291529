package parley

import "time"

// RoomKind says who may find and join a room.
type RoomKind string

// Room kinds.
const (
	RoomPublic  RoomKind = "public"  // listed to everyone, anyone may join
	RoomPrivate RoomKind = "private" // visible to members and platform admins; join by invite
)

// Valid reports whether k is a known kind.
func (k RoomKind) Valid() bool { return k == RoomPublic || k == RoomPrivate }

// Room is a chat room. A deleted room keeps its record (soft delete).
type Room struct {
	ID          RoomID
	Name        string
	Description string
	Kind        RoomKind
	CreatedBy   UserID
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DeletedAt   time.Time // zero while the room is live
	DeletedBy   UserID
}

// IsDeleted reports whether the room was soft deleted.
func (r Room) IsDeleted() bool { return !r.DeletedAt.IsZero() }

// RoomPatch is a partial update of a room; nil fields stay as they are.
type RoomPatch struct {
	Name        *string
	Description *string
	Kind        *RoomKind
}

// Member is one user's membership of one room. Leaving or being kicked soft
// deletes the record (DeletedAt, DeletedBy); a ban also sets Banned, which keeps
// the user out until an admin lifts it.
type Member struct {
	RoomID    RoomID
	UserID    UserID
	Role      Role
	JoinedAt  time.Time
	Banned    bool
	DeletedAt time.Time
	DeletedBy UserID
}

// IsActive reports whether the record is a live membership.
func (m Member) IsActive() bool { return m.DeletedAt.IsZero() && !m.Banned && m.Role.Valid() }

// User is an account. Deleted users keep their record.
type User struct {
	ID           UserID
	Username     string
	DisplayName  string
	PasswordHash string // empty for users who only sign in with an external token
	ExternalID   string // issuer + "|" + subject of an external identity, if linked
	IsAdmin      bool   // platform admin
	CreatedAt    time.Time
	DeletedAt    time.Time
}

// Principal is who performs an action: a user, and whether the platform made it admin.
type Principal struct {
	User  UserID
	Admin bool // platform admin (token claim): may do everything
}
