// Package persistence declares what Parley keeps and shares: the durable store
// (users, rooms, members, messages, audit) and the state every node shares (rate
// limits, presence, one-time tickets, token revocation), with their query types.
//
// Implementations live in sub-packages named after their technology (sqlitestore,
// mongostore, redisstore, memstore); storetest holds the conformance suites they
// all pass. This package imports only the domain (package parley). Every
// implementation must be safe for concurrent use.
package persistence
