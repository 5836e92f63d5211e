// Package config reads the settings shared by the worker and the CLI from the environment and
// flags (DESIGN §4.7), dials Temporal with them, and builds the zap logger.
//
// It owns configuration and connection set-up only; it must not start workers or hold task logic.
package config

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	sdkclient "go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tasker-systems/tasker-temporal"
)

// DefaultTemplates is where templates are loaded from when TASKER_TEMPLATES is unset.
const DefaultTemplates = "examples/templates"

// Temporal is how to reach a Temporal cluster. An empty Address means: the embedded server.
type Temporal struct {
	Address   string
	Namespace string
	TLSCert   string // client certificate file (mTLS)
	TLSKey    string // client key file (mTLS)
	TLSCA     string // CA file to verify the server
	TLSServer string // server name override
	TLS       bool   // TLS without client certificates (e.g. with an API key)
	APIKey    string
	// Identity names this process to Temporal (pollers, history); empty = the SDK's pid@host.
	// Health checks look for this process's pollers by it.
	Identity string
}

// Common are the settings both commands read.
type Common struct {
	Temporal    Temporal
	DatabaseURL string
	Templates   []string
	Env         string
	LogFormat   string // console | json | "" (console on a terminal, JSON otherwise)
	LogLevel    string
}

// Bind registers the shared flags on fs, with defaults from the environment.
func (c *Common) Bind(fs *pflag.FlagSet) {
	fs.StringVar(&c.Temporal.Address, "temporal-address", os.Getenv("TEMPORAL_ADDRESS"), "Temporal frontend host:port (env TEMPORAL_ADDRESS; unset = the embedded server)")
	fs.StringVar(&c.Temporal.Namespace, "temporal-namespace", envOr("TEMPORAL_NAMESPACE", tasker.DefaultNamespace), "Temporal namespace (env TEMPORAL_NAMESPACE)")
	fs.StringVar(&c.Temporal.TLSCert, "tls-cert", os.Getenv("TEMPORAL_TLS_CERT"), "client certificate for mTLS (env TEMPORAL_TLS_CERT)")
	fs.StringVar(&c.Temporal.TLSKey, "tls-key", os.Getenv("TEMPORAL_TLS_KEY"), "client key for mTLS (env TEMPORAL_TLS_KEY)")
	fs.StringVar(&c.Temporal.TLSCA, "tls-ca", os.Getenv("TEMPORAL_TLS_CA"), "CA certificate to verify the server (env TEMPORAL_TLS_CA)")
	fs.StringVar(&c.Temporal.TLSServer, "tls-server-name", os.Getenv("TEMPORAL_TLS_SERVER_NAME"), "server name to verify (env TEMPORAL_TLS_SERVER_NAME)")
	fs.BoolVar(&c.Temporal.TLS, "tls", os.Getenv("TEMPORAL_TLS") == "true", "use TLS (implied by the other TLS flags and by an API key; env TEMPORAL_TLS)")
	fs.StringVar(&c.Temporal.APIKey, "api-key", os.Getenv("TEMPORAL_API_KEY"), "API key, e.g. for Temporal Cloud (env TEMPORAL_API_KEY)")
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "the Rails database for the compat mirror (env DATABASE_URL; unset = mirror off)")
	fs.StringSliceVar(&c.Templates, "templates", splitList(envOr("TASKER_TEMPLATES", DefaultTemplates)), "template files or directories (env TASKER_TEMPLATES, comma- or colon-separated)")
	fs.StringVar(&c.Env, "env", os.Getenv("TASKER_ENV"), "template environment whose overrides apply (env TASKER_ENV)")
	fs.StringVar(&c.LogFormat, "log-format", os.Getenv("LOG_FORMAT"), "console or json (env LOG_FORMAT; default: console on a terminal)")
	fs.StringVar(&c.LogLevel, "log-level", envOr("LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ':' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks what can be checked without connecting.
func (c *Common) Validate() error {
	if c.Temporal.Address != "" {
		if _, _, err := net.SplitHostPort(c.Temporal.Address); err != nil {
			return fmt.Errorf("TEMPORAL_ADDRESS %q: want host:port: %w", c.Temporal.Address, err)
		}
	}
	if c.DatabaseURL != "" {
		if err := checkDatabaseURL(c.DatabaseURL); err != nil {
			return err
		}
	}
	if (c.Temporal.TLSCert == "") != (c.Temporal.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together (mTLS needs both)")
	}
	return nil
}

func checkDatabaseURL(raw string) error {
	if strings.Contains(raw, "=") && !strings.Contains(raw, "://") {
		return nil // a libpq key=value string; pgx reports its own errors
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("DATABASE_URL is malformed: %v", redactErr(err, raw))
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("DATABASE_URL %s: scheme must be postgres:// or postgresql://", u.Redacted())
	}
	if u.Host == "" {
		return fmt.Errorf("DATABASE_URL %s: no host", u.Redacted())
	}
	return nil
}

// redactErr hides the URL (it may carry a password) from a url.Parse error.
func redactErr(err error, raw string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return strings.ReplaceAll(err.Error(), raw, "(url)")
}

// ClientOptions builds the Temporal client options for address.
func (t Temporal) ClientOptions(address string, logger *zap.Logger) (sdkclient.Options, error) {
	opts := sdkclient.Options{
		HostPort:  address,
		Namespace: t.Namespace,
		Identity:  t.Identity,
		Logger:    NewSDKLogger(logger),
	}
	tlsConf, err := t.tlsConfig()
	if err != nil {
		return opts, err
	}
	opts.ConnectionOptions.TLS = tlsConf
	if t.APIKey != "" {
		opts.Credentials = sdkclient.NewAPIKeyStaticCredentials(t.APIKey)
	}
	return opts, nil
}

func (t Temporal) tlsConfig() (*tls.Config, error) {
	if !t.TLS && t.TLSCert == "" && t.TLSCA == "" && t.APIKey == "" {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.TLSServer}
	if t.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(t.TLSCert, t.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load --tls-cert %s / --tls-key %s: %w", t.TLSCert, t.TLSKey, err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	if t.TLSCA != "" {
		pem, err := os.ReadFile(t.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("read --tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificates", t.TLSCA)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// Dial connects to Temporal at address and checks the connection, with one clear error when it
// cannot: which address, and what to do.
func (t Temporal) Dial(ctx context.Context, address string, logger *zap.Logger) (sdkclient.Client, error) {
	opts, err := t.ClientOptions(address, logger)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := sdkclient.DialContext(ctx, opts)
	if err != nil {
		msg := shortErr(err)
		if opts.ConnectionOptions.TLS != nil {
			if probed := probeTLS(address, opts.ConnectionOptions.TLS); probed != "" {
				msg = probed
			}
		}
		return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %s): %s", address, t.Namespace, oneLine(t.explainTLS(msg)))
	}
	return c, nil
}

func shortErr(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "desc = "); i >= 0 {
		msg = msg[i+len("desc = "):]
	}
	return msg
}

// Logger builds the zap logger: console on a terminal, JSON otherwise, unless format says.
func Logger(format, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	if format == "" {
		format = "json"
		if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			format = "console"
		}
	}
	var cfg zap.Config
	switch format {
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		cfg.DisableStacktrace = true
	case "json":
		cfg = zap.NewProductionConfig()
	default:
		return nil, fmt.Errorf("--log-format %q: want console or json", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.DisableCaller = true
	return cfg.Build()
}
