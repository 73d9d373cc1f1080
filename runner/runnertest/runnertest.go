package runnertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Config is what the suite asks of each runner it makes. The harness maps
// it onto the runner's own options.
type Config struct {
	// CacheDir is where the runner keeps caches; "" means its default. The
	// runners of one test share it, as an admin shares it across restarts.
	CacheDir string
	// Host is the address servers listen on and are reached at.
	Host string
	// PortMin and PortMax bound the ports servers get (inclusive).
	PortMin, PortMax int
	// HealthTimeout bounds Start's wait for a healthy server.
	HealthTimeout time.Duration
	// StopGrace is how long Stop waits between SIGTERM and SIGKILL.
	StopGrace time.Duration
}

// Harness adapts a Runner to the suite.
type Harness struct {
	// NewRunner returns a new runner configured by cfg. The suite calls it
	// several times in a test: a second runner over the same CacheDir
	// stands for the admin after a restart. The suite closes each runner.
	NewRunner func(t *testing.T, cfg Config) admin.Runner
	// Processes says servers are processes on this machine: RunningServer
	// carries their PID, the port range of Config is honoured, and the
	// suite checks processes and ports directly (orphans, reused pids, a
	// port held by another program).
	Processes bool
}

// Run runs the conformance suite against the runner h makes. It builds the
// fake project of WriteFakeProject with real npm, starts its fake servers,
// and needs node and npm on PATH but no network. It takes tens of seconds.
func Run(t *testing.T, h Harness) {
	if h.NewRunner == nil {
		t.Fatal("runnertest: Harness.NewRunner is nil")
	}
	s := &suite{h: h, cache: t.TempDir(), artifactDir: t.TempDir()}
	t.Run("Build", s.testBuild)
	t.Run("Start", s.testStart)
	t.Run("Stop", s.testStop)
	t.Run("Reattach", s.testReattach)
	t.Run("Close", s.testClose)
	t.Run("TelemetrySource", s.testTelemetrySource)
}

type suite struct {
	h           Harness
	cache       string // shared by the runner that builds the artifact
	artifactDir string // the build directory of the shared artifact

	once     sync.Once
	artifact *admin.Artifact
	err      error
}

// logRecorder collects what a runner sends to a LogFunc.
type logRecorder struct {
	mu    sync.Mutex
	lines []admin.LogLine
	// watch, when set, sees each line as it arrives.
	watch func(admin.LogLine)
}

func (l *logRecorder) fn(phase, stream, text string) {
	line := admin.LogLine{Time: time.Now(), Phase: phase, Stream: stream, Text: text}
	l.mu.Lock()
	l.lines = append(l.lines, line)
	w := l.watch
	l.mu.Unlock()
	if w != nil {
		w(line)
	}
}

func (l *logRecorder) all() []admin.LogLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// find returns the index of the first line of phase and stream (any when
// empty) whose text contains sub, or -1.
func (l *logRecorder) find(phase, stream, sub string) int {
	for i, line := range l.all() {
		if line.Phase == phase && (stream == "" || line.Stream == stream) && strings.Contains(line.Text, sub) {
			return i
		}
	}
	return -1
}

func (l *logRecorder) String() string {
	var b strings.Builder
	for _, line := range l.all() {
		b.WriteString(admin.FormatLogLine(line))
		b.WriteByte('\n')
	}
	return b.String()
}

// config returns a Config with a port block of its own for one test.
func (s *suite) config(t *testing.T, ports int) Config {
	min, max := portBlock(t, ports)
	return Config{CacheDir: s.cache, Host: "127.0.0.1", PortMin: min, PortMax: max,
		HealthTimeout: 30 * time.Second, StopGrace: 5 * time.Second}
}

func (s *suite) runner(t *testing.T, cfg Config) admin.Runner {
	t.Helper()
	r := s.h.NewRunner(t, cfg)
	if r == nil {
		t.Fatal("runnertest: NewRunner returned nil")
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// portBlock finds n consecutive ports below the ephemeral range that
// nothing listens on right now.
func portBlock(t *testing.T, n int) (int, int) {
	t.Helper()
	for range 100 {
		min := 20000 + rand.IntN(12000-n)
		free := true
		for p := min; p < min+n && free; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				free = false
				continue
			}
			l.Close()
		}
		if free {
			return min, min + n - 1
		}
	}
	t.Fatalf("runnertest: no block of %d free ports found", n)
	return 0, 0
}

// buildDir lays out a build directory like the admin's:
// {dir}/src holds the project.
func buildDir(t *testing.T) (dir, src string) {
	dir = t.TempDir()
	src = filepath.Join(dir, "src")
	if err := WriteFakeProject(src); err != nil {
		t.Fatal(err)
	}
	return dir, src
}

// sharedArtifact builds the fake project once for the tests that only
// start servers.
func (s *suite) sharedArtifact(t *testing.T) admin.Artifact {
	t.Helper()
	s.once.Do(func() {
		dir := s.artifactDir
		src := filepath.Join(dir, "src")
		if s.err = WriteFakeProject(src); s.err != nil {
			return
		}
		r := s.h.NewRunner(t, Config{CacheDir: s.cache, Host: "127.0.0.1", PortMin: 1, PortMax: 1,
			HealthTimeout: time.Minute, StopGrace: time.Second})
		defer r.Close()
		var log logRecorder
		s.artifact, s.err = r.Build(context.Background(), admin.BuildSpec{Dir: dir, SourceDir: src}, log.fn)
		if s.err != nil {
			s.err = fmt.Errorf("build the fake project: %w\n%s", s.err, &log)
		}
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return *s.artifact
}

// start starts a fake server and stops it when the test ends.
func (s *suite) start(t *testing.T, r admin.Runner, cfg Config, env map[string]string) *admin.RunningServer {
	t.Helper()
	var log logRecorder
	srv, err := r.Start(context.Background(), admin.StartSpec{Artifact: s.sharedArtifact(t), Env: env}, log.fn)
	if err != nil {
		t.Fatalf("Start: %v\n%s", err, &log)
	}
	s.cleanupServer(t, cfg, srv)
	return srv
}

// cleanupServer stops srv at the end of the test through a fresh runner (the
// one that started it may be closed by then).
func (s *suite) cleanupServer(t *testing.T, cfg Config, srv *admin.RunningServer) {
	t.Cleanup(func() {
		r := s.h.NewRunner(t, cfg)
		defer r.Close()
		if s.h.Processes {
			if _, err := r.Reattach(context.Background(), srv); err != nil {
				t.Errorf("cleanup: Reattach: %v", err)
			}
		}
		if err := r.Stop(context.Background(), srv); err != nil {
			t.Errorf("cleanup: Stop: %v", err)
		}
	})
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for wait := 10 * time.Millisecond; ; wait = min(wait*2, 250*time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(wait)
	}
}

func (s *suite) testBuild(t *testing.T) {
	t.Run("StreamsPhases", func(t *testing.T) {
		r := s.runner(t, s.config(t, 1))
		dir, src := buildDir(t)
		var log logRecorder
		// A variable of its own: a runner that reuses the output of an
		// identical earlier build builds this one.
		env := map[string]string{"RUNNERTEST_BUILD": strconv.FormatUint(rand.Uint64(), 36)}
		a, err := r.Build(context.Background(), admin.BuildSpec{Dir: dir, SourceDir: src, Env: env}, log.fn)
		if err != nil {
			t.Fatalf("Build: %v\n%s", err, &log)
		}
		if a == nil || a.Dir == "" || a.Entry == "" {
			t.Fatalf("Build returned artifact %+v", a)
		}
		if _, err := os.Stat(filepath.Join(a.Dir, a.Entry)); err != nil {
			t.Errorf("artifact entry: %v", err)
		}
		if log.find("install", "", "") < 0 {
			t.Errorf("no line of phase install in the log:\n%s", &log)
		}
		first := log.find("build", "stdout", "fake mastra: analyzing dependencies")
		warn := log.find("build", "stderr", "fake mastra: warning on stderr")
		last := log.find("build", "stdout", "fake mastra: build successful")
		if first < 0 || warn < 0 || last < first {
			t.Errorf("build lines missing or out of order (analyzing %d, warning %d, successful %d):\n%s", first, warn, last, &log)
		}
	})

	t.Run("StreamsWhileRunningAndCancels", func(t *testing.T) {
		r := s.runner(t, s.config(t, 1))
		dir, src := buildDir(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pid := make(chan int, 1)
		log := logRecorder{watch: func(l admin.LogLine) {
			if _, p, ok := strings.Cut(l.Text, "hanging pid="); ok {
				n, _ := strconv.Atoi(p)
				pid <- n
				cancel() // the line arrived while Build still runs
			}
		}}
		_, err := r.Build(ctx, admin.BuildSpec{Dir: dir, SourceDir: src, Env: map[string]string{FakeBuildHang: "1"}}, log.fn)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Build of a hanging project cancelled: got %v, want context.Canceled\n%s", err, &log)
		}
		select {
		case n := <-pid:
			if s.h.Processes {
				eventually(t, "the cancelled build's process exited", func() bool { return !processAlive(n) })
			}
		default:
			t.Fatalf("the hanging build's pid line never reached the log:\n%s", &log)
		}
	})

	failures := []struct {
		name  string
		edit  func(t *testing.T, src string)
		env   map[string]string
		phase string
		want  string // in a stderr line of phase and in the error
	}{
		{"LockfileOutOfSync", func(t *testing.T, src string) {
			editJSON(t, filepath.Join(src, "package.json"), func(m map[string]any) {
				m["dependencies"] = map[string]any{"left-pad": "^1.3.0"}
			})
		}, nil, "install", "in sync"},
		{"MissingPackage", func(t *testing.T, src string) {
			const missing = "file:vendor/missing-1.0.0.tgz"
			editJSON(t, filepath.Join(src, "package.json"), func(m map[string]any) {
				m["devDependencies"] = map[string]any{"mastra": missing}
			})
			editJSON(t, filepath.Join(src, "package-lock.json"), func(m map[string]any) {
				pkgs := m["packages"].(map[string]any)
				pkgs[""].(map[string]any)["devDependencies"] = map[string]any{"mastra": missing}
				dep := pkgs["node_modules/mastra"].(map[string]any)
				dep["resolved"] = missing
				dep["integrity"] = "sha512-" + strings.Repeat("A", 86) + "=="
			})
		}, nil, "install", "ENOENT"},
		{"BuildStepFails", nil, map[string]string{FakeBuildFail: "1"}, "build", "fake mastra: build failed on purpose"},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			r := s.runner(t, s.config(t, 1))
			dir, src := buildDir(t)
			if f.edit != nil {
				f.edit(t, src)
			}
			var log logRecorder
			a, err := r.Build(context.Background(), admin.BuildSpec{Dir: dir, SourceDir: src, Env: f.env}, log.fn)
			if err == nil {
				t.Fatalf("Build succeeded with artifact %+v, want an error\n%s", a, &log)
			}
			if log.find(f.phase, "stderr", f.want) < 0 {
				t.Errorf("no %s stderr line containing %q in the log:\n%s", f.phase, f.want, &log)
			}
			if !strings.Contains(err.Error(), f.want) {
				t.Errorf("error does not quote the tool's message %q: %v", f.want, err)
			}
		})
	}

	t.Run("InvalidSpec", func(t *testing.T) {
		r := s.runner(t, s.config(t, 1))
		_, src := buildDir(t)
		file := filepath.Join(src, "package.json")
		before := listDir(t, src)
		for _, tc := range []struct {
			name string
			spec admin.BuildSpec
		}{
			{"empty SourceDir", admin.BuildSpec{}},
			{"relative SourceDir", admin.BuildSpec{SourceDir: "src"}},
			{"missing SourceDir", admin.BuildSpec{SourceDir: filepath.Join(src, "nope")}},
			{"SourceDir is a file", admin.BuildSpec{SourceDir: file}},
			{"SourceDir outside Dir", admin.BuildSpec{Dir: t.TempDir(), SourceDir: src}},
			{"env name with '='", admin.BuildSpec{SourceDir: src, Env: map[string]string{"A=B": "x"}}},
			{"env name with a digit first", admin.BuildSpec{SourceDir: src, Env: map[string]string{"1A": "x"}}},
			{"env value with NUL", admin.BuildSpec{SourceDir: src, Env: map[string]string{"A": "x\x00y"}}},
		} {
			_, err := r.Build(context.Background(), tc.spec, nil)
			if !errors.Is(err, admin.ErrInvalidArgument) {
				t.Errorf("%s: got %v, want ErrInvalidArgument", tc.name, err)
			}
		}
		if after := listDir(t, src); !slices.Equal(before, after) {
			t.Errorf("rejected builds changed the project: before %v, after %v", before, after)
		}
	})
}

func (s *suite) testStart(t *testing.T) {
	t.Run("ServesWithEnv", func(t *testing.T) {
		cfg := s.config(t, 5)
		r := s.runner(t, cfg)
		env := map[string]string{"RUNNERTEST_GREETING": "hello world", "PORT": "1", "MASTRA_HOST": "0.0.0.0"}
		var log logRecorder
		srv, err := r.Start(context.Background(), admin.StartSpec{Artifact: s.sharedArtifact(t), Env: env}, log.fn)
		if err != nil {
			t.Fatalf("Start: %v\n%s", err, &log)
		}
		s.cleanupServer(t, cfg, srv)
		if srv.Host == "" || srv.Port == 0 || srv.Status != admin.ServerRunning || srv.Health != admin.HealthHealthy || srv.StartedAt.IsZero() {
			t.Errorf("Start returned %+v: want host, port, status running, health healthy, StartedAt", srv)
		}
		if s.h.Processes && (srv.PID <= 0 || srv.Handle == "" || srv.Port < cfg.PortMin || srv.Port > cfg.PortMax) {
			t.Errorf("Start returned pid %d, handle %q, port %d: want a pid, a handle and a port in %d-%d",
				srv.PID, srv.Handle, srv.Port, cfg.PortMin, cfg.PortMax)
		}
		if len(log.all()) == 0 {
			t.Error("Start sent no line to the log")
		}
		echo, err := GetEcho(context.Background(), srv)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{"RUNNERTEST_GREETING": "hello world",
			"PORT": strconv.Itoa(srv.Port), "MASTRA_HOST": srv.Host, "MASTRA_TELEMETRY_DISABLED": "1"} {
			if got := echo.Env[name]; got != want {
				t.Errorf("server env %s = %q, want %q", name, got, want)
			}
		}
		if h, err := r.Health(context.Background(), srv); err != nil || h != admin.HealthHealthy {
			t.Errorf("Health = %q, %v; want healthy", h, err)
		}
		if err := r.Stop(context.Background(), srv); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if h, err := r.Health(context.Background(), srv); err != nil || h != admin.HealthUnhealthy {
			t.Errorf("Health after Stop = %q, %v; want unhealthy", h, err)
		}
	})

	t.Run("ConcurrentStartsGetDistinctPorts", func(t *testing.T) {
		const n = 4
		cfg := s.config(t, n)
		r := s.runner(t, cfg)
		a := s.sharedArtifact(t)
		servers := make([]*admin.RunningServer, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { servers[i], errs[i] = r.Start(context.Background(), admin.StartSpec{Artifact: a}, nil) })
		}
		wg.Wait()
		seen := map[int]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Errorf("Start %d: %v", i, errs[i])
				continue
			}
			s.cleanupServer(t, cfg, servers[i])
			if seen[servers[i].Port] {
				t.Errorf("port %d handed out twice", servers[i].Port)
			}
			seen[servers[i].Port] = true
			if h, err := r.Health(context.Background(), servers[i]); h != admin.HealthHealthy {
				t.Errorf("server %d on port %d: health %q, %v", i, servers[i].Port, h, err)
			}
		}
	})

	if s.h.Processes {
		t.Run("SkipsPortInUse", func(t *testing.T) {
			cfg := s.config(t, 3)
			r := s.runner(t, cfg)
			l := listen(t, cfg.Host, cfg.PortMin)
			srv := s.start(t, r, cfg, nil)
			if srv.Port == cfg.PortMin || srv.Port > cfg.PortMax {
				t.Errorf("server got port %d; want one of %d-%d but not %d, which %s holds", srv.Port, cfg.PortMin, cfg.PortMax, cfg.PortMin, l.Addr())
			}
		})

		t.Run("NoFreePort", func(t *testing.T) {
			cfg := s.config(t, 1)
			r := s.runner(t, cfg)
			listen(t, cfg.Host, cfg.PortMin)
			srv, err := r.Start(context.Background(), admin.StartSpec{Artifact: s.sharedArtifact(t)}, nil)
			if err == nil {
				s.cleanupServer(t, cfg, srv)
			}
			if !errors.Is(err, admin.ErrConflict) {
				t.Fatalf("Start with every port taken: got %v, want ErrConflict", err)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(cfg.PortMin)) {
				t.Errorf("error does not name the port range: %v", err)
			}
		})
	}

	t.Run("HealthTimeoutKillsServer", func(t *testing.T) {
		cfg := s.config(t, 1)
		cfg.HealthTimeout = 2 * time.Second
		r := s.runner(t, cfg)
		pidFile := filepath.Join(t.TempDir(), "pid")
		srv, err := r.Start(context.Background(), admin.StartSpec{Artifact: s.sharedArtifact(t),
			Env: map[string]string{FakeNeverHealthy: "1", FakePIDFile: pidFile}}, nil)
		if err == nil {
			s.cleanupServer(t, cfg, srv)
			t.Fatal("Start of a server that never becomes healthy succeeded")
		}
		if s.h.Processes {
			// No pid file means the server was killed before it wrote one.
			if b, err := os.ReadFile(pidFile); err == nil {
				pid, _ := strconv.Atoi(string(b))
				if processAlive(pid) {
					t.Errorf("server pid %d still alive after Start failed", pid)
				}
			}
		}
		// The port is free again for the next start.
		cfg2 := cfg
		cfg2.HealthTimeout = 30 * time.Second
		r2 := s.runner(t, cfg2)
		s.start(t, r2, cfg2, nil)
	})

	t.Run("CrashBeforeHealthyFailsFast", func(t *testing.T) {
		cfg := s.config(t, 1)
		cfg.HealthTimeout = 10 * time.Minute // a runner that waits for it fails the test's deadline
		r := s.runner(t, cfg)
		var log logRecorder
		srv, err := r.Start(context.Background(), admin.StartSpec{Artifact: s.sharedArtifact(t),
			Env: map[string]string{FakeCrash: "1"}}, log.fn)
		if err == nil {
			s.cleanupServer(t, cfg, srv)
			t.Fatal("Start of a crashing server succeeded")
		}
		const msg = "fake server: crashing on purpose"
		if !strings.Contains(err.Error(), msg) && log.find("start", "", msg) < 0 {
			t.Errorf("neither the error nor the log shows the server's last words %q: %v\n%s", msg, err, &log)
		}
	})

	t.Run("InvalidSpec", func(t *testing.T) {
		r := s.runner(t, s.config(t, 1))
		a := s.sharedArtifact(t)
		for _, tc := range []struct {
			name string
			spec admin.StartSpec
		}{
			{"empty artifact", admin.StartSpec{}},
			{"relative Dir", admin.StartSpec{Artifact: admin.Artifact{Dir: "src", Entry: a.Entry}}},
			{"empty Entry", admin.StartSpec{Artifact: admin.Artifact{Dir: a.Dir}}},
			{"Entry escapes Dir", admin.StartSpec{Artifact: admin.Artifact{Dir: a.Dir, Entry: "../../../../etc/passwd"}}},
			{"absolute Entry", admin.StartSpec{Artifact: admin.Artifact{Dir: a.Dir, Entry: filepath.Join(a.Dir, a.Entry)}}},
			{"missing Entry", admin.StartSpec{Artifact: admin.Artifact{Dir: a.Dir, Entry: "nope.mjs"}}},
			{"bad env name", admin.StartSpec{Artifact: a, Env: map[string]string{"NO SPACES": "x"}}},
		} {
			srv, err := r.Start(context.Background(), tc.spec, nil)
			if err == nil {
				s.cleanupServer(t, s.config(t, 1), srv)
			}
			if !errors.Is(err, admin.ErrInvalidArgument) {
				t.Errorf("%s: got %v, want ErrInvalidArgument", tc.name, err)
			}
		}
		if _, err := r.Health(context.Background(), nil); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("Health(nil): got %v, want ErrInvalidArgument", err)
		}
	})
}

func (s *suite) testStop(t *testing.T) {
	if s.h.Processes {
		for _, mode := range []string{"1", "detached"} {
			t.Run("KillsChildren/"+mode, func(t *testing.T) {
				cfg := s.config(t, 1)
				r := s.runner(t, cfg)
				srv := s.start(t, r, cfg, map[string]string{FakeChild: mode})
				echo, err := GetEcho(context.Background(), srv)
				if err != nil {
					t.Fatal(err)
				}
				if echo.PID != srv.PID || echo.ChildPID <= 0 || !processAlive(echo.ChildPID) {
					t.Fatalf("echo: pid %d (server %d), child %d: want the server's pid and a live child", echo.PID, srv.PID, echo.ChildPID)
				}
				if err := r.Stop(context.Background(), srv); err != nil {
					t.Fatalf("Stop: %v", err)
				}
				for _, pid := range []int{srv.PID, echo.ChildPID} {
					if processAlive(pid) {
						t.Errorf("pid %d still alive after Stop", pid)
						_ = kill(pid)
					}
				}
			})
		}

		t.Run("EscalatesToSIGKILL", func(t *testing.T) {
			cfg := s.config(t, 1)
			cfg.StopGrace = 200 * time.Millisecond
			r := s.runner(t, cfg)
			srv := s.start(t, r, cfg, map[string]string{FakeIgnoreTerm: "1"})
			if err := r.Stop(context.Background(), srv); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if processAlive(srv.PID) {
				t.Errorf("server ignoring SIGTERM still alive after Stop")
			}
		})
	}

	t.Run("Idempotent", func(t *testing.T) {
		cfg := s.config(t, 1)
		r := s.runner(t, cfg)
		srv := s.start(t, r, cfg, nil)
		for i := range 2 {
			if err := r.Stop(context.Background(), srv); err != nil {
				t.Fatalf("Stop #%d: %v", i+1, err)
			}
		}
		other := s.runner(t, cfg)
		if err := other.Stop(context.Background(), srv); err != nil {
			t.Fatalf("Stop of a stopped server by another runner: %v", err)
		}
	})

	t.Run("InvalidInput", func(t *testing.T) {
		r := s.runner(t, s.config(t, 1))
		bad := []*admin.RunningServer{nil}
		if s.h.Processes {
			bad = append(bad,
				&admin.RunningServer{Host: "127.0.0.1", Port: 1, PID: 1, Handle: "x"},  // init: never a server
				&admin.RunningServer{Host: "127.0.0.1", Port: 1, PID: -5, Handle: "x"}, // a process group
				&admin.RunningServer{Host: "127.0.0.1", Port: 1, PID: os.Getpid()},     // no handle
			)
		}
		for _, srv := range bad {
			if err := r.Stop(context.Background(), srv); !errors.Is(err, admin.ErrInvalidArgument) {
				t.Errorf("Stop(%+v): got %v, want ErrInvalidArgument", srv, err)
			}
			if _, err := r.Reattach(context.Background(), srv); !errors.Is(err, admin.ErrInvalidArgument) {
				t.Errorf("Reattach(%+v): got %v, want ErrInvalidArgument", srv, err)
			}
		}
	})
}

// testReattach checks that a runner made after another closed (an admin
// restart) finds, manages and stops the servers the first started; with
// Harness.Processes, also their processes and ports, and that a reused pid
// is never adopted.
func (s *suite) testReattach(t *testing.T) {
	t.Run("AfterRestart", func(t *testing.T) {
		cfg := s.config(t, 2)
		first := s.h.NewRunner(t, cfg)
		var env map[string]string
		if s.h.Processes {
			env = map[string]string{FakeChild: "1"}
		}
		srv := s.start(t, first, cfg, env)
		echo, err := GetEcho(context.Background(), srv)
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		// The server outlives the runner that started it.
		second := s.runner(t, cfg)
		if h, err := second.Health(context.Background(), srv); err != nil || h != admin.HealthHealthy {
			t.Fatalf("Health after the first runner closed = %q, %v; want healthy", h, err)
		}
		ok, err := second.Reattach(context.Background(), srv)
		if err != nil || !ok {
			t.Fatalf("Reattach of a live server = %v, %v; want true", ok, err)
		}
		if s.h.Processes {
			// Its port is not handed out again while it runs.
			other := s.start(t, second, cfg, nil)
			if other.Port == srv.Port {
				t.Errorf("port %d of the reattached server handed out again", srv.Port)
			}
		}
		if err := second.Stop(context.Background(), srv); err != nil {
			t.Fatalf("Stop after Reattach: %v", err)
		}
		if s.h.Processes {
			for _, pid := range []int{srv.PID, echo.ChildPID} {
				if processAlive(pid) {
					t.Errorf("pid %d alive after Stop", pid)
					_ = kill(pid)
				}
			}
		}
		if ok, err := s.runner(t, cfg).Reattach(context.Background(), srv); err != nil || ok {
			t.Errorf("Reattach after the reattached server's Stop = %v, %v; want false", ok, err)
		}
	})

	t.Run("DeadServer", func(t *testing.T) {
		cfg := s.config(t, 1)
		r := s.runner(t, cfg)
		srv := s.start(t, r, cfg, nil)
		if err := r.Stop(context.Background(), srv); err != nil {
			t.Fatal(err)
		}
		ok, err := s.runner(t, cfg).Reattach(context.Background(), srv)
		if err != nil || ok {
			t.Errorf("Reattach of a stopped server = %v, %v; want false", ok, err)
		}
	})

	t.Run("ReusedPID", func(t *testing.T) {
		if !s.h.Processes {
			t.Skip("runnertest: pid checks need Harness.Processes")
		}
		cfg := s.config(t, 1)
		r := s.runner(t, cfg)
		srv := s.start(t, r, cfg, nil)
		second := s.runner(t, cfg)
		// The same pid with another handle stands for a pid reused by an
		// unrelated process: it must be neither adopted nor killed.
		for _, forged := range []admin.RunningServer{
			{Host: srv.Host, Port: srv.Port, PID: srv.PID, Handle: srv.Handle + "0"},
			{Host: srv.Host, Port: srv.Port, PID: os.Getpid(), Handle: "not-this-process"},
		} {
			ok, err := second.Reattach(context.Background(), &forged)
			if err != nil || ok {
				t.Errorf("Reattach(pid %d, handle %q) = %v, %v; want false", forged.PID, forged.Handle, ok, err)
			}
			if err := second.Stop(context.Background(), &forged); err != nil {
				t.Errorf("Stop(pid %d, handle %q): %v; want nil (nothing of ours runs)", forged.PID, forged.Handle, err)
			}
		}
		if !processAlive(srv.PID) {
			t.Fatal("Stop with a mismatched handle killed the process")
		}
		if h, _ := second.Health(context.Background(), srv); h != admin.HealthHealthy {
			t.Errorf("server health %q after forged stops; want healthy", h)
		}
	})
}

func (s *suite) testClose(t *testing.T) {
	cfg := s.config(t, 1)
	r := s.h.NewRunner(t, cfg)
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, src := buildDir(t)
	if _, err := r.Build(context.Background(), admin.BuildSpec{SourceDir: src}, nil); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("Build after Close: got %v, want ErrClosed", err)
	}
	if srv, err := r.Start(context.Background(), admin.StartSpec{Artifact: s.sharedArtifact(t)}, nil); !errors.Is(err, admin.ErrClosed) {
		if err == nil {
			s.cleanupServer(t, cfg, srv)
		}
		t.Errorf("Start after Close: got %v, want ErrClosed", err)
	}
}

func listen(t *testing.T, host string, port int) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("hold port %d: %v", port, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// editJSON rewrites a JSON object file through edit.
func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	edit(m)
	if b, err = json.MarshalIndent(m, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
