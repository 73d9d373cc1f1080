package kubernetes

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/bundler"
)

// ImageRecord is the artifact of a Build: the file Artifact.Entry names,
// relative to Artifact.Dir. Start deploys the image it names, so a rollback
// to an earlier artifact deploys that artifact's image digest.
const ImageRecord = ".mastra/image.json"

// AppDir is where the build output lands in the image, and the server's
// working directory.
const AppDir = "/app"

// Image is what ImageRecord holds.
type Image struct {
	// Ref is the pushed image, by digest: repository@sha256:….
	Ref string `json:"ref"`
	// Base is the base image it was built on, by digest.
	Base string `json:"base"`
	// The admin ids of the build (empty when the spec had none).
	TeamID         string `json:"teamId,omitempty"`
	ProjectID      string `json:"projectId,omitempty"`
	ProjectSlug    string `json:"projectSlug,omitempty"`
	DeploymentID   string `json:"deploymentId,omitempty"`
	DeploymentSlug string `json:"deploymentSlug,omitempty"`
	Production     bool   `json:"production,omitempty"`
	BuildID        string `json:"buildId,omitempty"`
}

// Build runs the build steps of runner/local (install and AdminBundler),
// then packages the build output as an image: the output directory as one
// layer at AppDir on the base image, with entrypoint
// ["node", "/app/index.mjs"], working directory AppDir, the runner's user,
// and NODE_ENV=production; it pushes the image to the registry (repository
// {registry}/{project slug or "mastra"}, tag the build id) and returns an
// Artifact whose Entry is ImageRecord. Lines of phase "image" report the
// packaging and the push.
func (r *Runner) Build(ctx context.Context, spec admin.BuildSpec, logFn admin.LogFunc) (*admin.Artifact, error) {
	if err := r.checkOpen("build"); err != nil {
		return nil, err
	}
	if logFn == nil {
		logFn = discard
	}
	a, err := r.builder.Build(ctx, spec, logFn)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: build: %w", err)
	}
	out := filepath.Join(a.Dir, filepath.FromSlash(path.Dir(a.Entry)))
	rec := Image{Base: r.base.String()}
	if p := spec.Project; p != nil {
		rec.TeamID, rec.ProjectID, rec.ProjectSlug = p.TeamID, p.ID, p.Slug
	}
	if d := spec.Deployment; d != nil {
		rec.DeploymentID, rec.DeploymentSlug, rec.Production = d.ID, d.Slug, d.Type == admin.DeploymentProduction
	}
	if b := spec.Build; b != nil {
		rec.BuildID = b.ID
	}
	if rec.Ref, err = r.pushImage(ctx, out, path.Base(a.Entry), spec.Dir, rec, logFn); err != nil {
		logFn("image", "", err.Error())
		return nil, err
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(a.Dir, filepath.FromSlash(ImageRecord)), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("kubernetes: build: write the image record: %w", err)
	}
	return &admin.Artifact{Dir: a.Dir, Entry: ImageRecord}, nil
}

// pushImage packages dir (the build output, whose entry file is entry) on
// the base image and pushes it; it returns the image's reference by digest.
func (r *Runner) pushImage(ctx context.Context, dir, entry, buildDir string, rec Image, logFn admin.LogFunc) (string, error) {
	repoName := "mastra"
	if rec.ProjectSlug != "" {
		repoName = dnsName(rec.ProjectSlug, 63)
	}
	repo, err := name.NewRepository(r.repo.String()+"/"+repoName, r.nameOpts...)
	if err != nil {
		return "", fmt.Errorf("kubernetes: build: image repository: %w", err)
	}
	tag := "build-" + randomToken()
	if rec.BuildID != "" {
		tag = dnsName(rec.BuildID, 120)
	}
	ref := repo.Tag(tag)

	start := time.Now()
	f, err := os.CreateTemp(r.tempDir(buildDir), "layer-*.tar.gz")
	if err != nil {
		return "", fmt.Errorf("kubernetes: build: layer file: %w", err)
	}
	defer os.Remove(f.Name())
	size, files, err := writeLayer(f, dir)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("kubernetes: build: write the layer of %s: %w", dir, err)
	}
	layer, err := tarball.LayerFromFile(f.Name())
	if err != nil {
		return "", fmt.Errorf("kubernetes: build: layer: %w", err)
	}
	ldig, err := layer.Digest()
	if err != nil {
		return "", fmt.Errorf("kubernetes: build: layer digest: %w", err)
	}
	logFn("image", "", fmt.Sprintf("packaged %s (%d files, %d bytes compressed) as layer %s in %s",
		dir, files, size, ldig, time.Since(start).Round(time.Millisecond)))

	remoteOpts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(r.opts.Keychain)}
	base, err := remote.Image(r.base, remoteOpts...)
	if err != nil {
		return "", fmt.Errorf("kubernetes: build: base image %s: %w", r.base, err)
	}
	cf, err := base.ConfigFile()
	if err != nil {
		return "", fmt.Errorf("kubernetes: build: config of the base image %s: %w", r.base, err)
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{
		CreatedBy: "mastra-admin: build output at " + AppDir, Comment: rec.BuildID}})
	if err != nil {
		return "", fmt.Errorf("kubernetes: build: add the layer: %w", err)
	}
	cfg := cf.Config.DeepCopy()
	cfg.Entrypoint = []string{"node", path.Join(AppDir, entry)}
	cfg.Cmd = nil
	cfg.WorkingDir = AppDir
	cfg.User = r.opts.User
	cfg.Env = setEnv(cfg.Env, "NODE_ENV", "production")
	cfg.Env = setEnv(cfg.Env, bundler.EnvObservabilityDir, DefaultObservabilityDir)
	cfg.ExposedPorts = map[string]struct{}{fmt.Sprintf("%d/tcp", r.opts.ContainerPort): {}}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Labels["org.opencontainers.image.base.digest"] = r.base.DigestStr()
	cfg.Labels["org.opencontainers.image.base.name"] = r.base.Context().String()
	for k, v := range map[string]string{"dev.mastra-admin.project": rec.ProjectID,
		"dev.mastra-admin.deployment": rec.DeploymentID, "dev.mastra-admin.build": rec.BuildID} {
		if v != "" {
			cfg.Labels[k] = v
		}
	}
	if img, err = mutate.Config(img, *cfg); err != nil {
		return "", fmt.Errorf("kubernetes: build: image config: %w", err)
	}
	dig, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("kubernetes: build: image digest: %w", err)
	}
	start = time.Now()
	if err := remote.Write(ref, img, remoteOpts...); err != nil {
		return "", fmt.Errorf("kubernetes: build: push %s: %w", ref, err)
	}
	byDigest := repo.Digest(dig.String()).String()
	logFn("image", "", fmt.Sprintf("pushed %s (%s) in %s", byDigest, ref, time.Since(start).Round(time.Millisecond)))
	return byDigest, nil
}

// setEnv sets name=value in a KEY=VALUE list.
func setEnv(env []string, name, value string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return append(out, name+"="+value)
}

// writeLayer writes dir as a gzipped tar to w, its entries under AppDir,
// owned by root and readable by everyone; it returns the bytes written and
// the number of files. Symbolic links are kept as links; other special
// files are refused.
func writeLayer(w io.Writer, dir string) (int64, int, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return 0, 0, err
	}
	tw := tar.NewWriter(zw)
	files := 0
	// The parent directories, so that the layer extracts on any base.
	root := strings.TrimPrefix(AppDir, "/")
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: root + "/", Mode: 0o755, ModTime: time.Unix(0, 0)}); err != nil {
		return 0, 0, err
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: path.Join(root, filepath.ToSlash(rel)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		switch {
		case fi.Mode().IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
		case fi.Mode().IsRegular():
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, fi.Size(), 0o644
			if fi.Mode()&0o111 != 0 {
				hdr.Mode = 0o755
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, target, 0o777
		default:
			return fmt.Errorf("%s: %s is not a file, a directory or a link", p, fi.Mode().Type())
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		files++
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(tw, f)
		if err == nil && n != hdr.Size {
			err = fmt.Errorf("%s changed size while being packaged", p)
		}
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	if err := tw.Close(); err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, 0, err
	}
	return cw.n, files, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// readImage reads and checks the image record of an artifact.
func readImage(a admin.Artifact) (Image, error) {
	var rec Image
	bad := func(format string, args ...any) (Image, error) {
		return rec, fmt.Errorf("kubernetes: %w", &admin.ValidationError{Field: "Artifact", Reason: fmt.Sprintf(format, args...)})
	}
	if a.Dir == "" || !filepath.IsAbs(a.Dir) {
		return bad("Dir %q is not an absolute path", a.Dir)
	}
	if a.Entry != ImageRecord {
		return bad("Entry is %q, not %q: not an artifact of this runner's Build", a.Entry, ImageRecord)
	}
	rec, err := readImageRecord(a.Dir)
	if err != nil {
		return bad("%v", err)
	}
	return rec, nil
}

// readImageRecord reads the ImageRecord of artifact directory dir; an
// error wrapping fs.ErrNotExist when there is none.
func readImageRecord(dir string) (Image, error) {
	var rec Image
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(ImageRecord)))
	if err != nil {
		return rec, err
	}
	defer f.Close()
	if err := json.NewDecoder(io.LimitReader(f, 1<<16)).Decode(&rec); err != nil {
		return rec, fmt.Errorf("%s: %w", ImageRecord, err)
	}
	if _, err := name.NewDigest(rec.Ref); err != nil {
		return rec, fmt.Errorf("%s: image %q is not a reference by digest: %w", ImageRecord, rec.Ref, err)
	}
	return rec, nil
}
