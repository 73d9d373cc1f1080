// Faithful build: what `mastra build` does, with MastraAdmin's wrapper
// entry instead of the CLI's. It subclasses Bundler from the project's own
// @mastra/deployer, so the user's bundler options (externals, sourcemap,
// transpilePackages…), tool discovery, dependency analysis, the output's
// package.json and its npm install are exactly the deployer's.
//
// Usage: node build.mjs '{"root":…,"mastraDir":…,"mastraEntryFile":…,
//   "entryFile":…,"outputDirectory":…}'
// (absolute paths; outputDirectory is the .mastra folder).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConsoleLogger } from '@mastra/core/logger';
import * as deployerBundler from '@mastra/deployer/bundler';

const opts = JSON.parse(process.argv[2] ?? '{}');
for (const k of ['root', 'mastraDir', 'mastraEntryFile', 'entryFile', 'outputDirectory']) {
  if (typeof opts[k] !== 'string' || !opts[k]) {
    console.error(`mastra-admin build: option ${k} is missing`);
    process.exit(2);
  }
}

const { Bundler, IS_DEFAULT } = deployerBundler;

class AdminBundler extends Bundler {
  constructor() {
    super('MastraAdmin');
    // As the CLI's BuildBundler (1.x); 0.x has no platform setting.
    if ('platform' in this) this.platform = 'node';
  }

  // As the CLI: .env files unless MASTRA_SKIP_DOTENV.
  getEnvFiles() {
    const skip = process.env.MASTRA_SKIP_DOTENV === 'true' || process.env.MASTRA_SKIP_DOTENV === '1';
    if (skip) return Promise.resolve([]);
    return Promise.resolve(['.env', '.env.local', '.env.production'].filter((f) => existsSync(join(opts.root, f))));
  }
}

// Deployer 1.x: the CLI keeps every dependency external unless the
// project chose its own externals.
if (typeof Bundler.prototype.getUserBundlerOptions === 'function') {
  AdminBundler.prototype.getUserBundlerOptions = async function (mastraEntryFile, outputDirectory) {
    const options = await Bundler.prototype.getUserBundlerOptions.call(this, mastraEntryFile, outputDirectory);
    if (IS_DEFAULT !== undefined && !options[IS_DEFAULT] && options.externals !== undefined) return options;
    return { ...options, externals: true };
  };
}

// entryCode returns the wrapper entry's code with its relative imports made
// absolute: the deployer bundles the entry as a virtual module, which has no
// folder of its own. (Importing the entry file from a one-line virtual entry
// does not work: the deployer's "smallest" tree-shaking drops a module whose
// bindings are unused, top-level code and all.)
function entryCode(file) {
  const dir = dirname(file);
  return readFileSync(file, 'utf8').replace(
    /(\bfrom\s*|\bimport\s*)(['"])(\.\.?\/[^'"]+)\2/g,
    (_, keyword, _quote, spec) => keyword + JSON.stringify(resolve(dir, spec)),
  );
}

try {
  const bundler = new AdminBundler();
  bundler.__setLogger(new ConsoleLogger({ name: 'MastraAdmin build', level: 'info' }));
  const toolsPaths = bundler.getAllToolPaths(opts.mastraDir, []);
  await bundler.prepare(opts.outputDirectory);
  const serverFile = entryCode(opts.entryFile);
  await bundler._bundle(
    serverFile,
    opts.mastraEntryFile,
    { outputDirectory: opts.outputDirectory, projectRoot: opts.root },
    toolsPaths,
  );
  console.log('mastra-admin build: done');
} catch (err) {
  const details = typeof err?.toJSONDetails === 'function' ? JSON.stringify(err.toJSONDetails()) : '';
  console.error(`mastra-admin build failed: ${err?.stack ?? err}${details ? `\n${details}` : ''}`);
  process.exit(1);
}
