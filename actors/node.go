package actors

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/persistence"
)

// Kinds returns the cluster kinds this package implements, each built with a
// closure over this node's deps (no factory in a package variable).
func Kinds(deps Deps) []*protocluster.Kind {
	deps = deps.withDefaults()
	return []*protocluster.Kind{
		protocluster.NewKind(cluster.RoomKind, actor.PropsFromProducer(func() actor.Actor { return newRoom(deps) })),
	}
}

// Node is this process's side of the actors: the relay that fans room events
// out to local sessions, and the factory of sessions.
type Node struct {
	deps  Deps
	cl    *cluster.Cluster
	rooms *cluster.RoomClient
	relay *actor.PID
}

// StartNode spawns this node's relay.
func StartNode(cl *cluster.Cluster, deps Deps) (*Node, error) {
	deps = deps.withDefaults()
	n := &Node{deps: deps, cl: cl, rooms: cl.Rooms()}
	props := actor.PropsFromProducer(func() actor.Actor { return newRelay(deps, n.rooms) })
	pid, err := cl.System().Root.SpawnNamed(props, "parley-relay")
	if err != nil {
		return nil, fmt.Errorf("actors: spawn relay: %w", err)
	}
	n.relay = pid
	return n, nil
}

// Ready reports whether the node serves rooms.
func (n *Node) Ready() bool { return n.cl.Ready() }

// Stop stops the relay and waits for it. Rooms stop with the cluster.
func (n *Node) Stop() {
	_ = n.cl.System().Root.PoisonFuture(n.relay).Wait() // a timeout only means it was already gone
}

func (n *Node) send(msg any) { n.cl.System().Root.Send(n.relay, msg) }

// catchUp returns the committed messages of room after since, oldest first:
// what the room holds in memory (resp.Backlog), preceded by what only the store
// has (since, resp.WindowStart]. complete is false when more than limit
// messages were missing, so only the newest limit are returned.
func catchUp(ctx context.Context, store persistence.Store, room parley.RoomID, since uint64, backlog []parley.Message, windowStart uint64, limit int) (msgs []parley.Message, complete bool, err error) {
	complete = true
	if windowStart > since {
		if windowStart-since > uint64(limit) {
			since, complete = windowStart-uint64(limit), false
		}
		msgs, err = readRange(ctx, store, room, since, windowStart)
		if err != nil {
			return nil, false, err
		}
	}
	msgs = append(msgs, backlog...)
	if len(msgs) > limit {
		msgs, complete = msgs[len(msgs)-limit:], false
	}
	return msgs, complete, nil
}

// readRange reads seqs in (after, upto] from the store, oldest first, paging
// backwards from upto (each page is the newest of what is left).
func readRange(ctx context.Context, store persistence.Store, room parley.RoomID, after, upto uint64) ([]parley.Message, error) {
	var newestFirst []parley.Message
	for before := upto + 1; before > after+1; {
		page, err := store.Messages(ctx, persistence.MessageQuery{Room: room, After: after, Before: before, Limit: parley.MaxHistory})
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		newestFirst = append(newestFirst, page...)
		before = page[len(page)-1].Seq
	}
	out := make([]parley.Message, len(newestFirst))
	for i, m := range newestFirst {
		out[len(out)-1-i] = m.Public()
	}
	return out, nil
}

// requestTimeout bounds the node's own grain calls (relay re-watches).
const requestTimeout = 5 * time.Second
