package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parleychat/parley"
)

// memberRecord is a membership as stored in the members collection, one per
// (room_id, user_id). Its _id is the server's ObjectID: records are found by
// the unique (room_id, user_id) index.
type memberRecord struct {
	RoomID    string    `bson:"room_id"`
	UserID    string    `bson:"user_id"`
	Role      int32     `bson:"role"`
	JoinedAt  time.Time `bson:"joined_at,omitempty"`
	Banned    bool      `bson:"banned,omitempty"`
	DeletedAt time.Time `bson:"deleted_at,omitempty"`
	DeletedBy string    `bson:"deleted_by,omitempty"`
}

// memberIndexes: one record per (room, user), which also serves a room's
// member list; (user_id) finds the rooms a user belongs to (room lists).
func memberIndexes() []mongo.IndexModel {
	return []mongo.IndexModel{
		index("room_user_unique", bson.D{{Key: "room_id", Value: 1}, {Key: "user_id", Value: 1}}, true),
		index("user", bson.D{{Key: "user_id", Value: 1}}, false),
	}
}

func toMemberRecord(m parley.Member) memberRecord {
	return memberRecord{
		RoomID:    string(m.RoomID),
		UserID:    string(m.UserID),
		Role:      int32(m.Role),
		JoinedAt:  storedTime(m.JoinedAt),
		Banned:    m.Banned,
		DeletedAt: storedTime(m.DeletedAt),
		DeletedBy: string(m.DeletedBy),
	}
}

func (r memberRecord) member() parley.Member {
	return parley.Member{
		RoomID:    parley.RoomID(r.RoomID),
		UserID:    parley.UserID(r.UserID),
		Role:      parley.Role(r.Role),
		JoinedAt:  loadedTime(r.JoinedAt),
		Banned:    r.Banned,
		DeletedAt: loadedTime(r.DeletedAt),
		DeletedBy: parley.UserID(r.DeletedBy),
	}
}

// PutMember inserts or replaces the record of (m.RoomID, m.UserID). It does
// not check that the room exists.
func (s *Store) PutMember(ctx context.Context, m parley.Member) error {
	op := "put member " + string(m.RoomID) + "/" + string(m.UserID)
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	return storeErr(op, s.putMember(ctx, m), nil)
}

// putMember upserts m's record and returns the driver's error. Two upserts of
// a new (room, user) can both try to insert; the loser sees a duplicate key
// and, the record now existing, its retry replaces it.
func (s *Store) putMember(ctx context.Context, m parley.Member) error {
	filter := bson.D{{Key: "room_id", Value: string(m.RoomID)}, {Key: "user_id", Value: string(m.UserID)}}
	rec := toMemberRecord(m)
	upsert := options.Replace().SetUpsert(true)
	_, err := s.members.ReplaceOne(ctx, filter, rec, upsert)
	if mongo.IsDuplicateKeyError(err) {
		_, err = s.members.ReplaceOne(ctx, filter, rec, upsert)
	}
	return err
}

// Members returns every record of the room in join order (joined_at, then
// user id), departed and banned ones included; none for an unknown room.
func (s *Store) Members(ctx context.Context, room parley.RoomID) ([]parley.Member, error) {
	op := "members of room " + string(room)
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	sort := bson.D{{Key: "joined_at", Value: 1}, {Key: "user_id", Value: 1}}
	cur, err := s.members.Find(ctx, bson.D{{Key: "room_id", Value: string(room)}}, options.Find().SetSort(sort))
	if err != nil {
		return nil, storeErr(op, err, nil)
	}
	defer closeCursor(ctx, cur)
	var out []parley.Member
	for cur.Next(ctx) {
		var rec memberRecord
		if err := cur.Decode(&rec); err != nil {
			return nil, storeErr(op, err, nil)
		}
		out = append(out, rec.member())
	}
	return out, storeErr(op, cur.Err(), nil)
}

// activeRooms returns the ids of the rooms user is an active member of
// (parley.Member.IsActive), for room lists; never nil, because a nil slice
// would encode as null where $in wants an array. No user means no rooms.
func (s *Store) activeRooms(ctx context.Context, user parley.UserID) ([]string, error) {
	ids := []string{}
	if user == "" {
		return ids, nil
	}
	cur, err := s.members.Find(ctx, bson.D{{Key: "user_id", Value: string(user)}})
	if err != nil {
		return nil, err
	}
	defer closeCursor(ctx, cur)
	for cur.Next(ctx) {
		var rec memberRecord
		if err := cur.Decode(&rec); err != nil {
			return nil, err
		}
		if rec.member().IsActive() {
			ids = append(ids, rec.RoomID)
		}
	}
	return ids, cur.Err()
}
