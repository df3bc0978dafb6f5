// An MCP server on the 2026-07-28 SDK (@modelcontextprotocol/server 2.x),
// for the gateway tests: one tool, `multiply`, and server instructions.
import { McpServer } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

const server = new McpServer({ name: 'calc-v2', version: '2.0.0' }, { instructions: 'Multiplies numbers.' });
server.registerTool('multiply', { description: 'Multiplies two numbers.', inputSchema: z.object({ a: z.number(), b: z.number() }) },
  async ({ a, b }) => ({ content: [{ type: 'text', text: String(a * b) }] }));
await server.connect(new StdioServerTransport());
