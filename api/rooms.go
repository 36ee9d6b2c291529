package api

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/persistence"
)

// roomsPath is the collection every room URL starts with.
const roomsPath = "/api/chat/rooms/"

// page is the list envelope of the REST contract. Next and Previous are
// absolute-path URLs of the neighbouring pages, or null.
type page[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// cursorPage is the history envelope: no count, cursor URLs by seq.
type cursorPage[T any] struct {
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

func link(path, query string) *string {
	s := path + "?" + query
	return &s
}

// createRoom: POST /api/chat/rooms/ {name, description?, kind?} -> 201 room.
// The creator becomes its owner. kind defaults to public.
func (s *Server) createRoom(c *fiber.Ctx, p parley.Principal) error {
	var b createRoomBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	r, err := newRoom(b, p.User, s.now())
	if err != nil {
		return err
	}
	owner := parley.Member{RoomID: r.ID, UserID: p.User, Role: parley.RoleOwner, JoinedAt: r.CreatedAt}
	if err := s.store.CreateRoom(c.UserContext(), r, owner); err != nil {
		return fmt.Errorf("api: create room: %w", err)
	}
	out := wsproto.RoomFrom(r)
	out.Role = parley.RoleOwner.String()
	out.LastSeq = new(uint64)
	return writeJSON(c, fiber.StatusCreated, out)
}

func newRoom(b createRoomBody, creator parley.UserID, now time.Time) (parley.Room, error) {
	name, err := parley.CleanRoomName(nfc(b.Name))
	if err != nil {
		return parley.Room{}, err
	}
	desc, err := parley.CleanRoomDescription(nfc(b.Description))
	if err != nil {
		return parley.Room{}, err
	}
	kind := parley.RoomKind(b.Kind)
	if kind == "" {
		kind = parley.RoomPublic
	} else if !kind.Valid() {
		return parley.Room{}, parley.Invalid("kind", "must be public or private")
	}
	return parley.Room{
		ID: parley.RoomID(parley.NewID()), Name: name, Description: desc, Kind: kind,
		CreatedBy: creator, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// listRooms: GET /api/chat/rooms/ -> one page of the rooms the caller may see.
// A page past the last is empty, with previous pointing at the last page.
func (s *Server) listRooms(c *fiber.Ctx, p parley.Principal) error {
	q, err := parseRoomListQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return err
	}
	res, err := s.store.ListRooms(c.UserContext(), persistence.RoomQuery{
		Viewer: p.User, ViewerIsAdmin: p.Admin, Search: q.Search, Kind: q.Kind,
		MemberOnly: q.MemberOnly, Ordering: q.Ordering,
		Offset: (q.Page - 1) * q.PageSize, Limit: q.PageSize,
	})
	if err != nil {
		return fmt.Errorf("api: list rooms: %w", err)
	}
	out := page[wsproto.Room]{Count: res.Count, Results: make([]wsproto.Room, 0, len(res.Rooms))}
	for _, r := range res.Rooms {
		out.Results = append(out.Results, wsproto.RoomFrom(r))
	}
	if q.Page*q.PageSize < res.Count {
		out.Next = link(roomsPath, q.encode(q.Page+1))
	}
	if q.Page > 1 {
		last := max(1, (res.Count+q.PageSize-1)/q.PageSize)
		out.Previous = link(roomsPath, q.encode(min(q.Page-1, last)))
	}
	return writeJSON(c, fiber.StatusOK, out)
}

// roomDetail: GET /api/chat/rooms/{id}/ -> the room with the caller's role
// and the room's last seq. Private rooms the caller may not see, and deleted
// rooms, are 404.
func (s *Server) roomDetail(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	acc, err := s.rooms.Access(c.UserContext(), id, p, parley.ActViewRoom)
	if err != nil {
		return err
	}
	if acc.Room.IsDeleted() {
		return parley.ErrRoomNotFound
	}
	out := wsproto.RoomFrom(acc.Room)
	if acc.Me.IsActive() {
		out.Role = acc.Me.Role.String()
	}
	out.LastSeq = &acc.LastSeq
	return writeJSON(c, fiber.StatusOK, out)
}

// updateRoom: PATCH /api/chat/rooms/{id}/ {name?, description?, kind?, reason?}
// (admin and above) -> the updated room.
func (s *Server) updateRoom(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	var b updateRoomBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	patch, err := roomPatch(b)
	if err != nil {
		return err
	}
	reason, err := auditReason(c, b.Reason)
	if err != nil {
		return err
	}
	r, err := s.rooms.UpdateRoom(c.UserContext(), id, p, patch, reason)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, wsproto.RoomFrom(r))
}

func roomPatch(b updateRoomBody) (parley.RoomPatch, error) {
	var patch parley.RoomPatch
	if b.Name == nil && b.Description == nil && b.Kind == nil {
		return patch, parley.Invalid("body", "must change name, description or kind")
	}
	if b.Name != nil {
		name, err := parley.CleanRoomName(nfc(*b.Name))
		if err != nil {
			return patch, err
		}
		patch.Name = &name
	}
	if b.Description != nil {
		desc, err := parley.CleanRoomDescription(nfc(*b.Description))
		if err != nil {
			return patch, err
		}
		patch.Description = &desc
	}
	if b.Kind != nil {
		kind := parley.RoomKind(*b.Kind)
		if !kind.Valid() {
			return patch, parley.Invalid("kind", "must be public or private")
		}
		patch.Kind = &kind
	}
	return patch, nil
}

// deleteRoom: DELETE /api/chat/rooms/{id}/ (owner or platform admin) -> 204.
// The room is soft deleted: it drops out of lists and reads as 404.
func (s *Server) deleteRoom(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	reason, err := bodyReason(c)
	if err != nil {
		return err
	}
	if _, err := s.rooms.DeleteRoom(c.UserContext(), id, p, reason); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// join: POST /api/chat/rooms/{id}/join/ -> 200 the caller's membership.
func (s *Server) join(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	m, err := s.rooms.Join(c.UserContext(), id, p)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, wsproto.MemberFrom(m))
}

// leave: POST /api/chat/rooms/{id}/leave/ -> 204. The owner must transfer
// ownership first (409 owner_must_transfer).
func (s *Server) leave(c *fiber.Ctx, p parley.Principal) error {
	id, err := roomParam(c)
	if err != nil {
		return err
	}
	if _, err := s.rooms.Leave(c.UserContext(), id, p); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// roomParam returns the {room} path parameter, copied. Anything that is not
// an id shape is a room that does not exist: junk never reaches a store.
func roomParam(c *fiber.Ctx) (parley.RoomID, error) {
	id := c.Params("room")
	if !parley.ValidID(id) {
		return "", parley.ErrRoomNotFound
	}
	return parley.RoomID(strings.Clone(id)), nil
}

// auditReason returns the cleaned audit reason: the body's reason field, or
// else the X-Audit-Reason header.
func auditReason(c *fiber.Ctx, fromBody string) (string, error) {
	if fromBody == "" {
		fromBody = strings.Clone(c.Get("X-Audit-Reason"))
	}
	return parley.CleanReason(fromBody)
}

// bodyReason reads an optional {reason} body and returns the audit reason.
func bodyReason(c *fiber.Ctx) (string, error) {
	var b reasonBody
	if err := decodeOptionalJSON(c, &b); err != nil {
		return "", err
	}
	return auditReason(c, b.Reason)
}
