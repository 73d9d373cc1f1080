package kubernetes

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/runstate"
	"github.com/mastra-admin/mastra-admin-go/runner/local"
)

// Defaults of Options.
const (
	DefaultNamespace        = "mastra"
	DefaultFieldManager     = "mastra-admin"
	DefaultContainerPort    = 4111
	DefaultServicePort      = 80
	DefaultProgressDeadline = 10 * time.Minute
	DefaultUser             = "1000:1000"
	DefaultClusterDomain    = "cluster.local"
	// DefaultObservabilityDir is where, inside the container, the server
	// writes its spans and logs (an emptyDir volume).
	DefaultObservabilityDir = "/var/lib/mastra-admin/observability"
	// DefaultDrainTimeout is how long a terminating pod may wait for its
	// observability files to be copied.
	DefaultDrainTimeout = 2 * time.Minute
)

// Labels and annotations the runner puts on what it creates.
const (
	// LabelManagedBy is app.kubernetes.io/managed-by, set to
	// ManagedByValue on every object.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedByValue = "mastra-admin"
	// LabelServer names the Kubernetes Deployment an object belongs to;
	// Stop deletes every object of a namespace with its value.
	LabelServer = "mastra-admin.dev/server"
	// LabelRevision is on pods and env Secrets: the revision (one Start)
	// they belong to.
	LabelRevision = "mastra-admin.dev/revision"
	// LabelDeployment, LabelProject, LabelBuild and LabelTeam carry the
	// admin's ids, when known.
	LabelDeployment = "mastra-admin.dev/deployment"
	LabelProject    = "mastra-admin.dev/project"
	LabelBuild      = "mastra-admin.dev/build"
	LabelTeam       = "mastra-admin.dev/team"
	// AnnotationRevision is on the Deployment: the revision its pod
	// template is, that is, which RunningServer it runs.
	AnnotationRevision = "mastra-admin.dev/revision"
	// AnnotationEnvHash is on the pod template: the SHA-256 of the env
	// vars, so that a change of env vars alone rolls the pods.
	AnnotationEnvHash = "mastra-admin.dev/env-sha256"
)

// IngressMode is how a deployment is reached from outside the cluster.
type IngressMode string

// The ingress modes.
const (
	// IngressNone creates only the Service: the admin's router (running in
	// the cluster) or something of the operator's reaches it.
	IngressNone IngressMode = ""
	// IngressHTTPRoute also applies a Gateway API HTTPRoute
	// (gateway.networking.k8s.io/v1) attached to Options.Gateway, for the
	// deployment's host name under Options.BaseDomain.
	IngressHTTPRoute IngressMode = "httproute"
)

// GatewayRef names the Gateway (and optionally its listener) HTTPRoutes
// attach to.
type GatewayRef struct {
	Name      string
	Namespace string
	// SectionName is the Gateway's listener; "" for all.
	SectionName string
}

// Options configures a Runner. Nil means defaults.
type Options struct {
	// Namespace is where servers run: every server in it, or, with
	// NamespacePerTeam, the prefix of one namespace per team
	// (Namespace + "-" + team id, created when missing). Default
	// DefaultNamespace; it must exist unless NamespacePerTeam is set.
	Namespace        string
	NamespacePerTeam bool
	// Labels are added to every object the runner creates (and to pods).
	// They must not use the mastra-admin.dev/ prefix or
	// app.kubernetes.io/managed-by.
	Labels map[string]string
	// Resources are the server container's requests and limits.
	Resources corev1.ResourceRequirements
	// Replicas per deployment; default 1.
	Replicas int32
	// ContainerPort is the port the server listens on in its pod (PORT);
	// default DefaultContainerPort. ServicePort is the Service's; default
	// DefaultServicePort.
	ContainerPort, ServicePort int32
	// ProgressDeadline is the Deployment's progressDeadlineSeconds: how long
	// a rollout may make no progress before it fails. Default
	// DefaultProgressDeadline; at least 1 s.
	ProgressDeadline time.Duration
	// StartTimeout bounds Start's wait for the rollout; default
	// ProgressDeadline plus one minute.
	StartTimeout time.Duration
	// FieldManager is the server-side apply field manager; default
	// DefaultFieldManager.
	FieldManager string
	// User is the image's user (uid:gid, numeric so that runAsNonRoot can
	// check it); default DefaultUser.
	User string
	// ImagePullSecrets are the names of Secrets (in the server's namespace)
	// the kubelet pulls images with.
	ImagePullSecrets []string
	// Keychain gives the credentials to pull the base image and push
	// images; default authn.DefaultKeychain (~/.docker/config.json).
	Keychain authn.Keychain
	// InsecureRegistry lets the registry (and the base image's) be spoken
	// to over plain HTTP.
	InsecureRegistry bool
	// TempDir is where the image layer is written before it is pushed
	// (the size of the build output, about 160 MB); default the build's
	// directory, else os.TempDir().
	TempDir string
	// Ingress and, for IngressHTTPRoute, Gateway and BaseDomain: production
	// deployments get {project}.{BaseDomain}, others
	// {deployment}--{project}.{BaseDomain}.
	Ingress    IngressMode
	Gateway    GatewayRef
	BaseDomain string
	// ClusterDomain is the cluster's DNS domain, for the Service host name
	// Start returns; default DefaultClusterDomain.
	ClusterDomain string
	// Endpoint, when set, says where the admin reaches a server's Service
	// (the Host and Port of the RunningServer Start returns), for an admin
	// outside the cluster: a NodePort, a load balancer, a port-forward.
	// Default: the Service's cluster DNS name and port.
	Endpoint func(ctx context.Context, namespace, service string, port int32) (host string, hostPort int, err error)
	// RESTConfig is the configuration the client was made from: the
	// runner execs into pods with it (pods/exec, WebSocket or SPDY) to
	// copy their observability files. Without it nothing of a pod's
	// telemetry is copied, and TelemetryFiles fails while such pods run.
	RESTConfig *rest.Config
	// DrainTimeout is the pods' terminationGracePeriodSeconds: how long a
	// terminating pod waits, after its server exited, for the runner to
	// copy the observability files left in it. Default
	// DefaultDrainTimeout; at least 1 s.
	DrainTimeout time.Duration
	// Build configures the build steps, which are runner/local's (install
	// and AdminBundler). Its port, health and stop settings are unused.
	Build *local.Options
	// Logger receives the runner's own diagnostics. Default: discard.
	Logger *slog.Logger
}

// Runner is an admin.Runner that packages each build as an OCI image,
// pushes it to a registry and runs it as a Kubernetes Deployment. See the
// package documentation.
type Runner struct {
	client   k8s.Interface
	repo     name.Repository
	base     name.Digest
	opts     Options
	builder  *local.Runner
	log      *slog.Logger
	nameOpts []name.Option
	state    *runstate.State

	// Exit watchers of the servers started or reattached (exits.go).
	wmu      sync.Mutex
	watches  map[string]context.CancelFunc // by Handle
	watchers sync.WaitGroup

	copies copies // telemetry.go
}

var (
	_ admin.Runner          = (*Runner)(nil)
	_ admin.LicensedRunner  = (*Runner)(nil)
	_ admin.ExitNotifier    = (*Runner)(nil)
	_ admin.TelemetrySource = (*Runner)(nil)
)

// New returns a Runner that talks to the cluster through client, pushes
// images to registry (a repository prefix such as
// "registry.example.com/mastra": each project gets a repository under it)
// and builds them on baseImage, a Node image referenced by digest
// ("docker.io/library/node@sha256:…"; a tag is refused: a build must not
// change because a tag moved). A nil opts means defaults.
func New(client k8s.Interface, registry, baseImage string, opts *Options) (*Runner, error) {
	if client == nil {
		return nil, invalid("client", "must not be nil")
	}
	var o Options
	if opts != nil {
		o = *opts
		o.Labels = maps.Clone(opts.Labels)
	}
	var nameOpts []name.Option
	if o.InsecureRegistry {
		nameOpts = append(nameOpts, name.Insecure)
	}
	repo, err := name.NewRepository(strings.TrimSuffix(registry, "/"), nameOpts...)
	if err != nil {
		return nil, invalid("registry", "%q is not a repository name: %v", registry, err)
	}
	base, err := name.NewDigest(baseImage, nameOpts...)
	if err != nil {
		return nil, invalid("baseImage", "%q is not an image referenced by digest (name@sha256:…): %v", baseImage, err)
	}
	if err := o.fill(); err != nil {
		return nil, err
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "runner/kubernetes")
	var bo local.Options
	if o.Build != nil {
		bo = *o.Build
	}
	if bo.Logger == nil {
		bo.Logger = logger
	}
	builder, err := local.New(&bo)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: build steps: %w", err)
	}
	return &Runner{client: client, repo: repo, base: base, opts: o, builder: builder, log: logger, nameOpts: nameOpts,
		state: runstate.New("kubernetes"), watches: map[string]context.CancelFunc{}}, nil
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("kubernetes: %w", &admin.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (o *Options) fill() error {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return invalid("Namespace", "%q: %s", o.Namespace, strings.Join(errs, "; "))
	}
	if o.NamespacePerTeam && len(o.Namespace) > 30 {
		return invalid("Namespace", "%q is longer than 30 characters, too long a prefix for per-team namespaces", o.Namespace)
	}
	for k, v := range o.Labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return invalid("Labels", "key %q: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return invalid("Labels", "value %q of %q: %s", v, k, strings.Join(errs, "; "))
		}
		if strings.HasPrefix(k, "mastra-admin.dev/") || k == LabelManagedBy {
			return invalid("Labels", "%q is the runner's own label", k)
		}
	}
	switch {
	case o.Replicas == 0:
		o.Replicas = 1
	case o.Replicas < 0:
		return invalid("Replicas", "must not be negative, got %d", o.Replicas)
	}
	if o.ContainerPort == 0 {
		o.ContainerPort = DefaultContainerPort
	}
	if o.ServicePort == 0 {
		o.ServicePort = DefaultServicePort
	}
	for f, p := range map[string]int32{"ContainerPort": o.ContainerPort, "ServicePort": o.ServicePort} {
		if p < 1 || p > 65535 {
			return invalid(f, "%d is not a port", p)
		}
	}
	switch {
	case o.ProgressDeadline == 0:
		o.ProgressDeadline = DefaultProgressDeadline
	case o.ProgressDeadline < time.Second:
		return invalid("ProgressDeadline", "must be at least 1s, got %s", o.ProgressDeadline)
	}
	switch {
	case o.DrainTimeout == 0:
		o.DrainTimeout = DefaultDrainTimeout
	case o.DrainTimeout < time.Second:
		return invalid("DrainTimeout", "must be at least 1s, got %s", o.DrainTimeout)
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = o.ProgressDeadline + time.Minute
	} else if o.StartTimeout < 0 {
		return invalid("StartTimeout", "must not be negative, got %s", o.StartTimeout)
	}
	if o.FieldManager == "" {
		o.FieldManager = DefaultFieldManager
	}
	if o.User == "" {
		o.User = DefaultUser
	}
	if !regexp.MustCompile(`^[1-9][0-9]*(:[0-9]+)?$`).MatchString(o.User) {
		return invalid("User", "%q is not a numeric non-root uid[:gid]", o.User)
	}
	for _, s := range o.ImagePullSecrets {
		if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
			return invalid("ImagePullSecrets", "%q: %s", s, strings.Join(errs, "; "))
		}
	}
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	switch o.Ingress {
	case IngressNone:
	case IngressHTTPRoute:
		if o.Gateway.Name == "" {
			return invalid("Gateway", "Name is required with Ingress %q", o.Ingress)
		}
		if errs := validation.IsDNS1123Subdomain(o.BaseDomain); len(errs) > 0 {
			return invalid("BaseDomain", "%q (required with Ingress %q): %s", o.BaseDomain, o.Ingress, strings.Join(errs, "; "))
		}
	default:
		return invalid("Ingress", "unknown mode %q (want %q or %q)", o.Ingress, IngressNone, IngressHTTPRoute)
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = DefaultClusterDomain
	}
	return nil
}

// LicenseFeature is admin.FeatureKubernetesRunner: admin.New refuses this
// runner unless the license allows it.
func (r *Runner) LicenseFeature() string { return admin.FeatureKubernetesRunner }

func (r *Runner) checkOpen(op string) error { return r.state.Check(op) }

// Close releases the runner; servers keep running. It stops watching
// their pods: no NotifyExits callback runs once it has returned. It is
// idempotent.
func (r *Runner) Close() error {
	if !r.state.Close() {
		return nil
	}
	r.unwatchAll()
	return r.builder.Close()
}

// dnsName turns s into a lower-case DNS label fragment: characters other
// than a-z and 0-9 become '-'; at most max bytes, with a hash of s at the
// end when it had to be cut or changed so that distinct inputs stay
// distinct.
func dnsName(s string, max int) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == s && len(out) <= max && out != "" {
		return out
	}
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:4])
	if len(out) > max-9 {
		out = strings.TrimRight(out[:max-9], "-")
	}
	if out == "" {
		return h
	}
	return out + "-" + h
}

// labelValue returns s when it is a valid label value, else a DNS-safe
// form of it.
func labelValue(s string) string {
	if len(validation.IsValidLabelValue(s)) == 0 {
		return s
	}
	return dnsName(s, 63)
}

func randomToken() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// tempDir is where a layer file goes: Options.TempDir, the build's
// directory, else os.TempDir().
func (r *Runner) tempDir(buildDir string) string {
	switch {
	case r.opts.TempDir != "":
		return r.opts.TempDir
	case buildDir != "":
		return buildDir
	}
	return os.TempDir()
}

// discard is an admin.LogFunc that drops lines.
func discard(string, string, string) {}
