// A Streamable HTTP MCP server for bench/mcp_latency.mjs --transport http:
// the tool `add`, sessions as the 2025 protocol has them (one transport per
// Mcp-Session-Id), plain HTTP or, with --tls KEY CERT, HTTPS. Prints
// "listening PORT" once it accepts connections.
//
//   node bench/mcp_http_upstream.mjs [--tls KEY.pem CERT.pem]
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const E2E = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'tests/e2e');
const sdk = (p) => import(path.join(E2E, 'node_modules/@modelcontextprotocol/sdk/dist/esm', p));
const { McpServer } = await sdk('server/mcp.js');
const { StreamableHTTPServerTransport } = await sdk('server/streamableHttp.js');
const { z } = await import(path.join(E2E, 'node_modules/zod/index.js'));

const transports = new Map();
async function handle(req, res) {
  let body = '';
  for await (const chunk of req) body += chunk;
  const parsed = body ? JSON.parse(body) : undefined;
  const sid = req.headers['mcp-session-id'];
  let transport = sid ? transports.get(sid) : undefined;
  if (!transport) {
    if (sid || parsed?.method !== 'initialize') {
      res.writeHead(404).end();
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => transports.set(id, transport),
    });
    const server = new McpServer({ name: 'calc-http', version: '1.0.0' });
    server.registerTool('add', { description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() } },
      async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
    await server.connect(transport);
  }
  await transport.handleRequest(req, res, parsed);
}

const tls = process.argv.indexOf('--tls');
const onRequest = (req, res) => handle(req, res).catch((e) => { res.writeHead(500).end(String(e)); });
const server = tls >= 0
  ? https.createServer({ key: fs.readFileSync(process.argv[tls + 1]), cert: fs.readFileSync(process.argv[tls + 2]) }, onRequest)
  : http.createServer(onRequest);
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
