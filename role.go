package parley

// Role is a member's rank in one room. Higher values outrank lower ones, so
// comparisons read naturally: actor > target.
type Role uint8

// Roles in increasing rank. RoleNone means "not a member". Append only: the values
// cross the cluster and are stored.
const (
	RoleNone Role = iota
	RoleMember
	RoleModerator
	RoleAdmin
	RoleOwner
)

var roleNames = [...]string{"none", "member", "moderator", "admin", "owner"}

// String returns the role's wire name ("member", "owner", ...).
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "none"
}

// ParseRole returns the role named s. Only real member roles parse; "none" and
// unknown names are rejected.
func ParseRole(s string) (Role, bool) {
	for i, n := range roleNames {
		if i > 0 && n == s {
			return Role(i), true
		}
	}
	return RoleNone, false
}

// Valid reports whether r is a member role (member to owner).
func (r Role) Valid() bool { return r >= RoleMember && r <= RoleOwner }
