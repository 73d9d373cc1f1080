// Server entry for Mastra 1.x written by MastraAdmin's bundler: the entry
// `mastra build` (CLI 1.x) generates, with the admin's instrumentation
// installed before the server starts. '#mastra', '#server' and '#tools'
// are the bundler's aliases for the project's Mastra instance,
// @mastra/deployer/server and the discovered tools.
// @ts-nocheck
import { scoreTracesWorkflow } from '@mastra/core/evals/scoreTraces';
import { mastra } from '#mastra';
import { createNodeServer, getToolExports } from '#server';
import { tools } from '#tools';
import { config } from './config.mjs';
import { instrument } from './runtime/v1.mjs';

instrument(mastra, config);

await createNodeServer(mastra, { tools: getToolExports(tools), studio: false });

const storage = mastra.getStorage();
if (storage) {
  if (!storage.disableInit) {
    storage.init();
  }
  mastra.__registerInternalWorkflow(scoreTracesWorkflow);
}
