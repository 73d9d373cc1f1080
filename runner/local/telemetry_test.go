package local

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// TestTelemetryFiles: the files under {build dir}/observability are listed
// with their kind and size, one this process holds open (as a server
// writing it does) is not closed, one no process holds is; files open at
// an offset, are removed, and names that leave the folder are refused.
func TestTelemetryFiles(t *testing.T) {
	ctx := context.Background()
	build := t.TempDir()
	art := admin.Artifact{Dir: filepath.Join(build, "src"), Entry: admin.DefaultArtifactEntry}
	r := &Runner{}
	if files, err := r.TelemetryFiles(ctx, art); err != nil || len(files) != 0 {
		t.Fatalf("without an observability folder: %v, %v; want none", files, err)
	}
	for _, d := range []string{"spans", "logs"} {
		if err := os.MkdirAll(filepath.Join(build, "observability", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(build, "observability", "spans", "a.jsonl"), []byte("{}\n{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(build, "observability", "spans", "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	open, err := os.OpenFile(filepath.Join(build, "observability", "logs", "b.jsonl"), os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if _, err := open.WriteString("{}\n"); err != nil {
		t.Fatal(err)
	}

	files, err := r.TelemetryFiles(ctx, art)
	if err != nil {
		t.Fatal(err)
	}
	want := []admin.TelemetryFile{
		{Name: "logs/b.jsonl", Kind: admin.TelemetryLogs, Size: 3, Closed: false},
		{Name: "spans/a.jsonl", Kind: admin.TelemetrySpans, Size: 6, Closed: true},
	}
	if len(files) != len(want) {
		t.Fatalf("files %+v, want %+v", files, want)
	}
	for i := range want {
		got := files[i]
		got.ModTime = want[i].ModTime
		if got != want[i] || files[i].ModTime.IsZero() {
			t.Errorf("file %d: %+v, want %+v with a modification time", i, files[i], want[i])
		}
	}
	open.Close()
	files, err = r.TelemetryFiles(ctx, art)
	if err != nil || !files[0].Closed {
		t.Errorf("once no process holds it: %+v, %v; want closed", files, err)
	}

	rc, err := r.OpenTelemetryFile(ctx, art, "spans/a.jsonl", 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(b) != "{}\n" {
		t.Errorf("read from offset 3: %q, %v; want the second line", b, err)
	}
	for _, name := range []string{"../x.jsonl", "spans/../../x.jsonl", "other/a.jsonl", "spans/a.txt", "spans", "spans/"} {
		if _, err := r.OpenTelemetryFile(ctx, art, name, 0); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("open %q: %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := r.OpenTelemetryFile(ctx, art, "spans/none.jsonl", 0); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("open a missing file: %v, want ErrNotFound", err)
	}
	if err := r.RemoveTelemetryFile(ctx, art, "spans/a.jsonl"); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveTelemetryFile(ctx, art, "spans/a.jsonl"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("remove twice: %v, want ErrNotFound", err)
	}
	if _, err := r.TelemetryFiles(ctx, admin.Artifact{Dir: "relative/src"}); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("a relative artifact directory: %v, want ErrInvalidArgument", err)
	}
}
