package testenv

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment variables read by Kube.
const (
	// EnvKubeconfig names a kubeconfig file of a cluster the tests may use
	// (they create and delete namespaces of their own in it).
	EnvKubeconfig = "MASTRA_ADMIN_TEST_KUBECONFIG"
	// EnvKubeBin names the directory of the control plane binaries
	// scripts/services/kube.sh builds: kube-apiserver,
	// kube-controller-manager, kube-scheduler, etcd, kwok, kwok-stages/,
	// kwok-crds/ (kwok's Exec CustomResourceDefinition) and gateway-crds/
	// (the Gateway API CustomResourceDefinitions).
	EnvKubeBin = "MASTRA_ADMIN_TEST_KUBE_BIN"
)

// KubeFailLabel is the pod label that the simulated control plane's kwok
// stages react to. kwok's pod-ready stage leaves every pod with the label
// alone (a test may play its kubelet). A pod labelled
// KubeFailLabel=KubeFailCrashLoop never becomes ready: an extra stage
// shows its container restarting in CrashLoopBackOff after exiting with
// status 1, as a crashing server's would be. A running pod that a test
// labels KubeFailLabel=KubeFailCrash crashes the same way: its container
// exits with status 1, its restart count goes to 1 and it waits in
// CrashLoopBackOff, no longer ready. A pod labelled
// KubeFailLabel=KubeProcess is left entirely to the test, its deletion
// included: kwok's pod-delete stage does not remove it either, the test
// deletes it once its simulated containers stopped.
const (
	KubeFailLabel     = "mastra-admin.test/kwok"
	KubeFailCrashLoop = "crashloop"
	KubeFailCrash     = "crash"
	KubeProcess       = "process"
)

// KubeCluster is a Kubernetes cluster for tests.
type KubeCluster struct {
	// Kubeconfig is the path of a kubeconfig file whose current context
	// reaches the cluster with cluster-admin rights.
	Kubeconfig string
	// Simulated is true when the cluster is the control plane Kube started:
	// its nodes and pods are simulated by kwok, no container runs, and
	// pods labelled KubeFailLabel behave as documented there.
	Simulated bool
	// Node is the name of the simulated node ("" for a cluster from
	// EnvKubeconfig).
	Node string
}

// KubeExec returns the kwok Exec resource (kwok.x-k8s.io/v1alpha1, in the
// pod's namespace and of its name) that makes an exec into the named
// containers of a simulated pod run the command on this machine in
// workDir, with this process's environment. Create it with the cluster's
// REST client (POST /apis/kwok.x-k8s.io/v1alpha1/namespaces/{ns}/execs);
// kwok picks it up through a watch.
func KubeExec(namespace, pod, workDir string, containers ...string) map[string]any {
	return map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Exec",
		"metadata": map[string]any{"name": pod, "namespace": namespace},
		"spec": map[string]any{"execs": []any{map[string]any{
			"containers": containers, "local": map[string]any{"workDir": workDir}}}},
	}
}

var kube struct {
	mu      sync.Mutex
	started bool
	cluster *KubeCluster
	err     error
	cp      *controlPlane
}

// Kube returns the cluster of this test binary: the one EnvKubeconfig
// names, else a control plane started (once per test binary, on the first
// call) from the binaries in EnvKubeBin: etcd, kube-apiserver (with
// --endpoint-reconciler-type=none, on 127.0.0.1), kube-controller-manager,
// kube-scheduler, and kwok simulating one node and its pods with kwok's
// fast stages; the Gateway API CRDs of gateway-crds/ (GatewayClass,
// Gateway, HTTPRoute; no Gateway controller runs) are installed. kwok
// also serves the node's kubelet API (TLS, on loopback; the node's
// InternalIP and kubelet port point kube-apiserver at it) with its Exec
// resources enabled (kwok-crds/), so that pods/exec through the API
// server runs a local command in the directory a test's Exec names (see
// KubeExec). It takes about 10 s. Call StopKube from TestMain after
// m.Run to stop it. Without either variable the test is skipped, or fails
// when services are required.
func Kube(t testing.TB) *KubeCluster {
	t.Helper()
	if p := os.Getenv(EnvKubeconfig); p != "" {
		return &KubeCluster{Kubeconfig: p}
	}
	bin := os.Getenv(EnvKubeBin)
	if bin == "" {
		Unavailable(t, "a Kubernetes control plane", EnvKubeBin+" (scripts/services/kube.sh builds one) or "+EnvKubeconfig, "neither is set")
	}
	kube.mu.Lock()
	defer kube.mu.Unlock()
	if !kube.started {
		kube.started = true
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		kube.cp, kube.err = startControlPlane(ctx, bin)
		cancel()
		if kube.err == nil {
			kube.cluster = &KubeCluster{Kubeconfig: kube.cp.kubeconfig, Simulated: true, Node: kube.cp.node}
		}
	}
	if kube.err != nil {
		t.Fatalf("testenv: start the Kubernetes control plane from %s=%s: %v", EnvKubeBin, bin, kube.err)
	}
	return kube.cluster
}

// StopKube stops the control plane Kube started, if any, and removes its
// files. Call it from TestMain after m.Run.
func StopKube() {
	kube.mu.Lock()
	defer kube.mu.Unlock()
	if kube.cp != nil {
		kube.cp.stop()
		kube.cp = nil
	}
}

// controlPlane is a running etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok.
type controlPlane struct {
	dir        string
	kubeconfig string
	node       string
	procs      []*proc // in start order
}

// proc is one started component.
type proc struct {
	name string
	*Process
}

// Process is a command started by StartProcess: in a process group of its
// own (its children are signalled with it), killed if the test binary
// dies.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartProcess starts cmd in a process group of its own that the kernel
// kills (SIGKILL) if the test binary dies, and waits for it in the
// background. Tests that run servers or stand-ins for a kubelet use it as
// the control plane does.
func StartProcess(cmd *exec.Cmd) (*Process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is what exec.Cmd.Wait returned (an *exec.ExitError for a non-zero
// status); read it once Done is closed.
func (p *Process) Err() error { return p.err }

// Stop sends sig to the process group and waits for the process; when it
// has not exited after grace, the group is killed (SIGKILL).
func (p *Process) Stop(sig syscall.Signal, grace time.Duration) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (c *controlPlane) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].Stop(syscall.SIGTERM, 10*time.Second)
	}
	_ = os.RemoveAll(c.dir)
}

// freePorts returns n TCP ports of 127.0.0.1 that nothing listens on now.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// start runs bin with args in its own process group, its output in
// dir/logs/name.log, killed if this process dies.
func (c *controlPlane) start(bin, name string, args ...string) error {
	path := filepath.Join(bin, name)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s: %w (run scripts/services/kube.sh)", name, err)
	}
	logf, err := os.Create(filepath.Join(c.dir, "logs", name+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = c.dir
	p, err := StartProcess(cmd)
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	c.procs = append(c.procs, &proc{name: name, Process: p})
	return nil
}

// logTail returns the last lines of a component's log, for errors.
func (c *controlPlane) logTail(name string) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "logs", name+".log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return name + " log:\n  " + strings.Join(lines, "\n  ")
}

func startControlPlane(ctx context.Context, bin string) (_ *controlPlane, err error) {
	dir, err := os.MkdirTemp("", "mastra-admin-kube-")
	if err != nil {
		return nil, err
	}
	c := &controlPlane{dir: dir, node: "kwok-node-0"}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	for _, d := range []string{"logs", "etcd", "pki", "kwok"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort, kubeletPort := ports[0], ports[1], ports[2], ports[3]

	// Service account signing key, admin token, kubeconfig.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	saKey := filepath.Join(dir, "pki", "sa.key")
	saPub := filepath.Join(dir, "pki", "sa.pub")
	if err := os.WriteFile(saKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(saPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600); err != nil {
		return nil, err
	}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	tokens := filepath.Join(dir, "pki", "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+`,admin,admin,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	server := "https://127.0.0.1:" + strconv.Itoa(apiPort)
	certDir := filepath.Join(dir, "pki", "serving")
	c.kubeconfig = filepath.Join(dir, "kubeconfig")

	if err := c.start(bin, "etcd",
		"--name=default", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls=http://127.0.0.1:"+strconv.Itoa(etcdClient),
		"--advertise-client-urls=http://127.0.0.1:"+strconv.Itoa(etcdClient),
		"--listen-peer-urls=http://127.0.0.1:"+strconv.Itoa(etcdPeer),
		"--initial-advertise-peer-urls=http://127.0.0.1:"+strconv.Itoa(etcdPeer),
		"--initial-cluster=default=http://127.0.0.1:"+strconv.Itoa(etcdPeer),
		"--unsafe-no-fsync", "--log-level=warn"); err != nil {
		return nil, err
	}
	if err := c.start(bin, "kube-apiserver",
		"--etcd-servers=http://127.0.0.1:"+strconv.Itoa(etcdClient),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+certDir,
		"--token-auth-file="+tokens, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saPub, "--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none",
		"--disable-admission-plugins=ServiceAccount",
		// kwok's kubelet API, for pods/exec: at the node's InternalIP
		// (127.0.0.1), its self-signed certificate not checked.
		"--kubelet-preferred-address-types=InternalIP",
		"--allow-privileged=false"); err != nil {
		return nil, err
	}
	// The apiserver writes its self-signed serving certificate on start.
	caFile := filepath.Join(certDir, "apiserver.crt")
	if err := poll(ctx, "kube-apiserver's serving certificate", func() error {
		_, err := os.Stat(caFile)
		return err
	}, c, "kube-apiserver"); err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("kube-apiserver's certificate %s holds no PEM certificate", caFile)
	}
	api := &apiClient{server: server, token: token, http: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}}}
	if err := poll(ctx, "kube-apiserver's /readyz", func() error {
		_, err := api.do(ctx, http.MethodGet, "/readyz", nil)
		return err
	}, c, "kube-apiserver"); err != nil {
		return nil, err
	}
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority: %s
    tls-server-name: 127.0.0.1
users:
- name: admin
  user:
    token: %s
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
`, server, caFile, token)
	if err := os.WriteFile(c.kubeconfig, []byte(kubeconfig), 0o600); err != nil {
		return nil, err
	}
	if err := c.start(bin, "kube-controller-manager",
		"--kubeconfig="+c.kubeconfig, "--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port=0",
		"--service-account-private-key-file="+saKey,
		"--use-service-account-credentials=false",
		"--concurrent-deployment-syncs=5", "--concurrent-replicaset-syncs=5"); err != nil {
		return nil, err
	}
	if err := c.start(bin, "kube-scheduler",
		"--kubeconfig="+c.kubeconfig, "--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port=0"); err != nil {
		return nil, err
	}
	stages, err := kwokStages(filepath.Join(bin, "kwok-stages"))
	if err != nil {
		return nil, err
	}
	// kwok watches its Exec resources from its start: their CRD first.
	if err := installCRDs(ctx, api, filepath.Join(bin, "kwok-crds"), c); err != nil {
		return nil, err
	}
	kubeletCert, kubeletKey, err := selfSigned(filepath.Join(dir, "pki"), "kwok-kubelet")
	if err != nil {
		return nil, err
	}
	stageFile := filepath.Join(dir, "kwok", "stages.yaml")
	if err := os.WriteFile(stageFile, stages, 0o600); err != nil {
		return nil, err
	}
	if err := c.start(bin, "kwok",
		"--kubeconfig="+c.kubeconfig, "--config="+stageFile,
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--node-lease-duration-seconds=40",
		"--cidr=10.244.0.0/16", "--node-ip=127.0.0.1",
		"--node-port="+strconv.Itoa(kubeletPort), "--server-address=127.0.0.1:"+strconv.Itoa(kubeletPort),
		"--tls-cert-file="+kubeletCert, "--tls-private-key-file="+kubeletKey,
		"--enable-crds=Exec"); err != nil {
		return nil, err
	}
	node := map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{
			"name":        c.node,
			"annotations": map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			"labels": map[string]string{"kubernetes.io/hostname": c.node, "kubernetes.io/os": "linux",
				"kubernetes.io/arch": "amd64", "type": "kwok"},
		},
		"status": map[string]any{
			"allocatable": map[string]string{"cpu": "16", "memory": "64Gi", "pods": "110"},
			"capacity":    map[string]string{"cpu": "16", "memory": "64Gi", "pods": "110"},
			"nodeInfo": map[string]string{"architecture": "amd64", "operatingSystem": "linux",
				"kubeletVersion": "fake", "kubeProxyVersion": "fake"},
		},
	}
	if _, err := api.do(ctx, http.MethodPost, "/api/v1/nodes", node); err != nil {
		return nil, fmt.Errorf("create the simulated node: %w", err)
	}
	if err := poll(ctx, "the simulated node "+c.node+" to be Ready (kwok)", func() error {
		b, err := api.do(ctx, http.MethodGet, "/api/v1/nodes/"+c.node, nil)
		if err != nil {
			return err
		}
		var n struct {
			Status struct {
				Conditions []struct{ Type, Status string }
			}
		}
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == "Ready" && cond.Status == "True" {
				return nil
			}
		}
		return errors.New("not Ready yet")
	}, c, "kwok"); err != nil {
		return nil, err
	}
	if err := installCRDs(ctx, api, filepath.Join(bin, "gateway-crds"), c); err != nil {
		return nil, err
	}
	return c, nil
}

// selfSigned writes a self-signed serving certificate for 127.0.0.1 and
// its key into dir as {name}.crt and {name}.key and returns their paths.
func selfSigned(dir, name string) (string, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	crt, kf := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", err
	}
	return crt, kf, nil
}

// installCRDs applies (server-side, as YAML) every
// {group}_{plural}.yaml CustomResourceDefinition of dir and waits until
// each is Established.
func installCRDs(ctx context.Context, api *apiClient, dir string, c *controlPlane) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no CRD in %s (run scripts/services/kube.sh)", dir)
	}
	for _, f := range files {
		group, plural, ok := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".yaml"), "_")
		if !ok {
			return fmt.Errorf("CRD file %s is not named {group}_{plural}.yaml", f)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		path := "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + plural + "." + group
		if _, err := api.send(ctx, http.MethodPatch, path+"?fieldManager=mastra-admin-testenv&force=true",
			"application/apply-patch+yaml", b); err != nil {
			return fmt.Errorf("install the CRD of %s: %w", f, err)
		}
		if err := poll(ctx, "the CRD "+plural+"."+group+" to be Established", func() error {
			b, err := api.do(ctx, http.MethodGet, path, nil)
			if err != nil {
				return err
			}
			var crd struct {
				Status struct {
					Conditions []struct{ Type, Status string }
				}
			}
			if err := json.Unmarshal(b, &crd); err != nil {
				return err
			}
			for _, cond := range crd.Status.Conditions {
				if cond.Type == "Established" && cond.Status == "True" {
					return nil
				}
			}
			return errors.New("not Established yet")
		}, c, "kube-apiserver"); err != nil {
			return err
		}
	}
	return nil
}

// poll calls f until it succeeds, a component exits or ctx ends; the
// error names what was awaited and shows the component's log.
func poll(ctx context.Context, what string, f func() error, c *controlPlane, component string) error {
	for wait := 20 * time.Millisecond; ; wait = min(wait*2, 250*time.Millisecond) {
		err := f()
		if err == nil {
			return nil
		}
		for _, p := range c.procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited (%v) while waiting for %s\n%s", p.name, p.cmd.ProcessState, what, c.logTail(p.name))
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)\n%s", what, ctx.Err(), err, c.logTail(component))
		case <-time.After(wait):
		}
	}
}

// apiClient speaks to kube-apiserver with plain HTTP, so that this package
// does not link client-go into every test binary that uses it.
type apiClient struct {
	server, token string
	http          *http.Client
}

// do sends body as JSON (none when nil) and returns the answer's body.
func (a *apiClient) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	return a.send(ctx, method, path, "application/json", b)
}

// send sends body of the content type and returns the answer's body.
func (a *apiClient) send(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.server+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", contentType)
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

// kwokStages returns kwok's own node and pod stages from dir, the pod-ready
// stage taught to leave pods labelled KubeFailLabel alone, and the
// crash-loop and crash stages for those pods.
func kwokStages(dir string) ([]byte, error) {
	var out bytes.Buffer
	for _, name := range []string{"node-initialize.yaml", "node-heartbeat.yaml", "pod-ready.yaml", "pod-complete.yaml", "pod-delete.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("kwok stage: %w (run scripts/services/kube.sh)", err)
		}
		if name == "pod-delete.yaml" {
			const at = "  selector:\n    matchExpressions:\n"
			if !bytes.Contains(b, []byte(at)) {
				return nil, fmt.Errorf("kwok stage %s has no %q to extend", name, at)
			}
			b = bytes.Replace(b, []byte(at), []byte(at+"    - key: '.metadata.labels[\""+KubeFailLabel+"\"]'\n      operator: 'NotIn'\n      values:\n      - '"+KubeProcess+"'\n"), 1)
		}
		if name == "pod-ready.yaml" {
			const at = "  selector:\n    matchExpressions:\n"
			if !bytes.Contains(b, []byte(at)) {
				return nil, fmt.Errorf("kwok stage %s has no %q to extend", name, at)
			}
			b = bytes.Replace(b, []byte(at), []byte(at+"    - key: '.metadata.labels[\""+KubeFailLabel+"\"]'\n      operator: 'DoesNotExist'\n"), 1)
		}
		out.WriteString("---\n")
		out.Write(b)
		out.WriteString("\n")
	}
	out.WriteString(crashLoopStage)
	out.WriteString(crashStage)
	return out.Bytes(), nil
}

const crashLoopStage = `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: mastra-admin-test-pod-crashloop
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Pending'
    - key: '.metadata.labels["` + KubeFailLabel + `"]'
      operator: 'In'
      values:
      - '` + KubeFailCrashLoop + `'
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        message: "containers with unready status: [server]"
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        type: ContainersReady
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 3
        lastState:
          terminated:
            exitCode: 1
            reason: Error
            message: "simulated crash: the server exited with status 1"
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: "back-off 40s restarting failed container"
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}
`

// crashStage crashes a running container of a pod labelled
// KubeFailLabel=KubeFailCrash, once: the running state it selects on is
// gone afterwards.
const crashStage = `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: mastra-admin-test-pod-crash
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
    - key: '.metadata.labels["` + KubeFailLabel + `"]'
      operator: 'In'
      values:
      - '` + KubeFailCrash + `'
    - key: '.status.containerStatuses.[].state.running.startedAt'
      operator: 'Exists'
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        message: "containers with unready status: [server]"
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        type: ContainersReady
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 1
        lastState:
          terminated:
            exitCode: 1
            reason: Error
            message: "simulated crash of a running server"
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: "back-off 10s restarting failed container"
      {{ end }}
      phase: Running
`
