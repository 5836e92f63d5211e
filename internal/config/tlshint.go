package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// explainTLS turns a TLS handshake failure into what to change, in one line; other errors pass
// through unchanged.
func (t Temporal) explainTLS(msg string) string {
	switch {
	case strings.Contains(msg, "certificate signed by unknown authority"),
		strings.Contains(msg, "failed to verify certificate"):
		if t.TLSCA == "" {
			return "the server's TLS certificate is not trusted by this machine's CAs: set TEMPORAL_TLS_CA (--tls-ca) to the CA that signed it (" + msg + ")"
		}
		return fmt.Sprintf("the server's TLS certificate is not signed by the CA in TEMPORAL_TLS_CA (--tls-ca %s) (%s)", t.TLSCA, msg)
	case strings.Contains(msg, "certificate required") && t.TLSCert != "":
		// Go's client sends no certificate the server's acceptable CAs do not cover.
		return fmt.Sprintf("the server refused the client certificate in TEMPORAL_TLS_CERT (--tls-cert %s): it requires one signed by a CA it trusts (%s)", t.TLSCert, msg)
	case strings.Contains(msg, "certificate required"):
		return "the server requires a client certificate (mTLS): set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (--tls-cert, --tls-key) (" + msg + ")"
	case strings.Contains(msg, "unknown certificate authority"), strings.Contains(msg, "bad certificate"):
		return fmt.Sprintf("the server refused the client certificate in TEMPORAL_TLS_CERT (--tls-cert %s): it is not signed by a CA the server trusts (%s)", t.TLSCert, msg)
	case t.tlsOff() && (strings.Contains(msg, "server preface") || strings.Contains(msg, "EOF")):
		return "the connection closed during set-up; if the server serves TLS, set TEMPORAL_TLS_CA or TEMPORAL_TLS=true (" + msg + ")"
	}
	return msg
}

func (t Temporal) tlsOff() bool {
	return !t.TLS && t.TLSCert == "" && t.TLSCA == "" && t.APIKey == ""
}

// oneLine folds a multi-line message into one.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// probeTLS repeats the TLS handshake by hand after a failed dial, and reads the server's first
// bytes: with TLS 1.3 the server's verdict on the client certificate (an alert) arrives only
// then, which gRPC may report as a broken pipe instead. It returns the TLS or x509 error, or "".
func probeTLS(address string, conf *tls.Config) string {
	c := conf.Clone()
	c.NextProtos = []string{"h2"}
	if c.ServerName == "" {
		if host, _, err := net.SplitHostPort(address); err == nil {
			c.ServerName = host
		}
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", address, c)
	if err != nil {
		return tlsError(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")); err != nil {
		return tlsError(err)
	}
	_, err = conn.Read(make([]byte, 1))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return ""
	}
	return tlsError(err)
}

func tlsError(err error) string {
	if err == nil {
		return ""
	}
	if msg := err.Error(); strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") {
		return msg
	}
	return ""
}
