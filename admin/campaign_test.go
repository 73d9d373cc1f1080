package admin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
)

// The kill campaign: an admin process deploys the fake project again and
// again (each time with another env var value, so that the build output
// cache misses and every step runs) and is SIGKILLed within one step of its
// second deploy (the first leaves a server for it to replace);
// a new admin recovers on the same state; then nothing may be lost, run
// twice, orphaned or left without its record. Repeated many times, the
// kills land in every step of a deploy.

// campaignChild deploys until killed, reporting on stdout:
//
//	STARTED                 once the admin runs
//	DEPLOY {build}          a build was queued
//	STEP {build} {step}     the build reached a step: copy, install, build,
//	                        start, route (the route switched to the new
//	                        server; the old one is being stopped), done
func campaignChild(ctx context.Context, s *stack, a *admin.Admin) error {
	project, deployment := os.Getenv("MASTRA_ADMIN_TEST_PROJECT"), os.Getenv("MASTRA_ADMIN_TEST_DEPLOYMENT")
	fmt.Println("STARTED")
	for round := 0; ; round++ {
		secret := fmt.Sprintf("campaign-secret-%d-%d", os.Getpid(), round)
		if _, err := a.SetEnvVars(ctx, project, map[string]string{"CAMPAIGN_ROUND": strconv.Itoa(round), "CAMPAIGN_SECRET": secret}); err != nil {
			return err
		}
		b, err := a.Deploy(ctx, deployment)
		if err != nil {
			return err
		}
		fmt.Println("DEPLOY", b.ID)
		lines, err := a.FollowBuildLogs(ctx, b.ID, 0)
		if err != nil {
			return err
		}
		step := ""
		for l, err := range lines {
			if err != nil {
				return err
			}
			next := l.Phase
			if l.Phase == "admin" && strings.HasPrefix(l.Text, "serving at") {
				next = "route"
			}
			if slices.Contains([]string{"copy", "install", "build", "start", "route"}, next) && next != step {
				step = next
				fmt.Println("STEP", b.ID, step)
			}
		}
		for {
			cur, err := a.GetBuild(ctx, b.ID)
			if err != nil {
				return err
			}
			if cur.CompletedAt != nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		fmt.Println("STEP", b.ID, "done")
	}
}

// campaignSteps are the steps of a deploy the campaign aims its kills at,
// in order; "queued" is right after Deploy returned, "done" after the
// build completed.
var campaignSteps = []string{"queued", "copy", "install", "build", "start", "route", "done"}

// campaignRound runs the campaign child on e's state and SIGKILLs it jitter
// after its second deploy reached target (the first deploy runs whole, so
// that a server is there to replace). It returns the step the child had
// last reported when the kill came and the builds it queued.
func campaignRound(t *testing.T, e *deployEnv, userID, target string, jitter time.Duration) (string, []string) {
	t.Helper()
	cmd, stdout := startChild(t, e, userID, "campaign")
	type report struct{ fields []string }
	reports := make(chan report, 1024)
	go func() {
		defer close(reports)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 0 {
				reports <- report{f}
			}
		}
	}()
	step, builds := "", []string(nil)
	var kill <-chan time.Time
	handle := func(f []string) {
		switch f[0] {
		case "DEPLOY":
			builds = append(builds, f[1])
			step = "queued"
		case "STEP":
			step = f[2]
		case "CHILD":
			t.Fatalf("the campaign child failed: %v", f)
		default:
			return
		}
		if kill == nil && len(builds) == 2 && step == target {
			kill = time.After(jitter)
		}
	}
	for killed := false; !killed; {
		select {
		case r, ok := <-reports:
			if !ok {
				t.Fatal("the campaign child ended before it was killed")
			}
			handle(r.fields)
		case <-time.After(time.Minute):
			t.Fatalf("the campaign child did not reach step %s in time (last: %s)", target, step)
		case <-kill:
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	for r := range reports { // lines written before the kill
		handle(r.fields)
	}
	return step, builds
}

// statePIDs lists the processes running from the admin's state directory
// (builds, servers): their command line or working directory is in it.
func statePIDs(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		cwd, _ := os.Readlink(filepath.Join("/proc", ent.Name(), "cwd"))
		if strings.Contains(string(cmdline), dir) || strings.HasPrefix(cwd, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestKillCampaign SIGKILLs a deploying admin in each step of a deploy,
// several times each (MASTRA_ADMIN_TEST_CAMPAIGN_KILLS per step, default
// 3), at a random moment within the step, and checks after each recovery:
// no build lost or stuck, none run again, no process without a server
// record, no running record without its process, at most one server per
// deployment, and the route serving. It logs where the kills landed and
// the counts (all must be 0).
func TestKillCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts an admin process many times")
	}
	perStep := 3
	if n, err := strconv.Atoi(os.Getenv("MASTRA_ADMIN_TEST_CAMPAIGN_KILLS")); err == nil && n > 0 {
		perStep = n
	}
	rounds := perStep * len(campaignSteps)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	t.Logf("seed %d", seed)
	e := newDeployEnv(t)
	root := rootOf(t, e)
	landed := map[string]int{}
	var lost, runTwice, orphans, recordsWithoutProcess, doubleServers, notServing int
	began := time.Now()
	for round := range rounds {
		target := campaignSteps[round%len(campaignSteps)]
		step, builds := campaignRound(t, e, root, target, time.Duration(rng.Int64N(int64(5*time.Millisecond))))
		landed[step]++
		restarted(t, e)
		all := must[admin.List[*admin.Build]](t)(e.a.ListBuilds(e.ctx, e.prod.ID, admin.Page{}))
		for _, b := range all.Items {
			e.waitBuild(t, b.ID) // none stays queued or in flight
		}
		for _, id := range builds {
			b, err := e.a.GetBuild(e.ctx, id)
			if err != nil {
				lost++
				t.Errorf("build %s queued by the killed admin: %v", id, err)
				continue
			}
			// This admin only fails the killed admin's builds in flight;
			// one that ran again would show its steps in this admin's log.
			if b.StartedAt != nil && strings.Contains(e.heldText(t, id), "copying the project source") &&
				strings.Contains(e.heldText(t, id), "the admin restarted during this build") {
				runTwice++
				t.Errorf("build %s ran again after the restart:\n%s", id, e.heldText(t, id))
			}
		}
		// Reaped build processes take a moment to go.
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if len(strays(t, e)) == 0 {
				break
			}
		}
		live := e.liveServers(t)
		for _, s := range live {
			if !alive(s.PID) {
				recordsWithoutProcess++
				t.Errorf("server %s is recorded running, but pid %d is gone", s.ID, s.PID)
			}
		}
		for _, pid := range strays(t, e) {
			orphans++
			cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
			t.Errorf("pid %d runs from the state directory without a server record (killed at step %s): %s", pid, step,
				strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
		if len(live) > 1 {
			doubleServers++
			t.Errorf("%d servers running for one deployment after recovery", len(live))
		}
		if len(live) == 1 {
			if code, body := e.get("app.localhost", "/health"); code != 200 {
				notServing++
				t.Errorf("not serving after recovery (step %s): %d %s", step, code, body)
			}
		}
	}
	leaks := secretLeaks(t, e)
	var where []string
	for _, s := range campaignSteps {
		where = append(where, fmt.Sprintf("%s %d", s, landed[s]))
	}
	testenv.Figure(t, "kill campaign: %d SIGKILLs in %s; last step reached when killed: %s", rounds,
		time.Since(began).Round(time.Second), strings.Join(where, ", "))
	testenv.Figure(t, "after recovery: builds lost %d, run twice %d, processes without a record %d, records without a process %d, deployments with two servers %d, routes not serving %d; env var values found in logs, state and audit events %d",
		lost, runTwice, orphans, recordsWithoutProcess, doubleServers, notServing, leaks)
}

// secretLeaks scans everything the campaign left for the values of its
// CAMPAIGN_SECRET env var ("campaign-secret-…", a new one each deploy):
// every file of the admin's state (the database, where env vars are
// encrypted; build logs in file storage; server logs; build directories
// but the deployed servers' own environment files, of which there are
// none) and the audit events. It reports each hit and returns how many.
func secretLeaks(t *testing.T, e *deployEnv) int {
	t.Helper()
	const marker = "campaign-secret-"
	// The values did reach the servers: the scan looks for something real.
	live := e.liveServers(t)
	if len(live) == 0 {
		t.Fatal("no server running after the campaign")
	}
	if env, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(live[0].PID), "environ")); err != nil || !strings.Contains(string(env), marker) {
		t.Fatalf("the running server's environment has no %s value (%v)", marker, err)
	}
	hits := 0
	err := filepath.WalkDir(e.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil // removed meanwhile, or not a file
		}
		if strings.Contains(path, string(filepath.Separator)+"node_modules"+string(filepath.Separator)) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		if strings.Contains(string(b), marker) {
			hits++
			t.Errorf("an env var value is in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	events := must[admin.List[*admin.AuditEvent]](t)(e.a.ListAudit(e.ctx, admin.AuditFilter{}, admin.Page{}))
	for _, ev := range events.Items {
		if b, _ := json.Marshal(ev); strings.Contains(string(b), marker) {
			hits++
			t.Errorf("an env var value is in audit event %s", b)
		}
	}
	return hits
}

// strays returns the processes running from e's state directory that are
// neither a running server on record nor a child of one.
func strays(t *testing.T, e *deployEnv) []int {
	want := map[int]bool{}
	for _, s := range e.liveServers(t) {
		want[s.PID] = true
	}
	var out []int
	for _, pid := range statePIDs(t, e.dir) {
		if !want[pid] && !childOfServer(pid, want) {
			out = append(out, pid)
		}
	}
	return out
}

// childOfServer reports whether pid's parent is one of the servers (a
// server's own children are its business).
func childOfServer(pid int, servers map[int]bool) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true // gone meanwhile
	}
	// pid (comm) state ppid …; comm may hold spaces and parentheses.
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 2 {
		return false
	}
	ppid, _ := strconv.Atoi(f[1])
	return servers[ppid]
}
