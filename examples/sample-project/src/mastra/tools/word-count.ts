import { createTool } from '@mastra/core/tools';
import { z } from 'zod';

// wordCount is deterministic and needs no network or API key, so tests can
// call it through the built server and compare exact results.
export const wordCount = createTool({
  id: 'word-count',
  description: 'Counts the words, characters and lines of a text.',
  inputSchema: z.object({
    text: z.string().describe('The text to measure'),
  }),
  outputSchema: z.object({
    words: z.number().int(),
    characters: z.number().int(),
    lines: z.number().int(),
  }),
  execute: async ({ text }) => ({
    words: text.split(/\s+/).filter(Boolean).length,
    characters: [...text].length,
    lines: text === '' ? 0 : text.split('\n').length,
  }),
});
