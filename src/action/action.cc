#include "action/action.h"

#include <algorithm>
#include <array>

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
  if (analyze::through_process_links(raw)) a.opaque = true;  // the agent's process's view, not the daemon's
  return a;
}

void mark_tree(Action& a) {
  if (a.tree) return;
  a.tree = true;
  a.summary += a.summary.back() == '/' ? "**" : "/**";
}

namespace {

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

// Codex's apply_patch names its files in "*** Add File: p", "*** Update
// File: p", "*** Delete File: p" and "*** Move to: p" lines. Codex reads
// the lines with their CR dropped and each header trimmed, so a header
// indented or followed by blanks (or a CRLF patch) still names its file:
// the same is done here, or such a file would be written undecided.
std::vector<Action> patch_actions(std::string_view patch, std::string_view tool, const Environment& env) {
  std::vector<Action> out;
  size_t pos = 0;
  while (pos < patch.size()) {
    size_t nl = patch.find('\n', pos);
    std::string_view line = patch.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? patch.size() : nl + 1;
    constexpr std::string_view kBlank = " \t\r\v\f";
    size_t first = line.find_first_not_of(kBlank), last = line.find_last_not_of(kBlank);
    line = first == std::string_view::npos ? std::string_view() : line.substr(first, last - first + 1);
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

// Every http(s) URL in free text (Gemini's web_fetch takes a prompt).
std::vector<std::string> urls_in_text(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = text.find("http", pos)) != std::string_view::npos) {
    std::string_view rest = text.substr(pos);
    if (rest.substr(0, 7) == "http://" || rest.substr(0, 8) == "https://") {
      size_t end = rest.find_first_of(" \t\r\n\"'<>)]}");
      out.emplace_back(rest.substr(0, end));
      pos += out.back().size();
    } else {
      pos += 4;
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

// Harness-internal tools: planning, to-do lists, questions to the user, and
// reading back the output of shells the agent already started.
bool is_internal_tool(std::string_view t) {
  static constexpr std::string_view kInternal[] = {
      // Claude Code
      "TodoWrite", "TodoRead", "TaskCreate", "TaskGet", "TaskList", "TaskOutput", "TaskStop", "TaskUpdate",
      "ExitPlanMode", "EnterPlanMode", "BashOutput", "KillShell", "KillBash", "AskUserQuestion", "SlashCommand",
      "Skill",
      // Codex
      "update_plan",
      // Gemini CLI
      "write_todos", "complete_task", "update_topic", "enter_plan_mode", "exit_plan_mode", "activate_skill",
      "list_background_processes", "read_background_output"};
  return std::find(std::begin(kInternal), std::end(kInternal), t) != std::end(kInternal);
}

}  // namespace

Result<std::vector<Action>> to_actions(const HookEvent& ev, const Environment& env) {
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
    if (std::string dir = first_string(in, {"directory", "dir_path", "workdir", "cwd"}); !dir.empty())
      e.cwd = analyze::normalize_path(dir, env.cwd, env.home, false);
    out = shell_actions(*cmd, t, e);
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
             t == "grep_search" || t == "list_directory" || t == "ls") {
    // Searches read under their root (the working directory by default);
    // a content search reads every file beneath it, a listing only names.
    std::string root = first_string(in, {"path", "dir_path", "directory", "absolute_path"});
    Action a = file_action(Kind::FileRead, root.empty() ? env.cwd : root, t, env);
    if (t == "Grep" || t == "search_file_content" || t == "grep_search") mark_tree(a);
    out.push_back(std::move(a));
  } else if (t == "read_many_files") {
    auto it = in.find("paths");
    if (it == in.end() || !it->is_array() || it->empty()) return Error("tool `" + t + "` was called without paths");
    for (const auto& p : *it) {
      if (!p.is_string()) return Error("tool `" + t + "`: paths must be strings");
      Action a = file_action(Kind::FileRead, p.get<std::string>(), t, env);
      if (a.path.find_first_of("*?[{") != std::string::npos) a.opaque = true;  // a glob: files not known yet
      out.push_back(std::move(a));
    }
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
  } else if (t == "ListMcpResourcesTool" || t == "ReadMcpResourceTool") {
    Action a;
    a.kind = t == "ListMcpResourcesTool" ? Kind::McpList : Kind::McpCall;
    a.tool = t;
    a.mcp_server = first_string(in, {"server"});
    if (a.mcp_server.empty()) a.mcp_server = "unknown";
    a.resource = a.mcp_server + (t == "ListMcpResourcesTool" ? "/resources/list" : "/resources/read");
    a.summary = "read MCP resources of " + a.mcp_server;
    out.push_back(std::move(a));
  } else if (is_internal_tool(t)) {
    internal();
  } else {
    out.push_back(generic(t, ev.harness));
  }
  return out;
}

}  // namespace tollgate::action
