package runnertest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// testTelemetrySource checks the optional TelemetrySource capability, when
// the runner has it: a server started from an artifact and stopped leaves
// every file it wrote closed (the fake server writes none, which is a valid
// listing too), files that do not exist are ErrNotFound, and names that do
// not have the form "{spans|logs}/{file}.jsonl" are refused.
func (s *suite) testTelemetrySource(t *testing.T) {
	cfg := s.config(t, 1)
	r := s.runner(t, cfg)
	src, ok := r.(admin.TelemetrySource)
	if !ok {
		t.Skip("runnertest: the runner is no admin.TelemetrySource")
	}
	ctx := context.Background()
	art := s.sharedArtifact(t)
	srv := s.start(t, r, cfg, nil)
	if err := r.Stop(ctx, srv); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	files, err := src.TelemetryFiles(ctx, art)
	if err != nil {
		t.Fatalf("TelemetryFiles: %v", err)
	}
	for i, f := range files {
		if !f.Closed || f.Kind != admin.TelemetrySpans && f.Kind != admin.TelemetryLogs || !strings.HasPrefix(f.Name, f.Kind+"/") {
			t.Errorf("after Stop, file %+v: want closed, of kind spans or logs, named {kind}/{file}", f)
		}
		if i > 0 && files[i-1].Name >= f.Name {
			t.Errorf("files are not sorted by name: %q before %q", files[i-1].Name, f.Name)
		}
	}
	if _, err := src.OpenTelemetryFile(ctx, art, "spans/runnertest-none.jsonl", 0); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("OpenTelemetryFile of a missing file: %v, want ErrNotFound", err)
	}
	if err := src.RemoveTelemetryFile(ctx, art, "logs/runnertest-none.jsonl"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("RemoveTelemetryFile of a missing file: %v, want ErrNotFound", err)
	}
	for _, name := range []string{"", "spans", "../spans/x.jsonl", "spans/../../x.jsonl", "other/x.jsonl"} {
		if _, err := src.OpenTelemetryFile(ctx, art, name, 0); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("OpenTelemetryFile(%q): %v, want ErrInvalidArgument", name, err)
		}
	}
}
