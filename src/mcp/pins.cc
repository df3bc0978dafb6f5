// Pinned MCP tool definitions (mcp/pins.h).
#include "mcp/pins.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "base/json.h"
#include "policy/pack.h"

namespace tollgate::mcp {

using nlohmann::json;

namespace {

constexpr size_t kMaxToolBytes = 1u << 20;
constexpr int kMaxToolDepth = 32;

// Phrases that address the model behind the user's back (tool poisoning).
// Matched in the text as normalise_for_phrases() leaves it: tags with or
// without attributes (`<important priority="high">`), not `<system-root>`.
constexpr std::array<std::string_view, 18> kHiddenInstructions = {"<important>",
                                                                  "<important ",
                                                                  "<system>",
                                                                  "<system ",
                                                                  "[system]",
                                                                  "ignore previous instructions",
                                                                  "ignore all previous",
                                                                  "ignore the previous",
                                                                  "disregard previous",
                                                                  "disregard all previous",
                                                                  "do not tell the user",
                                                                  "don't tell the user",
                                                                  "do not mention this",
                                                                  "don't mention this",
                                                                  "without telling the user",
                                                                  "without informing the user",
                                                                  "not visible to the user",
                                                                  "conceal this"};

// Tools the harnesses have under these names (Claude Code, Codex, Gemini
// CLI, Cursor), compared without case, separators or look-alike letters;
// an MCP tool named so could be mistaken for them. Names common MCP servers
// use for their own tools (`read_file`, `write_file`, `list_directory`) are
// not among them.
constexpr std::array<std::string_view, 29> kHarnessTools = {"bash",
                                                            "read",
                                                            "write",
                                                            "edit",
                                                            "multiedit",
                                                            "glob",
                                                            "grep",
                                                            "ls",
                                                            "webfetch",
                                                            "websearch",
                                                            "task",
                                                            "shell",
                                                            "runshellcommand",
                                                            "applypatch",
                                                            "execcommand",
                                                            "writestdin",
                                                            "runterminalcmd",
                                                            "notebookedit",
                                                            "todowrite",
                                                            "bashoutput",
                                                            "killshell",
                                                            "googlewebsearch",
                                                            "readmanyfiles",
                                                            "localshell",
                                                            "listdir",
                                                            "deletefile",
                                                            "grepsearch",
                                                            "codebasesearch",
                                                            "killbash"};

// Code points that show nothing (or nothing of their own) in a client's
// display: format controls, fillers, variation selectors, invisible
// musical and shorthand formatting, line and paragraph separators.
bool invisible(uint32_t cp) {
  return cp == 0xAD || cp == 0x34F || cp == 0x61C || cp == 0x115F || cp == 0x1160 || cp == 0x17B4 || cp == 0x17B5 ||
         (cp >= 0x180B && cp <= 0x180F) || (cp >= 0x200B && cp <= 0x200F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0x2800 || cp == 0x3164 ||
         (cp >= 0xFE00 && cp <= 0xFE0E) || cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
         (cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A) || (cp >= 0xE0000 && cp <= 0xE007F) ||
         (cp >= 0xE0100 && cp <= 0xE01EF);
}

// The text as a reader sees it, for phrase matching: lowercase ASCII,
// fullwidth forms as ASCII (`＜IMPORTANT＞`), invisible code points gone,
// every run of white space one space, no space after `<` or `[`.
std::string normalise_for_phrases(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto put = [&](char c) {
    if (c == ' ' && (out.empty() || out.back() == ' ' || out.back() == '<' || out.back() == '[')) return;
    out += c;
  };
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      put(std::isspace(c) ? ' ' : static_cast<char>(std::tolower(c)));
      ++i;
      continue;
    }
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + len > s.size()) break;
    uint32_t cp = len == 1 ? c : c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += len;
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
      put(static_cast<char>(std::tolower(static_cast<int>(cp - 0xFF01 + 0x21))));
    } else if (cp == 0x3000 || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029) {
      put(' ');
    } else if (!invisible(cp)) {
      out.append(s.substr(i - len, len));
    }
  }
  return out;
}

void add_flag(std::vector<std::string>& flags, std::string_view f) {
  if (std::find(flags.begin(), flags.end(), f) == flags.end()) flags.emplace_back(f);
}

void inspect_into(std::string_view s, std::vector<std::string>& flags) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7F) add_flag(flags, "ansi-escape");
      // A carriage return not ending a line sends a terminal back over what
      // it showed: text written after it hides the text before.
      if (c == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n')) add_flag(flags, "ansi-escape");
      ++i;
      continue;
    }
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > s.size()) {
      add_flag(flags, "invalid-utf8");
      ++i;
      continue;
    }
    uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok) {
      add_flag(flags, "invalid-utf8");
      ++i;
      continue;
    }
    if (cp >= 0x80 && cp <= 0x9F) add_flag(flags, "ansi-escape");  // C1 controls (CSI …)
    // U+FE0F after an emoji or a keycap digit asks for its emoji form;
    // after a letter it only hides.
    if (invisible(cp) || (cp == 0xFE0F && i > 0 && std::isalpha(static_cast<unsigned char>(s[i - 1]))))
      add_flag(flags, "invisible-unicode");
    i += len;
  }
  const std::string lower = normalise_for_phrases(s);
  for (auto phrase : kHiddenInstructions) {
    if (lower.find(phrase) != std::string::npos) {
      add_flag(flags, "hidden-instructions");
      break;
    }
  }
}

void inspect_json(const json& j, std::vector<std::string>& flags) {
  if (j.is_string()) {
    inspect_into(j.get_ref<const std::string&>(), flags);
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      inspect_into(it.key(), flags);
      inspect_json(*it, flags);
    }
  } else if (j.is_array()) {
    for (const auto& e : j) inspect_json(e, flags);
  }
}

}  // namespace

std::vector<std::string> inspect_text(std::string_view text) {
  std::vector<std::string> flags;
  inspect_into(text, flags);
  return flags;
}

bool shadows_harness_tool(std::string_view name) {
  // As a reader sees it: lowercase, fullwidth forms as ASCII, invisible
  // code points gone; then the Cyrillic and Greek letters that look like
  // Latin ones as those, and no spaces or separators.
  std::string seen = normalise_for_phrases(name);
  // Another server's tool in the harnesses' own naming (`mcp__github__x`).
  if (seen.rfind("mcp__", 0) == 0) return true;
  static constexpr std::pair<std::string_view, char> kLookAlike[] = {
      {"а", 'a'}, {"е", 'e'}, {"о", 'o'}, {"р", 'p'}, {"с", 'c'}, {"х", 'x'}, {"у", 'y'}, {"і", 'i'}, {"ѕ", 's'},
      {"ј", 'j'}, {"һ", 'h'}, {"ԁ", 'd'}, {"ӏ", 'l'}, {"α", 'a'}, {"ε", 'e'}, {"ο", 'o'}, {"ρ", 'p'}, {"τ", 't'},
      {"ι", 'i'}, {"κ", 'k'}, {"ν", 'v'}, {"Ь", 'b'}, {"в", 'b'}, {"т", 't'}, {"А", 'a'}, {"В", 'b'}, {"Е", 'e'},
      {"К", 'k'}, {"М", 'm'}, {"Н", 'h'}, {"О", 'o'}, {"Р", 'p'}, {"С", 'c'}, {"Т", 't'}, {"Х", 'x'}, {"У", 'y'},
      {"Ѕ", 's'}, {"І", 'i'}, {"Ј", 'j'}, {"Α", 'a'}, {"Β", 'b'}, {"Ε", 'e'}, {"Ζ", 'z'}, {"Η", 'h'}, {"Ι", 'i'},
      {"Κ", 'k'}, {"Μ", 'm'}, {"Ν", 'n'}, {"Ο", 'o'}, {"Ρ", 'p'}, {"Τ", 't'}, {"Υ", 'y'}, {"Χ", 'x'}};
  std::string folded;
  for (size_t i = 0; i < seen.size();) {
    bool matched = false;
    for (const auto& [from, to] : kLookAlike) {
      if (seen.compare(i, from.size(), from) == 0) {
        folded += to;
        i += from.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    char ch = seen[i++];
    if (ch == ' ' || ch == '_' || ch == '-' || ch == '.') continue;
    folded += ch;
  }
  return std::find(kHarnessTools.begin(), kHarnessTools.end(), folded) != kHarnessTools.end();
}

Result<ToolDefinition> tool_definition(std::string_view tool_json) {
  if (tool_json.size() > kMaxToolBytes) return Error("an MCP tool definition is larger than 1 MiB");
  auto j = parse_json(tool_json, "MCP tool definition", kMaxToolDepth);
  if (!j) return std::move(j).error();
  if (!j->is_object()) return Error("an MCP tool definition must be a JSON object");
  auto name = j->find("name");
  if (name == j->end() || !name->is_string() || name->get_ref<const std::string&>().empty())
    return Error("an MCP tool definition needs a non-empty string `name`");
  ToolDefinition d;
  d.name = name->get<std::string>();
  // What the model reads and what decides how the tool is called; `_meta`
  // and unknown keys are carried but not pinned.
  json pinned = json::object();
  for (const char* k : {"name", "title", "description", "inputSchema", "outputSchema", "annotations"}) {
    if (auto it = j->find(k); it != j->end()) pinned[k] = *it;
  }
  d.canonical = dump_json(pinned);  // nlohmann objects keep their keys sorted
  d.hash = policy::sha256_hex(d.canonical);
  inspect_json(pinned, d.flags);
  if (shadows_harness_tool(d.name)) d.flags.emplace_back("shadows-harness-tool");
  if (auto a = j->find("annotations"); a != j->end() && a->is_object()) {
    if (auto ro = a->find("readOnlyHint"); ro != a->end() && ro->is_boolean()) d.read_only = ro->get<bool>();
  }
  return d;
}

ToolDefinition server_definition(std::string_view instructions) {
  ToolDefinition d;
  d.canonical = dump_json(json{{"instructions", instructions}});
  d.hash = policy::sha256_hex(d.canonical);
  d.flags = inspect_text(instructions);
  return d;
}

std::string pin_json(const Pin& p) {
  json j = {{"server", p.server},
            {"tool", p.tool},
            {"status", p.status},
            {"hash", p.hash},
            {"definition", p.definition},
            {"pending_hash", p.pending_hash},
            {"pending_definition", p.pending_definition},
            {"flags", p.flags},
            {"reason", p.reason},
            {"first_seen_ms", p.first_seen_ms},
            {"updated_ms", p.updated_ms}};
  if (p.read_only) j["read_only"] = *p.read_only;
  if (p.tools_reviewed) j["tools_reviewed"] = true;
  return dump_json(j);
}

Result<Pin> load_pin_json(std::string_view text) {
  auto j = parse_json(text, "MCP pin", 8);
  if (!j) return std::move(j).error();
  try {
    Pin p;
    p.server = j->at("server").get<std::string>();
    p.tool = j->at("tool").get<std::string>();
    p.status = j->at("status").get<std::string>();
    p.hash = j->value("hash", std::string());
    p.definition = j->value("definition", std::string());
    p.pending_hash = j->value("pending_hash", std::string());
    p.pending_definition = j->value("pending_definition", std::string());
    p.flags = j->value("flags", std::vector<std::string>{});
    p.reason = j->value("reason", std::string());
    p.first_seen_ms = j->value("first_seen_ms", int64_t{0});
    p.updated_ms = j->value("updated_ms", int64_t{0});
    if (auto ro = j->find("read_only"); ro != j->end() && ro->is_boolean()) p.read_only = ro->get<bool>();
    if (auto tr = j->find("tools_reviewed"); tr != j->end() && tr->is_boolean()) p.tools_reviewed = tr->get<bool>();
    return p;
  } catch (const json::exception& e) {
    return Error(std::string("MCP pin: ") + e.what());
  }
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Pin quarantine(Pin p, const ToolDefinition& d, std::string reason, int64_t now) {
  p.status = "quarantined";
  p.pending_hash = d.hash;
  p.pending_definition = d.canonical;
  p.flags = d.flags;
  p.reason = std::move(reason);
  p.updated_ms = now;
  return p;
}

}  // namespace

Review review_tools(std::string_view server, const std::vector<Pin>& pins, const std::vector<ToolDefinition>& listed,
                    int64_t now_ms, bool continues_first) {
  Review r;
  const Pin* server_pin = nullptr;
  bool first_sight = true;
  for (const auto& p : pins) {
    if (p.tool.empty())
      server_pin = &p;
    else
      first_sight = false;
  }
  if (server_pin && server_pin->tools_reviewed) first_sight = false;
  first_sight = first_sight || continues_first;
  r.first_sight = first_sight;
  if (server_pin && !server_pin->tools_reviewed) {
    r.server_update = *server_pin;
    r.server_update->tools_reviewed = true;
  }
  std::string server_blocked =
      server_pin && server_pin->status != "approved"
          ? "the MCP server `" + std::string(server) + "` is quarantined (" + server_pin->reason + ")"
          : std::string();
  for (const auto& d : listed) {
    ToolVerdict v{d.name, false, {}};
    auto it = std::find_if(pins.begin(), pins.end(), [&](const Pin& p) { return p.tool == d.name; });
    std::string id = std::string(server) + "/" + d.name;
    if (it == pins.end()) {
      Pin p;
      p.server = std::string(server);
      p.tool = d.name;
      p.first_seen_ms = now_ms;
      if (!d.flags.empty()) {
        r.updates.push_back(quarantine(std::move(p), d, "its definition is flagged: " + join(d.flags), now_ms));
        r.events.push_back("quarantined " + id + " on first sight (" + join(d.flags) + ")");
        v.reason = "the tool `" + id + "` is quarantined: its definition is flagged (" + join(d.flags) + ")";
      } else if (!first_sight) {
        r.updates.push_back(quarantine(std::move(p), d, "it appeared after the server was pinned", now_ms));
        r.events.push_back("quarantined " + id + ": a new tool after the server was pinned");
        v.reason = "the tool `" + id + "` appeared after the server was pinned and awaits approval";
      } else {
        p.status = "approved";
        p.hash = d.hash;
        p.definition = d.canonical;
        p.read_only = d.read_only;
        p.updated_ms = now_ms;
        r.updates.push_back(std::move(p));
        r.events.push_back("pinned " + id);
        v.usable = true;
      }
    } else if (it->status == "approved" && it->hash == d.hash) {
      v.usable = true;
    } else if (it->hash == d.hash && it->status != "approved") {
      v.reason = "the tool `" + id + "` is quarantined (" + it->reason + ")";
    } else if (it->pending_hash == d.hash) {
      v.reason = "the tool `" + id + "` is quarantined (" + it->reason + ")";
    } else {
      r.updates.push_back(quarantine(*it, d, "its definition changed since it was pinned", now_ms));
      if (!d.flags.empty()) r.updates.back().reason += " and is flagged: " + join(d.flags);
      r.events.push_back("quarantined " + id + ": its definition changed");
      v.reason = "the tool `" + id + "` changed its definition since it was pinned and awaits approval";
    }
    if (v.usable && !server_blocked.empty()) {
      v.usable = false;
      v.reason = server_blocked;
    }
    r.tools.push_back(std::move(v));
  }
  return r;
}

std::optional<Pin> review_server(std::string_view server, const std::optional<Pin>& pin, const ToolDefinition& def,
                                 int64_t now_ms) {
  if (!pin) {
    Pin p;
    p.server = std::string(server);
    p.first_seen_ms = now_ms;
    if (!def.flags.empty())
      return quarantine(std::move(p), def, "its instructions are flagged: " + join(def.flags), now_ms);
    p.status = "approved";
    p.hash = def.hash;
    p.definition = def.canonical;
    p.updated_ms = now_ms;
    return p;
  }
  if (pin->hash == def.hash || pin->pending_hash == def.hash) return std::nullopt;
  return quarantine(*pin, def, "its instructions changed since they were pinned", now_ms);
}

bool approve(Pin& p, int64_t now_ms) {
  if (p.status == "approved") return false;
  if (!p.pending_hash.empty()) {
    p.hash = p.pending_hash;
    p.definition = p.pending_definition;
    p.read_only.reset();
    if (auto d = parse_json(p.definition, "pin", 40); d && d->is_object()) {
      if (auto a = d->find("annotations"); a != d->end() && a->is_object()) {
        if (auto ro = a->find("readOnlyHint"); ro != a->end() && ro->is_boolean()) p.read_only = ro->get<bool>();
      }
    }
  }
  p.pending_hash.clear();
  p.pending_definition.clear();
  p.status = "approved";
  p.reason.clear();
  p.updated_ms = now_ms;
  return true;
}

std::string call_blocker(const std::optional<Pin>& server_pin, const std::optional<Pin>& tool_pin) {
  if (server_pin && server_pin->status != "approved")
    return "the MCP server `" + server_pin->server + "` is quarantined (" + server_pin->reason +
           "); a person can approve it with `tollgate mcp approve " + server_pin->server + "`";
  if (!tool_pin) return "Tollgate has not seen this tool's definition (tools/list) and does not let it be called";
  if (tool_pin->status != "approved")
    return "the MCP tool `" + tool_pin->server + "/" + tool_pin->tool + "` is quarantined (" + tool_pin->reason +
           "); a person can approve it with `tollgate mcp approve " + tool_pin->server + " " + tool_pin->tool + "`";
  return {};
}

}  // namespace tollgate::mcp
