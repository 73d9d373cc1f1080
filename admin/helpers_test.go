package admin_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// offsetClock is the real time plus an offset that a test moves forward,
// so that what waits for the admin's clock is due at once.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) advance(d time.Duration) { c.off.Add(int64(d)) }

// env is an Admin on a fresh SQLite store with a platform admin.
type env struct {
	a     *admin.Admin
	store admin.Storage
	clock *clock
	root  *admin.User     // the bootstrapped platform admin
	sys   context.Context // the system principal
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newEnv(t *testing.T, opts ...admin.Option) *env {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "admin.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	opts = append([]admin.Option{admin.WithStorage(store), admin.WithClock(c.now),
		admin.WithEncryptionKeys("k1", map[string][]byte{"k1": testKey})}, opts...)
	a, err := admin.New(opts...)
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	root, err := a.Bootstrap(context.Background(), admin.NewUser{Email: "root@example.com", Name: "Root"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{a: a, store: store, clock: c, root: root,
		sys: admin.WithPrincipal(context.Background(), admin.SystemPrincipal())}
}

// as returns a context acting as user id.
func as(id string) context.Context {
	return admin.WithPrincipal(context.Background(), admin.Principal{UserID: id})
}

func (e *env) user(t *testing.T, email string) *admin.User {
	t.Helper()
	u, err := e.a.CreateUser(e.sys, admin.NewUser{Email: email, Name: email})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
