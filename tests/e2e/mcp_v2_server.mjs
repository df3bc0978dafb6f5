// An MCP server on the 2026-07-28 SDK (@modelcontextprotocol/server 2.x),
// for the gateway tests: `multiply`, server instructions, and two tools that
// ask the client for input with multi-round-trip answers: `deploy` asks
// its user to confirm (elicitation), `summarize` asks its model (sampling).
// serveStdio answers both eras: `initialize` (2025) and `server/discover`
// with a version in every request's _meta (2026-07-28, stateless).
import { McpServer, acceptedContent, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

serveStdio(() => {
  const server = new McpServer({ name: 'calc-v2', version: '2.0.0' }, { instructions: 'Multiplies numbers.' });
  server.registerTool('multiply',
    { description: 'Multiplies two numbers.', inputSchema: z.object({ a: z.number(), b: z.number() }) },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a * b) }] }));
  const confirmation = z.object({ confirm: z.boolean() });
  server.registerTool('deploy',
    { description: 'Deploys after the user confirms.', inputSchema: z.object({ env: z.string() }) },
    async ({ env }, ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', confirmation);
      if (answer?.confirm !== true) {
        return inputRequired({
          inputRequests: { confirm: inputRequired.elicit({ message: `Deploy to ${env}?`, requestedSchema: confirmation }) },
        });
      }
      return { content: [{ type: 'text', text: `deployed to ${env}` }] };
    });
  server.registerTool('summarize',
    { description: 'Summarizes a text with the client\'s model.', inputSchema: z.object({ text: z.string() }) },
    async ({ text }, ctx) => {
      const view = inputResponse(ctx.mcpReq.inputResponses, 'llm');
      if (!ctx.mcpReq.inputResponses?.llm) {
        return inputRequired({
          inputRequests: {
            llm: inputRequired.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: `Summarize: ${text}` } }], maxTokens: 50,
            }),
          },
        });
      }
      return { content: [{ type: 'text', text: `summary: ${JSON.stringify(view)}` }] };
    });
  return server;
});
