package memory_test

import (
	"errors"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/logcache/logcachetest"
	"github.com/mastra-admin/mastra-admin-go/logcache/memory"
)

func TestConformance(t *testing.T) {
	logcachetest.Run(t, func(t *testing.T, opts logcachetest.Options) admin.BuildLogCache {
		c, err := memory.New(&memory.Options{MaxLines: opts.MaxLines, MaxLineBytes: opts.MaxLineBytes})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func TestNewOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts *memory.Options
		ok   bool
	}{
		{"nil", nil, true},
		{"zero", &memory.Options{}, true},
		{"set", &memory.Options{MaxLines: 10, MaxLineBytes: 100}, true},
		{"negative lines", &memory.Options{MaxLines: -1}, false},
		{"negative bytes", &memory.Options{MaxLineBytes: -1}, false},
	} {
		c, err := memory.New(tt.opts)
		if tt.ok != (err == nil) {
			t.Fatalf("%s: New: %v", tt.name, err)
		}
		if !tt.ok && !errors.Is(err, admin.ErrInvalidArgument) {
			t.Fatalf("%s: New: %v, want ErrInvalidArgument", tt.name, err)
		}
		if c != nil {
			c.Close()
		}
	}
}
