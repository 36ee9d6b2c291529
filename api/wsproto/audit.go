package wsproto

import "github.com/parleychat/parley"

// AuditEntry is one audit log record as room admins see it: who (Actor) did
// what (Action, an action name such as "kick" or "set_role") to whom or what
// (Target: a user id, a message seq or the room id), with Detail (for
// example the new role) and the actor's Reason. Field names are append only.
type AuditEntry struct {
	ID     string `json:"id"`
	Room   string `json:"room"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Target string `json:"target"`
	Detail string `json:"detail,omitempty"`
	Reason string `json:"reason"`
	At     string `json:"at"`
}

// AuditEntryFrom converts a domain audit entry.
func AuditEntryFrom(e parley.AuditEntry) AuditEntry {
	return AuditEntry{
		ID: e.ID, Room: string(e.RoomID), Actor: string(e.Actor), Action: e.Action,
		Target: e.Target, Detail: e.Detail, Reason: e.Reason, At: FormatTime(e.At),
	}
}
