package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/cluster/chatpb"
	"google.golang.org/protobuf/proto"
)

// RoomClient calls room grains with typed requests. Grain errors come back as
// parley sentinels; transport failures (timeout, no member) wrap
// parley.ErrUnavailable. Safe for concurrent use.
type RoomClient struct {
	c       *protocluster.Cluster
	timeout time.Duration
}

// Access is what a room tells a caller about itself and their standing.
type Access struct {
	Room    parley.Room
	Me      parley.Member // zero Role when not a member
	LastSeq uint64
	Members []parley.Member // filled for parley.ActRead
}

// call sends req to the room's grain and returns its typed response.
func call[T proto.Message](ctx context.Context, rc *RoomClient, room parley.RoomID, req proto.Message) (T, error) {
	var zero T
	timeout := rc.timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if err := ctx.Err(); err != nil || timeout <= 0 {
		return zero, fmt.Errorf("call room %s: %w: %w", room, parley.ErrUnavailable, context.DeadlineExceeded)
	}
	resp, err := rc.c.Request(string(room), RoomKind, req, protocluster.WithTimeout(timeout), protocluster.WithRetryCount(3))
	switch r := resp.(type) {
	case T:
		return r, nil
	case *protocluster.GrainErrorResponse:
		return zero, fmt.Errorf("call room %s: %w", room, parley.FromCode(r.Reason))
	}
	if err == nil {
		err = fmt.Errorf("unexpected response %T", resp)
		return zero, fmt.Errorf("call room %s: %w: %w", room, parley.ErrInternal, err)
	}
	return zero, fmt.Errorf("call room %s: %w: %w", room, parley.ErrUnavailable, err)
}

// Post sequences and stores a message. clientID must be set (the edge makes
// one when the client sent none); a resend with the same clientID returns the
// first message and duplicate=true. Returns parley.ErrClientIDReused when the
// clientID was used for a different body.
func (rc *RoomClient) Post(ctx context.Context, room parley.RoomID, who parley.Principal, clientID, body string) (m parley.Message, duplicate bool, err error) {
	resp, err := call[*chatpb.PostResponse](ctx, rc, room, &chatpb.PostRequest{
		Who: PrincipalToPB(who), ClientId: clientID, Body: body,
	})
	if err != nil {
		return parley.Message{}, false, err
	}
	return MessageFromPB(resp.GetMessage()), resp.GetDuplicate(), nil
}

// MemberChange is one membership command.
type MemberChange struct {
	Op     chatpb.MemberOp
	Target parley.UserID // empty for join and leave
	Role   parley.Role   // add and set_role
	Reason string        // audit reason
}

// ChangeMember applies a membership command and returns the record after it.
func (rc *RoomClient) ChangeMember(ctx context.Context, room parley.RoomID, who parley.Principal, ch MemberChange) (parley.Member, error) {
	resp, err := call[*chatpb.MemberResponse](ctx, rc, room, &chatpb.MemberRequest{
		Who: PrincipalToPB(who), Op: ch.Op, Target: string(ch.Target), Role: uint32(ch.Role), Reason: ch.Reason,
	})
	if err != nil {
		return parley.Member{}, err
	}
	return MemberFromPB(resp.GetMember()), nil
}

// Join makes who a member of a public room (platform admins: any room).
func (rc *RoomClient) Join(ctx context.Context, room parley.RoomID, who parley.Principal) (parley.Member, error) {
	return rc.ChangeMember(ctx, room, who, MemberChange{Op: chatpb.MemberOp_MEMBER_OP_JOIN})
}

// Leave ends who's membership. The owner must transfer ownership first.
func (rc *RoomClient) Leave(ctx context.Context, room parley.RoomID, who parley.Principal) (parley.Member, error) {
	return rc.ChangeMember(ctx, room, who, MemberChange{Op: chatpb.MemberOp_MEMBER_OP_LEAVE})
}

// EditMessage replaces the body of who's own message seq.
func (rc *RoomClient) EditMessage(ctx context.Context, room parley.RoomID, who parley.Principal, seq uint64, body string) (parley.Message, error) {
	return rc.message(ctx, room, &chatpb.MessageRequest{Who: PrincipalToPB(who), Op: chatpb.MessageOp_MESSAGE_OP_EDIT, Seq: seq, Body: body})
}

// DeleteMessage soft deletes message seq (its author, or a moderator and above).
func (rc *RoomClient) DeleteMessage(ctx context.Context, room parley.RoomID, who parley.Principal, seq uint64, reason string) (parley.Message, error) {
	return rc.message(ctx, room, &chatpb.MessageRequest{Who: PrincipalToPB(who), Op: chatpb.MessageOp_MESSAGE_OP_DELETE, Seq: seq, Reason: reason})
}

func (rc *RoomClient) message(ctx context.Context, room parley.RoomID, req *chatpb.MessageRequest) (parley.Message, error) {
	resp, err := call[*chatpb.MessageResponse](ctx, rc, room, req)
	if err != nil {
		return parley.Message{}, err
	}
	return MessageFromPB(resp.GetMessage()), nil
}

// Access authorizes act for who and returns the room, who's membership and the
// room's last seq (and the active members for parley.ActRead). Reads that need
// no ordering (history, member lists) call it, then go to the store.
func (rc *RoomClient) Access(ctx context.Context, room parley.RoomID, who parley.Principal, act parley.Action) (Access, error) {
	resp, err := call[*chatpb.RoomResponse](ctx, rc, room, &chatpb.RoomRequest{
		Who: PrincipalToPB(who), Op: chatpb.RoomOp_ROOM_OP_ACCESS, Action: uint32(act),
	})
	if err != nil {
		return Access{}, err
	}
	return accessFromPB(resp), nil
}

// UpdateRoom applies patch (admin and above).
func (rc *RoomClient) UpdateRoom(ctx context.Context, room parley.RoomID, who parley.Principal, patch parley.RoomPatch, reason string) (parley.Room, error) {
	req := &chatpb.RoomRequest{Who: PrincipalToPB(who), Op: chatpb.RoomOp_ROOM_OP_UPDATE, Reason: reason,
		Name: patch.Name, Description: patch.Description}
	if patch.Kind != nil {
		k := string(*patch.Kind)
		req.Kind = &k
	}
	resp, err := call[*chatpb.RoomResponse](ctx, rc, room, req)
	if err != nil {
		return parley.Room{}, err
	}
	return RoomFromPB(resp.GetRoom()), nil
}

// DeleteRoom soft deletes the room (owner or platform admin).
func (rc *RoomClient) DeleteRoom(ctx context.Context, room parley.RoomID, who parley.Principal, reason string) (parley.Room, error) {
	resp, err := call[*chatpb.RoomResponse](ctx, rc, room, &chatpb.RoomRequest{
		Who: PrincipalToPB(who), Op: chatpb.RoomOp_ROOM_OP_DELETE, Reason: reason,
	})
	if err != nil {
		return parley.Room{}, err
	}
	return RoomFromPB(resp.GetRoom()), nil
}

// Subscribe authorizes who to read the room and registers relay as a watcher,
// returning the room's position and in-memory backlog after since. An empty
// who.User is a relay re-watch (no authorization).
func (rc *RoomClient) Subscribe(ctx context.Context, room parley.RoomID, who parley.Principal, since uint64, relay *actor.PID) (*chatpb.SubscribeResponse, error) {
	return call[*chatpb.SubscribeResponse](ctx, rc, room, &chatpb.SubscribeRequest{
		Who: PrincipalToPB(who), Since: since, Relay: &chatpb.Relay{Address: relay.GetAddress(), Id: relay.GetId()},
	})
}

func accessFromPB(r *chatpb.RoomResponse) Access {
	a := Access{Room: RoomFromPB(r.GetRoom()), Me: MemberFromPB(r.GetMe()), LastSeq: r.GetLastSeq()}
	for _, m := range r.GetMembers() {
		a.Members = append(a.Members, MemberFromPB(m))
	}
	return a
}

// Signal fans an ephemeral event (presence, typing) about who out to the
// room's watchers. who must be able to read the room.
func (rc *RoomClient) Signal(ctx context.Context, room parley.RoomID, who parley.Principal, kind chatpb.SignalKind) error {
	_, err := call[*chatpb.SignalResponse](ctx, rc, room, &chatpb.SignalRequest{Who: PrincipalToPB(who), Kind: kind})
	return err
}
