package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/parleychat/parley"
)

const userColumns = `id, username, display_name, password_hash, external_id, is_admin, created_at, deleted_at`

// CreateUser stores u. Returns parley.ErrUsernameTaken if the username or the
// external id is in use, parley.ErrConflict if the id is.
func (s *Store) CreateUser(ctx context.Context, u parley.User) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, u.DisplayName, u.PasswordHash, u.ExternalID, u.IsAdmin,
		millis(u.CreatedAt), millis(u.DeletedAt))
	if err != nil {
		return fail(ctx, err, parley.ErrUsernameTaken, "create user %s", u.ID)
	}
	return nil
}

// UserByID returns parley.ErrUserNotFound if there is no such user.
func (s *Store) UserByID(ctx context.Context, id parley.UserID) (parley.User, error) {
	return s.user(ctx, "id", string(id))
}

// UserByUsername returns parley.ErrUserNotFound if there is no such user.
// Usernames compare exactly (they are stored lower case).
func (s *Store) UserByUsername(ctx context.Context, username string) (parley.User, error) {
	return s.user(ctx, "username", username)
}

// UserByExternalID returns parley.ErrUserNotFound if no user is linked to ext.
// The empty ext means "not linked" and matches no one.
func (s *Store) UserByExternalID(ctx context.Context, ext string) (parley.User, error) {
	if ext == "" {
		return parley.User{}, fmt.Errorf("sqlitestore: user by external id \"\": %w", parley.ErrUserNotFound)
	}
	return s.user(ctx, "external_id", ext)
}

// user returns the user whose column (a unique one) equals arg.
func (s *Store) user(ctx context.Context, column, arg string) (parley.User, error) {
	var u parley.User
	var created, deleted sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+column+` = ?`, arg).Scan(
		&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &u.ExternalID, &u.IsAdmin, &created, &deleted)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return parley.User{}, fmt.Errorf("sqlitestore: user by %s %q: %w", column, arg, parley.ErrUserNotFound)
	case err != nil:
		return parley.User{}, fail(ctx, err, nil, "user by %s %q", column, arg)
	}
	u.CreatedAt, u.DeletedAt = fromMillis(created), fromMillis(deleted)
	return u, nil
}
