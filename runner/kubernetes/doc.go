// Package kubernetes is an admin.Runner that builds each Mastra project into
// an OCI image and runs its servers as Kubernetes Deployments: the runner of
// the enterprise-plus tier (license feature admin.FeatureKubernetesRunner;
// admin.New refuses it under a license without that feature).
//
//	cfg, _ := clientcmd.BuildConfigFromFlags("", kubeconfig) // or rest.InClusterConfig()
//	client, _ := k8s.NewForConfig(cfg)
//	r, err := kubernetes.New(client, "registry.example.com/mastra",
//		"docker.io/library/node@sha256:…", &kubernetes.Options{Namespace: "mastra"})
//	a, err := admin.New(admin.WithRunner(r), admin.WithLicense(key, pub), …)
//
// The runner takes a ready client (client-go); how it was configured
// (kubeconfig, in-cluster service account) is the embedder's business.
//
// # Building
//
// Build runs the build steps of runner/local (dependency install and the
// AdminBundler, configured by Options.Build), so a Kubernetes build produces
// the same output as a local one. It then packages the output directory
// (.mastra/output, about 160 MB for a small Mastra 1.x project) without a
// Docker daemon, with github.com/google/go-containerregistry:
//
//   - the directory becomes one gzipped tar layer, written to a file first
//     (in Options.TempDir, else the build's directory) and removed after the
//     push, so a large bundle is never held in memory; entries go under
//     /app, owned by root and readable by everyone;
//   - the layer goes on top of the base image, which New requires by digest
//     (a tag is refused: a rebuild must not change because a tag moved);
//   - the image config keeps the base's environment (PATH) and sets
//     entrypoint ["node", "/app/index.mjs"], working directory /app, the
//     numeric non-root Options.User (default 1000:1000, the "node" user of
//     the official images), NODE_ENV=production,
//     MASTRA_ADMIN_OBSERVABILITY_DIR, the exposed port and OCI base-image
//     labels;
//   - it is pushed to {registry}/{project slug}:{build id} with the
//     credentials of Options.Keychain (default ~/.docker/config.json).
//
// The Artifact returned has Entry ImageRecord (.mastra/image.json), a file
// naming the pushed image by digest; Start deploys that digest, so a
// rollback (the admin starting an earlier artifact) deploys the earlier
// digest, whatever happened to tags since.
//
// The base image must provide node (Mastra 1.x needs Node >= 22.13) on PATH
// for the architecture of the cluster's nodes, and the C library the
// bundle's native dependencies were built against: the build runs on the
// admin's machine (glibc, amd64 or arm64), so use a glibc image of the same
// architecture (node:22-bookworm-slim, not an Alpine/musl one, when
// dependencies have native parts). The layer needs nothing else of it.
//
// # Deploying
//
// One Kubernetes Deployment (named mastra-{deployment id}) stands for one
// admin Deployment; each Start is a revision of it. Start server-side
// applies, with field manager Options.FieldManager and force:
//
//   - an immutable Secret {name}-env-{revision} holding the env vars (they
//     never appear in the Deployment's spec nor in a log line; the pods get
//     them through envFrom); the Secrets of earlier revisions are deleted
//     once a rollout succeeds;
//   - the Deployment: Options.Replicas, RollingUpdate with maxUnavailable 0
//     and maxSurge 1, progressDeadlineSeconds from Options.ProgressDeadline,
//     a readiness probe GET /health on the container port, Options.Resources,
//     PORT and MASTRA_HOST=0.0.0.0, runAsNonRoot with every capability
//     dropped, terminationMessagePolicy FallbackToLogsOnError (a crashing
//     server's last lines reach its status), no service account token, an
//     emptyDir for the observability files shared with the telemetry
//     sidecar (see Observability), a shared process namespace and
//     terminationGracePeriodSeconds from Options.DrainTimeout;
//   - a ClusterIP Service on Options.ServicePort;
//   - with Options.Ingress = IngressHTTPRoute, a Gateway API HTTPRoute
//     attached to Options.Gateway for {project}.{BaseDomain} (production) or
//     {deployment}--{project}.{BaseDomain}.
//
// Every object carries app.kubernetes.io/managed-by=mastra-admin,
// mastra-admin.dev/server={name}, the admin's ids (mastra-admin.dev/
// deployment, project, team; pods also build and revision) and
// Options.Labels. With Options.NamespacePerTeam each team gets its
// namespace ({Namespace}-{team id}), applied when missing; otherwise every
// server runs in Options.Namespace, which must exist.
//
// Start then watches the rollout the way `kubectl rollout status` does
// (observedGeneration, ProgressDeadlineExceeded, updated, old and available
// replicas), writing each new state to the log (phase "start"), with each
// not-ready pod's reason: not scheduled (the scheduler's message), a
// container waiting (ImagePullBackOff, CrashLoopBackOff, …) or exited (its
// status and termination message), and the pod's warning events. It
// returns when every updated replica is available, that is, passed its
// /health probe. A container in CrashLoopBackOff, ImagePullBackOff,
// InvalidImageName or Create/RunContainer errors fails the rollout at once
// (only a new deployment fixes those); so does ProgressDeadlineExceeded,
// and Options.StartTimeout. The error is a *RolloutError with the reason.
// A failed rollout is undone: the Deployment gets back the configuration it
// had before (so the previous revision keeps serving, with no replica
// lost thanks to maxUnavailable 0), or, for a first start, everything of it
// is deleted.
//
// The RunningServer's Host and Port are the Service's cluster DNS name and
// port ({name}.{namespace}.svc.{ClusterDomain}:80): the admin's router
// reaches it when it runs in the cluster; from outside, use the HTTPRoute.
// Its Handle is namespace/name/revision.
//
// Because one Deployment holds every revision, a Start of a new build rolls
// the existing pods instead of starting a second server beside the first:
// the previous RunningServer then reports unhealthy (Health) and gone
// (Reattach), and its Stop, which the admin calls after switching to the
// new server, deletes nothing. Stop of the current revision deletes every
// object labelled with the server's name (Deployment, ReplicaSets and pods
// through the garbage collector, Service, Secrets, HTTPRoute) and waits
// until its pods are gone; nothing else in the namespace is touched.
// Health is healthy while the Deployment runs the server's revision with an
// available replica. Reattach, after an admin restart, reports whether the
// Deployment still runs the server's revision; nothing else is needed to
// manage it again.
//
// # Exits
//
// The runner is an admin.ExitNotifier: once the admin registered through
// NotifyExits, every server it starts or reattaches is watched (a watch on
// its revision's pods through the API server, opened again from a fresh
// listing whenever it ends). A container that restarts, waits in
// CrashLoopBackOff (or another state only a new deployment fixes) or
// terminates, and a Deployment left without an available replica or
// deleted by someone else, are reported at once, once per server, with the
// container's exit status; the admin applies its restart policy without
// waiting for failed health checks. Stop, a later Start that replaces the
// revision, and Close end the watch without a report.
//
// # Observability
//
// The bundle's injected exporter and logger still write spans and logs as
// JSONL, in the pod, under DefaultObservabilityDir (an emptyDir volume).
// The runner is an admin.TelemetrySource: the admin's ingestion reads
// copies of those files, kept where runner/local keeps a local server's
// ({build dir}/observability/{spans,logs}/), with the same checkpoints and
// the same nothing-lost, nothing-twice guarantee.
//
// Each pod has a sidecar, TelemetryContainer: a restartable init
// container (a native sidecar, Kubernetes 1.29 or later) running the
// server's image's node in the observability directory. TelemetryFiles
// lists the pods running the artifact's image and execs, through the API
// server (pods/exec, WebSocket else SPDY, with Options.RESTConfig), a
// small node program in each pod's sidecar. Told the length of each copy,
// it sends what each file holds past it (at most 64 MiB a call), which the
// runner appends, only to a copy of exactly that length, and syncs to
// disk: a copy is always a prefix of the pod's file, whatever interrupted
// an earlier copy (a runner killed mid-append, an admin restart), so
// nothing is copied twice or skipped. The program tells which files no
// process holds open (the shared process namespace shows it the server's
// open files in /proc); a closed file the copy holds entirely is deleted
// from the pod, and only then is the copy reported closed, for the admin
// to archive and remove it. While a pod of the image cannot be reached, no
// copy is reported closed.
//
// A terminating pod (Stop, a rolling update, a scale-down) keeps its
// volume while its sidecar runs: the kubelet stops the sidecar after the
// server, and the sidecar then exits only once no file is left in the
// volume, that is once the runner copied and deleted every one, or when
// the pod's termination grace period (Options.DrainTimeout) is over. The
// copies are made while the ingestion runs (each of its rounds) and, for
// the servers it stops, by Stop while it waits for their pods; a pod
// replaced while no ingestion runs loses what was not copied within
// DrainTimeout. A container restart keeps the emptyDir. The copies of one
// build directory are serialised within one runner; two admins must not
// share a build directory. Weighed and not chosen: a sidecar uploading to
// FileStorage (storage credentials in every pod) and a PersistentVolume
// the admin mounts (ReadWriteMany storage, an admin inside the cluster).
//
// # Permissions
//
// The admin's service account needs, in the servers' namespaces: get, list,
// watch, create, update, patch, delete and deletecollection on deployments
// (apps), services, secrets; get, list and watch on pods and events; get
// and create on pods/exec (copying the observability files); get,
// create, patch, delete and deletecollection on httproutes
// (gateway.networking.k8s.io) when used; and, with NamespacePerTeam, all of
// it cluster-wide plus get, create and patch on namespaces. The README has
// the manifests (a Role, or a ClusterRole with NamespacePerTeam), and the
// tests run the runner with exactly the ClusterRole's rights.
//
// # Testing
//
// The tests run against a real control plane: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler built from the Go module proxy
// by scripts/services/kube.sh (28 minutes of CPU cold, cached outside the
// repository; under 1 s warm), with kwok simulating a node and its pods, started
// once per test binary by internal/testenv (about 10 s), or any cluster
// named by MASTRA_ADMIN_TEST_KUBECONFIG. Images go to an in-process
// registry (go-containerregistry's pkg/registry, blobs on disk) and are
// checked layer by layer. kwok runs no container: readiness and crashes
// are simulated by its stages (extra stages make labelled pods crash-loop,
// or crash once running), and for runnertest's suite the test plays the
// kubelet,
// running each pod's image with the host's node on a local port; what a
// real kubelet and container runtime do with the image (pull, the base
// image's node and libc, probes over the pod network, restarts) is not
// exercised. The Gateway API CRDs (v1.6.3, standard channel) are installed
// in the test control plane, so HTTPRoutes are applied and checked for
// real; no Gateway controller runs, so no traffic goes through them.
// Per-team namespaces and the copy of observability files are tested with
// the runner acting as a service account with exactly the README's
// ClusterRole (TestNamespacePerTeam, TestTelemetryCopyAcrossRestart;
// TestTelemetryReachesStoreOnce runs the admin's ingestion over the
// copies, across an admin restart). kwok serves the simulated node's kubelet API with its Exec
// resources: the test's process kubelet gives each pod a local directory
// as its observability volume (the server's MASTRA_ADMIN_OBSERVABILITY_DIR
// and the sidecar's working directory, its hold program run as a local
// process) and an Exec running commands in it, so the runner's pods/exec
// goes through the real API server and kubelet protocol to a local node
// reading the files the server wrote; what the simulation does not show is
// a container runtime's exec (the image's node, the shared process
// namespace's /proc) and the kubelet's own ordering of sidecar
// termination, which the process kubelet plays. runnertest's suite runs
// whole (its TelemetrySource and Reattach groups included) but for the
// checks of pids and ports, which need servers that are processes of this
// machine; reattaching is also tested here (a second runner adopts a
// server, watches it for exits and stops it).
package kubernetes
