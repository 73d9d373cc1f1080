#!/usr/bin/env node
// A stand-in for the mastra CLI, installed by runnertest's fake project from
// a local tarball. `mastra build` prints a few lines on both streams and
// writes the fake server to .mastra/output/index.mjs, with a package it
// imports in .mastra/output/node_modules, like the real CLI.
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
  // Like the real CLI: a fresh output folder with the server and the
  // dependencies it needs at run time in its own node_modules.
  const out = path.join(process.cwd(), '.mastra', 'output');
  fs.rmSync(out, { recursive: true, force: true });
  const runtime = path.join(out, 'node_modules', 'fake-runtime');
  fs.mkdirSync(runtime, { recursive: true });
  fs.writeFileSync(path.join(runtime, 'package.json'),
    JSON.stringify({ name: 'fake-runtime', version: '1.0.0', type: 'module', main: 'index.mjs' }));
  fs.writeFileSync(path.join(runtime, 'index.mjs'), "export const runtime = 'fake-runtime';\n");
  fs.copyFileSync(path.join(__dirname, 'server.mjs'), path.join(out, 'index.mjs'));
  console.log('fake mastra: build successful');
}
