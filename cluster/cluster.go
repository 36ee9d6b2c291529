package cluster

import (
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
)

// RoomKind is the cluster kind of room grains.
const RoomKind = "room"

// Cluster is this node's membership of the actor cluster.
type Cluster struct {
	cfg    Config
	system *actor.ActorSystem
	c      *protocluster.Cluster
	rooms  *RoomClient
}

// Start creates the actor system, registers kinds and joins the cluster. Actor
// logs go through logger. With the local provider it needs no external service.
func Start(cfg Config, logger *slog.Logger, kinds ...*protocluster.Kind) (cl *Cluster, err error) {
	cfg = cfg.withDefaults()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(as *actor.ActorSystem) *slog.Logger {
		return logger.With("component", "actor", "system", as.ID)
	}))
	remoteCfg := remote.Configure(cfg.Host, cfg.Port)
	clusterCfg := protocluster.Configure(cfg.Name, localProvider{}, disthash.New(), remoteCfg,
		protocluster.WithKinds(kinds...),
		protocluster.WithRequestTimeout(cfg.RequestTimeout),
	)
	c := protocluster.New(system, clusterCfg)
	defer func() { // the library panics when it cannot listen
		if r := recover(); r != nil {
			system.Shutdown()
			err = fmt.Errorf("cluster: start: %v", r)
		}
	}()
	c.StartMember()
	cl = &Cluster{cfg: cfg, system: system, c: c}
	cl.rooms = &RoomClient{c: c, timeout: cfg.RequestTimeout}
	return cl, nil
}

// System returns the node's actor system, for spawning local actors.
func (cl *Cluster) System() *actor.ActorSystem { return cl.system }

// Rooms returns the typed client of room grains.
func (cl *Cluster) Rooms() *RoomClient { return cl.rooms }

// Address is the node's remote address (host:port).
func (cl *Cluster) Address() string { return cl.system.Address() }

// Ready reports whether the node serves its kinds: the member list holds it.
func (cl *Cluster) Ready() bool {
	return cl.c.MemberList.ContainsMemberID(cl.system.ID)
}

// Stop leaves the cluster and stops every local actor.
func (cl *Cluster) Stop() {
	cl.c.Shutdown(false) // one member: no ownership to hand over, so skip the graceful 2 s wait
}
