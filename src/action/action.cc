#include "action/action.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "action/action_internal.h"
#include "analyze/paths.h"
#include "analyze/url.h"
#include "base/json.h"

namespace tollgate::action {

using nlohmann::json;

namespace {

constexpr size_t kMaxOutputExcerpt = 2048;

struct HarnessName {
  Harness h;
  std::string_view name;
};
constexpr std::array<HarnessName, 5> kHarnesses = {{{Harness::ClaudeCode, "claude-code"},
                                                    {Harness::Codex, "codex"},
                                                    {Harness::Cursor, "cursor"},
                                                    {Harness::Gemini, "gemini"},
                                                    {Harness::Mcp, "mcp"}}};

std::string str_field(const json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return {};
}

std::string excerpt(std::string s) {
  if (s.size() > kMaxOutputExcerpt) {
    s.resize(kMaxOutputExcerpt);
    s += "…";
  }
  return s;
}

// The event kind for each harness's event names.
EventKind classify(Harness h, std::string_view name) {
  switch (h) {
    case Harness::ClaudeCode:
    case Harness::Codex:
      if (name == "PreToolUse") return EventKind::PreTool;
      if (name == "PostToolUse" || name == "PostToolUseFailure") return EventKind::PostTool;
      if (name == "UserPromptSubmit") return EventKind::Prompt;
      if (name == "SessionStart") return EventKind::SessionStart;
      if (name == "SessionEnd") return EventKind::SessionEnd;
      if (name == "Stop" || name == "SubagentStop") return EventKind::Stop;
      return EventKind::Other;
    case Harness::Gemini:
      if (name == "BeforeTool") return EventKind::PreTool;
      if (name == "AfterTool") return EventKind::PostTool;
      if (name == "BeforeAgent") return EventKind::Prompt;
      if (name == "SessionStart") return EventKind::SessionStart;
      if (name == "SessionEnd") return EventKind::SessionEnd;
      if (name == "AfterAgent") return EventKind::Stop;
      return EventKind::Other;
    case Harness::Cursor:
      if (name == "beforeShellExecution" || name == "beforeMCPExecution" || name == "beforeReadFile" ||
          name == "preToolUse" || name == "subagentStart")
        return EventKind::PreTool;
      if (name == "afterShellExecution" || name == "afterMCPExecution" || name == "afterFileEdit" ||
          name == "postToolUse" || name == "postToolUseFailure")
        return EventKind::PostTool;
      if (name == "beforeSubmitPrompt") return EventKind::Prompt;
      if (name == "sessionStart") return EventKind::SessionStart;
      if (name == "sessionEnd") return EventKind::SessionEnd;
      if (name == "stop" || name == "subagentStop") return EventKind::Stop;
      return EventKind::Other;
    case Harness::Mcp: return EventKind::Other;
  }
  return EventKind::Other;
}

// Cursor's dedicated events carry no tool name; give them the names its
// generic preToolUse uses so that one mapping serves both.
void cursor_tool(const std::string& name, const json& j, HookEvent& ev) {
  if (name == "beforeShellExecution" || name == "afterShellExecution") {
    ev.tool_name = "Shell";
    ev.tool_input = dump_json(json{{"command", str_field(j, "command")}});
    if (name == "afterShellExecution") ev.tool_output = excerpt(str_field(j, "output"));
  } else if (name == "beforeReadFile") {
    ev.tool_name = "Read";
    ev.tool_input = dump_json(json{{"file_path", str_field(j, "file_path")}});
  } else if (name == "afterFileEdit") {
    ev.tool_name = "Write";
    ev.tool_input = dump_json(json{{"file_path", str_field(j, "file_path")}});
  } else if (name == "beforeMCPExecution" || name == "afterMCPExecution") {
    // The server is named by its URL or launch command; the tool input may
    // arrive as an object or as a JSON string.
    std::string server = str_field(j, "server");
    if (server.empty()) {
      if (auto u = analyze::parse_url(str_field(j, "url"))) server = u->host;
    }
    if (server.empty()) {
      std::string cmd = str_field(j, "command");
      auto sp = cmd.find_last_of(" /");
      server = sp == std::string::npos ? cmd : cmd.substr(sp + 1);
    }
    if (server.empty()) server = "unknown";
    ev.tool_name = "mcp__" + server + "__" + str_field(j, "tool_name");
    auto it = j.find("tool_input");
    if (it != j.end() && it->is_string()) {
      auto parsed = parse_json(it->get<std::string>(), "tool_input", kMaxEventDepth);
      ev.tool_input = parsed ? dump_json(*parsed) : dump_json(json{{"raw", it->get<std::string>()}});
    } else if (it != j.end()) {
      ev.tool_input = dump_json(*it);
    }
    if (name == "afterMCPExecution") ev.tool_output = excerpt(str_field(j, "result_json"));
  } else if (name == "subagentStart") {
    ev.tool_name = "Task";
    ev.tool_input = dump_json(json{{"subagent_type", str_field(j, "subagent_type")}});
  }
}

}  // namespace

std::string_view harness_name(Harness h) {
  for (const auto& x : kHarnesses)
    if (x.h == h) return x.name;
  return "unknown";
}

std::optional<Harness> parse_harness(std::string_view name) {
  for (const auto& x : kHarnesses)
    if (x.name == name) return x.h;
  if (name == "claude" || name == "claudecode") return Harness::ClaudeCode;
  if (name == "gemini-cli") return Harness::Gemini;
  return std::nullopt;
}

std::string_view event_kind_name(EventKind k) {
  switch (k) {
    case EventKind::SessionStart: return "session_start";
    case EventKind::SessionEnd: return "session_end";
    case EventKind::Prompt: return "prompt";
    case EventKind::PreTool: return "pre_tool";
    case EventKind::PostTool: return "post_tool";
    case EventKind::Stop: return "stop";
    case EventKind::Other: return "other";
  }
  return "other";
}

Result<HookEvent> parse_hook_event(Harness harness, std::string_view text) {
  if (text.size() > kMaxEventBytes)
    return Error("hook event is " + std::to_string(text.size()) + " bytes; the limit is " +
                 std::to_string(kMaxEventBytes));
  auto parsed = parse_json(text, "hook event", kMaxEventDepth);
  if (!parsed) return std::move(parsed).error();
  const json& j = *parsed;
  if (!j.is_object()) return Error("hook event: expected a JSON object");
  HookEvent ev;
  ev.harness = harness;
  ev.event_name = str_field(j, "hook_event_name");
  if (ev.event_name.empty()) return Error("hook event: no `hook_event_name`");
  ev.kind = classify(harness, ev.event_name);
  ev.session_id = str_field(j, "session_id");
  if (ev.session_id.empty()) ev.session_id = str_field(j, "conversation_id");
  ev.cwd = str_field(j, "cwd");
  if (ev.cwd.empty()) {
    if (auto it = j.find("workspace_roots"); it != j.end() && it->is_array() && !it->empty() && (*it)[0].is_string())
      ev.cwd = (*it)[0].get<std::string>();
  }
  ev.tool_name = str_field(j, "tool_name");
  ev.tool_use_id = str_field(j, "tool_use_id");
  if (ev.tool_use_id.empty()) ev.tool_use_id = str_field(j, "call_id");
  ev.prompt = excerpt(str_field(j, "prompt"));
  ev.source = str_field(j, "source");
  if (ev.source.empty()) ev.source = str_field(j, "trigger");
  if (auto it = j.find("tool_input"); it != j.end()) ev.tool_input = dump_json(*it);
  if (harness == Harness::Cursor) cursor_tool(ev.event_name, j, ev);
  // Gemini CLI names an MCP server's tool `mcp_<server>_<tool>` (made into
  // a valid function name, so not always reversible) and says which server
  // and tool in `mcp_context`, which it builds itself from its own server
  // list: that is what the call is decided as, `mcp__server__tool` as the
  // other harnesses name it. A server name with `__` in it would not split
  // back into the same two parts, and stays an unknown tool.
  if (harness == Harness::Gemini && ev.tool_name.rfind("mcp_", 0) == 0) {
    bool mapped = false;
    if (auto ctx = j.find("mcp_context"); ctx != j.end() && ctx->is_object()) {
      std::string server = str_field(*ctx, "server_name"), tool = str_field(*ctx, "tool_name");
      // `github_` would read back as `github` (`mcp__github___x`).
      if (!server.empty() && !tool.empty() && server.find("__") == std::string::npos && server.front() != '_' &&
          server.back() != '_') {
        ev.tool_name = "mcp__" + server + "__" + tool;
        mapped = true;
      }
    }
    // Gemini's own name of a server `_github__x` is `mcp__github__x_…`: it
    // must not be read as the other harnesses' naming of `github`'s tool.
    if (!mapped && ev.tool_name.rfind("mcp__", 0) == 0) ev.tool_name = "gemini:" + ev.tool_name;
  }
  if (ev.tool_input.empty()) ev.tool_input = "{}";
  if (ev.event_name == "PostToolUseFailure" || ev.event_name == "postToolUseFailure") ev.tool_failed = true;
  for (const char* key : {"tool_response", "tool_output", "tool_result"}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    if (it->is_string()) {
      ev.tool_output = excerpt(it->get<std::string>());
    } else {
      ev.tool_output = excerpt(dump_json(*it));
      if (it->is_object()) {
        // Harnesses report failure as {"success": false}, {"error": …}, or {"is_error": true}.
        if (auto s = it->find("success"); s != it->end() && s->is_boolean() && !s->get<bool>()) ev.tool_failed = true;
        if (auto s = it->find("is_error"); s != it->end() && s->is_boolean() && s->get<bool>()) ev.tool_failed = true;
        if (auto s = it->find("error");
            s != it->end() && !s->is_null() && !(s->is_string() && s->get<std::string>().empty()))
          ev.tool_failed = true;
      }
    }
  }
  if (ev.kind == EventKind::PreTool && ev.tool_name.empty())
    return Error("hook event: a tool event without `tool_name`");
  return ev;
}

std::string_view action_name(Kind k) {
  switch (k) {
    case Kind::ShellExec: return "shell.exec";
    case Kind::FileRead: return "file.read";
    case Kind::FileWrite: return "file.write";
    case Kind::FileDelete: return "file.delete";
    case Kind::NetFetch: return "net.fetch";
    case Kind::McpCall: return "mcp.call";
    case Kind::McpList: return "mcp.list";
    case Kind::CredRequest: return "cred.request";
    case Kind::AgentSpawn: return "agent.spawn";
    case Kind::ToolUse: return "tool.use";
  }
  return "tool.use";
}

std::string_view resource_type(Kind k) {
  switch (k) {
    case Kind::ShellExec: return "Command";
    case Kind::FileRead:
    case Kind::FileWrite:
    case Kind::FileDelete: return "Path";
    case Kind::NetFetch: return "Host";
    case Kind::McpCall:
    case Kind::McpList: return "McpTool";
    case Kind::CredRequest: return "Credential";
    case Kind::AgentSpawn: return "Subagent";
    case Kind::ToolUse: return "Tool";
  }
  return "Tool";
}

Action file_action(Kind kind, std::string_view raw, std::string_view tool, const Environment& env) {
  Action a;
  a.kind = kind;
  a.tool = std::string(tool);
  a.path = analyze::normalize_path(raw, env.cwd, env.home, env.resolve_symlinks);
  if (a.path.empty()) {
    a.path = env.cwd.empty() ? "/" : analyze::normalize_path(env.cwd, "/", env.home, env.resolve_symlinks);
  }
  a.resource = a.path;
  a.summary = std::string(kind == Kind::FileRead ? "read " : kind == Kind::FileDelete ? "delete " : "write ") + a.path;
  // The agent's process's view, not the daemon's; or what a process serving
  // the file system says.
  if (analyze::through_process_links(raw) || (env.resolve_symlinks && analyze::on_process_served_mount(a.path)))
    a.opaque = true;
  return a;
}

void mark_tree(Action& a) {
  if (a.tree) return;
  a.tree = true;
  a.summary += a.summary.back() == '/' ? "**" : "/**";
}

Action net_action(std::string_view url_text, std::string_view tool) {
  Action a;
  a.kind = Kind::NetFetch;
  a.tool = std::string(tool);
  a.url = std::string(url_text);
  if (auto u = analyze::parse_url(url_text); u && !u->host.empty()) {
    a.host = u->host;
  } else {
    a.opaque = true;
    a.host = "unknown";
  }
  a.resource = a.host;
  a.summary = "fetch " + (a.url.empty() ? a.host : a.url);
  return a;
}

// Every http(s) URL in free text (Gemini's web_fetch takes a prompt, and
// takes `HTTPS://` as readily as `https://`).
std::vector<std::string> urls_in_text(std::string_view text) {
  std::vector<std::string> out;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if ((text[pos] | 0x20) != 'h') continue;
    std::string_view rest = text.substr(pos);
    if (!starts_with_ci(rest, "http://") && !starts_with_ci(rest, "https://")) continue;
    size_t end = rest.find_first_of(" \t\r\n\"'<>)]}");
    out.emplace_back(rest.substr(0, end));
    pos += out.back().size() - 1;
  }
  return out;
}

namespace {

Action generic(std::string_view tool, Harness h) {
  Action a;
  a.kind = Kind::ToolUse;
  a.tool = std::string(tool);
  a.resource = std::string(harness_name(h)) + "/" + std::string(tool);
  a.summary = "use tool " + std::string(tool);
  return a;
}

// `mcp__server__tool` (Claude Code, Codex, Gemini CLI, and Cursor as
// normalised by parse_hook_event): the server and the tool's name.
bool mcp_tool_name(std::string_view tool, std::string_view& server, std::string_view& name) {
  if (tool.substr(0, 5) != "mcp__") return false;
  std::string_view rest = tool.substr(5);
  auto sep = rest.find("__");
  if (sep == std::string_view::npos || sep == 0 || sep + 2 >= rest.size()) return false;
  server = rest.substr(0, sep);
  name = rest.substr(sep + 2);
  return true;
}

// The length of the Unicode white space (Rust's `char::is_whitespace`:
// the White_Space property) that `s` starts with, in UTF-8 bytes; 0 when
// none.
size_t space_at(std::string_view s) {
  if (s.empty()) return 0;
  auto b = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; };
  if (b(0) == ' ' || (b(0) >= '\t' && b(0) <= '\r')) return 1;
  if (b(0) == 0xC2 && (b(1) == 0x85 || b(1) == 0xA0)) return 2;  // NEL, NBSP
  if (b(0) == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return 3;    // U+1680
  if (b(0) == 0xE2 && b(1) == 0x80 && (b(2) <= 0x8A || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF))
    return 3;                                                  // U+2000–200A, U+2028/9, U+202F
  if (b(0) == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;  // U+205F
  if (b(0) == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  return 0;
}

// `s` without the Unicode white space at either end (Rust's `str::trim`).
std::string_view trim_unicode_space(std::string_view s) {
  while (size_t n = space_at(s)) s.remove_prefix(n);
  for (;;) {
    size_t cut = 0;
    for (size_t n = 1; n <= 3 && n <= s.size() && !cut; ++n)
      if (space_at(s.substr(s.size() - n)) == n) cut = n;
    if (!cut) return s;
    s.remove_suffix(cut);
  }
}

// Codex's apply_patch names its files in "*** Add File: p", "*** Update
// File: p", "*** Delete File: p" and "*** Move to: p" lines. Codex reads
// the lines with their CR dropped and each header trimmed of Unicode white
// space, so a header indented or followed by blanks (or a CRLF patch, or
// a no-break space) still names its file: the same is done here, or such a
// file would be written undecided.
std::vector<Action> patch_actions(std::string_view patch, std::string_view tool, const Environment& env) {
  std::vector<Action> out;
  size_t pos = 0;
  while (pos < patch.size()) {
    size_t nl = patch.find('\n', pos);
    std::string_view line = patch.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? patch.size() : nl + 1;
    line = trim_unicode_space(line);
    for (auto [prefix, kind] : {std::pair{std::string_view("*** Add File: "), Kind::FileWrite},
                                std::pair{std::string_view("*** Update File: "), Kind::FileWrite},
                                std::pair{std::string_view("*** Move to: "), Kind::FileWrite},
                                std::pair{std::string_view("*** Delete File: "), Kind::FileDelete}}) {
      if (line.substr(0, prefix.size()) == prefix)
        out.push_back(file_action(kind, line.substr(prefix.size()), tool, env));
    }
  }
  return out;
}

std::string first_string(const json& in, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = in.find(k);
    if (it != in.end() && it->is_string()) return it->get<std::string>();
  }
  return {};
}

// The shell command of a tool input: a string, or an argv array (Codex).
std::optional<std::string> command_of(const json& in) {
  for (const char* k : {"command", "cmd"}) {
    auto it = in.find(k);
    if (it == in.end()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_array()) {
      std::string joined;
      for (const auto& w : *it) {
        if (!w.is_string()) return std::nullopt;
        std::string s = w.get<std::string>();
        bool plain = !s.empty() && s.find_first_of(" \t\n'\"\\$`;&|<>(){}*?[]~#") == std::string::npos;
        if (!joined.empty()) joined += ' ';
        if (plain) {
          joined += s;
        } else {
          joined += '\'';
          for (char c : s) joined += c == '\'' ? std::string("'\\''") : std::string(1, c);
          joined += '\'';
        }
      }
      return joined;
    }
  }
  return std::nullopt;
}

// `apply_patch` run as a command (Codex applies `apply_patch <<'EOF' …`,
// `cd DIR && apply_patch …` and its argv form itself, and puts a program
// of that name on PATH): the files its patch names, in each directory a
// `cd` on the line may have moved to, are written. A patch Tollgate cannot
// see (from a variable or a file) is an opaque write.
void applied_patches(std::string_view command, std::string_view tool, const Environment& env,
                     std::vector<Action>& out) {
  std::vector<std::string> cwds = {env.cwd};
  bool applies = false, cwd_unknown = false;
  for (const auto& a : out) {
    if (a.kind != Kind::ShellExec || !a.command) continue;
    const CommandInfo& c = *a.command;
    if (c.name == "apply_patch" || c.name == "applypatch") applies = true;
    if (c.name != "cd" && c.name != "pushd") continue;
    std::string dir = c.args.empty() ? env.home : c.args.back();
    if (dir.find_first_of("$`*?[") != std::string::npos || dir == "-")
      cwd_unknown = true;
    else
      cwds.push_back(analyze::normalize_path(dir, env.cwd, env.home, env.resolve_symlinks));
  }
  if (!applies) return;
  size_t before = out.size();
  for (const auto& cwd : cwds) {
    Environment e = env;
    e.cwd = cwd;
    for (auto& a : patch_actions(command, tool, e)) {
      a.full_command = std::string(command.substr(0, 4096));
      out.push_back(std::move(a));
    }
  }
  const bool found = out.size() > before;
  // A name with an expansion in it (an unquoted here-document's `$HOME/x`)
  // is what the shell makes of it when the program runs.
  for (size_t i = before; i < out.size(); ++i)
    if (cwd_unknown || out[i].path.find_first_of("$`") != std::string::npos) out[i].opaque = true;
  if (!found) {
    Action w = file_action(Kind::FileWrite, "(the files a patch names)", tool, env);
    w.opaque = true;
    w.summary = "write the files a patch names";
    out.push_back(std::move(w));
  }
}

// Harness-internal tools: planning, to-do lists, questions to the user, and
// reading back the output of shells the agent already started.
bool is_internal_tool(std::string_view t) {
  static constexpr std::string_view kInternal[] = {
      // Claude Code
      "TodoWrite", "TodoRead", "TaskCreate", "TaskGet", "TaskList", "TaskOutput", "TaskStop", "TaskUpdate",
      "ExitPlanMode", "EnterPlanMode", "BashOutput", "KillShell", "KillBash", "AskUserQuestion", "SlashCommand",
      "Skill", "ToolSearch",
      // Codex
      "update_plan",
      // Gemini CLI
      "write_todos", "complete_task", "update_topic", "enter_plan_mode", "exit_plan_mode", "activate_skill",
      "list_background_processes", "read_background_output", "ask_user", "get_internal_docs", "tracker_create_task",
      "tracker_update_task", "tracker_get_task", "tracker_list_tasks", "tracker_add_dependency", "tracker_visualize"};
  return std::find(std::begin(kInternal), std::end(kInternal), t) != std::end(kInternal);
}

}  // namespace

namespace {

Result<std::vector<Action>> tool_actions(const HookEvent& ev, const Environment& env) {
  auto parsed = parse_json(ev.tool_input, "tool input", kMaxEventDepth);
  if (!parsed) return std::move(parsed).error();
  json in = parsed->is_object() ? std::move(*parsed) : json::object();
  const std::string& t = ev.tool_name;
  std::vector<Action> out;
  auto need_path = [&](std::initializer_list<const char*> keys) -> Result<std::string> {
    std::string p = first_string(in, keys);
    if (p.empty()) return Error("tool `" + t + "` was called without a file path");
    return p;
  };
  auto internal = [&] {
    Action a = generic(t, ev.harness);
    a.internal = true;
    out.push_back(std::move(a));
  };

  std::string_view mcp_server, mcp_tool;
  if (mcp_tool_name(t, mcp_server, mcp_tool)) {
    McpRequest req{std::string(mcp_server), "tools/call", std::string(mcp_tool), ev.tool_input, std::nullopt, t};
    auto acts = mcp_actions(req, env);
    if (!acts) return std::move(acts).error();
    out = std::move(*acts);
  } else if (t == "Bash" || t == "Shell" || t == "run_shell_command" || t == "exec_command" || t == "shell" ||
             t == "local_shell" || t == "container.exec") {
    auto cmd = command_of(in);
    if (!cmd) return Error("tool `" + t + "` was called without a command");
    Environment e = env;
    if (std::string dir = first_string(in, {"dir_path", "directory", "workdir", "cwd"}); !dir.empty())
      e.cwd = analyze::normalize_path(dir, env.cwd, env.home, false);
    out = shell_actions(*cmd, t, e);
    applied_patches(*cmd, t, e, out);
  } else if (t == "LSP") {
    // Claude Code's code intelligence: definitions, references and symbols
    // of a file, read through a language server.
    std::string p = first_string(in, {"filePath", "file_path", "path"});
    if (p.empty()) {
      internal();
    } else {
      out.push_back(file_action(Kind::FileRead, p, t, env));
    }
  } else if (t == "Read" || t == "NotebookRead" || t == "read_file" || t == "ReadFile" || t == "view_image") {
    auto p = need_path({"file_path", "absolute_path", "notebook_path", "path"});
    if (!p) return std::move(p).error();
    out.push_back(file_action(Kind::FileRead, *p, t, env));
  } else if (t == "Write" || t == "Edit" || t == "MultiEdit" || t == "NotebookEdit" || t == "write_file" ||
             t == "replace" || t == "edit" || t == "WriteFile" || t == "Edit_file") {
    auto p = need_path({"file_path", "notebook_path", "absolute_path", "path"});
    if (!p) return std::move(p).error();
    out.push_back(file_action(Kind::FileWrite, *p, t, env));
  } else if (t == "Delete" || t == "delete_file") {
    auto p = need_path({"file_path", "path"});
    if (!p) return std::move(p).error();
    out.push_back(file_action(Kind::FileDelete, *p, t, env));
  } else if (t == "Glob" || t == "Grep" || t == "LS" || t == "glob" || t == "search_file_content" ||
             t == "grep_search" || t == "list_directory" || t == "ls" || t == "list_dir" || t == "grep_files") {
    // Searches read under their root (the working directory by default);
    // a content search reads every file beneath it, a listing only names.
    // Every root the input names is searched: harnesses differ in which
    // of the spellings they take.
    std::vector<std::string> roots;
    for (const char* k : {"path", "dir_path", "directory", "absolute_path"})
      if (auto it = in.find(k); it != in.end() && it->is_string() && !it->get<std::string>().empty())
        roots.push_back(it->get<std::string>());
    if (roots.empty()) roots.push_back(env.cwd);
    const bool content = t == "Grep" || t == "search_file_content" || t == "grep_search" || t == "grep_files";
    for (const auto& root : roots) {
      Action a = file_action(Kind::FileRead, root, t, env);
      if (content) mark_tree(a);
      std::string dir = a.path;
      const size_t at = out.size();
      out.push_back(std::move(a));
      // A search kept to some names (`glob: ".env*"`, `include: "*.pem"`)
      // reads the files of those names beneath its root.
      for (const char* k : {"glob", "include"}) {
        auto it = in.find(k);
        if (!content || it == in.end() || !it->is_string()) continue;
        std::string g = it->get<std::string>();
        g = g.substr(g.rfind('/') == std::string::npos ? 0 : g.rfind('/') + 1);
        if (g.empty() || g[0] == '!') continue;
        // A glob that says nothing of the name (`*`) keeps every file in,
        // dot-files too (it overrides ripgrep's skipping them): looked through.
        if (any_name(g)) {
          TreeScope all;
          out[at].tree_scope = all;
        }
        out.push_back(file_action(Kind::FileRead, dir + "/" + g, t, env));
      }
    }
    expand_trees(out, env);
  } else if (t == "read_many_files") {
    // Gemini globs `paths` and `include` together, ignoring case, with `\`
    // taken as `/`; a path that names no file is a pattern too. Each is
    // read as written and in lower case (labels are written in lower case).
    for (const char* k : {"paths", "include"}) {
      auto it = in.find(k);
      if (it == in.end()) continue;
      if (!it->is_array()) return Error("tool `" + t + "`: " + k + " must be a list");
      for (const auto& p : *it) {
        if (!p.is_string()) return Error("tool `" + t + "`: " + k + " must be strings");
        std::string raw = p.get<std::string>();
        std::replace(raw.begin(), raw.end(), '\\', '/');
        std::string folded = raw;
        std::transform(folded.begin(), folded.end(), folded.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        for (const auto& each : folded == raw ? std::vector{raw} : std::vector{raw, folded}) {
          size_t wild = each.find_first_of("*?[{");
          if (wild == std::string::npos) {
            out.push_back(file_action(Kind::FileRead, each, t, env));
            continue;
          }
          // A pattern (`src/**/*.ts`, `**/.env*`): everything beneath the
          // directory before its first wildcard, whole, and files of its
          // last name, labelled by that name.
          size_t slash = each.rfind('/', wild);
          Action tree =
              file_action(Kind::FileRead, slash == std::string::npos ? "." : each.substr(0, slash + 1), t, env);
          mark_tree(tree);
          std::string dir = tree.path;
          out.push_back(std::move(tree));
          std::string name = each.substr(each.rfind('/') == std::string::npos ? 0 : each.rfind('/') + 1);
          // A last name that says nothing (`.*`, `**`, `*`) could be any file: not known.
          if (any_name(name)) {
            Action any = file_action(Kind::FileRead, each, t, env);
            any.opaque = true;
            out.push_back(std::move(any));
          } else {
            out.push_back(file_action(Kind::FileRead, dir + "/" + name, t, env));
          }
        }
      }
    }
    if (out.empty()) return Error("tool `" + t + "` was called without paths");
  } else if (t == "apply_patch") {
    std::string patch = first_string(in, {"input", "patch", "command"});
    if (patch.empty()) return Error("tool `apply_patch` was called without a patch");
    out = patch_actions(patch, t, env);
    if (out.empty()) {
      Action a = generic(t, ev.harness);
      a.opaque = true;
      out.push_back(std::move(a));
    }
  } else if (t == "WebFetch" || t == "web_fetch" || t == "fetch") {
    std::string url = first_string(in, {"url"});
    std::vector<std::string> urls = url.empty() ? urls_in_text(first_string(in, {"prompt"})) : std::vector{url};
    // Gemini's web_fetch fetches what its prompt names, a `url` or not.
    if (!url.empty() && t == "web_fetch")
      for (auto& u : urls_in_text(first_string(in, {"prompt"}))) urls.push_back(std::move(u));
    if (urls.empty()) return Error("tool `" + t + "` was called without a URL");
    for (const auto& u : urls) out.push_back(net_action(u, t));
  } else if (t == "WebSearch" || t == "google_web_search" || t == "web_search") {
    Action a;
    a.kind = Kind::NetFetch;
    a.tool = t;
    a.host = "web-search";
    a.resource = a.host;
    a.summary = "search the web";
    out.push_back(std::move(a));
  } else if (t == "Task" || t == "Agent" || t == "invoke_agent") {
    Action a;
    a.kind = Kind::AgentSpawn;
    a.tool = t;
    a.resource = first_string(in, {"subagent_type", "agent_name"});
    if (a.resource.empty()) a.resource = "general-purpose";
    a.summary = "start subagent " + a.resource;
    out.push_back(std::move(a));
  } else if (t == "ListMcpResourcesTool" || t == "ReadMcpResourceTool" || t == "list_mcp_resources" ||
             t == "read_mcp_resource") {
    const bool list = t == "ListMcpResourcesTool" || t == "list_mcp_resources";
    std::string server = first_string(in, {"server", "serverName"});
    if (server.empty()) server = "unknown";
    if (!list) {
      // A read is the gateway's resources/read: a file: resource is a read
      // of that file too.
      McpRequest req{server, "resources/read", first_string(in, {"uri"}), "{}", std::nullopt, t};
      auto acts = mcp_actions(req, env);
      if (!acts) return std::move(acts).error();
      return std::move(*acts);
    }
    Action a;
    a.kind = Kind::McpList;
    a.tool = t;
    a.mcp_server = server;
    a.resource = a.mcp_server + "/resources/list";
    a.summary = "read MCP resources of " + a.mcp_server;
    out.push_back(std::move(a));
  } else if (is_internal_tool(t)) {
    internal();
  } else {
    out.push_back(generic(t, ev.harness));
  }
  return out;
}

}  // namespace

void mark_served_paths(std::vector<Action>& actions, const Environment& env) {
  // What a path on a file system served by a process leads to is that
  // process's to say (analyze::on_process_served_mount): not known.
  if (!env.resolve_symlinks) return;
  for (auto& a : actions)
    if (!a.path.empty() && analyze::on_process_served_mount(a.path)) a.opaque = true;
}

Result<std::vector<Action>> to_actions(const HookEvent& ev, const Environment& env) {
  auto out = tool_actions(ev, env);
  if (out) mark_served_paths(*out, env);
  return out;
}

}  // namespace tollgate::action
