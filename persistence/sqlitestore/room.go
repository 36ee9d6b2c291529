package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

const roomColumns = `r.id, r.name, r.description, r.kind, r.created_by, r.created_at, r.updated_at, r.deleted_at, r.deleted_by`

// CreateRoom stores r and owner (as the membership of r.ID) in one
// transaction. Returns parley.ErrConflict if the id is in use.
func (s *Store) CreateRoom(ctx context.Context, r parley.Room, owner parley.Member) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(ctx, err, nil, "create room %s", r.ID)
	}
	defer rollback(tx)
	_, err = tx.ExecContext(ctx, `INSERT INTO rooms (id, name, description, kind, created_by, created_at, updated_at, deleted_at, deleted_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(r.ID), r.Name, r.Description, string(r.Kind), string(r.CreatedBy),
		millis(r.CreatedAt), millis(r.UpdatedAt), millis(r.DeletedAt), string(r.DeletedBy))
	if err != nil {
		return fail(ctx, err, nil, "create room %s", r.ID)
	}
	owner.RoomID = r.ID
	if err := putMember(ctx, tx, owner); err != nil {
		return fail(ctx, err, nil, "create room %s: owner %s", r.ID, owner.UserID)
	}
	if err := tx.Commit(); err != nil {
		return fail(ctx, err, nil, "create room %s: commit", r.ID)
	}
	return nil
}

// Room returns the room, deleted or not, or parley.ErrRoomNotFound.
func (s *Store) Room(ctx context.Context, id parley.RoomID) (parley.Room, error) {
	r, err := scanRoom(s.r.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms r WHERE r.id = ?`, string(id)))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return parley.Room{}, fmt.Errorf("sqlitestore: room %s: %w", id, parley.ErrRoomNotFound)
	case err != nil:
		return parley.Room{}, fail(ctx, err, nil, "room %s", id)
	}
	return r, nil
}

// UpdateRoom replaces name, description, kind and updated_at of r.ID, and
// deleted_at/deleted_by when r.DeletedAt is set (an update never undeletes).
// Returns parley.ErrRoomNotFound.
func (s *Store) UpdateRoom(ctx context.Context, r parley.Room) error {
	res, err := s.w.ExecContext(ctx, `UPDATE rooms SET name = ?1, description = ?2, kind = ?3, updated_at = ?4,
		deleted_at = coalesce(?5, deleted_at), deleted_by = iif(?5 IS NULL, deleted_by, ?6)
		WHERE id = ?7`,
		r.Name, r.Description, string(r.Kind), millis(r.UpdatedAt), millis(r.DeletedAt), string(r.DeletedBy), string(r.ID))
	if err != nil {
		return fail(ctx, err, nil, "update room %s", r.ID)
	}
	return affected(ctx, res, parley.ErrRoomNotFound, "update room %s", r.ID)
}

// ListRooms returns one page of live rooms visible to q.Viewer and the number
// that match, read in one snapshot. Search matches name or description as a
// literal substring, folding ASCII case only. A Limit below 1 returns only
// the Count; a negative Offset counts as 0. Returns parley.ErrInvalid for an
// unknown Ordering.
func (s *Store) ListRooms(ctx context.Context, q persistence.RoomQuery) (persistence.RoomPage, error) {
	order, err := roomOrder(q.Ordering)
	if err != nil {
		return persistence.RoomPage{}, err
	}
	where, args := roomFilter(q)
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return persistence.RoomPage{}, fail(ctx, err, nil, "list rooms")
	}
	defer rollback(tx)
	var page persistence.RoomPage
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM rooms r WHERE `+where, args...).Scan(&page.Count); err != nil {
		return persistence.RoomPage{}, fail(ctx, err, nil, "count rooms")
	}
	offset := max(q.Offset, 0)
	if q.Limit <= 0 || offset >= page.Count {
		return page, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+roomColumns+` FROM rooms r WHERE `+where+
		` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, q.Limit, offset)...)
	if err != nil {
		return persistence.RoomPage{}, fail(ctx, err, nil, "list rooms")
	}
	defer rows.Close()
	page.Rooms = make([]parley.Room, 0, min(q.Limit, page.Count-offset))
	for rows.Next() {
		r, err := scanRoom(rows)
		if err != nil {
			return persistence.RoomPage{}, fail(ctx, err, nil, "list rooms: scan")
		}
		page.Rooms = append(page.Rooms, r)
	}
	if err := rows.Err(); err != nil {
		return persistence.RoomPage{}, fail(ctx, err, nil, "list rooms")
	}
	return page, nil
}

// roomOrder returns the ORDER BY clause of o: its key, then the id in the same
// direction, so that pages are stable and descending is the reverse of
// ascending.
func roomOrder(o persistence.RoomOrdering) (string, error) {
	switch o {
	case "", persistence.OrderCreatedDesc:
		return `r.created_at DESC, r.id DESC`, nil
	case persistence.OrderCreatedAsc:
		return `r.created_at, r.id`, nil
	case persistence.OrderNameAsc:
		return `r.name, r.id`, nil
	case persistence.OrderNameDesc:
		return `r.name DESC, r.id DESC`, nil
	}
	return "", fmt.Errorf("sqlitestore: list rooms: %w",
		parley.Invalid("ordering", "must be one of created_at, -created_at, name, -name"))
}

// activeMember is true when the user bound to its parameters (user, lowest
// and highest member role) holds a live, unbanned membership of room r.
const activeMember = `EXISTS (SELECT 1 FROM members m WHERE m.room_id = r.id AND m.user_id = ?
	AND m.deleted_at IS NULL AND m.banned = 0 AND m.role BETWEEN ? AND ?)`

// roomFilter returns the WHERE clause of q and its arguments. User input only
// ever travels as a bound parameter; the search is an escaped LIKE pattern.
func roomFilter(q persistence.RoomQuery) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 8)
	b.WriteString(`r.deleted_at IS NULL`)
	if q.Kind != "" {
		b.WriteString(` AND r.kind = ?`)
		args = append(args, string(q.Kind))
	}
	if q.Search != "" {
		pattern := "%" + likeEscaper.Replace(q.Search) + "%"
		b.WriteString(` AND (r.name LIKE ? ESCAPE '\' OR r.description LIKE ? ESCAPE '\')`)
		args = append(args, pattern, pattern)
	}
	member := []any{string(q.Viewer), int64(parley.RoleMember), int64(parley.RoleOwner)}
	switch {
	case q.MemberOnly:
		b.WriteString(` AND ` + activeMember)
		args = append(args, member...)
	case !q.ViewerIsAdmin:
		b.WriteString(` AND (r.kind = ? OR ` + activeMember + `)`)
		args = append(append(args, string(parley.RoomPublic)), member...)
	}
	return b.String(), args
}

// likeEscaper makes a string match itself in a LIKE pattern with ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanRoom reads one row of roomColumns.
func scanRoom(row rowScanner) (parley.Room, error) {
	var r parley.Room
	var created, updated, deleted sql.NullInt64
	err := row.Scan((*string)(&r.ID), &r.Name, &r.Description, (*string)(&r.Kind), (*string)(&r.CreatedBy),
		&created, &updated, &deleted, (*string)(&r.DeletedBy))
	r.CreatedAt, r.UpdatedAt, r.DeletedAt = fromMillis(created), fromMillis(updated), fromMillis(deleted)
	return r, err
}

// affected returns nil if res changed a row, else notFound wrapped with the
// operation.
func affected(ctx context.Context, res sql.Result, notFound *parley.Error, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fail(ctx, err, nil, format, args...)
	}
	if n == 0 {
		return fmt.Errorf("sqlitestore: "+format+": %w", append(args, notFound)...)
	}
	return nil
}
