// Package api is Parley's HTTP edge: the Fiber app with the REST API
// (/api/auth/..., /api/chat/rooms/...), the WebSocket endpoint (/ws), health
// checks, the middleware every request passes (request id, access log,
// recover, security headers, client IP and Host check, CORS, CSRF, body and
// header limits, authentication), the browser and connection protections
// (browser.go, clientip.go, connlimits.go; see docs/security.md), the
// per-action rate limits per user and per client IP (ratelimit.go) and the
// one table that maps domain errors to HTTP statuses and WebSocket close codes
// (errors.go).
//
// Handlers validate and copy what the client sent, then call the room grains
// through cluster.RoomClient (every command and authorization) or read the
// store directly (lists and history, after the room authorized the read). Errors
// are answered as RFC 9457 problem JSON with a stable code; internal errors are
// logged and never echoed.
//
// It imports the domain, wsproto, actors, cluster and persistence; nothing
// imports it but cmd. A Server is safe for concurrent use; Fiber runs each
// request on its own goroutine and reuses request memory after the handler
// returns, so every value that outlives a handler is copied.
package api
