package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parleychat/parley"
)

// auditRecord is an audit entry as stored in the audit collection.
type auditRecord struct {
	ID     string    `bson:"_id"`
	RoomID string    `bson:"room_id"`
	Actor  string    `bson:"actor"`
	Action string    `bson:"action"`
	Target string    `bson:"target,omitempty"`
	Detail string    `bson:"detail,omitempty"`
	Reason string    `bson:"reason,omitempty"`
	At     time.Time `bson:"at,omitempty"`
}

// auditIndexes: a room's log, newest first.
func auditIndexes() []mongo.IndexModel {
	return []mongo.IndexModel{
		index("room_at", bson.D{{Key: "room_id", Value: 1}, {Key: "at", Value: -1}, {Key: "_id", Value: -1}}, false),
	}
}

func toAuditRecord(e parley.AuditEntry) auditRecord {
	return auditRecord{
		ID:     e.ID,
		RoomID: string(e.RoomID),
		Actor:  string(e.Actor),
		Action: e.Action,
		Target: e.Target,
		Detail: e.Detail,
		Reason: e.Reason,
		At:     storedTime(e.At),
	}
}

func (r *auditRecord) entry() parley.AuditEntry {
	return parley.AuditEntry{
		ID:     r.ID,
		RoomID: parley.RoomID(r.RoomID),
		Actor:  parley.UserID(r.Actor),
		Action: r.Action,
		Target: r.Target,
		Detail: r.Detail,
		Reason: r.Reason,
		At:     loadedTime(r.At),
	}
}

// AppendAudit stores e, with a new id if it has none. It returns
// parley.ErrConflict if the id is taken.
func (s *Store) AppendAudit(ctx context.Context, e parley.AuditEntry) error {
	if e.ID == "" {
		e.ID = parley.NewID()
	}
	op := "append audit " + string(e.RoomID) + "/" + e.ID
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.audit.InsertOne(ctx, toAuditRecord(e))
	return storeErr(op, err, nil)
}

// Audit returns up to limit entries of the room, newest first, older than
// before (the zero time means from the newest). limit is clamped to
// 1..parley.MaxHistory (zero means parley.DefaultHistory).
func (s *Store) Audit(ctx context.Context, room parley.RoomID, before time.Time, limit int) ([]parley.AuditEntry, error) {
	op := "audit of room " + string(room)
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	filter := bson.D{{Key: "room_id", Value: string(room)}}
	if !before.IsZero() {
		filter = append(filter, bson.E{Key: "at", Value: bson.D{{Key: "$lt", Value: storedTime(before)}}})
	}
	limit = clampLimit(limit, parley.DefaultHistory, parley.MaxHistory)
	ctx, cancel := s.op(ctx)
	defer cancel()
	opts := options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(limit)).SetBatchSize(int32(limit))
	cur, err := s.audit.Find(ctx, filter, opts)
	if err != nil {
		return nil, storeErr(op, err, nil)
	}
	defer closeCursor(ctx, cur)
	out := make([]parley.AuditEntry, 0, limit)
	for cur.Next(ctx) {
		var rec auditRecord
		if err := cur.Decode(&rec); err != nil {
			return nil, storeErr(op, err, nil)
		}
		out = append(out, rec.entry())
	}
	return out, storeErr(op, cur.Err(), nil)
}
