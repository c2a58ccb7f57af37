package store

import (
	"context"
	"net/http"
)

// The shop answers a HEAD as the GET of the same address (echo routes HEAD nowhere by
// itself): it hands echo a copy of the request that says GET. The copy's context keeps
// what the client sent, for the lines the logs write about it.

type headRequest struct{}

// AsGet is a copy of a HEAD request r that says GET and remembers it was a HEAD.
func AsGet(r *http.Request) *http.Request {
	r = r.WithContext(context.WithValue(r.Context(), headRequest{}, true))
	r.Method = http.MethodGet
	return r
}

// RequestMethod is the method the client sent: HEAD for a request AsGet made a GET.
func RequestMethod(r *http.Request) string {
	if r.Method == http.MethodGet && r.Context().Value(headRequest{}) != nil {
		return http.MethodHead
	}
	return r.Method
}
