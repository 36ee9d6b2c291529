package parley

import "errors"

// Error is a domain error. Its Code crosses the cluster, WebSocket and REST: the
// list of codes is append only and a code is never reused.
type Error struct {
	Code string // snake_case, e.g. "room_not_found"
	msg  string // safe to show end users
}

func (e *Error) Error() string { return e.msg }

// Sentinel errors, append only.
var (
	ErrInternal        = &Error{"internal", "internal error"}
	ErrUnavailable     = &Error{"unavailable", "service temporarily unavailable, retry later"}
	ErrUnauthorized    = &Error{"unauthorized", "authentication required"}
	ErrForbidden       = &Error{"forbidden", "not allowed"}
	ErrInvalid         = &Error{"invalid", "invalid input"}
	ErrConflict        = &Error{"conflict", "conflicting write"}
	ErrRoomNotFound    = &Error{"room_not_found", "room not found"}
	ErrUserNotFound    = &Error{"user_not_found", "user not found"}
	ErrMessageNotFound = &Error{"message_not_found", "message not found"}
	ErrNotMember       = &Error{"not_member", "not a member of this room"}
	ErrAlreadyMember   = &Error{"already_member", "already a member of this room"}
	ErrBanned          = &Error{"banned", "banned from this room"}
	ErrUsernameTaken   = &Error{"username_taken", "username is not available"}
	ErrBadCredentials  = &Error{"bad_credentials", "invalid username or password"}
	ErrRateLimited     = &Error{"rate_limited", "too many requests"}
	ErrOwnerMustStay   = &Error{"owner_must_transfer", "the owner must transfer ownership first"}
	ErrClientIDReused  = &Error{"client_id_reused", "client_id was already used for a different message"}
	ErrTooLarge        = &Error{"too_large", "request too large"}
	ErrSlowConsumer    = &Error{"slow_consumer", "connection fell behind; reconnect and resume"}
	ErrRoomDeleted     = &Error{"room_deleted", "room was deleted"}
	ErrTokenExpired    = &Error{"token_expired", "token expired"}
)

var sentinels = []*Error{
	ErrInternal, ErrUnavailable, ErrUnauthorized, ErrForbidden, ErrInvalid, ErrConflict,
	ErrRoomNotFound, ErrUserNotFound, ErrMessageNotFound, ErrNotMember, ErrAlreadyMember,
	ErrBanned, ErrUsernameTaken, ErrBadCredentials, ErrRateLimited, ErrOwnerMustStay,
	ErrClientIDReused, ErrTooLarge, ErrSlowConsumer, ErrRoomDeleted, ErrTokenExpired,
}

// Sentinels returns every domain error, so transports can prove their tables complete.
func Sentinels() []*Error { return append([]*Error(nil), sentinels...) }

// Classify returns the domain error in err's chain, or ErrInternal. A FieldError
// classifies as ErrInvalid.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return ErrInvalid
	}
	e := ErrInternal
	errors.As(err, &e)
	return e
}

// FromCode is the inverse of Classify for the wire: the sentinel with that code,
// or ErrInternal.
func FromCode(code string) *Error {
	for _, e := range sentinels {
		if e.Code == code {
			return e
		}
	}
	return ErrInternal
}

// FieldError is an invalid input that names the offending field. It wraps ErrInvalid.
type FieldError struct {
	Field  string // JSON field or query parameter name, e.g. "body"
	Reason string // safe to show end users, e.g. "must be 1 to 4000 characters"
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Invalid returns a FieldError for field.
func Invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
