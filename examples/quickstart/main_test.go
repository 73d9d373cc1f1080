package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// quickstart is one run of the quickstart, serving, in the test's
// environment (see setEnv).
type quickstart struct {
	out    *apitest.Buffer
	done   chan error
	cancel context.CancelFunc
	once   sync.Once
	err    error
}

// setEnv points the quickstart at a temporary data directory, the examples
// folder (whose only Mastra project is sample-project) and free loopback
// ports, and stops every deployment it made when the test ends. It returns
// the proxy's address.
func setEnv(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := l.Addr().String()
	l.Close()
	t.Setenv("MASTRA_ADMIN_DATA", t.TempDir())
	t.Setenv("PROJECTS_DIR", "..")
	t.Setenv("PROXY_ADDR", proxyAddr)
	t.Setenv("API_ADDR", "127.0.0.1:0")
	t.Cleanup(func() {
		if err := run(context.Background(), mode{stop: true, out: io.Discard}); err != nil {
			t.Errorf("stop the deployed servers: %v", err)
		}
	})
	return proxyAddr
}

// start runs the quickstart in the background until stop, or the end of
// the test (before setEnv's clean-up).
func start(t *testing.T, m mode) *quickstart {
	q := &quickstart{out: &apitest.Buffer{}, done: make(chan error, 1)}
	m.out = q.out
	ctx, cancel := context.WithCancel(context.Background())
	q.cancel = cancel
	go func() { q.done <- run(ctx, m) }()
	t.Cleanup(func() { _ = q.stop() })
	return q
}

// stop ends the run and returns its error.
func (q *quickstart) stop() error {
	q.once.Do(func() {
		q.cancel()
		q.err = <-q.done
	})
	return q.err
}

var apiLine = regexp.MustCompile(`==> API on (http://\S+) as `)

// apiURL waits for the quickstart to announce its API and returns its URL.
func (q *quickstart) apiURL(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if m := apiLine.FindStringSubmatch(q.out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-q.done:
			t.Fatalf("quickstart ended before serving its API: %v\n%s", err, q.out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("the quickstart did not announce its API in time\n%s", q.out)
	return ""
}

// TestQuickstartDeploysTheSampleProject is the README's first command end
// to end, for real: it discovers examples/sample-project (a Mastra 1.x
// project), installs it with npm (provisioning Node 22 when the machine's
// is older), builds it with the mastra CLI, starts it, and runs its
// workflow through the reverse proxy; meanwhile it serves the HTTP API,
// whose token it keeps in the data directory. A second run on the same
// state redeploys it with the same token. Minutes on a cold machine; the
// npm, Node and dependency caches under ~/.cache/mastra-admin make later
// runs faster.
func TestQuickstartDeploysTheSampleProject(t *testing.T) {
	proxyAddr := setEnv(t)
	only := "sample-agent"

	// First run: deploy and serve until the workflow answers through the
	// proxy.
	begin := time.Now()
	q := start(t, mode{only: only})
	api := q.apiURL(t)
	tokenPath := filepath.Join(os.Getenv("MASTRA_ADMIN_DATA"), tokenFile)
	token := readToken(t, tokenPath)
	var me admin.User
	(&apitest.Client{T: t, URL: api, Token: token}).Do("GET", "/v1/me", nil).Must(t, http.StatusOK, &me)
	if me.Email != adminEmail {
		t.Errorf("the token's user is %q, want %q", me.Email, adminEmail)
	}
	result := runWorkflow(t, proxyAddr, q)
	firstProjects := projectIDs(t, api, token)
	cold := time.Since(begin)
	if err := q.stop(); err != nil {
		t.Fatalf("quickstart: %v\n%s", err, q.out)
	}
	if result.Status != "success" || result.Result.Words != 5 || result.Result.Lines != 2 {
		t.Fatalf("workflow result %+v", result)
	}
	for _, want := range []string{"[copy   ]", "[install]", "[build  ]", "[start  ]", "[health ]", "is live at http://sample-agent.localhost:",
		"authorization: Bearer $(cat " + tokenPath + ")"} {
		if !strings.Contains(q.out.String(), want) {
			t.Errorf("quickstart output lacks %q", want)
		}
	}
	if strings.Contains(q.out.String(), token) {
		t.Error("the quickstart printed its API token")
	}

	// Second run on the same state: the same team, project and token, a
	// new build.
	out2 := &apitest.Buffer{}
	begin = time.Now()
	if err := run(context.Background(), mode{once: true, only: only, out: out2}); err != nil {
		t.Fatalf("second run: %v\n%s", err, out2)
	}
	warm := time.Since(begin)
	if strings.Count(out2.String(), "==> deploying") != 1 || !strings.Contains(out2.String(), "is live") {
		t.Fatalf("second run output:\n%s", out2)
	}
	if again := readToken(t, tokenPath); again != token {
		t.Error("the second run replaced a valid API token")
	}
	if !strings.Contains(out2.String(), "reusing the build output of an identical earlier build") {
		t.Errorf("the redeploy of the unchanged project built again:\n%s", out2)
	}

	// A third run that only serves: the redeployed server answers through
	// the proxy, for the same team and project.
	q3 := start(t, mode{only: "none"})
	api3 := q3.apiURL(t)
	if r := runWorkflow(t, proxyAddr, q3); r.Status != "success" || r.Result.Words != 5 {
		t.Errorf("workflow after the redeploy: %+v", r)
	}
	if again := projectIDs(t, api3, token); !slices.Equal(again, firstProjects) {
		t.Errorf("projects after the second run: %v, want the first run's %v", again, firstProjects)
	}
	if err := q3.stop(); err != nil {
		t.Fatalf("third run: %v\n%s", err, q3.out)
	}
	t.Logf("first deploy to a workflow answer: %v; redeploy on the same state: %v (%.2fx)", cold.Round(time.Millisecond),
		warm.Round(time.Millisecond), warm.Seconds()/cold.Seconds())
}

// TestEnsureToken: the token file is made 0600 on the first run, kept
// while its token authenticates, and replaced when it is missing, garbled
// or revoked; older quickstart tokens are revoked then.
func TestEnsureToken(t *testing.T) {
	env := apitest.New(t, nil)
	ctx, err := signIn(context.Background(), env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), tokenFile)
	ensure := func() string {
		t.Helper()
		if err := ensureToken(ctx, env.Admin, path); err != nil {
			t.Fatal(err)
		}
		return readToken(t, path)
	}
	valid := func(secret string) bool {
		_, err := env.Admin.AuthenticateToken(ctx, secret)
		return err == nil
	}
	first := ensure()
	if !valid(first) {
		t.Fatal("the token made does not authenticate")
	}
	if again := ensure(); again != first {
		t.Fatal("a valid token was replaced")
	}

	if err := os.WriteFile(path, []byte("mat_garbled\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := ensure() // readToken checks it is 0600 again
	if second == first || !valid(second) || valid(first) {
		t.Fatalf("after a garbled file: new token valid %v, old token valid %v", valid(second), valid(first))
	}

	toks, err := env.Admin.ListTokens(ctx, admin.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks.Items {
		if tok.RevokedAt == nil {
			if err := env.Admin.RevokeToken(ctx, tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if third := ensure(); third == second || !valid(third) {
		t.Fatal("a revoked token was kept")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if fourth := ensure(); !valid(fourth) {
		t.Fatal("no valid token after the file was removed")
	}
}

// readToken returns the API token in the file at path, which must be
// readable by its owner only.
func readToken(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

type workflowRun struct {
	Status string `json:"status"`
	Result struct {
		Words   int    `json:"words"`
		Lines   int    `json:"lines"`
		Summary string `json:"summary"`
	} `json:"result"`
}

// runWorkflow polls the sample project's workflow through the proxy until it
// answers, the quickstart fails, or ten minutes pass.
// projectIDs lists, through the API, the team ids and project ids there
// are.
func projectIDs(t *testing.T, api, token string) []string {
	t.Helper()
	c := &apitest.Client{T: t, URL: api, Token: token}
	var teams struct{ Items []admin.Team }
	c.Do("GET", "/v1/teams", nil).Must(t, http.StatusOK, &teams)
	var ids []string
	for _, team := range teams.Items {
		var projects struct{ Items []admin.Project }
		c.Do("GET", "/v1/teams/"+team.ID+"/projects", nil).Must(t, http.StatusOK, &projects)
		ids = append(ids, team.ID)
		for _, p := range projects.Items {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

func runWorkflow(t *testing.T, proxyAddr string, q *quickstart) workflowRun {
	t.Helper()
	url := fmt.Sprintf("http://%s/api/workflows/textStats/start-async", proxyAddr)
	body := `{"inputData":{"text":"hello mastra admin\nsecond line"}}`
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-q.done:
			t.Fatalf("quickstart ended before serving: %v\n%s", err, q.out)
		default:
		}
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Host = "sample-agent.localhost" // host routing, as curl to sample-agent.localhost would
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				var r workflowRun
				if err := json.Unmarshal(b, &r); err != nil {
					t.Fatalf("workflow answer %s: %v", b, err)
				}
				return r
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("the workflow did not answer through the proxy in time\n%s", q.out)
	return workflowRun{}
}

// TestFirstRunErrors: a setting that cannot work stops the quickstart with
// one line naming its environment variable, before the data directory is
// made.
func TestFirstRunErrors(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct{ name, env, value, want string }{
		{"API address taken", "API_ADDR", taken.Addr().String(), "invalid API_ADDR: " + taken.Addr().String() + " is in use"},
		{"proxy address taken", "PROXY_ADDR", taken.Addr().String(), "invalid PROXY_ADDR: " + taken.Addr().String() + " is in use"},
		{"bad port range", "SERVER_PORTS", "4199-4100", `invalid SERVER_PORTS: "4199-4100" is not a port range`},
		{"no projects", "PROJECTS_DIR", "no-such-dir", "invalid PROJECTS_DIR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			t.Setenv("MASTRA_ADMIN_DATA", data)
			t.Setenv("PROJECTS_DIR", "..")
			t.Setenv("API_ADDR", "127.0.0.1:0")
			t.Setenv("PROXY_ADDR", "127.0.0.1:0")
			t.Setenv(tc.env, tc.value)
			err := run(context.Background(), mode{once: true, out: io.Discard})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("run = %v; want one line containing %q", err, tc.want)
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				t.Errorf("the data directory was made by a failed first run (%v)", err)
			}
		})
	}
}
