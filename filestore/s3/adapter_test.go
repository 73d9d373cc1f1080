package s3_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/filestore/filestoretest"
	"github.com/mastra-admin/mastra-admin-go/filestore/internal/childserver"
	"github.com/mastra-admin/mastra-admin-go/filestore/s3"
)

func TestMain(m *testing.M) {
	childserver.ServeIfChild(map[string]childserver.NewHandler{
		"s3": func(string) (http.Handler, error) { return fakeS3(), nil },
	})
	os.Exit(m.Run())
}

// TestConformance runs the suite against gofakes3 in a child process (see
// package childserver: the fake keeps objects in memory), one bucket per test.
func TestConformance(t *testing.T) {
	client := newClient(childserver.Start(t, "s3"), nil)
	filestoretest.Run(t, func(t *testing.T) admin.FileStorage { return newStore(t, client, newBucket(t, client), nil) })
}

func fakeS3() http.Handler { return gofakes3.New(s3mem.New()).Server() }

// newClient returns a client for the S3 server at url, sending its
// requests through rt when not nil.
func newClient(url string, rt http.RoundTripper) *awss3.Client {
	return awss3.New(awss3.Options{
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test-key", "test-secret", ""),
		HTTPClient:   &http.Client{Transport: rt},
	})
}

func newInProcessClient(t *testing.T, rt http.RoundTripper) *awss3.Client {
	srv := httptest.NewServer(fakeS3())
	t.Cleanup(srv.Close)
	return newClient(srv.URL, rt)
}

func newBucket(t *testing.T, client *awss3.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + hex.EncodeToString(b[:])
	if _, err := client.CreateBucket(t.Context(), &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	return name
}

func newStore(t *testing.T, client *awss3.Client, bucket string, opts *s3.Options) *s3.Store {
	t.Helper()
	s, err := s3.New(client, bucket, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestPrefix(t *testing.T) {
	client := newInProcessClient(t, nil)
	bucket := newBucket(t, client)
	ctx := t.Context()
	a := newStore(t, client, bucket, &s3.Options{Prefix: "team/a"})
	ab := newStore(t, client, bucket, &s3.Options{Prefix: "team/ab/"})
	whole := newStore(t, client, bucket, nil)

	write(t, a, "builds/b1/build.log", "a's log")
	write(t, ab, "builds/b1/build.log", "ab's log")
	// Objects the stores cannot address: a console's folder marker and a
	// key with an empty segment.
	for _, key := range []string{"team/a/folder/", "team/a//double"} {
		if _, err := client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
			t.Fatalf("PutObject(%q): %v", key, err)
		}
	}

	if _, err := client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("team/a/builds/b1/build.log")}); err != nil {
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
	client := newInProcessClient(t, nil)
	for _, tc := range []struct {
		name   string
		client *awss3.Client
		bucket string
		opts   *s3.Options
	}{
		{"nil client", nil, "b", nil},
		{"no bucket", client, "", nil},
		{"part too small", client, "b", &s3.Options{PartSize: 1 << 20}},
		{"negative concurrency", client, "b", &s3.Options{Concurrency: -1}},
		{"prefix escapes", client, "b", &s3.Options{Prefix: "../x"}},
		{"absolute prefix", client, "b", &s3.Options{Prefix: "/x"}},
		{"empty segment", client, "b", &s3.Options{Prefix: "a//b"}},
	} {
		if _, err := s3.New(tc.client, tc.bucket, tc.opts); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: New = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
}

// TestMultipart checks that a file larger than a part goes up as a
// multipart upload, and that a failed one is aborted, not left to be billed.
func TestMultipart(t *testing.T) {
	rec := &recorder{rt: http.DefaultTransport}
	client := newInProcessClient(t, rec)
	bucket := newBucket(t, client)
	s := newStore(t, client, bucket, nil)
	ctx := t.Context()

	const size = 2*s3.DefaultPartSize + 100
	if err := s.Write(ctx, "big", io.LimitReader(zeros{}, size)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if n := rec.count("UploadPart"); n != 3 {
		t.Errorf("%d UploadPart requests, want 3 (requests: %v)", n, rec.requests())
	}

	boom := errors.New("boom")
	err := s.Write(ctx, "big", io.MultiReader(io.LimitReader(zeros{}, size), errReader{boom}))
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want %v", err, boom)
	}
	if n := rec.count("AbortMultipartUpload"); n != 1 {
		t.Errorf("%d AbortMultipartUpload requests, want 1", n)
	}
	out, err := client.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(out.Uploads) != 0 {
		t.Errorf("%d multipart uploads left open", len(out.Uploads))
	}
	files, err := s.List(ctx, "")
	if err != nil || len(files) != 1 || files[0].Size != size {
		t.Errorf("List = %+v, %v; want big with %d bytes", files, err, size)
	}
}

// recorder notes the S3 operation of each request.
type recorder struct {
	rt  http.RoundTripper
	mu  sync.Mutex
	ops []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	op := req.Method + " " + req.URL.Path
	switch {
	case req.Method == http.MethodPut && q.Has("partNumber"):
		op = "UploadPart"
	case req.Method == http.MethodPost && q.Has("uploads"):
		op = "CreateMultipartUpload"
	case req.Method == http.MethodPost && q.Has("uploadId"):
		op = "CompleteMultipartUpload"
	case req.Method == http.MethodDelete && q.Has("uploadId"):
		op = "AbortMultipartUpload"
	}
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
	return r.rt.RoundTrip(req)
}

func (r *recorder) count(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, o := range r.ops {
		if o == op {
			n++
		}
	}
	return n
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ops...)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

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
