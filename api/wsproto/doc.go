// Package wsproto is Parley's client wire format: the JSON frames of the
// WebSocket protocol (docs/protocol.md), the JSON shapes of rooms, members and
// messages that REST shares, error codes and close codes.
//
// The hot path (one event encoded once per room, then fanned out) uses
// append-style encoders that allocate nothing; client frames are decoded
// strictly (unknown fields, wrong types and oversized values are errors). It
// imports only the domain package and the standard library; everything here is
// safe for concurrent use.
package wsproto
