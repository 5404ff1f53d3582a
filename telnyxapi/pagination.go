package telnyxapi

import (
	"net/url"
	"strconv"
)

// MaxPageSize is the largest page[size] the API accepts.
const MaxPageSize = 100

// encode adds page[number] and page[size] to q when they are set.
func (p PageParams) encode(q url.Values) {
	if p.Number > 0 {
		q.Set("page[number]", strconv.Itoa(p.Number))
	}
	if p.Size > 0 {
		q.Set("page[size]", strconv.Itoa(p.Size))
	}
}

// HasMore reports whether pages follow this one.
func (m PaginationMeta) HasMore() bool {
	return m.TotalPages > 0 && m.PageNumber < m.TotalPages
}
