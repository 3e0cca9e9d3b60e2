package api

import "context"

// WithRequestID returns ctx carrying id as its request id: for work that does not come
// through the HTTP middleware (a command-line import, say) but is audited like a request.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}
