package mongostore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

var _ persistence.Store = (*Store)(nil)

// Collection names.
const (
	collUsers    = "users"
	collRooms    = "rooms"
	collMembers  = "members"
	collMessages = "messages"
	collAudit    = "audit"
)

// Store is a persistence.Store in one MongoDB database. It holds the driver's
// connection pool; Close releases it. It is safe for concurrent use.
type Store struct {
	cfg    Config
	client *mongo.Client

	users, rooms, members, messages, audit *mongo.Collection

	closeOnce sync.Once
}

// Open connects to cfg.URI and creates the collections' indexes if they are
// missing (idempotent: safe on every start-up and from several nodes at
// once). It fails within about cfg.ServerSelectionTimeout, wrapping
// parley.ErrUnavailable, when no server answers, and fails if an existing
// index has the same name but other options.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	wc, _ := cfg.writeConcern() // validated above
	opts := options.Client().ApplyURI(cfg.URI).
		SetAppName("parley").
		SetWriteConcern(wc).
		SetServerSelectionTimeout(cfg.ServerSelectionTimeout).
		SetConnectTimeout(cfg.ConnectTimeout)
	if cfg.MaxPoolSize > 0 {
		opts.SetMaxPoolSize(cfg.MaxPoolSize)
	}
	client, err := mongo.Connect(opts) // checks options; connects in the background
	if err != nil {
		return nil, fmt.Errorf("mongostore: open: %w: %v", parley.ErrInvalid, err)
	}
	db := client.Database(cfg.Database)
	s := &Store{
		cfg:      cfg,
		client:   client,
		users:    db.Collection(collUsers),
		rooms:    db.Collection(collRooms),
		members:  db.Collection(collMembers),
		messages: db.Collection(collMessages),
		audit:    db.Collection(collAudit),
	}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = s.Close() // the index error is the one to report
		return nil, err
	}
	return s, nil
}

// ensureIndexes creates every collection's indexes. createIndexes is a no-op
// for an index that exists with the same name and options. It sends one index
// per command: FerretDB 1.24 panics (and drops the connection) when one
// createIndexes names two or more indexes that already exist.
func (s *Store) ensureIndexes(ctx context.Context) error {
	for _, c := range []struct {
		coll    *mongo.Collection
		indexes []mongo.IndexModel
	}{
		{s.users, userIndexes()},
		{s.rooms, roomIndexes()},
		{s.members, memberIndexes()},
		{s.messages, messageIndexes()},
		{s.audit, auditIndexes()},
	} {
		for _, ix := range c.indexes {
			octx, cancel := s.op(ctx)
			_, err := c.coll.Indexes().CreateOne(octx, ix)
			cancel()
			if err != nil {
				return storeErr("create indexes on "+c.coll.Name(), err, nil)
			}
		}
	}
	return nil
}

// index returns an index model on keys, named name.
func index(name string, keys bson.D, unique bool) mongo.IndexModel {
	o := options.Index().SetName(name)
	if unique {
		o.SetUnique(true)
	}
	return mongo.IndexModel{Keys: keys, Options: o}
}

// op bounds one store call by cfg.OpTimeout (or ctx's own, earlier deadline).
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.OpTimeout)
}

// Ping checks that the primary answers. It wraps parley.ErrUnavailable when
// it does not within cfg.OpTimeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return storeErr("ping", s.client.Ping(ctx, readpref.Primary()), nil)
}

// Close disconnects from the server, waiting up to cfg.OpTimeout for calls
// in flight. Later calls return nil; any other method called after Close
// returns an error wrapping parley.ErrUnavailable.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		// Close has no caller context: it runs at shutdown, bounded here.
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.OpTimeout)
		defer cancel()
		err = storeErr("close", s.client.Disconnect(ctx), nil)
	})
	return err
}

// closeCursor closes cur, even when ctx is already done, so a cursor left
// open on the server by an error never pins a pooled connection.
func closeCursor(ctx context.Context, cur *mongo.Cursor) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = cur.Close(ctx) // a failed killCursors leaves only a server cursor that times out by itself
}

// clampLimit returns n within 1..most, or def when n is not positive, so no
// caller can ask for an unbounded page.
func clampLimit(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}

// storedTime returns t as it is stored: a BSON date, so UTC at millisecond
// precision. The zero time stays zero, and omitempty leaves it out.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

// loadedTime returns a decoded time in UTC; an absent field is the zero time.
func loadedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// update collects the $set and $unset parts of an update document. Zero
// values are unset rather than stored, like omitempty does on insert.
type update struct{ set, unset bson.D }

func (u *update) setString(key, v string) {
	u.set = append(u.set, bson.E{Key: key, Value: v})
}

func (u *update) setOptional(key, v string) {
	if v == "" {
		u.unset = append(u.unset, bson.E{Key: key, Value: ""})
		return
	}
	u.setString(key, v)
}

func (u *update) setTime(key string, t time.Time) {
	if t.IsZero() {
		u.unset = append(u.unset, bson.E{Key: key, Value: ""})
		return
	}
	u.set = append(u.set, bson.E{Key: key, Value: storedTime(t)})
}

// doc returns the update document.
func (u *update) doc() bson.D {
	var d bson.D
	if len(u.set) > 0 {
		d = append(d, bson.E{Key: "$set", Value: u.set})
	}
	if len(u.unset) > 0 {
		d = append(d, bson.E{Key: "$unset", Value: u.unset})
	}
	return d
}
