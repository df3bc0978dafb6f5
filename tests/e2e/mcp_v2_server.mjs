// An MCP server on the 2026-07-28 SDK (@modelcontextprotocol/server 2.x),
// for the gateway tests: one tool, `multiply`, and server instructions.
// serveStdio answers both eras: `initialize` (2025) and `server/discover`
// with a version in every request's _meta (2026-07-28, stateless).
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

serveStdio(() => {
  const server = new McpServer({ name: 'calc-v2', version: '2.0.0' }, { instructions: 'Multiplies numbers.' });
  server.registerTool('multiply',
    { description: 'Multiplies two numbers.', inputSchema: z.object({ a: z.number(), b: z.number() }) },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a * b) }] }));
  return server;
});
