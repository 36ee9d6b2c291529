package api

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/cluster/chatpb"
)

// The room grain records every moderation and admin action (role change,
// kick, ban, unban, room update and delete, deleting someone else's message)
// in the same batch as the change itself, with the actor, the target, the
// time and the reason from the body's reason field or X-Audit-Reason.

// auditQuery is GET .../audit/?before=&limit=.
type auditQuery struct {
	Before time.Time // entries strictly older; zero means the newest
	Limit  int
}

// parseAuditQuery parses the raw query string of an audit page. before is a
// time in the wire format (RFC 3339, as in every "at" field).
func parseAuditQuery(raw string) (auditQuery, error) {
	q := auditQuery{Limit: parley.DefaultPageSize}
	vals, err := parseParams(raw, "before", "limit")
	if err != nil {
		return q, err
	}
	if s := vals.Get("before"); s != "" {
		if q.Before, err = time.Parse(time.RFC3339Nano, s); err != nil || q.Before.Before(time.Unix(0, 0)) {
			return q, parley.Invalid("before", "must be an RFC 3339 time")
		}
	}
	if q.Limit, err = intParam(vals, "limit", q.Limit, parley.MaxPageSize); err != nil {
		return q, err
	}
	return q, nil
}

// encode returns the query string of q.
func (q auditQuery) encode() string {
	v := url.Values{}
	if !q.Before.IsZero() {
		v.Set("before", wsproto.FormatTime(q.Before))
	}
	if q.Limit != parley.DefaultPageSize {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v.Encode()
}

// auditLog: GET /api/chat/rooms/{id}/audit/?before=&limit= -> a page of the
// room's audit log, newest first (room admins and above, platform admins).
// next pages to older entries; there is no previous link.
func (s *Server) auditLog(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	q, err := parseAuditQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return err
	}
	if err := s.authorizeAudit(c.UserContext(), id, p); err != nil {
		return err
	}
	entries, err := s.store.Audit(c.UserContext(), id, q.Before, q.Limit+1) // one more: is there a next page?
	if err != nil {
		return fmt.Errorf("api: audit of %s: %w", id, err)
	}
	entries, more := auditPage(entries, q.Limit)
	out := cursorPage[wsproto.AuditEntry]{Results: make([]wsproto.AuditEntry, 0, len(entries))}
	for _, e := range entries {
		out.Results = append(out.Results, wsproto.AuditEntryFrom(e))
	}
	if more {
		next := auditQuery{Before: entries[len(entries)-1].At, Limit: q.Limit}
		out.Next = link(roomsPath+string(id)+"/audit/", next.encode())
	}
	return writeJSON(c, fiber.StatusOK, out)
}

// authorizeAudit lets room admins and above read a live room's log, and
// platform admins any room's, deleted rooms included: a deleted room reads as
// missing everywhere else, but its log is what an investigation needs.
func (s *Server) authorizeAudit(ctx context.Context, id parley.RoomID, p parley.Principal) error {
	_, err := s.rooms.Access(ctx, id, p, parley.ActViewAudit)
	if !p.Admin || !errors.Is(err, parley.ErrRoomNotFound) {
		return err
	}
	if _, serr := s.store.Room(ctx, id); serr != nil {
		if errors.Is(serr, parley.ErrRoomNotFound) {
			return err
		}
		return fmt.Errorf("api: audit of %s: %w", id, serr)
	}
	return nil
}

// auditPage cuts entries (newest first, up to limit+1 of them) to one page,
// reporting whether older entries remain. The cursor is a time at millisecond
// resolution, so a page never ends inside a group of entries of the same
// millisecond (an ownership transfer writes two): the group moves to the next
// page whole. Only a group larger than a whole page is split, and its older
// part skipped: the store pages by time alone.
func auditPage(entries []parley.AuditEntry, limit int) (page []parley.AuditEntry, more bool) {
	if len(entries) <= limit {
		return entries, false
	}
	cut := limit
	for cut > 0 && entries[cut-1].At.UnixMilli() == entries[cut].At.UnixMilli() {
		cut--
	}
	if cut == 0 {
		cut = limit
	}
	return entries[:cut], true
}

// unban: POST /api/chat/rooms/{id}/members/{user}/unban/ {reason?} -> 204.
// Moderators and above lift a ban on a user below their rank; the user may
// then join again (a public room) or be added (a private one).
func (s *Server) unban(c *fiber.Ctx, p parley.Principal) error {
	id, user, err := memberParams(c)
	if err != nil {
		return err
	}
	reason, err := bodyReason(c)
	if err != nil {
		return err
	}
	if _, err := s.rooms.ChangeMember(c.UserContext(), id, p, cluster.MemberChange{
		Op: chatpb.MemberOp_MEMBER_OP_UNBAN, Target: user, Reason: reason,
	}); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
