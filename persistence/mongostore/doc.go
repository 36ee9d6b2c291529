// Package mongostore is the production persistence.Store: users, rooms,
// members, messages and the audit log in MongoDB, through
// go.mongodb.org/mongo-driver/v2.
//
// Every write is a single-document operation or one ordered insertMany; the
// store uses no multi-document transactions, change streams or $text, so it
// also runs on MongoDB wire-compatible servers (the tests use FerretDB). The
// room actor owns message order; the unique index on (room_id, seq) is the
// fence between two activations of one room. Records are deleted softly
// (deleted_at), never erased.
//
// Queries are built only from typed Go values with bson.D, so no client input
// can become a query operator; room search matches a literal substring.
// Driver errors never leave the package: callers see parley sentinels, and an
// unreachable or slow server wraps parley.ErrUnavailable. Every call runs
// under Config.OpTimeout.
//
// It imports only the domain, persistence and the MongoDB driver. A Store is
// safe for concurrent use.
package mongostore
