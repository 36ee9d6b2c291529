package mongostore

import (
	"context"
	"errors"
	"fmt"
	"net"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/parleychat/parley"
)

// Server error codes that mean "this server cannot serve you right now": the
// driver's retryable codes (failover, shutdown, network trouble on the server
// side) plus WriteConcernFailed (64), the w:majority wait timing out.
var transientCodes = []int{
	6,     // HostUnreachable
	7,     // HostNotFound
	64,    // WriteConcernFailed (wtimeout)
	89,    // NetworkTimeout
	91,    // ShutdownInProgress
	134,   // ReadConcernMajorityNotAvailableYet
	189,   // PrimarySteppedDown
	262,   // ExceededTimeLimit
	9001,  // SocketException
	10107, // NotWritablePrimary
	11600, // InterruptedAtShutdown
	11602, // InterruptedDueToReplStateChange
	13435, // NotPrimaryNoSecondaryOk
	13436, // NotPrimaryOrSecondary
}

// storeErr translates err, returned by the driver during op, into the error
// the store's caller sees, so that no driver error leaves the package and
// parley.Classify always finds a sentinel:
//   - mongo.ErrNoDocuments becomes notFound (a parley sentinel);
//   - a duplicate key becomes parley.ErrConflict;
//   - a timeout, a network failure, failed server selection, a stepped-down
//     primary or a closed client wraps parley.ErrUnavailable;
//   - anything else wraps parley.ErrInternal.
//
// The driver's text is kept for logs (%v), but not its types; context errors
// stay in the chain so errors.Is(err, context.Canceled) works.
func storeErr(op string, err error, notFound *parley.Error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments) && notFound != nil:
		return fmt.Errorf("%s: %w", op, notFound)
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("%s: %w", op, parley.ErrConflict)
	case isUnavailable(err):
		return unavailable(op, err)
	}
	return fmt.Errorf("mongostore: %s: %w: %v", op, parley.ErrInternal, err)
}

// unavailable wraps parley.ErrUnavailable, and the context error behind err
// if there is one, with the driver's text (which names the servers it saw).
func unavailable(op string, err error) error {
	var cause error
	switch {
	case errors.Is(err, context.Canceled):
		cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	default:
		return fmt.Errorf("mongostore: %s: %w: %v", op, parley.ErrUnavailable, err)
	}
	return fmt.Errorf("mongostore: %s: %w: %w (%v)", op, parley.ErrUnavailable, cause, err)
}

// ctxErr returns the store error for a context that is already done, so a
// call with a dead context fails before it writes anything.
func ctxErr(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mongostore: %s: %w: %w", op, parley.ErrUnavailable, err)
	}
	return nil
}

// isUnavailable reports whether err means the server could not be reached or
// could not serve the request in time, so a retry later may succeed.
func isUnavailable(err error) bool {
	if errors.Is(err, context.Canceled) || mongo.IsTimeout(err) || mongo.IsNetworkError(err) || errors.Is(err, mongo.ErrClientDisconnected) {
		return true
	}
	var (
		sel  topology.ServerSelectionError
		conn topology.ConnectionError
		pool interface{ Retryable() bool } // the driver's pool-cleared error
		ne   net.Error
	)
	if errors.As(err, &sel) || errors.As(err, &conn) || errors.As(err, &ne) ||
		(errors.As(err, &pool) && pool.Retryable()) {
		return true
	}
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return false
	}
	if se.HasErrorLabel("RetryableWriteError") || se.HasErrorLabel("NetworkError") {
		return true
	}
	for _, code := range transientCodes {
		if se.HasErrorCode(code) {
			return true
		}
	}
	return false
}
