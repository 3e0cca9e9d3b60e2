package api

import (
	"errors"
	"net/http"
	"time"
)

// ExtendDeadlines gives a long request (a streamed batch, a large download) d more time
// from now to read its body and write its answer, beyond the server's ReadTimeout and
// WriteTimeout. Call it at the start of the handler, and again while streaming if the
// work can outlast d. A ResponseWriter that cannot set deadlines (httptest's recorder) is
// not an error: it has none to extend.
func ExtendDeadlines(w http.ResponseWriter, d time.Duration) error {
	rc := http.NewResponseController(w)
	at := time.Now().Add(d)
	if err := rc.SetReadDeadline(at); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if err := rc.SetWriteDeadline(at); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
