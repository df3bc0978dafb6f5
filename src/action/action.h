// The canonical action model (docs/actions.md): every harness's hook event
// becomes a HookEvent, and every tool call one or more Actions, so that one
// policy serves Claude Code, Codex, Cursor and Gemini CLI alike.
//
//   parse_hook_event(harness, json)  → HookEvent   (which event, which tool)
//   to_actions(event, env)           → [Action]    (what the call would do)
//
// Tool calls map to shell.exec, file.read / file.write / file.delete,
// net.fetch, mcp.call, agent.spawn, or — for a tool with no adapter — the
// generic tool.use, which the policies still decide (never silently
// allowed). A shell command yields one shell.exec per simple command plus
// the files it reads, writes and deletes and the hosts it contacts; the
// command is allowed only when every part is.
//
// Inputs are untrusted (the agent writes the tool input): JSON is parsed
// with a depth cap, sizes are capped, and anything malformed is an Error
// the caller turns into a deny. Pure functions apart from symlink
// resolution in paths; thread-safe; never throw.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace tollgate::action {

enum class Harness : uint8_t { ClaudeCode, Codex, Cursor, Gemini, Mcp };
std::string_view harness_name(Harness h);  // "claude-code", "codex", "cursor", "gemini", "mcp"
std::optional<Harness> parse_harness(std::string_view name);

enum class EventKind : uint8_t {
  SessionStart,
  SessionEnd,
  Prompt,    // the user's prompt: recorded as intent
  PreTool,   // before a tool runs: decided
  PostTool,  // after it ran: the outcome
  Stop,      // the agent's turn ended
  Other,     // an event Tollgate records but does not act on
};
std::string_view event_kind_name(EventKind k);

// One hook invocation, harness-neutral.
struct HookEvent {
  Harness harness = Harness::ClaudeCode;
  EventKind kind = EventKind::Other;
  std::string event_name;    // as the harness named it ("PreToolUse", "beforeShellExecution")
  std::string session_id;    // Cursor: conversation_id
  std::string cwd;           // the session's working directory
  std::string tool_name;     // the harness's tool name (PreTool/PostTool)
  std::string tool_input;    // the tool input as compact JSON ("{}" when absent)
  std::string tool_use_id;   // links PreTool to PostTool; empty where the harness has none
  std::string prompt;        // Prompt
  bool tool_failed = false;  // PostTool: the tool reported an error
  std::string tool_output;   // PostTool: a bounded excerpt of the result
  std::string source;        // SessionStart: startup/resume/clear …
};

// Largest hook event accepted, and the JSON nesting cap.
inline constexpr size_t kMaxEventBytes = 16u << 20;
inline constexpr int kMaxEventDepth = 64;

Result<HookEvent> parse_hook_event(Harness harness, std::string_view json);

enum class Kind : uint8_t {
  ShellExec,
  FileRead,
  FileWrite,
  FileDelete,
  NetFetch,
  McpCall,
  McpList,
  CredRequest,
  AgentSpawn,
  ToolUse,
};
std::string_view action_name(Kind k);    // "shell.exec", …
std::string_view resource_type(Kind k);  // "Command", "Path", …

struct CommandInfo {
  std::string program, name;
  std::vector<std::string> args;
  std::string line;        // program and arguments joined by spaces
  std::string subcommand;  // first argument that is not an option
  std::vector<std::string> flags;
  std::vector<std::string> wrappers;
};

// An MCP call's arguments flattened to string pairs, the tags of the
// McpTool entity a policy reads with `resource.getTag("repo")`: nested keys
// are joined with dots (`options.branch`), array elements by index
// (`labels.0`); strings stay as they are, other scalars become their JSON
// text. Objects nested deeper than kMaxMcpArgDepth stay whole as compact
// JSON. At most kMaxMcpArgs pairs: a call with more is refused (an Error),
// never decided on a prefix.
using McpArgs = std::vector<std::pair<std::string, std::string>>;

// Which files beneath a directory a program that reads it whole reads (the
// files it skips), so that the labelled ones among them can be looked for
// (Environment::tree). Globs are fnmatch(3) patterns on a base name.
struct TreeScope {
  bool hidden = true;                    // dot-names are read (`rg -u` skips them)
  bool follow_links = false;             // symbolic links beneath are followed (`grep -R`, `zip`)
  std::vector<std::string> include;      // only these names are read (`grep --include`, `rg -g`); empty: all
  std::vector<std::string> exclude;      // names not read (`--exclude`, `rg -g '!x'`)
  std::vector<std::string> exclude_dir;  // directories not entered (`grep --exclude-dir`)
  std::vector<std::string> exclude_top;  // names not read directly beneath the root (`rsync --exclude=/x`)
};
inline constexpr size_t kMaxMcpArgs = 256;
inline constexpr int kMaxMcpArgDepth = 8;

struct Action {
  Kind kind = Kind::ToolUse;
  std::string resource;  // the resource entity id: program name, absolute path, host, "server/tool" …
  std::string tool;      // the harness's tool name
  bool opaque = false;   // not understood with confidence
  bool download_exec = false;
  bool internal = false;  // a harness-internal tool with no effect outside the session (todo lists …)
  std::string path;       // file actions: absolute, normalised
  bool tree = false;      // file actions: on everything beneath `path` too (grep -r, tar c, cp -r, rm -r)
  // file reads taken whole by a program whose choice of files is known: what
  // it reads beneath `path`. Unset: not looked at (ignore-file-driven
  // searches such as `rg` and the harnesses' Grep tools skip dot-files).
  std::optional<TreeScope> tree_scope;
  // file reads: a path given to a program whose arguments Tollgate does not
  // model, which may read it; decided only when the path holds credentials.
  bool incidental = false;
  std::string host, url;               // net.fetch
  std::string mcp_server;              // mcp.*
  std::string mcp_method;              // mcp.*: "tools/call", "resources/read", "prompts/get", "tools/list"
  McpArgs mcp_args;                    // mcp.call: the call's arguments, flattened (McpTool tags)
  std::optional<CommandInfo> command;  // shell.exec
  std::string full_command;            // shell: the whole command line
  std::string summary;                 // one line for messages: "rm -rf /", "read ~/.ssh/id_rsa"
};

// A file a shell command runs as a script (`bash x.sh`, `./x`, `python3
// x.py`, `source x`), as read for its analysis.
struct ScriptFile {
  enum class State { Missing, Text, Binary, Directory, Unreadable };
  State state = State::Missing;
  std::string text;     // Text: the whole file
  std::string problem;  // Unreadable: why ("not a regular file", "larger than 256 KiB" …)
  bool recent = true;   // changed since the session started: the agent may have written it
};
using ScriptReader = std::function<ScriptFile(const std::string& path)>;

// Reads scripts from the file system without trusting them: regular files
// only (a directory is reported as one; checked before and after opening, opened non-blocking, so a FIFO
// or device never stalls the caller), at most 256 KiB of text; a file
// whose first 4 KiB hold a NUL byte is Binary. `recent` when its contents
// or status changed at or after `since_ms` (Unix milliseconds).
ScriptReader file_script_reader(int64_t since_ms);

// The names an absolute glob(7) pattern matches, as bash expands it for an
// argument (src/analyze/shell.h, GlobArg). A leading `.` is matched by
// `*`, `?` and `[…]` too (as with bash's dotglob), so that a name a
// shell could match is never missed; `.` and `..` never are. Case is
// ignored too (nocaseglob), for the same reason.
struct GlobMatches {
  bool complete = false;           // false: too many names, or a directory could not be read
  std::vector<std::string> paths;  // absolute, sorted; empty when nothing matches
  std::size_t scanned = 0;         // directory entries looked at
};
using GlobExpander = std::function<GlobMatches(const std::string& pattern)>;

// Expands against the file system: at most 256 names and 20,000 directory
// entries looked at per pattern (past either, not complete); a directory is
// opened with O_DIRECTORY, so a FIFO or device never stalls the caller.
GlobExpander file_glob_expander();

// The labelled files beneath a directory read whole, as its reader reads
// it (TreeScope): regular files of a kind (`kind_of` gives one: their
// labels) — with follow_links, those the links beneath lead to as well, by
// their own path.
struct TreeListing {
  bool complete = false;           // false: too many entries or links, too long, or a directory unreadable
  std::vector<std::string> paths;  // absolute, sorted; up to kMaxTreeFound, and some of every kind
  std::size_t scanned = 0;         // directory entries looked at
};
inline constexpr std::size_t kMaxTreeFound = 64;
using TreeLister = std::function<TreeListing(const std::string& root, const TreeScope& scope, std::size_t max_entries,
                                             std::chrono::steady_clock::time_point deadline)>;

// Walks the file system without following links (unless the scope says so:
// then each directory is entered once, and at most 1,000 links), opening
// directories with O_DIRECTORY|O_NOFOLLOW so that a FIFO or device never
// stalls the caller; directories it may not read are skipped, as their
// reader skips them. At most 64 levels deep, 250 ms, and never past
// `deadline`. `kind_of` returns "" for a file of no interest.
TreeLister file_tree_lister(std::function<std::string(const std::string& path)> kind_of);

// What an adapter needs to know about the session's machine.
struct Environment {
  std::string cwd;   // the session's working directory (absolute)
  std::string home;  // the user's home directory
  bool resolve_symlinks = true;
  // Reads the scripts a shell command runs, so that what they do is decided
  // with the command (src/analyze/README.md, "Scripts"). Empty: not read.
  ScriptReader read_script;
  // Expands the file-name globs of commands (`rm build/*.o`, `ls src/*.c`)
  // so that what they touch is decided rather than asked about, and tells
  // whether a copy's destination is a directory. Empty: a glob leaves its
  // command opaque, and `cp a b` writes b and b/a.
  GlobExpander glob;
  // Looks beneath directories that shell commands read whole (`grep -r x .`,
  // `tar c .`, `cp -r . /tmp/x`) for the labelled files they would read too:
  // each found is read as well. Empty: not looked at.
  TreeLister tree = {};
};

// The actions one tool call would perform. An Error means the tool input
// is malformed (a Bash call without a command); deny it.
Result<std::vector<Action>> to_actions(const HookEvent& event, const Environment& env);

// One MCP request the gateway (or a harness's MCP tool) makes.
struct McpRequest {
  std::string server;
  // "tools/call", "resources/read", "prompts/get", "resources/subscribe"
  // (a subscription to a resource, either era), or a request of the server
  // to the client (is_mcp_server_request).
  std::string method;
  std::string name;               // the tool or prompt name; the URI for resources/read and resources/subscribe
  std::string arguments;          // JSON object text ("{}" when absent)
  std::optional<bool> read_only;  // the tool's pinned readOnlyHint, when it declares one
  std::string tool;               // the harness's tool name for the record (`mcp__fs__read_file`)
};

// The requests an MCP server makes of its client — its model
// (sampling/createMessage), its user (elicitation/create), its workspace
// (roots/list) — whether sent as requests (up to 2025-11-25) or as the
// input requests of a multi-round-trip result (2026-07-28).
bool is_mcp_server_request(std::string_view method);

// The actions of one MCP request: an mcp.call on McpTool::"<server>/<name>"
// (`<server>/resources/read` for resources/read and resources/subscribe,
// `<server>/prompts/get`, `<server>/<method>` for a server's request) with
// the arguments as tags, plus one file action per path-like argument (`path`,
// `paths`, `source`, `destination`, … and file:// URIs), so the file
// policies govern a filesystem tool exactly as they govern the harness's own
// Read and Write. Such a file action is a read when the tool's name reads
// (read_, get_, list_, search_ …) and it does not declare readOnlyHint false;
// otherwise a write (a delete for delete_/remove_ tools).
Result<std::vector<Action>> mcp_actions(const McpRequest& req, const Environment& env);
Result<McpArgs> flatten_mcp_arguments(std::string_view arguments_json);

// The actions of one shell command line (used by to_actions and by tests).
std::vector<Action> shell_actions(std::string_view command, std::string_view tool, const Environment& env);

}  // namespace tollgate::action
