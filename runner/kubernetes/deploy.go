package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// ContainerName is the name of the server's container in its pods.
const ContainerName = "server"

// target is where one server lives: a Deployment and the revision (one
// Start) it must run for the server to be this one.
type target struct {
	ns, name, rev string
}

func (t target) handle() string { return t.ns + "/" + t.name + "/" + t.rev }

// selector selects every object of the server's Deployment.
func (t target) selector() string {
	return LabelManagedBy + "=" + ManagedByValue + "," + LabelServer + "=" + t.name
}

// targetOf parses a RunningServer's Handle.
func targetOf(s *admin.RunningServer) (target, error) {
	if s == nil {
		return target{}, fmt.Errorf("kubernetes: %w", &admin.ValidationError{Field: "server", Reason: "is nil"})
	}
	parts := strings.Split(s.Handle, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return target{}, fmt.Errorf("kubernetes: %w", &admin.ValidationError{Field: "Handle",
			Reason: fmt.Sprintf("%q is not namespace/deployment/revision: not a server of this runner", s.Handle)})
	}
	return target{ns: parts[0], name: parts[1], rev: parts[2]}, nil
}

// namespace is where a team's servers run.
func (r *Runner) namespace(team string) string {
	if !r.opts.NamespacePerTeam || team == "" {
		return r.opts.Namespace
	}
	return r.opts.Namespace + "-" + dnsName(team, 32)
}

// labels returns the runner's labels of server t (plus Options.Labels).
func (r *Runner) labels(t target, rec Image) map[string]string {
	l := maps.Clone(r.opts.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelManagedBy] = ManagedByValue
	l[LabelServer] = t.name
	for k, v := range map[string]string{LabelDeployment: rec.DeploymentID, LabelProject: rec.ProjectID, LabelTeam: rec.TeamID} {
		if v != "" {
			l[k] = labelValue(v)
		}
	}
	return l
}

// Start deploys the artifact's image: it applies (server-side, with the
// runner's field manager) a Secret holding spec.Env, the Deployment and
// its Service (and an HTTPRoute with IngressHTTPRoute), then watches the
// rollout as `kubectl rollout status` does and returns once every updated
// replica is available (its readiness probe, GET /health, passed). A
// rollout that fails (progress deadline exceeded, a container crash-looping
// or whose image cannot be pulled, or StartTimeout) is reported in the log
// with the pods' reasons and warning events, and undone: the Deployment
// gets back the pod template it had, or, when it had none, everything of
// it is deleted. The admin's Deployment keeps one Kubernetes Deployment:
// starting a new build rolls its pods (maxSurge 1, maxUnavailable 0), and
// the RunningServer of the previous build then reports false from Reattach
// and unhealthy from Health, and Stop leaves it alone.
func (r *Runner) Start(ctx context.Context, spec admin.StartSpec, logFn admin.LogFunc) (*admin.RunningServer, error) {
	if err := r.checkOpen("start"); err != nil {
		return nil, err
	}
	if logFn == nil {
		logFn = discard
	}
	rec, err := readImage(spec.Artifact)
	if err != nil {
		return nil, err
	}
	for k, v := range spec.Env {
		if err := admin.ValidateEnvVarName(k); err != nil {
			return nil, fmt.Errorf("kubernetes: start: %w", &admin.ValidationError{Field: "Env", Reason: fmt.Sprintf("variable %q: %v", k, err)})
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, fmt.Errorf("kubernetes: start: %w", &admin.ValidationError{Field: "Env", Reason: fmt.Sprintf("variable %s must not contain NUL bytes", k)})
		}
	}
	if d := spec.Deployment; d != nil {
		rec.DeploymentID, rec.DeploymentSlug, rec.Production = d.ID, d.Slug, d.Type == admin.DeploymentProduction
		if d.ProjectID != "" {
			rec.ProjectID = d.ProjectID
		}
	}
	if spec.Build != nil {
		rec.BuildID = spec.Build.ID
	}
	if root, err := telemetryRoot(spec.Artifact); err == nil {
		r.copies.remember(rec.Ref, root)
	}
	t := target{ns: r.namespace(rec.TeamID), rev: randomToken()}
	if rec.DeploymentID != "" {
		t.name = "mastra-" + dnsName(rec.DeploymentID, 40)
	} else {
		t.name = "mastra-" + randomToken()
	}
	if r.opts.StartTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.opts.StartTimeout)
		defer cancel()
	}
	apply := metav1.ApplyOptions{FieldManager: r.opts.FieldManager, Force: true}
	labels := r.labels(t, rec)
	if r.opts.NamespacePerTeam && t.ns != r.opts.Namespace {
		ns := corev1ac.Namespace(t.ns).WithLabels(map[string]string{LabelManagedBy: ManagedByValue, LabelTeam: labelValue(rec.TeamID)})
		if _, err := r.client.CoreV1().Namespaces().Apply(ctx, ns, apply); err != nil {
			return nil, fmt.Errorf("kubernetes: start: namespace %s: %w", t.ns, mapErr(err))
		}
	}

	// The Deployment as it is, to give it back its pod template if the
	// rollout fails.
	var previous *appsv1ac.DeploymentApplyConfiguration
	prevRev := ""
	switch d, err := r.client.AppsV1().Deployments(t.ns).Get(ctx, t.name, metav1.GetOptions{}); {
	case err == nil:
		if previous, err = appsv1ac.ExtractDeployment(d, r.opts.FieldManager); err != nil {
			return nil, fmt.Errorf("kubernetes: start: read deployment %s/%s: %w", t.ns, t.name, err)
		}
		prevRev = d.Annotations[AnnotationRevision]
	case apierrors.IsNotFound(err):
	default:
		return nil, fmt.Errorf("kubernetes: start: get deployment %s/%s: %w", t.ns, t.name, mapErr(err))
	}

	secretName := t.name + "-env-" + t.rev
	secretLabels := maps.Clone(labels)
	secretLabels[LabelRevision] = t.rev
	data := map[string][]byte{}
	for k, v := range spec.Env {
		data[k] = []byte(v)
	}
	secret := corev1ac.Secret(secretName, t.ns).WithLabels(secretLabels).WithType(corev1.SecretTypeOpaque).
		WithImmutable(true).WithData(data)
	if _, err := r.client.CoreV1().Secrets(t.ns).Apply(ctx, secret, apply); err != nil {
		return nil, fmt.Errorf("kubernetes: start: env secret %s/%s: %w", t.ns, secretName, mapErr(err))
	}
	logFn("start", "", fmt.Sprintf("applied secret %s/%s with %d env vars", t.ns, secretName, len(spec.Env)))

	dep := r.deployment(t, rec, labels, secretName, envHash(spec.Env))
	if _, err := r.client.AppsV1().Deployments(t.ns).Apply(ctx, dep, apply); err != nil {
		r.undo(t, previous, logFn)
		return nil, fmt.Errorf("kubernetes: start: deployment %s/%s: %w", t.ns, t.name, mapErr(err))
	}
	logFn("start", "", fmt.Sprintf("applied deployment %s/%s (revision %s, image %s)", t.ns, t.name, t.rev, rec.Ref))
	svc := corev1ac.Service(t.name, t.ns).WithLabels(labels).WithSpec(corev1ac.ServiceSpec().
		WithType(corev1.ServiceTypeClusterIP).
		WithSelector(map[string]string{LabelManagedBy: ManagedByValue, LabelServer: t.name}).
		WithPorts(corev1ac.ServicePort().WithName("http").WithProtocol(corev1.ProtocolTCP).
			WithPort(r.opts.ServicePort).WithTargetPort(intstr.FromString("http"))))
	if _, err := r.client.CoreV1().Services(t.ns).Apply(ctx, svc, apply); err != nil {
		r.undo(t, previous, logFn)
		return nil, fmt.Errorf("kubernetes: start: service %s/%s: %w", t.ns, t.name, mapErr(err))
	}
	if r.opts.Ingress == IngressHTTPRoute {
		host, err := r.applyRoute(ctx, t, rec, labels)
		if err != nil {
			r.undo(t, previous, logFn)
			return nil, fmt.Errorf("kubernetes: start: httproute %s/%s: %w", t.ns, t.name, err)
		}
		logFn("start", "", fmt.Sprintf("applied httproute %s/%s for %s", t.ns, t.name, host))
	}

	if err := r.waitRollout(ctx, t, logFn); err != nil {
		logFn("start", "", err.Error())
		if previous != nil {
			logFn("start", "", fmt.Sprintf("rolling deployment %s/%s back to revision %s", t.ns, t.name, prevRev))
		}
		r.undo(t, previous, logFn)
		return nil, err
	}
	logFn("health", "", fmt.Sprintf("deployment %s/%s rolled out: every updated replica is available", t.ns, t.name))
	// Env secrets of earlier revisions are no longer referenced.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.client.CoreV1().Secrets(t.ns).DeleteCollection(bg, metav1.DeleteOptions{},
		metav1.ListOptions{LabelSelector: t.selector() + "," + LabelRevision + "," + LabelRevision + "!=" + t.rev}); err != nil {
		r.log.Warn("delete the env secrets of earlier revisions", "namespace", t.ns, "server", t.name, "err", err)
	}
	host, port := fmt.Sprintf("%s.%s.svc.%s", t.name, t.ns, r.opts.ClusterDomain), int(r.opts.ServicePort)
	if r.opts.Endpoint != nil {
		if host, port, err = r.opts.Endpoint(ctx, t.ns, t.name, r.opts.ServicePort); err != nil {
			r.undo(t, previous, logFn)
			return nil, fmt.Errorf("kubernetes: start: endpoint of service %s/%s: %w", t.ns, t.name, err)
		}
	}
	srv := &admin.RunningServer{
		DeploymentID: rec.DeploymentID,
		BuildID:      rec.BuildID,
		Host:         host,
		Port:         port,
		Handle:       t.handle(),
		Status:       admin.ServerRunning,
		Health:       admin.HealthHealthy,
		StartedAt:    time.Now().UTC(),
	}
	r.watch(t, *srv)
	return srv, nil
}

// deployment is the Deployment of revision t.
func (r *Runner) deployment(t target, rec Image, labels map[string]string, secret, envSHA string) *appsv1ac.DeploymentApplyConfiguration {
	podLabels := maps.Clone(labels)
	podLabels[LabelRevision] = t.rev
	if rec.BuildID != "" {
		podLabels[LabelBuild] = labelValue(rec.BuildID)
	}
	uid, gid := userIDs(r.opts.User)
	res := corev1ac.ResourceRequirements()
	if len(r.opts.Resources.Requests) > 0 {
		res.WithRequests(r.opts.Resources.Requests)
	}
	if len(r.opts.Resources.Limits) > 0 {
		res.WithLimits(r.opts.Resources.Limits)
	}
	container := corev1ac.Container().WithName(ContainerName).WithImage(rec.Ref).
		WithImagePullPolicy(corev1.PullIfNotPresent).
		WithPorts(corev1ac.ContainerPort().WithName("http").WithContainerPort(r.opts.ContainerPort).WithProtocol(corev1.ProtocolTCP)).
		WithEnv(
			corev1ac.EnvVar().WithName("PORT").WithValue(fmt.Sprint(r.opts.ContainerPort)),
			corev1ac.EnvVar().WithName("MASTRA_HOST").WithValue("0.0.0.0"),
			corev1ac.EnvVar().WithName("MASTRA_TELEMETRY_DISABLED").WithValue("1"),
		).
		WithEnvFrom(corev1ac.EnvFromSource().WithSecretRef(corev1ac.SecretEnvSource().WithName(secret))).
		WithReadinessProbe(corev1ac.Probe().
			WithHTTPGet(corev1ac.HTTPGetAction().WithPath("/health").WithPort(intstr.FromString("http"))).
			WithPeriodSeconds(5).WithTimeoutSeconds(2).WithFailureThreshold(3)).
		WithResources(res).
		WithTerminationMessagePolicy(corev1.TerminationMessageFallbackToLogsOnError).
		WithVolumeMounts(corev1ac.VolumeMount().WithName("observability").WithMountPath(DefaultObservabilityDir)).
		WithSecurityContext(securityContext(uid, gid))
	// The telemetry sidecar (a restartable init container: it starts
	// before the server and is stopped after it) runs the same image's
	// node in the observability directory; see telemetry.go.
	sidecar := corev1ac.Container().WithName(TelemetryContainer).WithImage(rec.Ref).
		WithImagePullPolicy(corev1.PullIfNotPresent).
		WithRestartPolicy(corev1.ContainerRestartPolicyAlways).
		WithCommand("node", "-e", holdScript).
		WithWorkingDir(DefaultObservabilityDir).
		WithVolumeMounts(corev1ac.VolumeMount().WithName("observability").WithMountPath(DefaultObservabilityDir)).
		WithSecurityContext(securityContext(uid, gid))
	pod := corev1ac.PodSpec().WithInitContainers(sidecar).WithContainers(container).
		// The sidecar's copies see, in /proc, which files the server
		// holds open.
		WithShareProcessNamespace(true).
		WithTerminationGracePeriodSeconds(int64(max(1, r.opts.DrainTimeout/time.Second))).
		WithAutomountServiceAccountToken(false).
		WithVolumes(corev1ac.Volume().WithName("observability").WithEmptyDir(corev1ac.EmptyDirVolumeSource()))
	for _, s := range r.opts.ImagePullSecrets {
		pod.WithImagePullSecrets(corev1ac.LocalObjectReference().WithName(s))
	}
	return appsv1ac.Deployment(t.name, t.ns).WithLabels(labels).
		WithAnnotations(map[string]string{AnnotationRevision: t.rev}).
		WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(r.opts.Replicas).
			WithRevisionHistoryLimit(3).
			WithProgressDeadlineSeconds(int32(max(1, r.opts.ProgressDeadline/time.Second))).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{LabelManagedBy: ManagedByValue, LabelServer: t.name})).
			WithStrategy(appsv1ac.DeploymentStrategy().WithType(appsv1.RollingUpdateDeploymentStrategyType).
				WithRollingUpdate(appsv1ac.RollingUpdateDeployment().
					WithMaxUnavailable(intstr.FromInt32(0)).WithMaxSurge(intstr.FromInt32(1)))).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(podLabels).
				WithAnnotations(map[string]string{AnnotationEnvHash: envSHA}).
				WithSpec(pod)))
}

// securityContext is the containers': non-root uid:gid, no privilege
// escalation, every capability dropped.
func securityContext(uid, gid int64) *corev1ac.SecurityContextApplyConfiguration {
	return corev1ac.SecurityContext().WithAllowPrivilegeEscalation(false).WithRunAsNonRoot(true).
		WithRunAsUser(uid).WithRunAsGroup(gid).
		WithCapabilities(corev1ac.Capabilities().WithDrop("ALL"))
}

// userIDs splits Options.User ("uid[:gid]", checked by fill).
func userIDs(u string) (int64, int64) {
	uidS, gidS, ok := strings.Cut(u, ":")
	var uid, gid int64
	fmt.Sscan(uidS, &uid)
	gid = uid
	if ok {
		fmt.Sscan(gidS, &gid)
	}
	return uid, gid
}

// envHash is the SHA-256 of env in a canonical form.
func envHash(env map[string]string) string {
	keys := slices.Sorted(maps.Keys(env))
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%d:%s=%d:%s\n", len(k), k, len(env[k]), env[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// applyRoute applies the HTTPRoute of t through the API server's REST
// client (no Gateway API client needed); it returns the host name.
func (r *Runner) applyRoute(ctx context.Context, t target, rec Image, labels map[string]string) (string, error) {
	rc := r.client.Discovery().RESTClient()
	if rc == nil {
		return "", fmt.Errorf("the client has no REST client to apply an HTTPRoute with: %w", admin.ErrNotSupported)
	}
	project := rec.ProjectSlug
	if project == "" {
		project = t.name
	}
	host := project + "." + r.opts.BaseDomain
	if !rec.Production {
		dep := rec.DeploymentSlug
		if dep == "" {
			dep = t.rev
		}
		host = dep + "--" + host
	}
	parent := map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": r.opts.Gateway.Name}
	if r.opts.Gateway.Namespace != "" {
		parent["namespace"] = r.opts.Gateway.Namespace
	}
	if r.opts.Gateway.SectionName != "" {
		parent["sectionName"] = r.opts.Gateway.SectionName
	}
	body, err := json.Marshal(map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": t.name, "namespace": t.ns, "labels": labels},
		"spec": map[string]any{
			"parentRefs": []any{parent},
			"hostnames":  []string{host},
			"rules": []any{map[string]any{"backendRefs": []any{map[string]any{
				"group": "", "kind": "Service", "name": t.name, "port": r.opts.ServicePort}}}},
		},
	})
	if err != nil {
		return "", err
	}
	err = rc.Patch(types.ApplyPatchType).AbsPath("/apis/gateway.networking.k8s.io/v1/namespaces", t.ns, "httproutes", t.name).
		Param("fieldManager", r.opts.FieldManager).Param("force", "true").Body(body).Do(ctx).Error()
	if err != nil {
		return "", mapErr(err)
	}
	return host, nil
}

// undo gives the Deployment back its previous applied configuration, or
// deletes everything of t when there was none. It runs even when ctx is
// done (the Start timed out).
func (r *Runner) undo(t target, previous *appsv1ac.DeploymentApplyConfiguration, logFn admin.LogFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if previous == nil {
		if err := r.deleteAll(ctx, t); err != nil {
			logFn("start", "", fmt.Sprintf("could not delete what the failed start created: %v", err))
		}
		return
	}
	if _, err := r.client.AppsV1().Deployments(t.ns).Apply(ctx, previous,
		metav1.ApplyOptions{FieldManager: r.opts.FieldManager, Force: true}); err != nil {
		logFn("start", "", fmt.Sprintf("could not restore deployment %s/%s: %v", t.ns, t.name, err))
		return
	}
	if err := r.client.CoreV1().Secrets(t.ns).Delete(ctx, t.name+"-env-"+t.rev, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		logFn("start", "", fmt.Sprintf("could not delete the env secret of the failed revision: %v", err))
	}
}

// fatalWaiting are container waiting reasons that end a rollout at once:
// the kubelet would retry them, but only a new deployment fixes them.
var fatalWaiting = map[string]bool{
	"CrashLoopBackOff": true, "ImagePullBackOff": true, "ErrImageNeverPull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "RunContainerError": true,
}

// RolloutError is the error of a Start whose rollout failed.
type RolloutError struct {
	// Namespace and Deployment name the Kubernetes Deployment.
	Namespace, Deployment string
	// Reason is the Kubernetes reason: ProgressDeadlineExceeded, a
	// container's waiting reason (CrashLoopBackOff, ImagePullBackOff, …),
	// or Timeout (Options.StartTimeout).
	Reason string
	// Message says what happened, with the pod's details.
	Message string
}

func (e *RolloutError) Error() string {
	return fmt.Sprintf("kubernetes: rollout of deployment %s/%s failed: %s: %s", e.Namespace, e.Deployment, e.Reason, e.Message)
}

// waitRollout waits until the rollout of t completes, reporting its
// progress and its pods' problems through logFn.
func (r *Runner) waitRollout(ctx context.Context, t target, logFn admin.LogFunc) error {
	seen := map[string]bool{}
	say := func(s string) {
		if !seen[s] {
			seen[s] = true
			logFn("start", "", s)
		}
	}
	last := ""
	for wait := 100 * time.Millisecond; ; wait = min(wait*2, time.Second) {
		d, err := r.client.AppsV1().Deployments(t.ns).Get(ctx, t.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return &RolloutError{t.ns, t.name, "Deleted", "the deployment was deleted during its rollout"}
		case err != nil && ctx.Err() == nil:
			return fmt.Errorf("kubernetes: rollout of %s/%s: %w", t.ns, t.name, mapErr(err))
		case err == nil:
			if rev := d.Annotations[AnnotationRevision]; rev != t.rev {
				return &RolloutError{t.ns, t.name, "Superseded", fmt.Sprintf("another start (revision %s) replaced this one (revision %s)", rev, t.rev)}
			}
			msg, done, rerr := rolloutStatus(d)
			if rerr != nil {
				r.reportPods(ctx, t, say)
				return rerr
			}
			if done {
				return nil
			}
			last = msg
			say(msg)
			if ferr := r.reportPods(ctx, t, say); ferr != nil {
				return ferr
			}
		}
		select {
		case <-ctx.Done():
			return &RolloutError{t.ns, t.name, "Timeout", fmt.Sprintf("%v while %s", ctx.Err(), last)}
		case <-time.After(wait):
		}
	}
}

// rolloutStatus is kubectl rollout status's reading of a Deployment: a
// message while waiting, done, or an error.
func rolloutStatus(d *appsv1.Deployment) (string, bool, error) {
	if d.Generation > d.Status.ObservedGeneration {
		return "waiting for the deployment spec update to be observed", false, nil
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return "", false, &RolloutError{d.Namespace, d.Name, c.Reason, c.Message}
		}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	switch {
	case s.UpdatedReplicas < want:
		return fmt.Sprintf("waiting for the rollout: %d of %d new replicas updated", s.UpdatedReplicas, want), false, nil
	case s.Replicas > s.UpdatedReplicas:
		return fmt.Sprintf("waiting for the rollout: %d old replicas pending termination", s.Replicas-s.UpdatedReplicas), false, nil
	case s.AvailableReplicas < s.UpdatedReplicas:
		return fmt.Sprintf("waiting for the rollout: %d of %d updated replicas available", s.AvailableReplicas, s.UpdatedReplicas), false, nil
	}
	return "", true, nil
}

// reportPods reports the pods of revision t that are not ready: why (not
// scheduled, a container waiting or terminated) and their warning events.
// It returns a *RolloutError when a container is in a state only a new
// deployment fixes.
func (r *Runner) reportPods(ctx context.Context, t target, say func(string)) error {
	pods, err := r.client.CoreV1().Pods(t.ns).List(ctx, metav1.ListOptions{
		LabelSelector: t.selector() + "," + LabelRevision + "=" + t.rev})
	if err != nil {
		return nil // the next round tries again; the rollout status decides
	}
	var fatal error
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				say(fmt.Sprintf("pod %s: not scheduled: %s: %s", p.Name, c.Reason, c.Message))
			}
		}
		for _, cs := range p.Status.ContainerStatuses {
			if term := cs.LastTerminationState.Terminated; term != nil {
				say(fmt.Sprintf("pod %s: container %s exited with status %d (%s) after %d restarts: %s",
					p.Name, cs.Name, term.ExitCode, term.Reason, cs.RestartCount, strings.TrimSpace(term.Message)))
			}
			if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
				say(fmt.Sprintf("pod %s: container %s waiting: %s: %s", p.Name, cs.Name, w.Reason, w.Message))
				if fatalWaiting[w.Reason] && fatal == nil {
					msg := fmt.Sprintf("pod %s: container %s: %s", p.Name, cs.Name, w.Message)
					if term := cs.LastTerminationState.Terminated; term != nil {
						msg += fmt.Sprintf("; last exit status %d (%s): %s", term.ExitCode, term.Reason, strings.TrimSpace(term.Message))
					}
					fatal = &RolloutError{t.ns, t.name, w.Reason, msg}
				}
			}
		}
		events, err := r.client.CoreV1().Events(t.ns).List(ctx, metav1.ListOptions{
			FieldSelector: "involvedObject.kind=Pod,involvedObject.name=" + p.Name})
		if err != nil {
			continue
		}
		sort.Slice(events.Items, func(i, j int) bool {
			return events.Items[i].LastTimestamp.Before(&events.Items[j].LastTimestamp)
		})
		for _, e := range events.Items {
			if e.Type == corev1.EventTypeWarning {
				say(fmt.Sprintf("pod %s: event %s: %s", p.Name, e.Reason, e.Message))
			}
		}
	}
	return fatal
}

// deleteAll deletes every object of server t (by label) and waits until
// its pods are gone.
func (r *Runner) deleteAll(ctx context.Context, t target) error {
	sel := metav1.ListOptions{LabelSelector: t.selector()}
	bg := metav1.DeletePropagationBackground
	del := metav1.DeleteOptions{PropagationPolicy: &bg}
	var errs []error
	if err := r.client.AppsV1().Deployments(t.ns).DeleteCollection(ctx, del, sel); err != nil {
		errs = append(errs, fmt.Errorf("deployments: %w", mapErr(err)))
	}
	if svcs, err := r.client.CoreV1().Services(t.ns).List(ctx, sel); err != nil {
		errs = append(errs, fmt.Errorf("services: %w", mapErr(err)))
	} else {
		for _, s := range svcs.Items {
			if err := r.client.CoreV1().Services(t.ns).Delete(ctx, s.Name, del); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("service %s: %w", s.Name, mapErr(err)))
			}
		}
	}
	if err := r.client.CoreV1().Secrets(t.ns).DeleteCollection(ctx, del, sel); err != nil {
		errs = append(errs, fmt.Errorf("secrets: %w", mapErr(err)))
	}
	if r.opts.Ingress == IngressHTTPRoute {
		if rc := r.client.Discovery().RESTClient(); rc != nil {
			err := rc.Delete().AbsPath("/apis/gateway.networking.k8s.io/v1/namespaces", t.ns, "httproutes").
				Param("labelSelector", t.selector()).Do(ctx).Error()
			if err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("httproutes: %w", mapErr(err)))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kubernetes: delete server %s/%s: %w", t.ns, t.name, err)
	}
	// The ReplicaSets and pods go with the Deployment (garbage collector);
	// the server is stopped once its pods are, each after the copy of its
	// observability files.
	for wait := 100 * time.Millisecond; ; wait = min(wait*2, time.Second) {
		pods, err := r.client.CoreV1().Pods(t.ns).List(ctx, sel)
		if err == nil && len(pods.Items) == 0 {
			return nil
		}
		if err == nil {
			r.drain(ctx, pods.Items)
		}
		select {
		case <-ctx.Done():
			n := 0
			if pods != nil {
				n = len(pods.Items)
			}
			return fmt.Errorf("kubernetes: stop server %s/%s: %d pods still there: %w", t.ns, t.name, n, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// current returns the Deployment of t when it still runs revision t.rev,
// nil when it is gone or runs another revision.
func (r *Runner) current(ctx context.Context, t target) (*appsv1.Deployment, error) {
	d, err := r.client.AppsV1().Deployments(t.ns).Get(ctx, t.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("kubernetes: get deployment %s/%s: %w", t.ns, t.name, mapErr(err))
	case d.Annotations[AnnotationRevision] != t.rev || d.Labels[LabelManagedBy] != ManagedByValue:
		return nil, nil
	}
	return d, nil
}

// Stop deletes every object labelled as the server's (Deployment, its
// ReplicaSets and pods, Service, env Secrets, HTTPRoute) and waits until
// its pods are gone. A server already gone, or whose Deployment has since
// been rolled to another revision (a later Start), is left alone: nil.
func (r *Runner) Stop(ctx context.Context, s *admin.RunningServer) error {
	t, err := targetOf(s)
	if err != nil {
		return err
	}
	d, err := r.current(ctx, t)
	if err != nil {
		return err
	}
	r.unwatch(s.Handle) // a stopped server did not exit
	if d == nil {
		return nil
	}
	return r.deleteAll(ctx, t)
}

// Health reads the server's Deployment: healthy when it still runs the
// server's revision with at least one available replica, unhealthy
// otherwise (also when it is gone).
func (r *Runner) Health(ctx context.Context, s *admin.RunningServer) (admin.HealthStatus, error) {
	t, err := targetOf(s)
	if err != nil {
		return admin.HealthUnknown, err
	}
	d, err := r.current(ctx, t)
	if err != nil {
		return admin.HealthUnknown, err
	}
	if d == nil || d.Status.AvailableReplicas < 1 {
		return admin.HealthUnhealthy, nil
	}
	return admin.HealthHealthy, nil
}

// Reattach reports whether the server's Deployment still exists and runs
// its revision; nothing else is needed to manage it again, but for
// watching its pods for exits (NotifyExits), which starts here.
func (r *Runner) Reattach(ctx context.Context, s *admin.RunningServer) (bool, error) {
	if err := r.checkOpen("reattach"); err != nil {
		return false, err
	}
	t, err := targetOf(s)
	if err != nil {
		return false, err
	}
	d, err := r.current(ctx, t)
	if d != nil {
		r.watch(t, *s)
	}
	return d != nil, err
}

// mapErr wraps an API error with the admin sentinel it stands for.
func mapErr(err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%w: %w", admin.ErrNotFound, err)
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
		return fmt.Errorf("%w: %w", admin.ErrForbidden, err)
	case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
		return fmt.Errorf("%w: %w", admin.ErrInvalidArgument, err)
	case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err):
		return fmt.Errorf("%w: %w", admin.ErrConflict, err)
	}
	return err
}
