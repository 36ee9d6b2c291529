// Package parley is the domain of the Parley chat engine: what a room, a member,
// a role and a message are, the rules about them (validation and the permission
// policy) and the errors every transport shares.
//
// It imports nothing of the project and no infrastructure library, so the actors,
// stores and transports all speak this one vocabulary. Every type here is a plain
// value; functions are pure and safe for concurrent use.
package parley
