package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// Authenticator checks the Authorization header against the configured
// password in constant time. Hashing both sides first keeps the comparison
// independent of the password's length as well as its content.
type Authenticator struct {
	sum [sha256.Size]byte
}

// NewAuthenticator returns an Authenticator for password.
func NewAuthenticator(password string) *Authenticator {
	return &Authenticator{sum: sha256.Sum256([]byte(password))}
}

// Check reports the HTTP status for the request's credentials:
// 0 when accepted, 401 when the header is missing, 403 when it is wrong.
func (a *Authenticator) Check(r *http.Request) int {
	vals, ok := r.Header["Authorization"]
	if !ok || len(vals) == 0 {
		return http.StatusUnauthorized
	}
	got := sha256.Sum256([]byte(vals[0]))
	if subtle.ConstantTimeCompare(got[:], a.sum[:]) != 1 {
		return http.StatusForbidden
	}
	return 0
}

// Wrap requires valid credentials before calling next; failures get an empty
// body, as the reference sends.
func (a *Authenticator) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code := a.Check(r); code != 0 {
			w.WriteHeader(code)
			return
		}
		next.ServeHTTP(w, r)
	})
}
