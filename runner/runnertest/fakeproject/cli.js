#!/usr/bin/env node
// A stand-in for the mastra CLI, installed by runnertest's fake project from
// a local tarball. `mastra build` prints a few lines on both streams and
// writes the fake server to .mastra/output/index.mjs, like the real CLI.
//
// Environment (from BuildSpec.Env):
//   FAKE_MASTRA_FAIL=1   fail the build with exit status 1
//   FAKE_MASTRA_HANG=1   print "pid=N" and never exit (cancellation tests)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [cmd] = process.argv.slice(2);
if (cmd !== 'build') {
  console.error(`fake mastra: unknown command ${cmd}`);
  process.exit(2);
}
console.log('fake mastra: analyzing dependencies');
console.error('fake mastra: warning on stderr');
if (process.env.FAKE_MASTRA_HANG) {
  console.log(`fake mastra: hanging pid=${process.pid}`);
  setInterval(() => {}, 1 << 30);
} else if (process.env.FAKE_MASTRA_FAIL) {
  console.error('fake mastra: build failed on purpose');
  process.exit(1);
} else {
  const out = path.join(process.cwd(), '.mastra', 'output');
  fs.mkdirSync(out, { recursive: true });
  fs.copyFileSync(path.join(__dirname, 'server.mjs'), path.join(out, 'index.mjs'));
  console.log('fake mastra: build successful');
}
