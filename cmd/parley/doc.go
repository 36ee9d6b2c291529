// Command parley is Parley's command line: it mints tokens from the server's
// secret and makes thin admin calls over the REST API.
//
//	parley token --user U [--admin] [--ttl 1h] [--data-dir ./data]
//	parley login --username U            (password from PARLEY_PASSWORD or stdin)
//	parley rooms create --name N [--kind public] [--description D]
//	parley rooms list [--search S] [--page N] [--member-only]
//	parley send --room R --body B [--client-id C]
//
// Calls take --server (PARLEY_SERVER, default http://127.0.0.1:8080) and
// --token (PARLEY_TOKEN). Responses are printed as indented JSON; errors go
// to stderr with a non-zero exit status.
package main
