// Package chatpb is the grain protocol between nodes: room.proto and its
// generated code. Regenerate with `go generate ./cluster/chatpb` (needs protoc
// from Debian's protobuf-compiler and protoc-gen-go, see the Makefile).
package chatpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative room.proto
