package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/filestore/internal/ctxio"
	"github.com/mastra-admin/mastra-admin-go/filestore/internal/objectkey"
)

// Defaults and limits of Options.
const (
	// MinPartSize is the smallest part S3 accepts in a multipart upload.
	MinPartSize = 5 << 20
	// DefaultPartSize is the part size when Options.PartSize is 0.
	DefaultPartSize = MinPartSize
	// DefaultConcurrency is the number of parts uploaded at once when
	// Options.Concurrency is 0.
	DefaultConcurrency = 2
)

// abortTimeout bounds the clean-up of a failed multipart upload, which runs
// on a fresh context so that it happens even when the caller's was cancelled.
const abortTimeout = 30 * time.Second

// Options configures a Store. The zero value (or nil) means the defaults.
type Options struct {
	// Prefix, when set, is the folder of the bucket the store owns: path p
	// is stored as the object Prefix/p, and List sees nothing else. A
	// trailing "/" is optional; it must be a valid path (admin.CheckFilePath).
	Prefix string
	// PartSize is the size of each part of a multipart upload, at least
	// MinPartSize. A file smaller than one part is sent with one PutObject.
	// Default DefaultPartSize.
	PartSize int64
	// Concurrency is how many parts of one file are uploaded at once.
	// Default DefaultConcurrency. A Write holds at most
	// (Concurrency+2) × PartSize bytes in memory.
	Concurrency int
	// Logger receives debug messages. Default: discard.
	Logger *slog.Logger
}

// Store is an admin.FileStorage on an S3 bucket (or any S3-compatible
// service). It is safe for concurrent use.
type Store struct {
	client   *awss3.Client
	uploader *transfermanager.Client
	bucket   string
	space    *objectkey.Space
	log      *slog.Logger
}

var _ admin.FileStorage = (*Store)(nil)

// New returns a store on bucket, which must exist, using client (owned by
// the caller: Close does not close it).
func New(client *awss3.Client, bucket string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	switch {
	case client == nil:
		return nil, fmt.Errorf("s3: new: %w", &admin.ValidationError{Field: "client", Reason: "must not be nil"})
	case bucket == "":
		return nil, fmt.Errorf("s3: new: %w", &admin.ValidationError{Field: "bucket", Reason: "must not be empty"})
	case opts.PartSize != 0 && opts.PartSize < MinPartSize:
		return nil, fmt.Errorf("s3: new: %w", &admin.ValidationError{Field: "PartSize",
			Reason: fmt.Sprintf("must be at least %d bytes (5 MiB), got %d", MinPartSize, opts.PartSize)})
	case opts.Concurrency < 0:
		return nil, fmt.Errorf("s3: new: %w", &admin.ValidationError{Field: "Concurrency", Reason: "must not be negative"})
	}
	space, err := objectkey.NewSpace(opts.Prefix)
	if err != nil {
		return nil, fmt.Errorf("s3: new: %w", err)
	}
	partSize := orDefault(opts.PartSize, DefaultPartSize)
	concurrency := orDefault(opts.Concurrency, DefaultConcurrency)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{
		client: client,
		uploader: transfermanager.New(client, func(o *transfermanager.Options) {
			o.PartSizeBytes = partSize
			// The first part is read whole before the upload starts; a larger
			// threshold would only hold more in memory.
			o.MultipartUploadThreshold = partSize
			o.Concurrency = concurrency
			o.FailTimeout = abortTimeout
		}),
		bucket: bucket,
		space:  space,
		log:    log.With("component", "filestore/s3", "bucket", bucket),
	}, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T int | int64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Write uploads r's content to path: with one PutObject when it is smaller
// than a part, otherwise as a multipart upload that is aborted when r fails
// or ctx ends. S3 makes the object visible only once the upload completes.
func (s *Store) Write(ctx context.Context, path string, r io.Reader) error {
	key, err := s.space.Begin(ctx, path)
	if err != nil {
		return fmt.Errorf("s3: write %q: %w", path, err)
	}
	_, err = s.uploader.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
		Body:   ctxio.Reader(ctx, r),
	})
	if err != nil {
		return fmt.Errorf("s3: write %q: %w", path, s.mapErr(ctx, err))
	}
	return nil
}

// Read opens the object at path. The returned body reads from S3 as it is
// read, under ctx.
func (s *Store) Read(ctx context.Context, path string) (io.ReadCloser, error) {
	key, err := s.space.Begin(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("s3: read %q: %w", path, err)
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("s3: read %q: %w", path, s.mapErr(ctx, err))
	}
	return out.Body, nil
}

// Exists reports whether an object is stored at path (HeadObject).
func (s *Store) Exists(ctx context.Context, path string) (bool, error) {
	key, err := s.space.Begin(ctx, path)
	if err != nil {
		return false, fmt.Errorf("s3: exists %q: %w", path, err)
	}
	switch err := s.head(ctx, key); {
	case errors.Is(err, admin.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("s3: exists %q: %w", path, err)
	}
	return true, nil
}

// List pages through ListObjectsV2. Keys in the bucket that are not valid
// paths (folder markers ending in "/", keys written by other tools) are
// skipped: no method could address them.
func (s *Store) List(ctx context.Context, prefix string) ([]admin.FileInfo, error) {
	keyPrefix, err := s.space.ListPrefix(prefix)
	if err == nil {
		err = s.space.Live(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("s3: list %q: %w", prefix, err)
	}
	files := []admin.FileInfo{}
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(keyPrefix),
		// Keys may hold characters XML 1.0 cannot carry.
		EncodingType: types.EncodingTypeUrl,
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3: list %q: %w", prefix, s.mapErr(ctx, err))
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			if page.EncodingType == types.EncodingTypeUrl {
				if key, err = url.QueryUnescape(key); err != nil {
					return nil, fmt.Errorf("s3: list %q: undecodable key %q: %w", prefix, aws.ToString(obj.Key), err)
				}
			}
			p, ok := s.space.Path(key)
			if !ok {
				s.log.Debug("list: skipping a key that is not a valid path", "key", key)
				continue
			}
			files = append(files, admin.FileInfo{Path: p, Size: aws.ToInt64(obj.Size), ModTime: aws.ToTime(obj.LastModified)})
		}
	}
	slices.SortFunc(files, func(a, b admin.FileInfo) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// Delete removes the object at path. S3 deletes missing keys without
// complaint, so Delete first checks that the object exists: a Delete racing
// with another one may both succeed.
func (s *Store) Delete(ctx context.Context, path string) error {
	key, err := s.space.Begin(ctx, path)
	if err != nil {
		return fmt.Errorf("s3: delete %q: %w", path, err)
	}
	if err := s.head(ctx, key); err != nil {
		return fmt.Errorf("s3: delete %q: %w", path, err)
	}
	if err := s.delete(ctx, key); err != nil {
		return fmt.Errorf("s3: delete %q: %w", path, err)
	}
	return nil
}

// Move copies from to to server side (CopyObject), then deletes from. It is
// not atomic: for a moment both exist, and when the delete fails the error
// says so and both stay. CopyObject copies objects of at most 5 GiB.
func (s *Store) Move(ctx context.Context, from, to string) error {
	toKey, err := s.space.Key(to)
	if err != nil {
		return fmt.Errorf("s3: move %q to %q: %w", from, to, err)
	}
	fromKey, err := s.space.Begin(ctx, from)
	if err != nil {
		return fmt.Errorf("s3: move %q to %q: %w", from, to, err)
	}
	if from == to {
		// S3 refuses to copy an object onto itself, and deleting the
		// source would lose it.
		if err := s.head(ctx, fromKey); err != nil {
			return fmt.Errorf("s3: move %q to %q: %w", from, to, err)
		}
		return nil
	}
	_, err = s.client.CopyObject(ctx, &awss3.CopyObjectInput{
		Bucket:     aws.String(s.bucket),
		Key:        aws.String(toKey),
		CopySource: aws.String(copySource(s.bucket, fromKey)),
	})
	if err != nil {
		return fmt.Errorf("s3: move %q to %q: copy: %w", from, to, s.mapErr(ctx, err))
	}
	if err := s.delete(ctx, fromKey); err != nil {
		return fmt.Errorf("s3: move %q to %q: copied, but deleting the source failed: %w", from, to, err)
	}
	return nil
}

// Close marks the store closed: later calls return admin.ErrClosed. The
// client stays open; it belongs to the caller.
func (s *Store) Close() error {
	s.space.Close()
	return nil
}

func (s *Store) head(ctx context.Context, key string) error {
	_, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	return s.mapErr(ctx, err)
}

func (s *Store) delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
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
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchBucket" {
		return err
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() == 404 {
		return fmt.Errorf("%w: %w", admin.ErrNotFound, err)
	}
	return err
}

// copySource returns CopyObject's x-amz-copy-source for bucket/key: every
// byte but unreserved characters and "/" percent-encoded, so that "+", "%",
// "?" and spaces arrive as themselves whichever way a server decodes it.
func copySource(bucket, key string) string {
	const hex = "0123456789ABCDEF"
	src := bucket + "/" + key
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
