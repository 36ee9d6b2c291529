// Command parleyd runs one Parley node: the REST API and WebSocket endpoint
// over the room actors, with the SQLite store and in-process shared state by
// default (MongoDB and Redis when configured). Flags and PARLEY_* variables are
// listed by `parleyd -h`. SIGTERM or SIGINT shut it down cleanly (exit 0).
package main
