package mongostore

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// roomRecord is a room as stored in the rooms collection. A live room has no
// deleted_at.
type roomRecord struct {
	ID          string    `bson:"_id"`
	Name        string    `bson:"name"`
	Description string    `bson:"description"`
	Kind        string    `bson:"kind"`
	CreatedBy   string    `bson:"created_by,omitempty"`
	CreatedAt   time.Time `bson:"created_at,omitempty"`
	UpdatedAt   time.Time `bson:"updated_at,omitempty"`
	DeletedAt   time.Time `bson:"deleted_at,omitempty"`
	DeletedBy   string    `bson:"deleted_by,omitempty"`
}

// roomIndexes serve room lists: live rooms (deleted_at absent) by creation
// time or by name, ties broken by id. Search is a substring match that no
// index can serve; it runs on the live rooms the other clauses select.
func roomIndexes() []mongo.IndexModel {
	return []mongo.IndexModel{
		index("live_created", bson.D{{Key: "deleted_at", Value: 1}, {Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}, false),
		index("live_name", bson.D{{Key: "deleted_at", Value: 1}, {Key: "name", Value: 1}, {Key: "_id", Value: 1}}, false),
	}
}

func toRoomRecord(r parley.Room) roomRecord {
	return roomRecord{
		ID:          string(r.ID),
		Name:        r.Name,
		Description: r.Description,
		Kind:        string(r.Kind),
		CreatedBy:   string(r.CreatedBy),
		CreatedAt:   storedTime(r.CreatedAt),
		UpdatedAt:   storedTime(r.UpdatedAt),
		DeletedAt:   storedTime(r.DeletedAt),
		DeletedBy:   string(r.DeletedBy),
	}
}

func (r roomRecord) room() parley.Room {
	return parley.Room{
		ID:          parley.RoomID(r.ID),
		Name:        r.Name,
		Description: r.Description,
		Kind:        parley.RoomKind(r.Kind),
		CreatedBy:   parley.UserID(r.CreatedBy),
		CreatedAt:   loadedTime(r.CreatedAt),
		UpdatedAt:   loadedTime(r.UpdatedAt),
		DeletedAt:   loadedTime(r.DeletedAt),
		DeletedBy:   parley.UserID(r.DeletedBy),
	}
}

// CreateRoom stores r, then owner as r's membership. It returns
// parley.ErrConflict, having changed nothing, if the id is in use. Without
// transactions the two writes are separate: if the membership cannot be
// written, the room just inserted is removed again (best effort, bounded by
// a fresh timeout) so that a failed CreateRoom leaves nothing behind.
func (s *Store) CreateRoom(ctx context.Context, r parley.Room, owner parley.Member) error {
	op := "create room " + string(r.ID)
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	if _, err := s.rooms.InsertOne(ctx, toRoomRecord(r)); err != nil {
		return storeErr(op, err, nil)
	}
	owner.RoomID = r.ID
	if err := s.putMember(ctx, owner); err != nil {
		s.undoCreateRoom(ctx, r.ID)
		return storeErr(op+": owner membership", err, nil)
	}
	return nil
}

// undoCreateRoom removes the room CreateRoom inserted moments ago. This is
// the one hard delete in the store: it takes back a write that was never
// reported as done, so no history is lost.
func (s *Store) undoCreateRoom(ctx context.Context, id parley.RoomID) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.OpTimeout)
	defer cancel()
	_, _ = s.rooms.DeleteOne(ctx, bson.D{{Key: "_id", Value: string(id)}}) // the caller reports the first failure
}

// Room returns the room, deleted or not, or parley.ErrRoomNotFound.
func (s *Store) Room(ctx context.Context, id parley.RoomID) (parley.Room, error) {
	op := "room " + string(id)
	if err := ctxErr(ctx, op); err != nil {
		return parley.Room{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	var rec roomRecord
	if err := s.rooms.FindOne(ctx, bson.D{{Key: "_id", Value: string(id)}}).Decode(&rec); err != nil {
		return parley.Room{}, storeErr(op, err, parley.ErrRoomNotFound)
	}
	return rec.room(), nil
}

// UpdateRoom replaces name, description, kind and updated_at of r.ID, and
// deleted_at and deleted_by when r.DeletedAt is set: an update never
// undeletes a room, nor changes its creator. It returns
// parley.ErrRoomNotFound if there is no such room.
func (s *Store) UpdateRoom(ctx context.Context, r parley.Room) error {
	op := "update room " + string(r.ID)
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	var u update
	u.setString("name", r.Name)
	u.setString("description", r.Description)
	u.setString("kind", string(r.Kind))
	u.setTime("updated_at", r.UpdatedAt)
	if r.IsDeleted() {
		u.setTime("deleted_at", r.DeletedAt)
		u.setOptional("deleted_by", string(r.DeletedBy))
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := s.rooms.UpdateOne(ctx, bson.D{{Key: "_id", Value: string(r.ID)}}, u.doc())
	if err != nil {
		return storeErr(op, err, nil)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("%s: %w", op, parley.ErrRoomNotFound)
	}
	return nil
}

// ListRooms returns one page of the live rooms q.Viewer may see, and how many
// match in all. A page past the end is empty; Limit is clamped to
// 1..parley.MaxPageSize (zero means parley.DefaultPageSize).
func (s *Store) ListRooms(ctx context.Context, q persistence.RoomQuery) (persistence.RoomPage, error) {
	const op = "list rooms"
	if err := ctxErr(ctx, op); err != nil {
		return persistence.RoomPage{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter, ok, err := s.roomFilter(ctx, q)
	if err != nil {
		return persistence.RoomPage{}, storeErr(op, err, nil)
	}
	if !ok {
		return persistence.RoomPage{}, nil
	}
	count, err := s.rooms.CountDocuments(ctx, filter)
	if err != nil {
		return persistence.RoomPage{}, storeErr(op, err, nil)
	}
	page := persistence.RoomPage{Count: int(count)}
	offset, limit := max(q.Offset, 0), clampLimit(q.Limit, parley.DefaultPageSize, parley.MaxPageSize)
	if int64(offset) >= count {
		return page, nil
	}
	opts := options.Find().SetSort(roomSort(q.Ordering)).
		SetSkip(int64(offset)).SetLimit(int64(limit)).SetBatchSize(int32(limit))
	cur, err := s.rooms.Find(ctx, filter, opts)
	if err != nil {
		return persistence.RoomPage{}, storeErr(op, err, nil)
	}
	defer closeCursor(ctx, cur)
	page.Rooms = make([]parley.Room, 0, limit)
	for cur.Next(ctx) {
		var rec roomRecord
		if err := cur.Decode(&rec); err != nil {
			return persistence.RoomPage{}, storeErr(op, err, nil)
		}
		page.Rooms = append(page.Rooms, rec.room())
	}
	return page, storeErr(op, cur.Err(), nil)
}

// roomFilter builds the query for q from typed values only. ok is false when
// no room can match (a search no stored text can contain).
func (s *Store) roomFilter(ctx context.Context, q persistence.RoomQuery) (filter bson.D, ok bool, err error) {
	and := bson.A{bson.D{{Key: "deleted_at", Value: nil}}} // null matches "absent": live rooms
	if q.Kind != "" {
		and = append(and, bson.D{{Key: "kind", Value: string(q.Kind)}})
	}
	if q.MemberOnly || !q.ViewerIsAdmin {
		mine, err := s.activeRooms(ctx, q.Viewer)
		if err != nil {
			return nil, false, err
		}
		inMine := bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: mine}}}}
		if q.MemberOnly {
			and = append(and, inMine)
		} else {
			public := bson.D{{Key: "kind", Value: string(parley.RoomPublic)}}
			and = append(and, bson.D{{Key: "$or", Value: bson.A{public, inMine}}})
		}
	}
	if q.Search != "" {
		pattern, ok := searchPattern(q.Search)
		if !ok {
			return nil, false, nil
		}
		re := bson.Regex{Pattern: pattern}
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "name", Value: re}},
			bson.D{{Key: "description", Value: re}},
		}}})
	}
	return bson.D{{Key: "$and", Value: and}}, true, nil
}

// searchPattern returns a regular expression that matches search as a
// literal substring, ASCII letters in either case ([gG][oO] for "go"): the
// same on MongoDB's PCRE and FerretDB's Go regexp, which fold non-ASCII case
// differently, and no user text is ever a pattern. ok is false for a search
// no room can contain: invalid UTF-8, a NUL (which a pattern cannot hold), or
// longer than any name or description may be; so the pattern is bounded too.
func searchPattern(search string) (pattern string, ok bool) {
	if !utf8.ValidString(search) || strings.ContainsRune(search, 0) ||
		utf8.RuneCountInString(search) > max(parley.MaxRoomName, parley.MaxRoomDescription) {
		return "", false
	}
	var b strings.Builder
	b.Grow(4 * len(search))
	for _, c := range search {
		lower, upper := c|0x20, c&^0x20
		if c < utf8.RuneSelf && lower >= 'a' && lower <= 'z' {
			b.WriteByte('[')
			b.WriteRune(lower)
			b.WriteRune(upper)
			b.WriteByte(']')
			continue
		}
		b.WriteString(regexp.QuoteMeta(string(c)))
	}
	return b.String(), true
}

// roomSort returns the sort of o, ties broken by id in the same direction.
// An unknown ordering sorts as the default, newest first.
func roomSort(o persistence.RoomOrdering) bson.D {
	switch o {
	case persistence.OrderCreatedAsc:
		return bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}
	case persistence.OrderNameAsc:
		return bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}
	case persistence.OrderNameDesc:
		return bson.D{{Key: "name", Value: -1}, {Key: "_id", Value: -1}}
	}
	return bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}
}
