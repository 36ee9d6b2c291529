package cluster

import (
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/cluster/chatpb"
)

// Conversions between the domain and the grain protocol. Times cross as unix
// milliseconds (UTC); 0 means unset.

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// PrincipalToPB converts a principal.
func PrincipalToPB(p parley.Principal) *chatpb.Principal {
	return &chatpb.Principal{User: string(p.User), Admin: p.Admin}
}

// PrincipalFromPB converts a principal; nil is the empty principal.
func PrincipalFromPB(p *chatpb.Principal) parley.Principal {
	return parley.Principal{User: parley.UserID(p.GetUser()), Admin: p.GetAdmin()}
}

// MessageToPB converts a message.
func MessageToPB(m parley.Message) *chatpb.Message {
	return &chatpb.Message{
		Id: string(m.ID), Room: string(m.RoomID), Seq: m.Seq, Sender: string(m.SenderID),
		ClientId: m.ClientID, Body: m.Body, CreatedAt: millis(m.CreatedAt),
		EditedAt: millis(m.EditedAt), DeletedAt: millis(m.DeletedAt), DeletedBy: string(m.DeletedBy),
	}
}

// MessageFromPB converts a message; nil is the zero message.
func MessageFromPB(m *chatpb.Message) parley.Message {
	return parley.Message{
		ID: parley.MessageID(m.GetId()), RoomID: parley.RoomID(m.GetRoom()), Seq: m.GetSeq(),
		SenderID: parley.UserID(m.GetSender()), ClientID: m.GetClientId(), Body: m.GetBody(),
		CreatedAt: fromMillis(m.GetCreatedAt()), EditedAt: fromMillis(m.GetEditedAt()),
		DeletedAt: fromMillis(m.GetDeletedAt()), DeletedBy: parley.UserID(m.GetDeletedBy()),
	}
}

// MemberToPB converts a membership.
func MemberToPB(m parley.Member) *chatpb.Member {
	return &chatpb.Member{
		Room: string(m.RoomID), User: string(m.UserID), Role: uint32(m.Role),
		JoinedAt: millis(m.JoinedAt), Banned: m.Banned, DeletedAt: millis(m.DeletedAt),
		DeletedBy: string(m.DeletedBy),
	}
}

// MemberFromPB converts a membership; nil is the zero membership.
func MemberFromPB(m *chatpb.Member) parley.Member {
	return parley.Member{
		RoomID: parley.RoomID(m.GetRoom()), UserID: parley.UserID(m.GetUser()),
		Role: roleFromPB(m.GetRole()), JoinedAt: fromMillis(m.GetJoinedAt()), Banned: m.GetBanned(),
		DeletedAt: fromMillis(m.GetDeletedAt()), DeletedBy: parley.UserID(m.GetDeletedBy()),
	}
}

func roleFromPB(r uint32) parley.Role {
	if r > uint32(parley.RoleOwner) {
		return parley.RoleNone
	}
	return parley.Role(r)
}

// RoomToPB converts a room.
func RoomToPB(r parley.Room) *chatpb.Room {
	return &chatpb.Room{
		Id: string(r.ID), Name: r.Name, Description: r.Description, Kind: string(r.Kind),
		CreatedBy: string(r.CreatedBy), CreatedAt: millis(r.CreatedAt), UpdatedAt: millis(r.UpdatedAt),
		DeletedAt: millis(r.DeletedAt), DeletedBy: string(r.DeletedBy),
	}
}

// RoomFromPB converts a room; nil is the zero room.
func RoomFromPB(r *chatpb.Room) parley.Room {
	return parley.Room{
		ID: parley.RoomID(r.GetId()), Name: r.GetName(), Description: r.GetDescription(),
		Kind: parley.RoomKind(r.GetKind()), CreatedBy: parley.UserID(r.GetCreatedBy()),
		CreatedAt: fromMillis(r.GetCreatedAt()), UpdatedAt: fromMillis(r.GetUpdatedAt()),
		DeletedAt: fromMillis(r.GetDeletedAt()), DeletedBy: parley.UserID(r.GetDeletedBy()),
	}
}
