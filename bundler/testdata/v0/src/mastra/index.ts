import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { createTool } from '@mastra/core/tools';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { z } from 'zod';

const counts = z.object({
  words: z.number().int(),
  characters: z.number().int(),
});

export const wordCount = createTool({
  id: 'word-count',
  description: 'Counts the words and characters of a text.',
  inputSchema: z.object({ text: z.string() }),
  outputSchema: counts,
  execute: async ({ context }) => ({
    words: context.text.split(/\s+/).filter(Boolean).length,
    characters: [...context.text].length,
  }),
});

const summarize = createStep({
  id: 'summarize',
  description: 'Describes the counts in one sentence.',
  inputSchema: counts,
  outputSchema: counts.extend({ summary: z.string() }),
  execute: async ({ inputData, mastra }) => {
    mastra?.getLogger()?.warn('fixture summarize step', { words: inputData.words });
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
  name: 'Text Agent',
  instructions: 'You measure texts with the word-count tool.',
  model: 'openai/gpt-4o-mini',
  tools: { wordCount },
});

// No logger, no server config, no observability: the admin's defaults.
export const mastra = new Mastra({
  agents: { textAgent },
  workflows: { textStats },
  tools: { wordCount },
});
