package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// Scope is what a token may do. A write token may also read.
type Scope int

// Scopes, weakest first.
const (
	ScopeNone Scope = iota
	ScopeRead
	ScopeWrite
)

func (s Scope) String() string {
	switch s {
	case ScopeRead:
		return "read"
	case ScopeWrite:
		return "write"
	}
	return "none"
}

// Token is one accepted bearer token and its scope.
type Token struct {
	Value string
	Scope Scope
}

// ParseTokens reads tokens written as "scope:value" separated by commas, e.g.
// "write:s3cret,read:look" (the form of --http-tokens and TASKER_HTTP_TOKENS).
func ParseTokens(spec string) ([]Token, error) {
	var out []Token
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		scope, value, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("http tokens: %q: want scope:token, scope read or write", redact(part))
		}
		t := Token{Value: value}
		switch scope {
		case "read":
			t.Scope = ScopeRead
		case "write":
			t.Scope = ScopeWrite
		default:
			return nil, fmt.Errorf("http tokens: scope %q: want read or write", scope)
		}
		out = append(out, t)
	}
	return out, validateTokens(out)
}

func validateTokens(ts []Token) error {
	for i, t := range ts {
		if len(t.Value) < 8 {
			return fmt.Errorf("http tokens: token %d (%s) is shorter than 8 characters", i+1, t.Scope)
		}
		if t.Scope != ScopeRead && t.Scope != ScopeWrite {
			return fmt.Errorf("http tokens: token %d has no scope (read or write)", i+1)
		}
	}
	return nil
}

func redact(s string) string {
	if len(s) <= 4 {
		return "…"
	}
	return s[:2] + "…"
}

// authorize checks the request's bearer token against the scope the route needs.
func (s *Server) authorize(r *http.Request, need Scope) error {
	if need == ScopeNone || s.cfg.Open {
		return nil
	}
	if len(s.cfg.Tokens) == 0 {
		if need == ScopeRead {
			return nil
		}
		return apiErr(http.StatusForbidden, "", "writes are disabled: the server has no write token configured (--http-tokens) and is not opened for local development (--http-open)")
	}
	got, ok := bearer(r)
	if !ok {
		return apiErr(http.StatusUnauthorized, "Authorization", "a bearer token is required (Authorization: Bearer <token>)")
	}
	scope := s.scopeOf(got)
	switch {
	case scope == ScopeNone:
		return apiErr(http.StatusUnauthorized, "Authorization", "the bearer token is not one this server accepts")
	case scope < need:
		return apiErr(http.StatusForbidden, "Authorization", fmt.Sprintf("the token's scope is %s; this route needs %s", scope, need))
	}
	return nil
}

// scopeOf compares the token with every configured one in constant time (over equal-length
// digests, so neither the value nor its length leaks) and returns the best scope it has.
func (s *Server) scopeOf(token string) Scope {
	sum := sha256.Sum256([]byte(token))
	best := ScopeNone
	for _, t := range s.cfg.Tokens {
		want := sha256.Sum256([]byte(t.Value))
		if subtle.ConstantTimeCompare(sum[:], want[:]) == 1 && t.Scope > best {
			best = t.Scope
		}
	}
	return best
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}
