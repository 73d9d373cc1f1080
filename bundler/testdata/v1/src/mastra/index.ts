import { Agent } from '@mastra/core/agent';
import { MastraLogger } from '@mastra/core/logger';
import { Mastra } from '@mastra/core/mastra';
import { createTool } from '@mastra/core/tools';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { z } from 'zod';

// FixtureLogger is the project's own logger: it prints marked lines, so a
// test can tell that it still receives log calls once the admin's logger
// is installed in front of it.
class FixtureLogger extends MastraLogger {
  constructor() {
    super({ name: 'fixture-logger', level: 'debug' as any });
  }
  debug(message: string, ...args: any[]) {
    this.print('debug', message, args);
  }
  info(message: string, ...args: any[]) {
    this.print('info', message, args);
  }
  warn(message: string, ...args: any[]) {
    this.print('warn', message, args);
  }
  error(message: string, ...args: any[]) {
    this.print('error', message, args);
  }
  private print(level: string, message: string, _args: unknown[]) {
    process.stdout.write(`FIXTURE-LOGGER ${level} ${message}\n`);
  }
}

const counts = z.object({
  words: z.number().int(),
  characters: z.number().int(),
});

export const wordCount = createTool({
  id: 'word-count',
  description: 'Counts the words and characters of a text.',
  inputSchema: z.object({ text: z.string() }),
  outputSchema: counts,
  execute: async ({ text }) => ({
    words: text.split(/\s+/).filter(Boolean).length,
    characters: [...text].length,
  }),
});

const summarize = createStep({
  id: 'summarize',
  description: 'Describes the counts in one sentence.',
  inputSchema: counts,
  outputSchema: counts.extend({ summary: z.string() }),
  execute: async ({ inputData, mastra }) => {
    mastra?.getLogger()?.info('fixture summarize step', { words: inputData.words });
    return { ...inputData, summary: `${inputData.words} words, ${inputData.characters} characters` };
  },
});

export const textStats = createWorkflow({
  id: 'text-stats',
  description: 'Counts, then summarizes.',
  inputSchema: z.object({ text: z.string() }),
  outputSchema: counts.extend({ summary: z.string() }),
})
  .then(createStep(wordCount))
  .then(summarize)
  .commit();

export const textAgent = new Agent({
  id: 'text-agent',
  name: 'Text Agent',
  instructions: 'You measure texts with the word-count tool.',
  model: 'openai/gpt-4o-mini',
  tools: { wordCount },
});

// usage is what the mock model reports for every call.
const usage = { inputTokens: 12, outputTokens: 7, totalTokens: 19 };
const reply = 'Three words here.';

// mockModel is a language model (the AI SDK's LanguageModelV2 contract, as
// its MockLanguageModelV2 implements it) that answers without a network or
// an API key, so that a test can run a real agent and find a real
// model_generation span with token usage. Its id is a priced model's.
const mockModel = {
  specificationVersion: 'v2' as const,
  provider: 'openai.chat',
  modelId: 'gpt-4o-mini',
  supportedUrls: {},
  async doGenerate() {
    return { content: [{ type: 'text' as const, text: reply }], finishReason: 'stop' as const, usage, warnings: [] };
  },
  async doStream() {
    const parts = [
      { type: 'stream-start', warnings: [] },
      { type: 'response-metadata', id: 'fixture-response', modelId: 'gpt-4o-mini', timestamp: new Date(0) },
      { type: 'text-start', id: 't1' },
      { type: 'text-delta', id: 't1', delta: reply },
      { type: 'text-end', id: 't1' },
      { type: 'finish', finishReason: 'stop', usage },
    ];
    return {
      stream: new ReadableStream<any>({
        start(c) {
          for (const p of parts) c.enqueue(p);
          c.close();
        },
      }),
    };
  },
};

export const mockAgent = new Agent({
  id: 'mock-agent',
  name: 'Mock Agent',
  instructions: 'Answer briefly.',
  model: mockModel as any,
});

export const mastra = new Mastra({
  agents: { textAgent, mockAgent },
  workflows: { textStats },
  tools: { wordCount },
  logger: new FixtureLogger(),
  // The admin's PORT must win over this.
  server: { port: 4999 },
});
