import { Agent } from '@mastra/core/agent';
import { wordCount } from '../tools/word-count';

// textAgent needs OPENAI_API_KEY only when it is called: the server starts
// without one.
export const textAgent = new Agent({
  id: 'text-agent',
  name: 'Text Agent',
  instructions:
    'You help people measure texts. Use the word-count tool to count words, characters and lines.',
  model: 'openai/gpt-4o-mini',
  tools: { wordCount },
});
