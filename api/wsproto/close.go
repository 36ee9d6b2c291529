package wsproto

// WebSocket close codes. 4000-4499: the client may reconnect (and resume with
// since); 4500-4999: it must not reconnect without new credentials or a change
// on its side. 1001 and 1011 keep their standard meanings. Append only.
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001 // server shutting down; reconnect elsewhere
	CloseProtocolError   = 1002
	CloseUnsupportedData = 1003 // binary frames
	CloseInvalidData     = 1007 // not UTF-8 text
	ClosePolicy          = 1008
	CloseTooBig          = 1009
	CloseInternalError   = 1011
	CloseServiceRestart  = 1012
	CloseTryAgainLater   = 1013
	CloseSlowConsumer    = 4000 // fell behind: reconnect and subscribe with since
	CloseTokenExpired    = 4001 // refresh the token, then reconnect
	CloseIdle            = 4002 // no traffic within the idle timeout
	CloseUnauthorized    = 4501 // credentials revoked or invalid
	CloseForbidden       = 4503 // banned from the platform
)
