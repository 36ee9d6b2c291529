package mongostore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// messageRecord is a message as stored in the messages collection.
type messageRecord struct {
	ID       string `bson:"_id"`
	RoomID   string `bson:"room_id"`
	Seq      int64  `bson:"seq"`
	SenderID string `bson:"sender_id"`
	ClientID string `bson:"client_id,omitempty"`
	// ClientKey carries the (room, sender, client id) uniqueness: the client
	// id, or "~<seq>" when there is none (see clientKey).
	ClientKey string    `bson:"client_key"`
	Body      string    `bson:"body"`
	CreatedAt time.Time `bson:"created_at,omitempty"`
	EditedAt  time.Time `bson:"edited_at,omitempty"`
	DeletedAt time.Time `bson:"deleted_at,omitempty"`
	DeletedBy string    `bson:"deleted_by,omitempty"`
}

// noClientIDPrefix starts the client key of a message sent without a client
// id. parley.CheckClientID never accepts '~', so no real id looks like one.
const noClientIDPrefix = "~"

// clientKey returns the value the unique (room_id, sender_id, client_key)
// index sees. An empty client id must never conflict, which a partial index
// (client_id > "") would express, but FerretDB does not implement partial
// indexes and ignores "sparse", and on MongoDB a sparse compound index still
// indexes documents that lack only client_id. So a message without a client
// id gets a key that is unique anyway: "~" and its seq, (room_id, seq) being
// unique itself. The same index works on MongoDB and FerretDB alike.
func clientKey(clientID string, seq uint64) string {
	if clientID != "" {
		return clientID
	}
	return noClientIDPrefix + strconv.FormatUint(seq, 10)
}

// messageIndexes: (room_id, seq) is unique, the fence between two
// activations of a room, and serves history pages and LastSeq; (room_id,
// sender_id, client_key) de-duplicates resends; the others serve moderation
// and retention by sender and by age.
func messageIndexes() []mongo.IndexModel {
	return []mongo.IndexModel{
		index("room_seq_unique", bson.D{{Key: "room_id", Value: 1}, {Key: "seq", Value: 1}}, true),
		index("room_sender_client_unique", bson.D{{Key: "room_id", Value: 1}, {Key: "sender_id", Value: 1}, {Key: "client_key", Value: 1}}, true),
		index("sender_created", bson.D{{Key: "sender_id", Value: 1}, {Key: "created_at", Value: 1}}, false),
		index("created", bson.D{{Key: "created_at", Value: 1}}, false),
	}
}

func toMessageRecord(m parley.Message) messageRecord {
	return messageRecord{
		ID:        string(m.ID),
		RoomID:    string(m.RoomID),
		Seq:       int64(m.Seq), // callers check m.Seq <= math.MaxInt64 (BSON has no uint64)
		SenderID:  string(m.SenderID),
		ClientID:  m.ClientID,
		ClientKey: clientKey(m.ClientID, m.Seq),
		Body:      m.Body,
		CreatedAt: storedTime(m.CreatedAt),
		EditedAt:  storedTime(m.EditedAt),
		DeletedAt: storedTime(m.DeletedAt),
		DeletedBy: string(m.DeletedBy),
	}
}

func (r *messageRecord) message() parley.Message {
	return parley.Message{
		ID:        parley.MessageID(r.ID),
		RoomID:    parley.RoomID(r.RoomID),
		Seq:       uint64(r.Seq),
		SenderID:  parley.UserID(r.SenderID),
		ClientID:  r.ClientID,
		Body:      r.Body,
		CreatedAt: loadedTime(r.CreatedAt),
		EditedAt:  loadedTime(r.EditedAt),
		DeletedAt: loadedTime(r.DeletedAt),
		DeletedBy: parley.UserID(r.DeletedBy),
	}
}

// AppendMessages stores msgs, one room's batch in ascending seq, with one
// ordered insertMany. It returns parley.ErrConflict if a (room, seq) or a
// (room, sender, client id) is taken. The insert is not atomic: the messages
// before the one that collided are stored and the rest are not (the error
// says how many); the caller reconciles by client id. It does not check that
// the room exists.
func (s *Store) AppendMessages(ctx context.Context, msgs []parley.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if ctx.Err() != nil {
		return ctxErr(ctx, appendOp(msgs))
	}
	recs := make([]messageRecord, len(msgs))
	for i, m := range msgs {
		if m.Seq > math.MaxInt64 {
			return fmt.Errorf("%s: %w", appendOp(msgs), parley.Invalid("seq", "must be at most 2^63-1"))
		}
		recs[i] = toMessageRecord(m)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.messages.InsertMany(ctx, recs) // ordered: stops at the first error
	if err == nil {
		return nil
	}
	op := appendOp(msgs)
	if stored, ok := storedPrefix(err); ok && mongo.IsDuplicateKeyError(err) {
		op = fmt.Sprintf("%s: %d of %d stored", op, stored, len(msgs))
	}
	return storeErr(op, err, nil)
}

// appendOp names an AppendMessages call in its errors; built only on failure,
// as the hot path needs no formatting.
func appendOp(msgs []parley.Message) string {
	return fmt.Sprintf("append room %s seq %d..%d", msgs[0].RoomID, msgs[0].Seq, msgs[len(msgs)-1].Seq)
}

// storedPrefix returns how many documents of an ordered insertMany were
// written before the first write error.
func storedPrefix(err error) (int, bool) {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || len(bwe.WriteErrors) == 0 {
		return 0, false
	}
	return bwe.WriteErrors[0].Index, true
}

// LastSeq returns the highest stored seq of the room, 0 if it has none.
func (s *Store) LastSeq(ctx context.Context, room parley.RoomID) (uint64, error) {
	op := "last seq of room " + string(room)
	if err := ctxErr(ctx, op); err != nil {
		return 0, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	var rec struct {
		Seq int64 `bson:"seq"`
	}
	opts := options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}}).
		SetProjection(bson.D{{Key: "seq", Value: 1}, {Key: "_id", Value: 0}})
	err := s.messages.FindOne(ctx, bson.D{{Key: "room_id", Value: string(room)}}, opts).Decode(&rec)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, storeErr(op, err, nil)
	}
	return uint64(rec.Seq), nil
}

// Messages returns a page of the room's history, newest first, deleted
// messages included (see persistence.MessageQuery). Limit is clamped to
// 1..parley.MaxHistory (zero means parley.DefaultHistory).
func (s *Store) Messages(ctx context.Context, q persistence.MessageQuery) ([]parley.Message, error) {
	op := "messages of room " + string(q.Room)
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	if q.After >= math.MaxInt64 {
		return nil, nil // no stored seq is above it
	}
	seq := bson.D{}
	if q.Before > 0 {
		seq = append(seq, bson.E{Key: "$lt", Value: int64(min(q.Before, math.MaxInt64))})
	}
	if q.After > 0 {
		seq = append(seq, bson.E{Key: "$gt", Value: int64(q.After)})
	}
	filter := bson.D{{Key: "room_id", Value: string(q.Room)}}
	if len(seq) > 0 {
		filter = append(filter, bson.E{Key: "seq", Value: seq})
	}
	// After alone wants the messages right after it: read upwards from it,
	// then reverse. Otherwise read downwards from the newest in the window.
	dir := -1
	if q.After > 0 && q.Before == 0 {
		dir = 1
	}
	limit := clampLimit(q.Limit, parley.DefaultHistory, parley.MaxHistory)
	out, err := s.findMessages(ctx, filter, dir, limit)
	if err != nil {
		return nil, storeErr(op, err, nil)
	}
	if dir == 1 {
		slices.Reverse(out)
	}
	return out, nil
}

// findMessages runs one bounded, seq-ordered query: a single batch, so the
// server closes the cursor itself.
func (s *Store) findMessages(ctx context.Context, filter bson.D, dir, limit int) ([]parley.Message, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	opts := options.Find().SetSort(bson.D{{Key: "seq", Value: dir}}).
		SetLimit(int64(limit)).SetBatchSize(int32(limit))
	cur, err := s.messages.Find(ctx, filter, opts)
	if err != nil {
		return nil, err
	}
	defer closeCursor(ctx, cur)
	out := make([]parley.Message, 0, limit)
	for cur.Next(ctx) {
		var rec messageRecord // fresh each time: decoding leaves absent fields as they were
		if err := cur.Decode(&rec); err != nil {
			return nil, err
		}
		out = append(out, rec.message())
	}
	return out, cur.Err()
}

// MessageBySeq returns message seq of the room, or parley.ErrMessageNotFound.
func (s *Store) MessageBySeq(ctx context.Context, room parley.RoomID, seq uint64) (parley.Message, error) {
	op := fmt.Sprintf("message %s/%d", room, seq)
	if seq > math.MaxInt64 {
		return parley.Message{}, fmt.Errorf("%s: %w", op, parley.ErrMessageNotFound)
	}
	return s.findMessage(ctx, op, bson.D{{Key: "room_id", Value: string(room)}, {Key: "seq", Value: int64(seq)}})
}

// MessageByClientID returns the message sender sent to the room with that
// client id, or parley.ErrMessageNotFound (always for an empty client id).
func (s *Store) MessageByClientID(ctx context.Context, room parley.RoomID, sender parley.UserID, clientID string) (parley.Message, error) {
	op := fmt.Sprintf("message %s/%s by client id", room, sender)
	if clientID == "" || strings.HasPrefix(clientID, noClientIDPrefix) {
		return parley.Message{}, fmt.Errorf("%s: %w", op, parley.ErrMessageNotFound)
	}
	return s.findMessage(ctx, op, bson.D{
		{Key: "room_id", Value: string(room)},
		{Key: "sender_id", Value: string(sender)},
		{Key: "client_key", Value: clientID},
	})
}

func (s *Store) findMessage(ctx context.Context, op string, filter bson.D) (parley.Message, error) {
	if err := ctxErr(ctx, op); err != nil {
		return parley.Message{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	var rec messageRecord
	if err := s.messages.FindOne(ctx, filter).Decode(&rec); err != nil {
		return parley.Message{}, storeErr(op, err, parley.ErrMessageNotFound)
	}
	return rec.message(), nil
}

// UpdateMessage replaces body, edited_at, deleted_at and deleted_by of the
// message (m.RoomID, m.Seq), and nothing else: a zero DeletedAt restores a
// deleted message. It returns parley.ErrMessageNotFound if there is none.
func (s *Store) UpdateMessage(ctx context.Context, m parley.Message) error {
	op := fmt.Sprintf("update message %s/%d", m.RoomID, m.Seq)
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if m.Seq > math.MaxInt64 {
		return fmt.Errorf("%s: %w", op, parley.ErrMessageNotFound)
	}
	var u update
	u.setString("body", m.Body)
	u.setTime("edited_at", m.EditedAt)
	u.setTime("deleted_at", m.DeletedAt)
	u.setOptional("deleted_by", string(m.DeletedBy))
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "room_id", Value: string(m.RoomID)}, {Key: "seq", Value: int64(m.Seq)}}
	res, err := s.messages.UpdateOne(ctx, filter, u.doc())
	if err != nil {
		return storeErr(op, err, nil)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("%s: %w", op, parley.ErrMessageNotFound)
	}
	return nil
}
