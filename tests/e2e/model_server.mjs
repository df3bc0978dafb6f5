// A scripted model server for Tollgate's end-to-end tests. One HTTP server on
// 127.0.0.1 speaks the three wire protocols the real agent CLIs use
// (shared/AGENT-CLIS.md):
//
//   Anthropic Messages     POST /v1/messages[?beta=true]           (Claude Code)
//   OpenAI Responses       POST /v1/responses                      (Codex CLI)
//   Gemini                 POST /v1beta/models/M:streamGenerateContent?alt=sse,
//                          :generateContent, :countTokens          (Gemini CLI)
//
// and answers with the tool calls of a script, one per model turn:
//
//   { "steps": [ { "name": "Bash", "input": { "command": "touch x" } }, … ],
//     "final": "text of the last answer",
//     "agents": [ { "name": "sub", "match": "text of a subagent's prompt",
//                   "steps": [ … ], "final": "…" } ] }
//
// `name` and `input` are the tool's name and arguments in the CLI's own
// terms (Claude Code: Bash/Read with {command}/{file_path}; Codex:
// exec_command with {cmd}; Gemini CLI: run_shell_command with {command}).
// `"custom": true` makes a Responses API freeform tool call whose `input` is
// text (Codex's apply_patch). A conversation whose first user message
// contains an `agents[].match` text (a subagent's) follows that entry's
// steps instead of the main ones.
//
// The server is stateless: the step to answer is the number of tool results
// already in the request's conversation, so retries and side requests cannot
// skip a step. After the last step it answers `final` as text. Tool-call ids
// are `toolu_e2e_NN` (Anthropic), `call_e2e_NN` (OpenAI), with the agent's
// name inserted for subagents (`toolu_e2e_sub_NN`).
//
// It records every request and every tool result it was sent (what the agent
// told the model a tool returned — a denial reason, for instance), so a test
// can assert on them.
//
// Library: `startModelServer(script, {beforeStep, onChange})` →
//   {port, url, close(), requests, served, toolResults, result(index, agent)}; in-process scripts
//   may give a step's input as a function of the tool results so far, and
//   `beforeStep(index, step, agent)` is awaited once before each step is sent.
// Command: `node model_server.mjs --script FILE [--port-file FILE] [--log FILE]`
//   prints `PORT <n>` on stdout, writes the port to --port-file (atomically),
//   and rewrites --log (JSON: requests, served, toolResults) after every
//   request. TOLLGATE_E2E_DUMP_REQUESTS=DIR saves every request body.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = { input_tokens: 10, output_tokens: 5 };

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(textOf).join('');
  if (content && typeof content === 'object') {
    if (typeof content.text === 'string') return content.text;
    if ('content' in content) return textOf(content.content);
    if ('output' in content) return textOf(content.output);
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

// The names of the tools a request offers the model (for the request log).
function toolNames(tools) {
  if (!Array.isArray(tools)) return [];
  const out = [];
  for (const t of tools) {
    if (Array.isArray(t?.functionDeclarations)) out.push(...t.functionDeclarations.map((f) => f.name));
    else out.push(t?.name ?? t?.function?.name ?? t?.type);
  }
  return out;
}

function sse(res, events) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'close',
  });
  for (const [name, data] of events) {
    if (name) res.write(`event: ${name}\n`);
    res.write(`data: ${JSON.stringify(data)}\n\n`);
  }
  res.end();
}

function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const pad = (n) => String(n).padStart(2, '0');

export async function startModelServer(script, { onChange, beforeStep } = {}) {
  const main = { name: '', steps: script.steps ?? [], final: script.final ?? 'Done.' };
  const agents = (script.agents ?? []).map((a) => ({ name: a.name, match: a.match, steps: a.steps ?? [], final: a.final ?? 'Done.' }));
  const state = {
    requests: [],     // {api, path, agent, step, answered, tools}
    served: [],       // {api, agent, step, id, name, input}
    toolResults: {},  // id → {api, agent, index, id, name, is_error, text}
  };
  const changed = () => onChange && onChange(state);

  function noteResult(r) {
    if (!r.id || state.toolResults[r.id]) return;
    state.toolResults[r.id] = r;
  }

  // What to answer a conversation whose first user message is `firstText`
  // and which holds `results` tool results: {agent, index, step|null, final}.
  const started = new Set();
  const agentOf = (firstText) => agents.find((a) => a.match && firstText.includes(a.match)) ?? main;
  async function plan(agent, results, hasTools) {
    let step = hasTools && results < agent.steps.length ? agent.steps[results] : null;
    if (step) {
      const key = `${agent.name}#${results}`;
      if (beforeStep && !started.has(key)) {
        started.add(key);
        await beforeStep(results, step, agent.name);
      }
      const input = typeof step.input === 'function' ? step.input(Object.values(state.toolResults)) : step.input;
      step = { ...step, input };
    }
    const tag = agent.name ? `${agent.name}_` : '';
    return { agent: agent.name, index: results, step, final: agent.final, tag };
  }

  // ---- Anthropic Messages (Claude Code) ----
  async function anthropic(body, res, reqPath) {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const first = messages.find((m) => m.role === 'user');
    const agent = agentOf(first ? textOf(first.content) : '');
    let results = 0;
    for (const m of messages) {
      if (m.role !== 'user' || !Array.isArray(m.content)) continue;
      for (const b of m.content) {
        if (b && b.type === 'tool_result') {
          noteResult({ api: 'anthropic', agent: agent.name, index: results++, id: b.tool_use_id, is_error: !!b.is_error, text: textOf(b.content) });
        }
      }
    }
    const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
    const p = await plan(agent, results, hasTools);
    const { step } = p;
    const id = `toolu_e2e_${p.tag}${pad(p.index)}`;
    state.requests.push({ api: 'anthropic', path: reqPath, agent: p.agent, tools: toolNames(body.tools), step: p.index, answered: step ? 'tool_use' : 'text' });
    if (step) state.served.push({ api: 'anthropic', agent: p.agent, step: p.index, id, name: step.name, input: step.input });
    const model = body.model || 'claude-e2e';
    const text = hasTools ? p.final : 'Tollgate e2e';
    const msgId = `msg_e2e_${state.requests.length}`;
    if (!body.stream) {
      const content = step ? [{ type: 'tool_use', id, name: step.name, input: step.input }] : [{ type: 'text', text }];
      json(res, 200, {
        id: msgId, type: 'message', role: 'assistant', model, content,
        stop_reason: step ? 'tool_use' : 'end_turn', stop_sequence: null, usage: USAGE,
      });
      return;
    }
    const ev = [['message_start', {
      type: 'message_start',
      message: {
        id: msgId, type: 'message', role: 'assistant', model, content: [],
        stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 },
      },
    }]];
    if (step) {
      ev.push(['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id, name: step.name, input: {} } }]);
      ev.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(step.input) } }]);
    } else {
      ev.push(['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }]);
      ev.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }]);
    }
    ev.push(['content_block_stop', { type: 'content_block_stop', index: 0 }]);
    ev.push(['message_delta', { type: 'message_delta', delta: { stop_reason: step ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } }]);
    ev.push(['message_stop', { type: 'message_stop' }]);
    sse(res, ev);
  }

  // ---- OpenAI Responses (Codex CLI) ----
  async function openai(body, res, reqPath) {
    const input = Array.isArray(body.input) ? body.input : [];
    const calls = {};
    for (const it of input) if (it && (it.type === 'function_call' || it.type === 'custom_tool_call')) calls[it.call_id] = it.name;
    const users = input.filter((it) => it && it.role === 'user').map((it) => textOf(it.content));
    const agent = agentOf(users.join('\n'));
    let results = 0;
    for (const it of input) {
      if (it && (it.type === 'function_call_output' || it.type === 'custom_tool_call_output')) {
        noteResult({ api: 'openai', agent: agent.name, index: results++, id: it.call_id, name: calls[it.call_id], text: textOf(it.output) });
      }
    }
    const p = await plan(agent, results, true);
    const { step } = p;
    const n = state.requests.length + 1;
    state.requests.push({ api: 'openai', path: reqPath, agent: p.agent, tools: toolNames(body.tools), step: p.index, answered: step ? (step.custom ? 'custom_tool_call' : 'function_call') : 'text' });
    const response = (status, output) => ({
      id: `resp_e2e_${n}`, object: 'response', created_at: Math.floor(Date.now() / 1000), status,
      model: body.model || 'gpt-e2e', output,
      usage: status === 'completed' ? {
        input_tokens: 10, input_tokens_details: { cached_tokens: 0 },
        output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15,
      } : null,
    });
    const ev = [['response.created', { type: 'response.created', response: response('in_progress', []) }]];
    let item;
    const callId = `call_e2e_${p.tag}${pad(p.index)}`;
    if (step) state.served.push({ api: 'openai', agent: p.agent, step: p.index, id: callId, name: step.name, input: step.input });
    if (step && step.custom) {
      // A freeform tool (Codex's apply_patch): the input is plain text.
      item = { type: 'custom_tool_call', id: `ctc_e2e_${n}`, call_id: callId, name: step.name, input: step.input, status: 'completed' };
      ev.push(['response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { ...item, input: '', status: 'in_progress' } }]);
      ev.push(['response.custom_tool_call_input.delta', { type: 'response.custom_tool_call_input.delta', item_id: item.id, output_index: 0, delta: step.input }]);
      ev.push(['response.custom_tool_call_input.done', { type: 'response.custom_tool_call_input.done', item_id: item.id, output_index: 0, input: step.input }]);
    } else if (step) {
      const args = JSON.stringify(step.input);
      item = { type: 'function_call', id: `fc_e2e_${n}`, call_id: callId, name: step.name, arguments: args, status: 'completed' };
      ev.push(['response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { ...item, arguments: '', status: 'in_progress' } }]);
      ev.push(['response.function_call_arguments.delta', { type: 'response.function_call_arguments.delta', item_id: item.id, output_index: 0, delta: args }]);
      ev.push(['response.function_call_arguments.done', { type: 'response.function_call_arguments.done', item_id: item.id, output_index: 0, arguments: args }]);
    } else {
      const text = p.final;
      item = { type: 'message', id: `msg_e2e_${n}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
      ev.push(['response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { ...item, content: [], status: 'in_progress' } }]);
      ev.push(['response.content_part.added', { type: 'response.content_part.added', item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }]);
      ev.push(['response.output_text.delta', { type: 'response.output_text.delta', item_id: item.id, output_index: 0, content_index: 0, delta: text }]);
      ev.push(['response.output_text.done', { type: 'response.output_text.done', item_id: item.id, output_index: 0, content_index: 0, text }]);
      ev.push(['response.content_part.done', { type: 'response.content_part.done', item_id: item.id, output_index: 0, content_index: 0, part: item.content[0] }]);
    }
    ev.push(['response.output_item.done', { type: 'response.output_item.done', output_index: 0, item }]);
    ev.push(['response.completed', { type: 'response.completed', response: response('completed', [item]) }]);
    sse(res, ev);
  }

  // ---- Gemini (Gemini CLI) ----
  async function gemini(body, res, reqPath, method) {
    if (method === 'countTokens') {
      state.requests.push({ api: 'gemini', path: reqPath, answered: 'countTokens' });
      json(res, 200, { totalTokens: 10 });
      return;
    }
    const contents = Array.isArray(body.contents) ? body.contents : [];
    const first = contents.find((c) => c && c.role === 'user');
    const agent = agentOf(first ? textOf(first.parts) : '');
    let results = 0;
    for (const c of contents) {
      for (const part of (c && Array.isArray(c.parts) ? c.parts : [])) {
        if (part && part.functionResponse) {
          const fr = part.functionResponse;
          noteResult({ api: 'gemini', agent: agent.name, index: results, id: fr.id || `${agent.name}#${results}`, name: fr.name, text: textOf(fr.response) });
          results++;
        }
      }
    }
    const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 };
    if (method === 'generateContent') {
      // Side requests (the model router, next-speaker checks …) expect JSON text.
      state.requests.push({ api: 'gemini', path: reqPath, step: results, answered: 'json' });
      const text = JSON.stringify({
        complexity_reasoning: 'a scripted test', complexity_score: 1,
        reasoning: 'the scripted turn is over', next_speaker: 'user',
      });
      json(res, 200, { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata });
      return;
    }
    const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
    const p = await plan(agent, results, hasTools);
    const { step } = p;
    state.requests.push({ api: 'gemini', path: reqPath, agent: p.agent, tools: toolNames(body.tools), step: p.index, answered: step ? 'functionCall' : 'text' });
    let parts;
    if (step) {
      state.served.push({ api: 'gemini', agent: p.agent, step: p.index, id: `gemini_e2e_${p.tag}${pad(p.index)}`, name: step.name, input: step.input });
      parts = [{ functionCall: { name: step.name, args: step.input } }];
    } else {
      parts = [{ text: hasTools ? p.final : 'Tollgate e2e' }];
    }
    sse(res, [[null, { candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }], usageMetadata, modelVersion: 'gemini-e2e' }]]);
  }

  let dumped = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      let body = {};
      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw) {
        try { body = JSON.parse(raw); } catch { body = {}; }
      }
      const p = url.pathname;
      if (process.env.TOLLGATE_E2E_DUMP_REQUESTS) {
        // Debugging aid: every request body as a file.
        const dir = process.env.TOLLGATE_E2E_DUMP_REQUESTS;
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `${String(++dumped).padStart(3, '0')}-${p.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`), raw || '{}');
      }
      try {
        if (req.method === 'POST' && /\/v1\/messages\/count_tokens$/.test(p)) {
          state.requests.push({ api: 'anthropic', path: p, answered: 'count_tokens' });
          json(res, 200, { input_tokens: 10 });
        } else if (req.method === 'POST' && /\/v1\/messages$/.test(p)) {
          await anthropic(body, res, p);
        } else if (req.method === 'POST' && /\/responses$/.test(p)) {
          await openai(body, res, p);
        } else if (req.method === 'POST' && /\/models\/[^/:]+:(streamGenerateContent|generateContent|countTokens)$/.test(p)) {
          await gemini(body, res, p, p.slice(p.lastIndexOf(':') + 1));
        } else if (req.method === 'HEAD' || (req.method === 'GET' && p === '/')) {
          // Connectivity probes (Claude Code sends HEAD /).
          state.requests.push({ api: 'probe', method: req.method, path: p, answered: 200 });
          res.writeHead(200, { 'content-length': 0 });
          res.end();
        } else {
          state.requests.push({ api: 'unknown', method: req.method, path: p, answered: 404 });
          json(res, 404, { error: { message: `the e2e model server does not serve ${req.method} ${p}` } });
        }
      } catch (e) {
        state.requests.push({ api: 'error', path: p, error: String((e && e.stack) || e) });
        if (!res.headersSent) json(res, 500, { error: { message: String(e) } });
        else res.end();
      }
      changed();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests: state.requests,
    served: state.served,
    toolResults: state.toolResults,
    // The result of the index-th tool call of the main conversation (or of a
    // subagent's, by name).
    result: (index, agent = '') => Object.values(state.toolResults).find((r) => r.agent === agent && r.index === index),
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

async function cliMain(argv) {
  const opt = {};
  for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!opt.script) {
    process.stderr.write('usage: node model_server.mjs --script FILE [--port-file FILE] [--log FILE]\n');
    process.exit(2);
  }
  const script = JSON.parse(fs.readFileSync(opt.script, 'utf8'));
  const log = opt.log ? path.resolve(opt.log) : null;
  const srv = await startModelServer(script, {
    onChange: (state) => log && writeAtomic(log, JSON.stringify(state, null, 2) + '\n'),
  });
  if (opt['port-file']) writeAtomic(opt['port-file'], `${srv.port}\n`);
  process.stdout.write(`PORT ${srv.port}\n`);
  const stop = async () => { await srv.close(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cliMain(process.argv.slice(2)).catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(1); });
}
