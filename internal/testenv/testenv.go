// Package testenv finds the real services that integration tests talk to.
//
// For each service it looks, in order, at:
//
//  1. an environment variable: MASTRA_ADMIN_TEST_POSTGRES_URL,
//     MASTRA_ADMIN_TEST_REDIS_URL, MASTRA_ADMIN_TEST_CLICKHOUSE_URL;
//  2. a Docker engine that answers a real ping, through testcontainers-go
//     (one container per service and test binary, removed by its reaper);
//  3. otherwise the test is skipped with a message naming the variable to
//     set, or, when MASTRA_ADMIN_TEST_REQUIRE_SERVICES=1 (the test script and
//     CI set it), fails.
//
// Every test gets its own namespace on a shared server (a PostgreSQL schema,
// a Redis key prefix) and removes only what it created: nothing here flushes
// a server.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
)

// Environment variables read by this package.
const (
	EnvPostgres        = "MASTRA_ADMIN_TEST_POSTGRES_URL"
	EnvRedis           = "MASTRA_ADMIN_TEST_REDIS_URL"
	EnvClickHouse      = "MASTRA_ADMIN_TEST_CLICKHOUSE_URL"
	EnvRequireServices = "MASTRA_ADMIN_TEST_REQUIRE_SERVICES"
)

// Unavailable skips t, or fails it when services are required, saying what
// to set.
func Unavailable(t testing.TB, service, envVar, why string) {
	t.Helper()
	msg := service + " is not available (" + why + "): set " + envVar
	if os.Getenv(EnvRequireServices) == "1" {
		t.Fatal(msg + " (" + EnvRequireServices + "=1 turns this skip into a failure)")
	}
	t.Skip(msg)
}

// Name returns a short random name for a test namespace, such as
// "t_3f9a0c1b2d4e5f60".
func Name() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "t_" + hex.EncodeToString(b[:])
}

var docker = sync.OnceValue(func() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return false
	}
	return p.Health(ctx) == nil
})

// containerURL starts a container once per test binary and returns its URL.
type containerURL struct {
	once sync.Once
	url  string
	err  error
}

func (c *containerURL) get(start func(context.Context) (string, error)) (string, error) {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		c.url, c.err = start(ctx)
	})
	return c.url, c.err
}

var pgContainer, redisContainer containerURL

// PostgresURL returns the URL of a PostgreSQL server for tests.
func PostgresURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvPostgres); u != "" {
		return u
	}
	if !docker() {
		Unavailable(t, "PostgreSQL", EnvPostgres, "no URL set and no Docker engine answered")
	}
	u, err := pgContainer.get(func(ctx context.Context) (string, error) {
		c, err := tcpostgres.Run(ctx, "postgres:16-alpine", tcpostgres.BasicWaitStrategies())
		if err != nil {
			return "", err
		}
		return c.ConnectionString(ctx, "sslmode=disable")
	})
	if err != nil {
		Unavailable(t, "PostgreSQL", EnvPostgres, "testcontainers: "+err.Error())
	}
	return u
}

// Postgres returns a pool whose connections use a fresh schema of their own
// (search_path), dropped when the test ends.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := PostgresURL(t)
	ctx := context.Background()
	schema := Name()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("testenv: connect to PostgreSQL at %s: %v", redact(url), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("testenv: create schema: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("testenv: parse %s: %v", EnvPostgres, err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("testenv: open pool: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("testenv: connect to drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("testenv: drop schema %s: %v", schema, err)
		}
	})
	return pool
}

// RedisURL returns the URL of a Redis server for tests.
func RedisURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvRedis); u != "" {
		return u
	}
	if !docker() {
		Unavailable(t, "Redis", EnvRedis, "no URL set and no Docker engine answered")
	}
	u, err := redisContainer.get(func(ctx context.Context) (string, error) {
		c, err := tcredis.Run(ctx, "redis:7-alpine")
		if err != nil {
			return "", err
		}
		return c.ConnectionString(ctx)
	})
	if err != nil {
		Unavailable(t, "Redis", EnvRedis, "testcontainers: "+err.Error())
	}
	return u
}

// Redis returns a client and a key prefix of the test's own; keys under the
// prefix are deleted when the test ends.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(RedisURL(t))
	if err != nil {
		t.Fatalf("testenv: parse %s: %v", EnvRedis, err)
	}
	client := redis.NewClient(opt)
	ctx := context.Background()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		Unavailable(t, "Redis", EnvRedis, "ping: "+err.Error())
	}
	prefix := Name() + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
	})
	return client, prefix
}

// ClickHouseURL returns the URL of a ClickHouse server for tests; there is no
// container fallback here because the project's test script installs one.
func ClickHouseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvClickHouse)
	if u == "" {
		Unavailable(t, "ClickHouse", EnvClickHouse, "no URL set")
	}
	return u
}

// ClickHouse returns a connection (native protocol) whose default database
// is a fresh one of its own, named by Name, dropped with everything in it
// when the test ends. The database name is the connection's
// currentDatabase().
func ClickHouse(t testing.TB) driver.Conn {
	t.Helper()
	url := ClickHouseURL(t)
	opt, err := clickhouse.ParseDSN(url)
	if err != nil {
		t.Fatalf("testenv: parse %s: %v", EnvClickHouse, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := clickhouse.Open(opt)
	if err != nil {
		t.Fatalf("testenv: connect to ClickHouse at %s: %v", redact(url), err)
	}
	defer admin.Close()
	if err := admin.Ping(ctx); err != nil {
		Unavailable(t, "ClickHouse", EnvClickHouse, "ping "+redact(url)+": "+err.Error())
	}
	db := Name()
	if err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatalf("testenv: create ClickHouse database %s: %v", db, err)
	}
	dbOpt := *opt
	dbOpt.Auth.Database = db
	conn, err := clickhouse.Open(&dbOpt)
	if err != nil {
		t.Fatalf("testenv: connect to ClickHouse database %s: %v", db, err)
	}
	t.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := clickhouse.Open(opt)
		if err != nil {
			t.Errorf("testenv: connect to drop ClickHouse database %s: %v", db, err)
			return
		}
		defer c.Close()
		if err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Errorf("testenv: drop ClickHouse database %s: %v", db, err)
		}
	})
	return conn
}

// redact hides a password in a URL for error messages.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 {
		return url
	}
	return url[:scheme+3] + "…" + url[at:]
}
