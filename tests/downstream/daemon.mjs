// A `tollgate serve` for the downstream contract tests, with its HTTP API on
// a free loopback port. Resolves once it listens; `log` keeps growing with
// everything the daemon writes to standard error.
import { spawn } from 'node:child_process';

export async function startDaemon(tollgate, data, env, extraArgs = []) {
  const daemon = spawn(tollgate, ['serve', '--data', data, '--http', '127.0.0.1:0', ...extraArgs],
    { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const state = { daemon, log: '', port: 0 };
  state.port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the daemon did not start:\n${state.log}`)), 20000);
    daemon.stderr.on('data', (chunk) => {
      state.log += chunk;
      const m = /HTTP API on 127\.0\.0\.1:(\d+)/.exec(state.log);
      if (m && /listening on/.test(state.log)) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    daemon.on('exit', (code) => reject(new Error(`the daemon exited (${code}):\n${state.log}`)));
  });
  return state;
}
