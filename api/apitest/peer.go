package apitest

import (
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/actors"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/persistence"
)

// A test that needs two nodes of one deployment (presence, tickets,
// revocations: whatever lives in the shared state) starts the second Env
// with Options.Peer. Two actor clusters cannot run side by side in one test
// process: each cluster start replaces grpc's process-wide logger
// (grpclog.SetLoggerV2), a write the race detector reports against the other
// cluster's grpc server goroutines. A peer therefore shares the first Env's
// cluster and actor node and has its own HTTP server, listener, WebSocket
// registry and Shared client: everything a request on one node must find
// through the shared state, it finds there.

// store returns the durable store the Env uses when the test gave one:
// Options.Store, or the peer's.
func (o Options) store() persistence.Store {
	if o.Store == nil && o.Peer != nil {
		return o.Peer.Store
	}
	return o.Store
}

// startActors starts the Env's actor cluster and node over store, or takes
// the peer's.
func (e *Env) startActors(o Options, store persistence.Store) error {
	if o.Peer != nil {
		e.Cluster, e.Node = o.Peer.Cluster, o.Peer.Node
		return nil
	}
	deps := actors.Deps{Store: store, Log: o.Log}
	var err error
	if e.Cluster, err = cluster.Start(cluster.Config{Name: "apitest" + parley.NewID()[:8]}, o.Log, actors.Kinds(deps)...); err != nil {
		return err
	}
	e.ownActors = true // from here on Stop stops what started
	if e.Node, err = actors.StartNode(e.Cluster, deps); err != nil {
		return err
	}
	return nil
}
