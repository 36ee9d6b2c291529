// Package storetest holds the conformance suites every persistence
// implementation must pass (Run for durable stores, RunShared for shared state)
// and the harness that starts real servers for tests: redis-server and a MongoDB
// wire-protocol server, each on a free loopback port with data in a temp dir.
//
// Test code only: it may import anything, and nothing but tests imports it.
package storetest
