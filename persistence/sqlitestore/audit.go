package sqlitestore

import (
	"context"
	"math"
	"time"

	"github.com/parleychat/parley"
)

// AppendAudit stores e. Returns parley.ErrConflict if e.ID is in use.
func (s *Store) AppendAudit(ctx context.Context, e parley.AuditEntry) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit (id, room_id, actor, action, target, detail, reason, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, string(e.RoomID), string(e.Actor), e.Action, e.Target, e.Detail, e.Reason, e.At.UnixMilli())
	if err != nil {
		return fail(ctx, err, nil, "append audit %s/%s", e.RoomID, e.ID)
	}
	return nil
}

// Audit returns up to limit entries of the room, newest first (ties by id,
// descending), strictly older than before (zero time = newest).
func (s *Store) Audit(ctx context.Context, room parley.RoomID, before time.Time, limit int) ([]parley.AuditEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	hi := int64(math.MaxInt64)
	if !before.IsZero() {
		hi = before.UnixMilli()
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, actor, action, target, detail, reason, at FROM audit
		WHERE room_id = ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?`,
		string(room), hi, limit)
	if err != nil {
		return nil, fail(ctx, err, nil, "audit of %s", room)
	}
	defer rows.Close()
	var out []parley.AuditEntry
	for rows.Next() {
		e := parley.AuditEntry{RoomID: room}
		var at int64
		if err := rows.Scan(&e.ID, (*string)(&e.Actor), &e.Action, &e.Target, &e.Detail, &e.Reason, &at); err != nil {
			return nil, fail(ctx, err, nil, "audit of %s: scan", room)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(ctx, err, nil, "audit of %s", room)
	}
	return out, nil
}
