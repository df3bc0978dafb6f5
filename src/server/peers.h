// Which process is on the other end of the daemon's socket, and is it
// running inside a governed agent's session?
//
// Every process of the developer's account can reach the daemon's socket,
// the agent's included, so the socket's file mode cannot tell an operator's
// `tollgate task start` from one an agent runs. What can: the agent's
// commands descend from its harness process (Claude Code, Codex …). When a
// session's first hook event arrives, the daemon finds that harness — the
// nearest ancestor of the hook process that is neither Tollgate nor a shell,
// when it is an agent CLI — and remembers it (pid and start time, so a reused pid does not match).
// An operator request whose process descends from a remembered harness is
// refused.
//
// This closes the direct path (the agent's shell tool, a script it runs); a
// process the agent detaches from its tree (double fork, setsid) escapes
// it. Complete separation needs the daemon under another account with an
// out-of-band operator channel (docs/tasks.md, "Operator requests").
// Linux /proc only; elsewhere nothing is traced and nothing is refused.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace tollgate::server {

struct ProcId {
  int pid = 0;
  uint64_t start = 0;  // clock ticks after boot (/proc/PID/stat field 22)
  std::string comm;
  bool operator<(const ProcId& o) const { return pid != o.pid ? pid < o.pid : start < o.start; }
};

// `pid` and its ancestors, nearest first, stopping before pid 1 and after
// `max` levels. Empty when /proc cannot be read. `complete`, when given, says
// whether the chain reached a child of init (pid 1) or of the kernel (0)
// rather than stopping at `max`, at a process that could not be read, or at
// a parent younger than its child (a pid reused while the chain was read).
std::vector<ProcId> process_ancestry(int pid, int max = 64, bool* complete = nullptr);

// The harness a hook process runs under: the first ancestor that is neither
// Tollgate itself nor a shell, when it is an agent CLI (claude, codex,
// gemini, node, cursor-agent). Empty pid otherwise.
ProcId harness_of(const std::vector<ProcId>& ancestry);

// The remembered harness that `ancestry` descends from, if any.
const ProcId* descends_from(const std::vector<ProcId>& ancestry, const std::set<ProcId>& harnesses);

// The process holding the client end of `fd`, a TCP connection the daemon
// accepted from a loopback address, looked for among `roots` and their
// descendants only (at most `max_processes` of them): the socket's inode
// from /proc/net/tcp{,6}, then the processes' open files. 0 when the peer
// is not on loopback, is none of them, or has already gone. An HTTP client
// is no child of the daemon, so this is how an HTTP MCP session is tied to
// the harness that opened it (docs/mcp.md).
int loopback_peer_pid(int fd, const std::vector<int>& roots, int max_processes = 512);

}  // namespace tollgate::server
