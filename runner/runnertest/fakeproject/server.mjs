// A stand-in for a built Mastra server, used by runnertest. It listens on
// PORT and MASTRA_HOST like the real one and answers:
//   GET  /health  {"success":true} (503 with FAKE_SERVER_NEVER_HEALTHY=1)
//   GET  /echo    {"pid", "childPid", "cwd", "runtime", "env"}
//   POST /exit?code=N  exits with status N after answering
//
// Environment:
//   FAKE_SERVER_CRASH=1         exit with status 3 at once
//   FAKE_SERVER_NEVER_HEALTHY=1 answer /health with 503
//   FAKE_SERVER_HEALTHY_WHEN=path answer /health with 503 until path exists
//   FAKE_SERVER_EXIT_AFTER_MS=N exit with status 4 N ms after listening
//   FAKE_SERVER_CHILD=1         start a child process (in the server's group)
//   FAKE_SERVER_CHILD=detached  start a child in a session of its own
//   FAKE_SERVER_IGNORE_TERM=1   ignore SIGTERM (only SIGKILL ends it)
//   FAKE_SERVER_PIDFILE=path    write the pid there at start
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
// Installed by the fake `mastra build` in .mastra/output/node_modules: the
// server needs its output folder only, as a real one does.
import { runtime } from 'fake-runtime';

const env = process.env;
if (env.FAKE_SERVER_PIDFILE) writeFileSync(env.FAKE_SERVER_PIDFILE, String(process.pid));
if (env.FAKE_SERVER_CRASH) {
  console.error('fake server: crashing on purpose');
  process.exit(3);
}

let child;
if (env.FAKE_SERVER_CHILD) {
  child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], {
    stdio: 'ignore',
    detached: env.FAKE_SERVER_CHILD === 'detached',
  });
}

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  switch (url.pathname) {
    case '/health':
      if (env.FAKE_SERVER_NEVER_HEALTHY) return json(res, 503, { success: false });
      if (env.FAKE_SERVER_HEALTHY_WHEN && !existsSync(env.FAKE_SERVER_HEALTHY_WHEN)) return json(res, 503, { success: false });
      return json(res, 200, { success: true });
    case '/echo':
      return json(res, 200, { pid: process.pid, childPid: child?.pid ?? 0, cwd: process.cwd(), runtime, env });
    case '/exit':
      if (req.method !== 'POST') return json(res, 405, { error: 'POST only' });
      json(res, 200, { exiting: true });
      return setImmediate(() => process.exit(Number(url.searchParams.get('code') ?? 1)));
    default:
      return json(res, 404, { error: 'not found' });
  }
});

process.on('SIGTERM', () => {
  if (env.FAKE_SERVER_IGNORE_TERM) {
    console.log('fake server: ignoring SIGTERM');
    return;
  }
  console.log('fake server: SIGTERM, exiting');
  server.close();
  process.exit(0);
});

const port = Number(env.PORT ?? 4111);
const host = env.MASTRA_HOST ?? '0.0.0.0';
server.listen(port, host, () => {
  console.log(`fake server: listening on ${host}:${port}`);
  if (env.FAKE_SERVER_EXIT_AFTER_MS) {
    setTimeout(() => {
      console.error('fake server: exiting on purpose');
      process.exit(4);
    }, Number(env.FAKE_SERVER_EXIT_AFTER_MS));
  }
});
