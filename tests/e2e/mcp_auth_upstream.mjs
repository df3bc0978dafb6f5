// A remote MCP server that accepts only the credentials its provider minted:
// Streamable HTTP (stateless) on the official SDK, on 127.0.0.1:$PORT/mcp.
// Every request must carry `Authorization: Bearer <token>` where <token> is
// a line of $VALID_TOKENS (the provider's mint script appends to that file,
// its revoke script removes the line), else 401. Tool `whoami` answers
// "authorized as lease …" without echoing the credential.
import fs from 'node:fs';
import http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

const valid = () => {
  try {
    return new Map(fs.readFileSync(process.env.VALID_TOKENS, 'utf8').split('\n').filter(Boolean)
      .map((l) => { const [lease, token] = l.split(' '); return [token, lease]; }));
  } catch { return new Map(); }
};
let rejected = 0;
const server = http.createServer(async (req, res) => {
  if (req.url === '/rejected') { res.end(String(rejected)); return; }
  const auth = req.headers.authorization || '';
  const lease = auth.startsWith('Bearer ') ? valid().get(auth.slice(7)) : undefined;
  if (!lease) {
    rejected++;
    res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"invalid_token"}');
    return;
  }
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  const mcp = new McpServer({ name: 'auth-upstream', version: '1.0.0' });
  mcp.tool('whoami', 'Says which lease the request was authorized with.', {},
    async () => ({ content: [{ type: 'text', text: `authorized as ${lease}` }] }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => { transport.close(); mcp.close(); });
  await mcp.connect(transport);
  await transport.handleRequest(req, res, body);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
