// Package apitest starts Parley's whole single-node stack in process for
// tests: the SQLite store in a temp dir, the in-process shared state, a
// one-member cluster with the real actors, and the api server listening on
// 127.0.0.1:0. Tests then speak real HTTP (and WebSocket) to Env.URL.
// StartIdP starts an identity provider beside it: a JWKS on 127.0.0.1 whose
// generated RSA and EC keys sign external ID tokens.
//
// Test code only: it may import anything, and only tests import it. An Env is
// safe for concurrent use by the goroutines of one test, but tests that start
// an Env must not run in parallel with each other (no t.Parallel): every
// cluster start makes protoactor's remote replace grpc's process-wide logger
// (grpclog.SetLoggerV2), which the race detector reports against the grpc
// servers of other running Envs. The race is inside the libraries.
package apitest
