// Package actors holds Parley's actors: the room grain (one per room, the
// sequencer and cache of its membership and recent history), the per-node relay
// (fans room events out to local connections) and Session (one WebSocket's
// subscriptions, with no protoactor types in its API).
//
// It imports the domain, chatpb, wsproto, persistence and cluster; never api.
// A room's state belongs to its grain and only Receive touches it. Rules live in
// plain methods that take no actor.Context. Session is safe for concurrent use:
// its mutex guards only its subscription map and is never held across I/O
// other than a non-blocking push to the connection's outbox.
package actors
