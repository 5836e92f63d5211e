package bridge

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Token errors. The callback API answers ErrTokenInvalid and ErrTokenExpired with 401 and
// ErrTokenUsed with 409.
var (
	ErrTokenInvalid = errors.New("callback token is invalid (forged, truncated or signed with another secret)")
	ErrTokenExpired = errors.New("callback token has expired")
	ErrTokenUsed    = errors.New("callback token was already used")
)

// Claims is what a callback token carries. TaskToken is Temporal's: with it any bridge process
// can complete the attempt.
type Claims struct {
	TaskToken  []byte    `json:"tt"`
	WorkflowID string    `json:"wf"`
	ActivityID string    `json:"act"`
	Step       string    `json:"step"`
	Attempt    int       `json:"att"`
	Callable   string    `json:"callable"`
	Framework  Framework `json:"fw"`
	Expires    time.Time `json:"exp"`
	Nonce      string    `json:"n"` // random: the single-use key of the ledger
}

// Signer signs and verifies callback tokens: base64url(JSON claims) "." base64url(HMAC-SHA256).
type Signer struct {
	key []byte
}

// NewSigner returns a signer with secret; it must hold at least MinSecretBytes bytes.
func NewSigner(secret []byte) (*Signer, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("callback secret: at least %d bytes required (got %d)", MinSecretBytes, len(secret))
	}
	return &Signer{key: append([]byte(nil), secret...)}, nil
}

// Sign returns the token of c; an empty Nonce is filled with a random one.
func (s *Signer) Sign(c Claims) (string, error) {
	if c.Nonce == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("sign callback token: %w", err)
		}
		c.Nonce = hex.EncodeToString(b)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("sign callback token: %w", err)
	}
	enc := base64.RawURLEncoding
	p := enc.EncodeToString(payload)
	return p + "." + enc.EncodeToString(s.mac(p)), nil
}

func (s *Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// Verify checks the token's signature and expiry against now and returns its claims.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok || p == "" || sig == "" {
		return Claims{}, ErrTokenInvalid
	}
	enc := base64.RawURLEncoding
	got, err := enc.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return Claims{}, ErrTokenInvalid
	}
	payload, err := enc.DecodeString(p)
	if err != nil {
		return Claims{}, ErrTokenInvalid
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || len(c.TaskToken) == 0 || c.Nonce == "" {
		return Claims{}, ErrTokenInvalid
	}
	if !now.Before(c.Expires) {
		return c, fmt.Errorf("%w (at %s)", ErrTokenExpired, c.Expires.UTC().Format(time.RFC3339))
	}
	return c, nil
}
