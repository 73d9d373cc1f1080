package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/filestore/internal/ctxio"
	"github.com/mastra-admin/mastra-admin-go/filestore/internal/objectkey"
)

// DefaultChunkSize is the size of each request of a resumable upload when
// Options.ChunkSize is 0: the client library's own default.
const DefaultChunkSize = 16 << 20

// chunkUnit is the granularity of resumable-upload chunks.
const chunkUnit = 256 << 10

// Options configures a Store. The zero value (or nil) means the defaults.
type Options struct {
	// Prefix, when set, is the folder of the bucket the store owns: path p
	// is stored as the object Prefix/p, and List sees nothing else. A
	// trailing "/" is optional; it must be a valid path (admin.CheckFilePath).
	Prefix string
	// ChunkSize is how much of a file each request of a resumable upload
	// carries, a multiple of 256 KiB. A Write holds one chunk in memory.
	// Default DefaultChunkSize.
	ChunkSize int
	// Logger receives debug messages. Default: discard.
	Logger *slog.Logger
}

// Store is an admin.FileStorage on a Google Cloud Storage bucket. It is safe
// for concurrent use.
type Store struct {
	bucket    *storage.BucketHandle
	name      string
	space     *objectkey.Space
	chunkSize int
	log       *slog.Logger
}

var _ admin.FileStorage = (*Store)(nil)

// New returns a store on bucket, which must exist, using client (owned by
// the caller: Close does not close it).
func New(client *storage.Client, bucket string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	switch {
	case client == nil:
		return nil, fmt.Errorf("gcs: new: %w", &admin.ValidationError{Field: "client", Reason: "must not be nil"})
	case bucket == "":
		return nil, fmt.Errorf("gcs: new: %w", &admin.ValidationError{Field: "bucket", Reason: "must not be empty"})
	case opts.ChunkSize < 0 || opts.ChunkSize%chunkUnit != 0:
		return nil, fmt.Errorf("gcs: new: %w", &admin.ValidationError{Field: "ChunkSize",
			Reason: fmt.Sprintf("must be a positive multiple of 256 KiB, got %d", opts.ChunkSize)})
	}
	space, err := objectkey.NewSpace(opts.Prefix)
	if err != nil {
		return nil, fmt.Errorf("gcs: new: %w", err)
	}
	s := &Store{bucket: client.Bucket(bucket), name: bucket, space: space, chunkSize: opts.ChunkSize, log: opts.Logger}
	if s.chunkSize == 0 {
		s.chunkSize = DefaultChunkSize
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "filestore/gcs", "bucket", bucket)
	return s, nil
}

// Write uploads r's content to path as a resumable upload, one chunk at a
// time. GCS makes the object visible only once the upload is finalized; when
// r fails or ctx ends, the upload is cancelled and the old object stays.
func (s *Store) Write(ctx context.Context, path string, r io.Reader) error {
	key, err := s.space.Begin(ctx, path)
	if err != nil {
		return fmt.Errorf("gcs: write %q: %w", path, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := s.bucket.Object(key).NewWriter(wctx)
	w.ChunkSize = s.chunkSize
	if _, err := io.Copy(w, ctxio.Reader(ctx, r)); err != nil {
		cancel() // abandons the upload: Close cannot finalize it
		_ = w.Close()
		return fmt.Errorf("gcs: write %q: %w", path, s.mapErr(ctx, err))
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("gcs: write %q: %w", path, s.mapErr(ctx, err))
	}
	return nil
}

// Read opens the object at path. The returned reader reads from GCS as it
// is read, under ctx, and keeps to the generation it opened.
func (s *Store) Read(ctx context.Context, path string) (io.ReadCloser, error) {
	key, err := s.space.Begin(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("gcs: read %q: %w", path, err)
	}
	r, err := s.bucket.Object(key).NewReader(ctx)
	if err != nil {
		return nil, fmt.Errorf("gcs: read %q: %w", path, s.mapErr(ctx, err))
	}
	return r, nil
}

// Exists reports whether an object is stored at path.
func (s *Store) Exists(ctx context.Context, path string) (bool, error) {
	key, err := s.space.Begin(ctx, path)
	if err != nil {
		return false, fmt.Errorf("gcs: exists %q: %w", path, err)
	}
	switch err := s.attrs(ctx, key); {
	case errors.Is(err, admin.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("gcs: exists %q: %w", path, err)
	}
	return true, nil
}

// List pages through the objects under prefix. Objects whose names are not
// valid paths (folder placeholders ending in "/", names written by other
// tools) are skipped: no method could address them.
func (s *Store) List(ctx context.Context, prefix string) ([]admin.FileInfo, error) {
	keyPrefix, err := s.space.ListPrefix(prefix)
	if err == nil {
		err = s.space.Live(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("gcs: list %q: %w", prefix, err)
	}
	q := &storage.Query{Prefix: keyPrefix}
	if err := q.SetAttrSelection([]string{"Name", "Size", "Updated"}); err != nil {
		return nil, fmt.Errorf("gcs: list %q: %w", prefix, err)
	}
	files := []admin.FileInfo{}
	it := s.bucket.Objects(ctx, q)
	for {
		attrs, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("gcs: list %q: %w", prefix, s.mapErr(ctx, err))
		}
		p, ok := s.space.Path(attrs.Name)
		if !ok {
			s.log.Debug("list: skipping an object whose name is not a valid path", "name", attrs.Name)
			continue
		}
		files = append(files, admin.FileInfo{Path: p, Size: attrs.Size, ModTime: attrs.Updated})
	}
	slices.SortFunc(files, func(a, b admin.FileInfo) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// Delete removes the object at path.
func (s *Store) Delete(ctx context.Context, path string) error {
	key, err := s.space.Begin(ctx, path)
	if err != nil {
		return fmt.Errorf("gcs: delete %q: %w", path, err)
	}
	if err := s.bucket.Object(key).Delete(ctx); err != nil {
		return fmt.Errorf("gcs: delete %q: %w", path, s.mapErr(ctx, err))
	}
	return nil
}

// Move copies from to to server side, then deletes from. It is not atomic:
// for a moment both exist, and when the delete fails the error says so and
// both stay.
func (s *Store) Move(ctx context.Context, from, to string) error {
	toKey, err := s.space.Key(to)
	if err != nil {
		return fmt.Errorf("gcs: move %q to %q: %w", from, to, err)
	}
	fromKey, err := s.space.Begin(ctx, from)
	if err != nil {
		return fmt.Errorf("gcs: move %q to %q: %w", from, to, err)
	}
	if from == to {
		// Deleting the source would lose the file.
		if err := s.attrs(ctx, fromKey); err != nil {
			return fmt.Errorf("gcs: move %q to %q: %w", from, to, err)
		}
		return nil
	}
	src := s.bucket.Object(fromKey)
	if _, err := s.bucket.Object(toKey).CopierFrom(src).Run(ctx); err != nil {
		return fmt.Errorf("gcs: move %q to %q: copy: %w", from, to, s.mapErr(ctx, err))
	}
	if err := src.Delete(ctx); err != nil {
		return fmt.Errorf("gcs: move %q to %q: copied, but deleting the source failed: %w", from, to, s.mapErr(ctx, err))
	}
	return nil
}

// Close marks the store closed: later calls return admin.ErrClosed. The
// client stays open; it belongs to the caller.
func (s *Store) Close() error {
	s.space.Close()
	return nil
}

func (s *Store) attrs(ctx context.Context, key string) error {
	_, err := s.bucket.Object(key).Attrs(ctx)
	return s.mapErr(ctx, err)
}

// mapErr adds admin.ErrNotFound to an error for a missing object, and the
// context's error when ctx ended, so that errors.Is finds them.
func (s *Store) mapErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	if errors.Is(err, storage.ErrBucketNotExist) {
		return err
	}
	var apiErr *googleapi.Error
	if errors.Is(err, storage.ErrObjectNotExist) || errors.As(err, &apiErr) && apiErr.Code == http.StatusNotFound {
		return fmt.Errorf("%w: %w", admin.ErrNotFound, err)
	}
	return err
}
