package cluster

import (
	protocluster "github.com/asynkron/protoactor-go/cluster"
)

// localProvider is the cluster provider of a single node: the member list is
// this member alone, set once at start. It holds no goroutine and no external
// service, unlike the library's test provider.
type localProvider struct{}

var _ protocluster.ClusterProvider = localProvider{}

func (localProvider) StartMember(c *protocluster.Cluster) error {
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil {
		return err
	}
	c.MemberList.UpdateClusterTopology(protocluster.Members{{
		Id:    c.ActorSystem.ID,
		Host:  host,
		Port:  int32(port),
		Kinds: c.GetClusterKinds(),
	}})
	return nil
}

func (localProvider) StartClient(c *protocluster.Cluster) error {
	return localProvider{}.StartMember(c)
}

func (localProvider) Shutdown(bool) error { return nil }
