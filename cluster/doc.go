// Package cluster starts and stops the protoactor-go cluster a node belongs to
// (provider choice, identity lookup, remote, kind registration) and offers
// RoomClient, the one typed way to call room grains.
//
// It imports the domain and chatpb, never actors or api: the actor kinds are
// injected by cmd. Cluster and RoomClient are safe for concurrent use.
//
// Traps of the protoactor-go commit in use, handled here: cluster.RequestFuture
// writes its options into a package-wide default, so every call goes through
// Request with per-call options; the test provider leaks and races, so a single
// node uses the tiny localProvider below.
package cluster
