package parley_test

import (
	"errors"
	"testing"

	"github.com/parleychat/parley"
)

// The permission matrix: every action x every standing x both room kinds,
// written out by hand rather than derived from the code under test.
// Columns: owner, admin, moderator, member, non-member, banned, platform admin
// (not a member). "ok" = allowed, otherwise the error code.
var matrix = map[parley.Action][7]string{
	parley.ActViewRoom:      {"ok", "ok", "ok", "ok", "ok", "ok", "ok"},
	parley.ActRead:          {"ok", "ok", "ok", "ok", "not_member", "banned", "ok"},
	parley.ActPost:          {"ok", "ok", "ok", "ok", "not_member", "banned", "ok"},
	parley.ActJoin:          {"already_member", "already_member", "already_member", "already_member", "ok", "banned", "ok"},
	parley.ActLeave:         {"owner_must_transfer", "ok", "ok", "ok", "not_member", "not_member", "not_member"},
	parley.ActEditMessage:   {"forbidden", "forbidden", "forbidden", "forbidden", "not_member", "banned", "forbidden"},
	parley.ActDeleteMessage: {"ok", "ok", "ok", "forbidden", "not_member", "banned", "ok"},
	parley.ActAddMember:     {"ok", "ok", "forbidden", "forbidden", "not_member", "banned", "ok"},
	parley.ActSetRole:       {"ok", "ok", "forbidden", "forbidden", "not_member", "banned", "ok"},
	parley.ActKick:          {"ok", "ok", "ok", "forbidden", "not_member", "banned", "ok"},
	parley.ActBan:           {"ok", "ok", "ok", "forbidden", "not_member", "banned", "ok"},
	parley.ActUnban:         {"ok", "ok", "ok", "forbidden", "not_member", "banned", "ok"},
	parley.ActUpdateRoom:    {"ok", "ok", "forbidden", "forbidden", "not_member", "banned", "ok"},
	parley.ActDeleteRoom:    {"ok", "forbidden", "forbidden", "forbidden", "not_member", "banned", "ok"},
	parley.ActViewAudit:     {"ok", "ok", "forbidden", "forbidden", "not_member", "banned", "ok"},
}

var standings = []struct {
	name string
	p    parley.Principal
	me   parley.Standing
}{
	{"Owner", parley.Principal{User: "u"}, parley.Standing{Role: parley.RoleOwner}},
	{"Admin", parley.Principal{User: "u"}, parley.Standing{Role: parley.RoleAdmin}},
	{"Moderator", parley.Principal{User: "u"}, parley.Standing{Role: parley.RoleModerator}},
	{"Member", parley.Principal{User: "u"}, parley.Standing{Role: parley.RoleMember}},
	{"NonMember", parley.Principal{User: "u"}, parley.Standing{}},
	{"Banned", parley.Principal{User: "u"}, parley.Standing{Banned: true}},
	{"PlatformAdmin", parley.Principal{User: "u", Admin: true}, parley.Standing{}},
}

// target: another user's message, and another user who is a plain member,
// to be made a moderator.
var target = parley.Target{Author: "other", User: "other", Role: parley.RoleMember, NewRole: parley.RoleModerator}

func code(err error) string {
	if err == nil {
		return "ok"
	}
	return parley.Classify(err).Code
}

func TestAuthorize_Matrix(t *testing.T) {
	if len(matrix) != len(parley.Actions()) {
		t.Fatalf("matrix covers %d actions, want all %d", len(matrix), len(parley.Actions()))
	}
	for _, kind := range []parley.RoomKind{parley.RoomPublic, parley.RoomPrivate} {
		for _, act := range parley.Actions() {
			for i, s := range standings {
				want := matrix[act][i]
				if kind == parley.RoomPrivate && (s.name == "NonMember" || s.name == "Banned") {
					want = "room_not_found" // private rooms do not exist for outsiders
				}
				t.Run(string(kind)+"/"+act.String()+"/"+s.name, func(t *testing.T) {
					if got := code(parley.Authorize(s.p, kind, s.me, act, target)); got != want {
						t.Errorf("Authorize = %s, want %s", got, want)
					}
				})
			}
		}
	}
}

func TestAuthorize_Hierarchy(t *testing.T) {
	me := func(r parley.Role) parley.Standing { return parley.Standing{Role: r} }
	u := parley.Principal{User: "u"}
	tests := []struct {
		name string
		p    parley.Principal
		me   parley.Standing
		act  parley.Action
		t    parley.Target
		want string
	}{
		{"ModeratorCannotKickModerator", u, me(parley.RoleModerator), parley.ActKick, parley.Target{User: "x", Role: parley.RoleModerator}, "forbidden"},
		{"AdminKicksModerator", u, me(parley.RoleAdmin), parley.ActKick, parley.Target{User: "x", Role: parley.RoleModerator}, "ok"},
		{"AdminCannotKickAdmin", u, me(parley.RoleAdmin), parley.ActKick, parley.Target{User: "x", Role: parley.RoleAdmin}, "forbidden"},
		{"OwnerKicksAdmin", u, me(parley.RoleOwner), parley.ActKick, parley.Target{User: "x", Role: parley.RoleAdmin}, "ok"},
		{"NobodyKicksOwner", parley.Principal{User: "u", Admin: true}, me(parley.RoleNone), parley.ActKick, parley.Target{User: "x", Role: parley.RoleOwner}, "owner_must_transfer"},
		{"NoSelfKick", u, me(parley.RoleOwner), parley.ActKick, parley.Target{User: "u", Role: parley.RoleOwner}, "forbidden"},
		{"ModeratorBansNonMember", u, me(parley.RoleModerator), parley.ActBan, parley.Target{User: "x"}, "ok"},
		{"AdminCannotPromoteToAdmin", u, me(parley.RoleAdmin), parley.ActSetRole, parley.Target{User: "x", Role: parley.RoleMember, NewRole: parley.RoleAdmin}, "forbidden"},
		{"OwnerPromotesToAdmin", u, me(parley.RoleOwner), parley.ActSetRole, parley.Target{User: "x", Role: parley.RoleMember, NewRole: parley.RoleAdmin}, "ok"},
		{"AdminCannotDemoteAdmin", u, me(parley.RoleAdmin), parley.ActSetRole, parley.Target{User: "x", Role: parley.RoleAdmin, NewRole: parley.RoleMember}, "forbidden"},
		{"OwnerTransfers", u, me(parley.RoleOwner), parley.ActSetRole, parley.Target{User: "x", Role: parley.RoleAdmin, NewRole: parley.RoleOwner}, "ok"},
		{"AdminCannotTransfer", u, me(parley.RoleAdmin), parley.ActSetRole, parley.Target{User: "x", Role: parley.RoleMember, NewRole: parley.RoleOwner}, "forbidden"},
		{"OwnerCannotDemoteSelf", u, me(parley.RoleOwner), parley.ActSetRole, parley.Target{User: "u", Role: parley.RoleOwner, NewRole: parley.RoleAdmin}, "owner_must_transfer"},
		{"SetRoleOfNonMember", u, me(parley.RoleOwner), parley.ActSetRole, parley.Target{User: "x", NewRole: parley.RoleMember}, "not_member"},
		{"SetRoleToNone", u, me(parley.RoleOwner), parley.ActSetRole, parley.Target{User: "x", Role: parley.RoleMember}, "invalid"},
		{"AddAsOwner", u, me(parley.RoleOwner), parley.ActAddMember, parley.Target{User: "x", NewRole: parley.RoleOwner}, "invalid"},
		{"AdminCannotAddAdmin", u, me(parley.RoleAdmin), parley.ActAddMember, parley.Target{User: "x", NewRole: parley.RoleAdmin}, "forbidden"},
		{"AuthorEditsOwn", u, me(parley.RoleMember), parley.ActEditMessage, parley.Target{Author: "u"}, "ok"},
		{"AuthorDeletesOwn", u, me(parley.RoleMember), parley.ActDeleteMessage, parley.Target{Author: "u"}, "ok"},
		{"BannedAuthorCannotEdit", u, parley.Standing{Banned: true}, parley.ActEditMessage, parley.Target{Author: "u"}, "room_not_found"},
		{"PlatformAdminJoinsPrivate", parley.Principal{User: "u", Admin: true}, me(parley.RoleNone), parley.ActJoin, parley.Target{}, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(parley.Authorize(tt.p, parley.RoomPrivate, tt.me, tt.act, tt.t)); got != tt.want {
				t.Errorf("Authorize = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for _, e := range parley.Sentinels() {
		if got := parley.FromCode(e.Code); got != e {
			t.Errorf("FromCode(%q) = %v, want %v", e.Code, got, e)
		}
		wrapped := errors.Join(errors.New("context"), e)
		if got := parley.Classify(wrapped); got != e {
			t.Errorf("Classify(wrapped %s) = %v", e.Code, got)
		}
	}
	if got := parley.Classify(errors.New("driver exploded")); got != parley.ErrInternal {
		t.Errorf("Classify(unknown) = %v, want internal", got)
	}
	if got := parley.Classify(parley.Invalid("body", "x")); got != parley.ErrInvalid {
		t.Errorf("Classify(FieldError) = %v, want invalid", got)
	}
	if got := parley.FromCode("no_such_code"); got != parley.ErrInternal {
		t.Errorf("FromCode(unknown) = %v", got)
	}
	seen := map[string]bool{}
	for _, e := range parley.Sentinels() {
		if seen[e.Code] {
			t.Errorf("code %q used twice", e.Code)
		}
		seen[e.Code] = true
	}
}
