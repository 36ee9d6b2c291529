package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

const messageColumns = `seq, id, sender_id, client_id, body, created_at, edited_at, deleted_at, deleted_by`

// Hot statements, prepared once by Open.
const (
	sqlInsertMessage = `INSERT INTO messages (room_id, ` + messageColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlPageDesc      = `SELECT ` + messageColumns + ` FROM messages
		WHERE room_id = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`
	sqlPageAsc = `SELECT ` + messageColumns + ` FROM messages
		WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`
	sqlLastSeq = `SELECT coalesce(max(seq), 0) FROM messages WHERE room_id = ?`
)

// prepare prepares the hot statements: the append on the write connection,
// history reads on the read pool.
func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		dst   **sql.Stmt
		db    *sql.DB
		query string
	}{
		{&s.insertMessage, s.w, sqlInsertMessage},
		{&s.pageDesc, s.r, sqlPageDesc},
		{&s.pageAsc, s.r, sqlPageAsc},
		{&s.lastSeq, s.r, sqlLastSeq},
	} {
		st, err := p.db.PrepareContext(ctx, p.query)
		if err != nil {
			return fail(ctx, err, nil, "prepare %q", p.query)
		}
		*p.dst = st
	}
	return nil
}

// AppendMessages stores a batch of one room's messages atomically: all of
// them or, on error, none. Returns parley.ErrConflict if a message with the
// same (room, seq) or (room, sender, client id) exists, and
// parley.ErrRoomNotFound if the room does not. The commit is durable (fsynced
// unless Config.RelaxedSync) before it returns.
//
// Concurrent calls share one transaction and one fsync (see appender); each
// still succeeds or fails on its own. ctx bounds the wait for that shared
// transaction: a call whose ctx ends first returns parley.ErrUnavailable and
// stores nothing. After Close it returns parley.ErrUnavailable.
func (s *Store) AppendMessages(ctx context.Context, msgs []parley.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := checkBatch(msgs); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fail(ctx, err, nil, "append %s/%d", msgs[0].RoomID, msgs[0].Seq)
	}
	return s.appends.append(ctx, msgs)
}

// checkBatch rejects a batch that spans rooms or holds a seq SQLite cannot
// store (0, or above math.MaxInt64).
func checkBatch(msgs []parley.Message) error {
	room := msgs[0].RoomID
	for _, m := range msgs {
		if m.RoomID != room {
			return fmt.Errorf("sqlitestore: append %s: %w", room, parley.Invalid("room_id", "a batch holds one room's messages"))
		}
		if m.Seq == 0 || m.Seq > math.MaxInt64 {
			return fmt.Errorf("sqlitestore: append %s/%d: %w", room, m.Seq, parley.Invalid("seq", "must be 1 to 2^63-1"))
		}
	}
	return nil
}

// LastSeq returns the highest stored seq of the room, 0 if none (or no room).
func (s *Store) LastSeq(ctx context.Context, room parley.RoomID) (uint64, error) {
	var seq int64
	if err := s.lastSeq.QueryRowContext(ctx, string(room)).Scan(&seq); err != nil {
		return 0, fail(ctx, err, nil, "last seq of %s", room)
	}
	return uint64(seq), nil
}

// Messages returns a page of history, newest first, deleted messages
// included (see persistence.MessageQuery). A Limit below 1 returns nothing.
func (s *Store) Messages(ctx context.Context, q persistence.MessageQuery) ([]parley.Message, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	after := int64(min(q.After, math.MaxInt64))
	var rows *sql.Rows
	var err error
	if q.Before == 0 && q.After > 0 {
		rows, err = s.pageAsc.QueryContext(ctx, string(q.Room), after, q.Limit)
	} else {
		before := int64(math.MaxInt64)
		if q.Before > 0 {
			before = int64(min(q.Before, math.MaxInt64))
		}
		rows, err = s.pageDesc.QueryContext(ctx, string(q.Room), after, before, q.Limit)
	}
	if err != nil {
		return nil, fail(ctx, err, nil, "messages of %s", q.Room)
	}
	out, err := scanMessages(rows, q.Room, min(q.Limit, parley.MaxHistory))
	if err != nil {
		return nil, fail(ctx, err, nil, "messages of %s", q.Room)
	}
	if q.Before == 0 && q.After > 0 {
		slices.Reverse(out) // read oldest first to find the page; return newest first
	}
	return out, nil
}

// scanMessages reads and closes rows of messageColumns of room.
func scanMessages(rows *sql.Rows, room parley.RoomID, capacity int) ([]parley.Message, error) {
	defer rows.Close()
	out := make([]parley.Message, 0, capacity)
	for rows.Next() {
		m, err := scanMessage(rows, room)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// scanMessage reads one row of messageColumns of room.
func scanMessage(row rowScanner, room parley.RoomID) (parley.Message, error) {
	m := parley.Message{RoomID: room}
	var seq int64
	var created, edited, deleted sql.NullInt64
	err := row.Scan(&seq, (*string)(&m.ID), (*string)(&m.SenderID), &m.ClientID, &m.Body,
		&created, &edited, &deleted, (*string)(&m.DeletedBy))
	m.Seq = uint64(seq)
	m.CreatedAt, m.EditedAt, m.DeletedAt = fromMillis(created), fromMillis(edited), fromMillis(deleted)
	return m, err
}

// MessageBySeq returns parley.ErrMessageNotFound if there is none.
func (s *Store) MessageBySeq(ctx context.Context, room parley.RoomID, seq uint64) (parley.Message, error) {
	if seq > math.MaxInt64 {
		return parley.Message{}, fmt.Errorf("sqlitestore: message %s/%d: %w", room, seq, parley.ErrMessageNotFound)
	}
	row := s.r.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE room_id = ? AND seq = ?`,
		string(room), int64(seq))
	return s.oneMessage(ctx, row, room, "message %s/%d", room, seq)
}

// MessageByClientID returns parley.ErrMessageNotFound if there is none. The
// empty client id means "none given" and matches nothing.
func (s *Store) MessageByClientID(ctx context.Context, room parley.RoomID, sender parley.UserID, clientID string) (parley.Message, error) {
	if clientID == "" {
		return parley.Message{}, fmt.Errorf("sqlitestore: message %s/%s/\"\": %w", room, sender, parley.ErrMessageNotFound)
	}
	// client_id <> '' lets SQLite use the partial unique index messages_client.
	row := s.r.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE room_id = ? AND sender_id = ? AND client_id = ? AND client_id <> ''`, string(room), string(sender), clientID)
	return s.oneMessage(ctx, row, room, "message %s/%s/%s", room, sender, clientID)
}

// oneMessage scans row, translating "no row" into parley.ErrMessageNotFound.
func (s *Store) oneMessage(ctx context.Context, row *sql.Row, room parley.RoomID, format string, args ...any) (parley.Message, error) {
	m, err := scanMessage(row, room)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return parley.Message{}, fmt.Errorf("sqlitestore: "+format+": %w", append(args, parley.ErrMessageNotFound)...)
	case err != nil:
		return parley.Message{}, fail(ctx, err, nil, format, args...)
	}
	return m, nil
}

// UpdateMessage replaces body, edited_at, deleted_at and deleted_by of the
// message (m.RoomID, m.Seq). Returns parley.ErrMessageNotFound.
func (s *Store) UpdateMessage(ctx context.Context, m parley.Message) error {
	if m.Seq > math.MaxInt64 {
		return fmt.Errorf("sqlitestore: update message %s/%d: %w", m.RoomID, m.Seq, parley.ErrMessageNotFound)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE messages SET body = ?, edited_at = ?, deleted_at = ?, deleted_by = ?
		WHERE room_id = ? AND seq = ?`,
		m.Body, millis(m.EditedAt), millis(m.DeletedAt), string(m.DeletedBy), string(m.RoomID), int64(m.Seq))
	if err != nil {
		return fail(ctx, err, nil, "update message %s/%d", m.RoomID, m.Seq)
	}
	return affected(ctx, res, parley.ErrMessageNotFound, "update message %s/%d", m.RoomID, m.Seq)
}
