package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parleychat/parley"
)

// userRecord is a user as stored in the users collection.
type userRecord struct {
	ID           string `bson:"_id"`
	Username     string `bson:"username"`
	DisplayName  string `bson:"display_name,omitempty"`
	PasswordHash string `bson:"password_hash,omitempty"`
	// ExternalID is absent when no external identity is linked, so the sparse
	// unique index lets any number of users go without one.
	ExternalID string    `bson:"external_id,omitempty"`
	IsAdmin    bool      `bson:"is_admin,omitempty"`
	CreatedAt  time.Time `bson:"created_at,omitempty"`
	DeletedAt  time.Time `bson:"deleted_at,omitempty"`
}

// userIndexes: usernames and external identities are unique. The external id
// index is sparse because the field is absent when empty. (FerretDB ignores
// "sparse", but its SQLite indexes treat a missing field as NULL, and NULLs
// never collide, so both servers behave alike.)
func userIndexes() []mongo.IndexModel {
	ext := index("external_id_unique", bson.D{{Key: "external_id", Value: 1}}, true)
	ext.Options.SetSparse(true)
	return []mongo.IndexModel{
		index("username_unique", bson.D{{Key: "username", Value: 1}}, true),
		ext,
	}
}

func toUserRecord(u parley.User) userRecord {
	return userRecord{
		ID:           string(u.ID),
		Username:     u.Username,
		DisplayName:  u.DisplayName,
		PasswordHash: u.PasswordHash,
		ExternalID:   u.ExternalID,
		IsAdmin:      u.IsAdmin,
		CreatedAt:    storedTime(u.CreatedAt),
		DeletedAt:    storedTime(u.DeletedAt),
	}
}

func (r userRecord) user() parley.User {
	return parley.User{
		ID:           parley.UserID(r.ID),
		Username:     r.Username,
		DisplayName:  r.DisplayName,
		PasswordHash: r.PasswordHash,
		ExternalID:   r.ExternalID,
		IsAdmin:      r.IsAdmin,
		CreatedAt:    loadedTime(r.CreatedAt),
		DeletedAt:    loadedTime(r.DeletedAt),
	}
}

// CreateUser stores u. It returns parley.ErrUsernameTaken if another user
// has the username or the external id, parley.ErrConflict if the id is taken.
func (s *Store) CreateUser(ctx context.Context, u parley.User) error {
	op := "create user " + string(u.ID)
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.users.InsertOne(ctx, toUserRecord(u))
	if !mongo.IsDuplicateKeyError(err) {
		return storeErr(op, err, nil)
	}
	return s.userConflict(ctx, op, u)
}

// userConflict says which unique index rejected u. FerretDB's duplicate key
// errors do not name the index, so it asks: another user holding the username
// or the external id means ErrUsernameTaken, otherwise the id is in use.
// Users are never erased, so the record that collided is still there.
func (s *Store) userConflict(ctx context.Context, op string, u parley.User) error {
	holders := bson.A{bson.D{{Key: "username", Value: u.Username}}}
	if u.ExternalID != "" {
		holders = append(holders, bson.D{{Key: "external_id", Value: u.ExternalID}})
	}
	filter := bson.D{
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: string(u.ID)}}},
		{Key: "$or", Value: holders},
	}
	n, err := s.users.CountDocuments(ctx, filter, options.Count().SetLimit(1))
	switch {
	case err != nil:
		return storeErr(op, err, nil)
	case n > 0:
		return fmt.Errorf("%s: %w", op, parley.ErrUsernameTaken)
	}
	return fmt.Errorf("%s: %w", op, parley.ErrConflict)
}

// UserByID returns the user, or parley.ErrUserNotFound.
func (s *Store) UserByID(ctx context.Context, id parley.UserID) (parley.User, error) {
	return s.findUser(ctx, "user "+string(id), bson.D{{Key: "_id", Value: string(id)}})
}

// UserByUsername returns the user with exactly that username, or
// parley.ErrUserNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (parley.User, error) {
	return s.findUser(ctx, "user by username", bson.D{{Key: "username", Value: username}})
}

// UserByExternalID returns the user linked to ext, or parley.ErrUserNotFound
// (always for "", which links nobody).
func (s *Store) UserByExternalID(ctx context.Context, ext string) (parley.User, error) {
	if ext == "" {
		return parley.User{}, fmt.Errorf("user by external id: %w", parley.ErrUserNotFound)
	}
	return s.findUser(ctx, "user by external id", bson.D{{Key: "external_id", Value: ext}})
}

func (s *Store) findUser(ctx context.Context, op string, filter bson.D) (parley.User, error) {
	if err := ctxErr(ctx, op); err != nil {
		return parley.User{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	var rec userRecord
	if err := s.users.FindOne(ctx, filter).Decode(&rec); err != nil {
		return parley.User{}, storeErr(op, err, parley.ErrUserNotFound)
	}
	return rec.user(), nil
}
