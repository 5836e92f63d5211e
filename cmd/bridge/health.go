package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
	sdkclient "go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/tasker-systems/tasker-temporal/bridge"
	"github.com/tasker-systems/tasker-temporal/internal/health"
)

// checker is the bridge's health: live while its callback API answers; ready when Temporal is
// reachable, the server sees this bridge's pollers on every routed task queue, and every
// configured job backend (Sidekiq/BullMQ Redis, Celery's broker) answers.
func checker(cfg *bridge.Config, b *bridge.Bridge, tc sdkclient.Client, namespace, identity string) *health.Checker {
	c := &health.Checker{
		Live: []health.Check{health.Func("callback", func(ctx context.Context) error { return dialURL(ctx, b.URL()) })},
		Ready: []health.Check{
			health.Temporal(tc),
			health.Pollers(tc, namespace, identity, cfg.TaskQueues()),
		},
	}
	if cfg.Sidekiq != nil {
		c.Ready = append(c.Ready, redisCheck("sidekiq", cfg.Sidekiq.Redis))
	}
	if cfg.BullMQ != nil {
		c.Ready = append(c.Ready, redisCheck("bullmq", cfg.BullMQ.Redis))
	}
	if cfg.Celery != nil {
		c.Ready = append(c.Ready, health.Func("celery", func(ctx context.Context) error { return dialURL(ctx, cfg.Celery.AMQP) }))
	}
	return c
}

func redisCheck(name, rawURL string) health.Check {
	return health.Func(name, func(ctx context.Context) error {
		opts, err := redis.ParseURL(rawURL)
		if err != nil {
			return fmt.Errorf("redis URL: %w", err)
		}
		rc := redis.NewClient(opts)
		defer func() { _ = rc.Close() }()
		if err := rc.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis %s unreachable: %w", opts.Addr, err)
		}
		return nil
	})
}

// dialURL checks that the URL's host:port accepts a TCP connection.
func dialURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("bad URL %q", raw)
	}
	host := u.Host
	if u.Port() == "" {
		port := map[string]string{"amqp": "5672", "amqps": "5671", "http": "80", "https": "443"}[u.Scheme]
		host = net.JoinHostPort(u.Hostname(), port)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("%s unreachable: %w", host, err)
	}
	return conn.Close()
}

// serveHealth serves the checker on listen until ctx ends; it returns the bound address.
func serveHealth(ctx context.Context, listen string, c *health.Checker, logger *zap.Logger) (string, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return "", fmt.Errorf("--health-listen %s: %w", listen, err)
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("health server stopped", zap.Error(err))
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr().String(), nil
}
