// Server entry for Mastra 0.x written by MastraAdmin's bundler: the entry
// `mastra build` (CLI 0.18) generates, with the admin's instrumentation
// installed before the server starts. '#mastra', '#server' and '#tools'
// are the bundler's aliases for the project's Mastra instance,
// @mastra/deployer/server and the discovered tools.
// @ts-nocheck
import { evaluate } from '@mastra/core/eval';
import { AvailableHooks, registerHook } from '@mastra/core/hooks';
import { scoreTracesWorkflow } from '@mastra/core/scores/scoreTraces';
import { TABLE_EVALS } from '@mastra/core/storage';
import { checkEvalStorageFields } from '@mastra/core/utils';
import { mastra } from '#mastra';
import { createNodeServer, getToolExports } from '#server';
import { tools } from '#tools';
import { config } from './config.mjs';
import { instrument } from './runtime/v0.mjs';

instrument(mastra, config);

await createNodeServer(mastra, { tools: getToolExports(tools) });

registerHook(AvailableHooks.ON_GENERATION, ({ input, output, metric, runId, agentName, instructions }) => {
  evaluate({ agentName, input, metric, output, runId, globalRunId: runId, instructions });
});

if (mastra.getStorage()) {
  // start storage init in the background
  mastra.getStorage().init();
  mastra.__registerInternalWorkflow(scoreTracesWorkflow);
}

registerHook(AvailableHooks.ON_EVALUATION, async (traceObject) => {
  const storage = mastra.getStorage();
  if (storage) {
    const logger = mastra?.getLogger();
    const areFieldsValid = checkEvalStorageFields(traceObject, logger);
    if (!areFieldsValid) return;
    await storage.insert({
      tableName: TABLE_EVALS,
      record: {
        input: traceObject.input,
        output: traceObject.output,
        result: JSON.stringify(traceObject.result || {}),
        agent_name: traceObject.agentName,
        metric_name: traceObject.metricName,
        instructions: traceObject.instructions,
        test_info: null,
        global_run_id: traceObject.globalRunId,
        run_id: traceObject.runId,
        created_at: new Date().toISOString(),
      },
    });
  }
});
