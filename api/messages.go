package api

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/persistence"
)

// sendMessage: POST /api/chat/rooms/{id}/send_message/ {body, client_id?} ->
// 201 {seq, id, room, sender, body, created_at, client_id}. The server makes a
// client_id when the client sent none, before calling the room, so the room's
// own retries stay idempotent. A resend with a client_id the room already
// stored answers 200 with the first message (same seq and id); the same
// client_id with a different body is 409 client_id_reused.
func (s *Server) sendMessage(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	var b sendBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	body, err := parley.CleanBody(b.Body)
	if err != nil {
		return err
	}
	if err := parley.CheckClientID(b.ClientID); err != nil {
		return err
	}
	if err := s.limit(c.UserContext(), actSend, p.User, c.IP()); err != nil {
		return err
	}
	if b.ClientID == "" {
		b.ClientID = parley.NewID()
	}
	m, dup, err := s.rooms.Post(c.UserContext(), id, p, b.ClientID, body)
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if dup {
		status = fiber.StatusOK
	}
	return writeJSON(c, status, wsproto.AckFrom(m))
}

// history: GET /api/chat/rooms/{id}/messages/?before=&after=&limit= -> a page
// of messages newest first (members only; deleted messages as tombstones).
// next pages to older messages, previous to newer ones.
func (s *Server) history(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	q, err := parseHistoryQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return err
	}
	acc, err := s.rooms.Access(c.UserContext(), id, p, parley.ActRead)
	if err != nil {
		return err
	}
	msgs, err := s.store.Messages(c.UserContext(), persistence.MessageQuery{
		Room: id, Before: q.Before, After: q.After, Limit: q.Limit,
	})
	if err != nil {
		return fmt.Errorf("api: history of %s: %w", id, err)
	}
	out := cursorPage[wsproto.Message]{Results: make([]wsproto.Message, 0, len(msgs))}
	for _, m := range msgs {
		out.Results = append(out.Results, wsproto.MessageFrom(m))
	}
	out.Next, out.Previous = historyLinks(id, q, msgs, acc.LastSeq)
	return writeJSON(c, fiber.StatusOK, out)
}

// historyLinks returns the cursor URLs around msgs (newest first): next to
// the page of older messages (before the oldest here), previous to the page of
// newer ones (after the newest here). Seqs are gapless from 1, so older
// messages exist while the oldest here is above 1, newer ones while the newest
// is below the room's last seq.
func historyLinks(room parley.RoomID, q historyQuery, msgs []parley.Message, lastSeq uint64) (next, prev *string) {
	if len(msgs) == 0 {
		return nil, nil
	}
	path := roomsPath + string(room) + "/messages/"
	if oldest := msgs[len(msgs)-1].Seq; oldest > 1 {
		next = link(path, historyQuery{Before: oldest, Limit: q.Limit}.encode())
	}
	if newest := msgs[0].Seq; newest < lastSeq {
		prev = link(path, historyQuery{After: newest, Limit: q.Limit}.encode())
	}
	return next, prev
}

// editMessage: PATCH /api/chat/rooms/{id}/messages/{seq}/ {body} -> the
// edited message. Only its author may edit it.
func (s *Server) editMessage(c *fiber.Ctx, p parley.Principal) error {
	id, seq, err := messageParams(c)
	if err != nil {
		return err
	}
	var b editBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	body, err := parley.CleanBody(b.Body)
	if err != nil {
		return err
	}
	m, err := s.rooms.EditMessage(c.UserContext(), id, p, seq, body)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, wsproto.MessageFrom(m))
}

// deleteMessage: DELETE /api/chat/rooms/{id}/messages/{seq}/ -> 200 the
// tombstone. Its author, or a moderator and above, may delete it; the record
// stays (soft delete) and every read path shows it without its body.
func (s *Server) deleteMessage(c *fiber.Ctx, p parley.Principal) error {
	id, seq, err := messageParams(c)
	if err != nil {
		return err
	}
	reason, err := bodyReason(c)
	if err != nil {
		return err
	}
	m, err := s.rooms.DeleteMessage(c.UserContext(), id, p, seq, reason)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, wsproto.MessageFrom(m))
}

// messageParams returns the {room} and {seq} path parameters.
func messageParams(c *fiber.Ctx) (parley.RoomID, uint64, error) {
	id, err := roomParam(c)
	if err != nil {
		return "", 0, err
	}
	seq, err := strconv.ParseUint(c.Params("seq"), 10, 64)
	if err != nil || seq == 0 {
		return "", 0, parley.Invalid("seq", "must be a positive integer")
	}
	return id, seq, nil
}
