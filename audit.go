package parley

import "time"

// AuditEntry records one moderation or admin action: who did what to whom, when
// and why. Entries are append only.
type AuditEntry struct {
	ID     string
	RoomID RoomID
	Actor  UserID
	Action string // an Action name, e.g. "kick", "set_role", "delete_message"
	Target string // the user id or message seq acted upon
	Detail string // e.g. "member->moderator"
	Reason string // free text from the actor (X-Audit-Reason), cleaned
	At     time.Time
}

// CleanReason returns a trimmed audit reason (may be empty) or a FieldError.
func CleanReason(s string) (string, error) {
	return cleanText("reason", s, textRules{max: 500})
}
