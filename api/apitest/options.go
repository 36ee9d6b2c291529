package apitest

import "github.com/parleychat/parley/api"

// raisedLimit is the rate limit Start gives every action the test left at
// zero: high enough that no test trips it by accident, so only tests that
// set a limit see one.
var raisedLimit = api.Limit{Count: 100_000}

// raiseLimits sets each per-action rate limit of cfg the test left at zero
// to raisedLimit. Tests often create rooms and join from one address, faster
// than a person would. LoginIPLimit and RegisterLimit stay zero: they then
// follow LoginLimit, which Start raises unless the test set it.
func raiseLimits(cfg *api.Config) {
	for _, l := range []*api.Limit{
		&cfg.SendIPLimit, &cfg.RoomLimit, &cfg.RoomIPLimit, &cfg.JoinLimit, &cfg.JoinIPLimit,
	} {
		if l.Count == 0 {
			*l = raisedLimit
		}
	}
}
