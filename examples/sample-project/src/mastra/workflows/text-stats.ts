import { createStep, createWorkflow } from '@mastra/core/workflows';
import { z } from 'zod';
import { wordCount } from '../tools/word-count';

const counts = z.object({
  words: z.number().int(),
  characters: z.number().int(),
  lines: z.number().int(),
});

// Step 1 runs the word-count tool.
const count = createStep(wordCount);

// Step 2 turns the counts into a sentence, and logs it: deployed through
// MastraAdmin, the line is recorded with the trace and span of this step.
const summarize = createStep({
  id: 'summarize',
  description: 'Describes the counts in one sentence.',
  inputSchema: counts,
  outputSchema: counts.extend({ summary: z.string() }),
  execute: async ({ inputData, mastra }) => {
    const summary = `${inputData.words} words, ${inputData.characters} characters, ${inputData.lines} lines`;
    mastra?.getLogger()?.info('text summarized', { words: inputData.words });
    return { ...inputData, summary };
  },
});

// textStats measures a text in two steps: count, then summarize.
export const textStats = createWorkflow({
  id: 'text-stats',
  description: 'Measures a text and summarizes the result.',
  inputSchema: z.object({ text: z.string() }),
  outputSchema: counts.extend({ summary: z.string() }),
})
  .then(count)
  .then(summarize)
  .commit();
