package sqlitestore

import (
	"context"
	"database/sql"

	"github.com/parleychat/parley"
)

// execer is a *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// PutMember inserts or replaces the record for (m.RoomID, m.UserID): joins,
// role changes, leaves and kicks (soft deleted), bans. Returns
// parley.ErrRoomNotFound if the room does not exist.
func (s *Store) PutMember(ctx context.Context, m parley.Member) error {
	if err := putMember(ctx, s.w, m); err != nil {
		return fail(ctx, err, nil, "put member %s/%s", m.RoomID, m.UserID)
	}
	return nil
}

// putMember upserts m through ex; the caller translates the error.
func putMember(ctx context.Context, ex execer, m parley.Member) error {
	_, err := ex.ExecContext(ctx, `INSERT INTO members (room_id, user_id, role, joined_at, banned, deleted_at, deleted_by)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role, joined_at = excluded.joined_at,
			banned = excluded.banned, deleted_at = excluded.deleted_at, deleted_by = excluded.deleted_by`,
		string(m.RoomID), string(m.UserID), int64(m.Role), millis(m.JoinedAt), m.Banned,
		millis(m.DeletedAt), string(m.DeletedBy))
	return err
}

// Members returns every record of the room in join order (joined_at, then
// user id), departed and banned ones included; none for an unknown room.
func (s *Store) Members(ctx context.Context, room parley.RoomID) ([]parley.Member, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT user_id, role, joined_at, banned, deleted_at, deleted_by
		FROM members WHERE room_id = ? ORDER BY joined_at, user_id`, string(room))
	if err != nil {
		return nil, fail(ctx, err, nil, "members of %s", room)
	}
	defer rows.Close()
	var out []parley.Member
	for rows.Next() {
		m := parley.Member{RoomID: room}
		var role int64
		var joined, deleted sql.NullInt64
		if err := rows.Scan((*string)(&m.UserID), &role, &joined, &m.Banned, &deleted, (*string)(&m.DeletedBy)); err != nil {
			return nil, fail(ctx, err, nil, "members of %s: scan", room)
		}
		m.Role, m.JoinedAt, m.DeletedAt = parley.Role(role), fromMillis(joined), fromMillis(deleted)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(ctx, err, nil, "members of %s", room)
	}
	return out, nil
}
