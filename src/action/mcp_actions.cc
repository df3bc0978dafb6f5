// MCP requests as canonical actions (action/action.h, docs/mcp.md).
#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <string>

#include "action/action.h"
#include "action/action_internal.h"
#include "base/json.h"

namespace tollgate::action {

using nlohmann::json;

// The path a `file:` URI names, as a client library reads it: the scheme
// in any case, with or without an authority (`file:/p`, `file:///p`,
// `file://host/p`), percent-escapes decoded, query and fragment dropped
// (`file:///home/dev/project/%2Eenv?x` is `.env`). Nullopt when `v` is no
// file URI.
std::optional<std::string> file_uri_path(std::string_view v) {
  if (!starts_with_ci(v, "file:")) return std::nullopt;
  std::string_view rest = v.substr(5);
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  }
  rest = rest.substr(0, rest.find_first_of("?#"));
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string path;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() && hex(rest[i + 1]) >= 0 && hex(rest[i + 2]) >= 0) {
      path += static_cast<char>(hex(rest[i + 1]) * 16 + hex(rest[i + 2]));
      i += 2;
    } else {
      path += rest[i];
    }
  }
  // A server written in C stops at a NUL (`id_rsa%00.txt` opens id_rsa).
  path = path.substr(0, path.find('\0'));
  return path;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Argument names whose string values are file paths.
constexpr std::array<std::string_view, 39> kPathKeys = {"relative_path", "working_dir",   "workingdirectory",
                                                        "filepaths",     "path",          "paths",
                                                        "file",          "files",         "file_path",
                                                        "filepath",      "filename",      "filenames",
                                                        "source",        "destination",   "src",
                                                        "dest",          "dir",           "directory",
                                                        "root",          "cwd",           "workdir",
                                                        "old_path",      "new_path",      "target_path",
                                                        "notebook_path", "absolute_path", "file_name",
                                                        "pathname",      "dir_path",      "dirpath",
                                                        "folder",        "input_path",    "output_path",
                                                        "input_file",    "output_file",   "output",
                                                        "location",      "target",        "working_directory"};

// Argument names whose string values are shell commands, in tools whose
// names say they run them (`execute_command`, `start_process`, `run_shell`).
bool runs_command(std::string_view tool, std::string_view key) {
  std::string k = lower(key.substr(key.rfind('.') == std::string_view::npos ? 0 : key.rfind('.') + 1));
  if (k != "command" && k != "cmd" && k != "shell_command" && k != "script") return false;
  std::string t = lower(tool);
  for (std::string_view w : {"exec", "shell", "run", "process", "terminal", "command", "bash", "spawn"})
    if (t.find(w) != std::string::npos) return true;
  return false;
}

// A value that is a whole http(s) or ws(s) URL (a fetch or browser tool's
// `url`, a webhook's address): the tool contacts its host.
bool is_url_value(std::string_view v) {
  for (std::string_view scheme : {"http://", "https://", "ws://", "wss://"})
    if (v.size() > scheme.size() && starts_with_ci(v, scheme)) return true;
  return false;
}

// A value without the blanks a server may strip from around it
// (`" https://x.example/"` is fetched as `https://x.example/`).
std::string_view trimmed(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return v;
}

// Tool names that change what they touch.
constexpr std::array<std::string_view, 16> kWriteWords = {"write",  "edit",   "create", "delete", "remove", "move",
                                                          "rename", "update", "put",    "set",    "patch",  "upload",
                                                          "append", "insert", "mkdir",  "save"};

bool is_path_key(std::string_view key) {
  // The last dotted segment that is not an array index: `edits.0.path` → path.
  while (!key.empty()) {
    auto dot = key.rfind('.');
    std::string_view last = dot == std::string_view::npos ? key : key.substr(dot + 1);
    bool index = !last.empty() && std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!index) {
      // Folded as a server that matches member names without case would
      // (Go's encoding/json: `pathſ`, `PATH`, `Kind` with a Kelvin sign).
      std::string l = fold_member_name(last);
      return std::find(kPathKeys.begin(), kPathKeys.end(), l) != kPathKeys.end();
    }
    if (dot == std::string_view::npos) return false;
    key = key.substr(0, dot);
  }
  return false;
}

// The tool's name says it changes things: a word of kWriteWords starts
// the name or stands between separators (`write_file`, `createDirectory`,
// not `get_settings`).
Kind kind_by_name(std::string_view name) {
  std::string l = lower(name);
  auto word_at = [&](std::string_view w) {
    for (size_t pos = l.find(w); pos != std::string::npos; pos = l.find(w, pos + 1)) {
      size_t end = pos + w.size();
      bool starts = pos == 0 || !std::isalpha(static_cast<unsigned char>(l[pos - 1])) ||
                    std::isupper(static_cast<unsigned char>(name[pos])) != 0;
      bool ends = end >= l.size() || !std::isalpha(static_cast<unsigned char>(l[end])) ||
                  std::isupper(static_cast<unsigned char>(name[end])) != 0;
      if (starts && ends) return true;
    }
    return false;
  };
  if (word_at("delete") || word_at("remove")) return Kind::FileDelete;
  for (auto w : kWriteWords)
    if (word_at(w)) return Kind::FileWrite;
  return Kind::FileRead;
}

Status flatten(const json& v, std::string& key, int depth, McpArgs& out) {
  if (out.size() > kMaxMcpArgs)
    return Error("the MCP call has more than " + std::to_string(kMaxMcpArgs) + " arguments");
  if ((v.is_object() || v.is_array()) && depth < kMaxMcpArgDepth && !v.empty()) {
    size_t base = key.size();
    size_t i = 0;
    for (auto it = v.begin(); it != v.end(); ++it, ++i) {
      if (base) key += '.';
      key += v.is_object() ? it.key() : std::to_string(i);
      if (auto st = flatten(*it, key, depth + 1, out); !st) return st;
      key.resize(base);
    }
    return {};
  }
  out.emplace_back(key, v.is_string() ? v.get<std::string>() : dump_json(v));
  if (out.size() > kMaxMcpArgs)
    return Error("the MCP call has more than " + std::to_string(kMaxMcpArgs) + " arguments");
  return {};
}

}  // namespace

Result<McpArgs> flatten_mcp_arguments(std::string_view arguments_json) {
  McpArgs out;
  if (arguments_json.empty()) return out;
  auto j = parse_json(arguments_json, "MCP arguments", kMaxEventDepth);
  if (!j) return std::move(j).error();
  if (j->is_null()) return out;
  if (!j->is_object()) return Error("MCP arguments must be a JSON object");
  std::string key;
  if (auto st = flatten(*j, key, 0, out); !st) return st.error();
  // `{"a.b": 1, "a": {"b": 2}}` would give two tags of one name, and a
  // policy would see only one of them: such a call is refused.
  std::vector<std::string_view> keys;
  keys.reserve(out.size());
  for (const auto& [k, v] : out) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  if (auto d = std::adjacent_find(keys.begin(), keys.end()); d != keys.end())
    return Error("the MCP call's arguments name `" + std::string(*d) + "` twice (a dotted key and a nested one)");
  return out;
}

bool is_mcp_server_request(std::string_view method) {
  return method == "sampling/createMessage" || method == "elicitation/create" || method == "roots/list";
}

Result<std::vector<Action>> mcp_actions(const McpRequest& req, const Environment& env) {
  if (req.server.empty()) return Error("an MCP request needs a server name");
  if (req.name.empty() && req.method != "tools/list")
    return Error("an MCP request needs a tool, prompt or resource name");
  auto args = flatten_mcp_arguments(req.arguments);
  if (!args) return std::move(args).error();

  Action call;
  call.kind = Kind::McpCall;
  call.tool = req.tool.empty() ? req.name : req.tool;
  call.mcp_server = req.server;
  call.mcp_method = req.method;
  std::vector<Action> out;
  std::string tool_name = req.name;
  if (is_mcp_server_request(req.method)) {
    // The server asks the client (its model, its user, its roots): decided
    // on `<server>/<method>` with the request's plain parameters as tags.
    call.resource = req.server + "/" + req.method;
    call.mcp_args = std::move(*args);
    call.summary = "MCP server " + req.server + " asks the client for " + req.method;
    return std::vector<Action>{std::move(call)};
  }
  if (req.method == "resources/read" || req.method == "resources/subscribe") {
    // A subscription is decided as a read of the resource: what may not be
    // read may not be watched either.
    call.resource = req.server + "/resources/read";
    call.mcp_args = {{"uri", req.name}};
    call.summary = (req.method == "resources/read" ? "read MCP resource " : "subscribe to MCP resource ") + req.name +
                   " of " + req.server;
    // file: resources are files.
    if (auto path = file_uri_path(req.name)) out.push_back(file_action(Kind::FileRead, *path, call.tool, env));
    out.insert(out.begin(), std::move(call));
    return out;
  }
  if (req.method == "prompts/get") {
    call.resource = req.server + "/prompts/get";
    call.mcp_args = std::move(*args);
    call.mcp_args.insert(call.mcp_args.begin(), {"name", req.name});
    call.summary = "get MCP prompt " + req.name + " of " + req.server;
    return std::vector<Action>{std::move(call)};
  }
  call.resource = req.server + "/" + tool_name;
  call.summary = "call MCP tool " + call.resource;
  call.mcp_args = std::move(*args);

  Kind by_name = kind_by_name(tool_name);
  Kind file_kind = by_name;
  if (req.read_only.has_value() && !*req.read_only && by_name == Kind::FileRead) file_kind = Kind::FileWrite;
  out.push_back(call);
  // A command given as a list of words (`"command": ["cat", "x"]`) is one
  // shell command line, its words quoted.
  const McpArgs args_seen = out.front().mcp_args;  // (out grows below)
  std::map<std::string, std::string> command_lists;
  for (const auto& [k, v] : args_seen) {
    auto dot = k.rfind('.');
    if (dot == std::string::npos || k.find_first_not_of("0123456789", dot + 1) != std::string::npos) continue;
    std::string list = k.substr(0, dot);
    if (!runs_command(tool_name, list)) continue;
    std::string& line = command_lists[list];
    if (!line.empty()) line += ' ';
    line += '\'';
    for (char ch : v) line += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    line += '\'';
  }
  for (const auto& [list, line] : command_lists)
    for (auto& a : shell_actions(line, call.tool, env)) {
      a.summary = "MCP tool " + call.resource + ": " + a.summary;
      out.push_back(std::move(a));
    }
  for (const auto& [k, raw] : args_seen) {
    const std::string v(trimmed(raw));
    if (is_url_value(v)) {
      Action n = net_action(v, call.tool);
      n.summary = "MCP tool " + call.resource + ": " + n.summary;
      out.push_back(std::move(n));
      continue;
    }
    if (runs_command(tool_name, k) && !v.empty()) {
      for (auto& a : shell_actions(v, call.tool, env)) {
        a.summary = "MCP tool " + call.resource + ": " + a.summary;
        out.push_back(std::move(a));
      }
      continue;
    }
    auto uri_path = file_uri_path(v);
    if (v.empty() || (!is_path_key(k) && !uri_path)) continue;
    Action f = file_action(file_kind, uri_path ? *uri_path : v, call.tool, env);
    f.summary = "MCP tool " + call.resource + ": " + f.summary;
    out.push_back(std::move(f));
  }
  mark_served_paths(out, env);
  return out;
}

}  // namespace tollgate::action
