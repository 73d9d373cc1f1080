import { Mastra } from '@mastra/core/mastra';
import { textAgent } from './agents/text-agent';
import { wordCount } from './tools/word-count';
import { textStats } from './workflows/text-stats';

export const mastra = new Mastra({
  agents: { textAgent },
  workflows: { textStats },
  tools: { wordCount },
});
