package gcs_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/filestore/filestoretest"
	"github.com/mastra-admin/mastra-admin-go/filestore/gcs"
	"github.com/mastra-admin/mastra-admin-go/filestore/internal/childserver"
)

func TestMain(m *testing.M) {
	childserver.ServeIfChild(map[string]childserver.NewHandler{"gcs": fakeGCS})
	os.Exit(m.Run())
}

// TestConformance runs the suite against fake-gcs-server in a child process
// (see package childserver: the fake keeps objects in memory), one bucket
// per test.
func TestConformance(t *testing.T) {
	client := newClient(t, childserver.Start(t, "gcs"))
	filestoretest.Run(t, func(t *testing.T) admin.FileStorage { return newStore(t, client, newBucket(t, client), nil) })
}

// fakeGCS returns fake-gcs-server's handler for a server reached at baseURL
// (which it puts into resumable-upload URLs, and whose host it serves the
// XML API on: the client reads objects through it).
func fakeGCS(baseURL string) (http.Handler, error) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		NoListener:  true,
		Scheme:      "http",
		ExternalURL: baseURL,
		PublicHost:  strings.TrimPrefix(baseURL, "http://"),
	})
	if err != nil {
		return nil, err
	}
	return srv.HTTPHandler(), nil
}

// newClient returns a client that speaks HTTP to the GCS server at url.
func newClient(t *testing.T, url string) *storage.Client {
	t.Helper()
	client, err := storage.NewClient(context.Background(), option.WithEndpoint(url+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("storage.NewClient: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func newInProcessClient(t *testing.T) *storage.Client {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	h, err := fakeGCS("http://" + srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return newClient(t, srv.URL)
}

func newBucket(t *testing.T, client *storage.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + hex.EncodeToString(b[:])
	if err := client.Bucket(name).Create(t.Context(), "test-project", nil); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return name
}

func newStore(t *testing.T, client *storage.Client, bucket string, opts *gcs.Options) *gcs.Store {
	t.Helper()
	s, err := gcs.New(client, bucket, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestPrefix(t *testing.T) {
	client := newInProcessClient(t)
	bucket := newBucket(t, client)
	ctx := t.Context()
	a := newStore(t, client, bucket, &gcs.Options{Prefix: "team/a"})
	ab := newStore(t, client, bucket, &gcs.Options{Prefix: "team/ab/"})
	whole := newStore(t, client, bucket, nil)

	write(t, a, "builds/b1/build.log", "a's log")
	write(t, ab, "builds/b1/build.log", "ab's log")
	// Objects the stores cannot address: a console's folder placeholder and
	// a name with an empty segment.
	for _, name := range []string{"team/a/folder/", "team/a//double"} {
		w := client.Bucket(bucket).Object(name).NewWriter(ctx)
		if _, err := io.WriteString(w, "x"); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("write %q: %v", name, err)
		}
	}

	if _, err := client.Bucket(bucket).Object("team/a/builds/b1/build.log").Attrs(ctx); err != nil {
		t.Errorf("the object is not under the prefix: %v", err)
	}
	assertPaths(t, a, "", "builds/b1/build.log")
	assertPaths(t, ab, "", "builds/b1/build.log")
	assertPaths(t, whole, "team/", "team/a/builds/b1/build.log", "team/ab/builds/b1/build.log")
	if got := read(t, a, "builds/b1/build.log"); got != "a's log" {
		t.Errorf("a read %q", got)
	}

	if err := a.Move(ctx, "builds/b1/build.log", "archive/b1.log"); err != nil {
		t.Fatalf("Move: %v", err)
	}
	assertPaths(t, whole, "team/", "team/a/archive/b1.log", "team/ab/builds/b1/build.log")
	if err := a.Delete(ctx, "archive/b1.log"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := a.Delete(ctx, "archive/b1.log"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	assertPaths(t, whole, "team/", "team/ab/builds/b1/build.log")
}

func TestNewValidation(t *testing.T) {
	client := newInProcessClient(t)
	for _, tc := range []struct {
		name   string
		client *storage.Client
		bucket string
		opts   *gcs.Options
	}{
		{"nil client", nil, "b", nil},
		{"no bucket", client, "", nil},
		{"chunk not a multiple of 256 KiB", client, "b", &gcs.Options{ChunkSize: 1000}},
		{"negative chunk", client, "b", &gcs.Options{ChunkSize: -256 << 10}},
		{"prefix escapes", client, "b", &gcs.Options{Prefix: "../x"}},
		{"absolute prefix", client, "b", &gcs.Options{Prefix: "/x"}},
		{"empty segment", client, "b", &gcs.Options{Prefix: "a//b"}},
	} {
		if _, err := gcs.New(tc.client, tc.bucket, tc.opts); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: New = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
}

// TestMissingBucket: List reports a missing bucket as an error of its own,
// not as an empty listing. (Read and Exists cannot tell: the GCS client maps
// every 404 of an object request to storage.ErrObjectNotExist.)
func TestMissingBucket(t *testing.T) {
	s := newStore(t, newInProcessClient(t), "no-such-bucket", nil)
	_, err := s.List(t.Context(), "")
	if !errors.Is(err, storage.ErrBucketNotExist) || errors.Is(err, admin.ErrNotFound) {
		t.Errorf("List in a missing bucket = %v, want storage.ErrBucketNotExist and not ErrNotFound", err)
	}
}

func write(t *testing.T, s admin.FileStorage, path, content string) {
	t.Helper()
	if err := s.Write(t.Context(), path, strings.NewReader(content)); err != nil {
		t.Fatalf("Write(%q): %v", path, err)
	}
}

func read(t *testing.T, s admin.FileStorage, path string) string {
	t.Helper()
	rc, err := s.Read(t.Context(), path)
	if err != nil {
		t.Fatalf("Read(%q): %v", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Read(%q): %v", path, err)
	}
	return string(b)
}

func assertPaths(t *testing.T, s admin.FileStorage, prefix string, want ...string) {
	t.Helper()
	files, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Path)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("List(%q) = %q, want %q", prefix, got, want)
	}
}
