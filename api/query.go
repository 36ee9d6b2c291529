package api

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// Query strings are parsed strictly, like bodies: a malformed query, an
// unknown or repeated parameter, or a value out of range is a 400 naming the
// parameter. An empty value means the parameter is absent.

const (
	maxQueryLen = 2048          // bytes of raw query string
	maxSearch   = 100           // runes
	maxPage     = 1_000_000_000 // keeps offsets far from overflow
)

// roomListQuery is GET /api/chat/rooms/?page=&page_size=&search=&kind=&member=me&ordering=.
type roomListQuery struct {
	Page       int
	PageSize   int
	Search     string
	Kind       parley.RoomKind
	MemberOnly bool
	Ordering   persistence.RoomOrdering
}

// parseRoomListQuery parses the raw (still escaped) query string of a room list.
func parseRoomListQuery(raw string) (roomListQuery, error) {
	q := roomListQuery{Page: 1, PageSize: parley.DefaultPageSize, Ordering: persistence.OrderCreatedDesc}
	vals, err := parseParams(raw, "page", "page_size", "search", "kind", "member", "ordering")
	if err != nil {
		return q, err
	}
	if q.Page, err = intParam(vals, "page", q.Page, maxPage); err != nil {
		return q, err
	}
	if q.PageSize, err = intParam(vals, "page_size", q.PageSize, parley.MaxPageSize); err != nil {
		return q, err
	}
	if q.Search, err = searchParam(vals.Get("search")); err != nil {
		return q, err
	}
	if k := parley.RoomKind(vals.Get("kind")); k != "" {
		if !k.Valid() {
			return q, parley.Invalid("kind", "must be public or private")
		}
		q.Kind = k
	}
	switch vals.Get("member") {
	case "":
	case "me":
		q.MemberOnly = true
	default:
		return q, parley.Invalid("member", "must be me")
	}
	if o := persistence.RoomOrdering(vals.Get("ordering")); o != "" {
		if !o.Valid() {
			return q, parley.Invalid("ordering", "must be one of created_at, -created_at, name, -name")
		}
		q.Ordering = o
	}
	return q, nil
}

// encode returns the query string of the same list at page.
func (q roomListQuery) encode(page int) string {
	v := url.Values{}
	v.Set("page", strconv.Itoa(page))
	if q.PageSize != parley.DefaultPageSize {
		v.Set("page_size", strconv.Itoa(q.PageSize))
	}
	setIf(v, "search", q.Search)
	setIf(v, "kind", string(q.Kind))
	if q.MemberOnly {
		v.Set("member", "me")
	}
	if q.Ordering != persistence.OrderCreatedDesc {
		v.Set("ordering", string(q.Ordering))
	}
	return v.Encode()
}

// historyQuery is GET .../messages/?before=&after=&limit=.
type historyQuery struct {
	Before uint64
	After  uint64
	Limit  int
}

// parseHistoryQuery parses the raw query string of a history page.
func parseHistoryQuery(raw string) (historyQuery, error) {
	q := historyQuery{Limit: parley.DefaultHistory}
	vals, err := parseParams(raw, "before", "after", "limit")
	if err != nil {
		return q, err
	}
	if q.Before, err = seqValue("before", vals.Get("before")); err != nil {
		return q, err
	}
	if q.After, err = seqValue("after", vals.Get("after")); err != nil {
		return q, err
	}
	if q.Limit, err = intParam(vals, "limit", q.Limit, parley.MaxHistory); err != nil {
		return q, err
	}
	return q, nil
}

// encode returns the query string of q.
func (q historyQuery) encode() string {
	v := url.Values{}
	if q.Before > 0 {
		v.Set("before", strconv.FormatUint(q.Before, 10))
	}
	if q.After > 0 {
		v.Set("after", strconv.FormatUint(q.After, 10))
	}
	if q.Limit != parley.DefaultHistory {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v.Encode()
}

// parseBan parses the query of DELETE .../members/{user}/?ban=.
func parseBan(raw string) (bool, error) {
	vals, err := parseParams(raw, "ban")
	if err != nil {
		return false, err
	}
	switch vals.Get("ban") {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, parley.Invalid("ban", "must be true or false")
}

// parseParams parses raw and checks every parameter is known and given once.
func parseParams(raw string, known ...string) (url.Values, error) {
	if len(raw) > maxQueryLen {
		return nil, parley.Invalid("query", "is too long")
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, parley.Invalid("query", "is not a valid query string")
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same parameter every time
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return nil, parley.Invalid(safeName(k), "is not a known parameter")
		}
		if len(vals[k]) > 1 {
			return nil, parley.Invalid(k, "must be given once")
		}
	}
	return vals, nil
}

// safeName returns name if it is safe to echo to the client, else "query".
func safeName(name string) string {
	if parley.ValidID(name) {
		return name
	}
	return "query"
}

// intParam parses vals[name] as an integer in [1, hi], or returns def if absent.
func intParam(vals url.Values, name string, def, hi int) (int, error) {
	s := vals.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > hi {
		return 0, parley.Invalid(name, "must be an integer from 1 to "+strconv.Itoa(hi))
	}
	return n, nil
}

// seqValue parses s as a sequence number (> 0), or returns 0 if s is empty.
func seqValue(name, s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, parley.Invalid(name, "must be a positive integer")
	}
	return n, nil
}

// searchParam checks a search string: valid UTF-8 without control characters,
// at most maxSearch characters once trimmed. The store matches it literally.
func searchParam(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", parley.Invalid("search", "must be text without control characters")
	}
	if utf8.RuneCountInString(s) > maxSearch {
		return "", parley.Invalid("search", "must be at most 100 characters")
	}
	return s, nil
}

func setIf(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}
