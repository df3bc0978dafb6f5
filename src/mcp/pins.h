// Pinned MCP tool definitions (docs/mcp.md, "Pinned tool definitions").
//
// The first time Tollgate sees an MCP server, its tools (name, title,
// description, input and output schemas, annotations) and its instructions
// are pinned: a canonical form (JSON, sorted keys, no whitespace) and its
// SHA-256. Afterwards every tools/list is reviewed against the pins:
//
//   same definition                → usable (if approved)
//   changed definition (rug pull)  → that tool is quarantined
//   a tool that appears later      → quarantined (a server cannot grow new
//                                    tools behind the user's back)
//   changed instructions           → the whole server is quarantined
//   hidden instructions, invisible Unicode, ANSI escapes, a name that
//   shadows a harness tool         → flagged and quarantined, even on first sight
//
// until a person approves the new definition (`tollgate mcp approve`). A
// quarantined tool is removed from tools/list and every call to it is
// denied. Both versions of a changed definition are kept for the record.
//
// Pure functions over values; the daemon stores the pins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tollgate::mcp {

// One tool's (or, with an empty tool name, the server's) pinned identity.
struct Pin {
  std::string server;
  std::string tool;          // empty: the server itself (its instructions)
  std::string status;        // "approved" or "quarantined"
  std::string hash;          // SHA-256 of the approved canonical definition ("" before any approval)
  std::string definition;    // the approved canonical definition
  std::string pending_hash;  // a definition seen since, awaiting approval
  std::string pending_definition;
  std::vector<std::string> flags;  // what inspection found in the pending (or pinned) definition
  std::string reason;              // why it is quarantined
  std::optional<bool> read_only;   // the approved definition's readOnlyHint
  int64_t first_seen_ms = 0;
  int64_t updated_ms = 0;
  // The server pin: a tool listing was reviewed (even an empty one), so a
  // tool that appears later is new, not the server's first sight.
  bool tools_reviewed = false;
};

std::string pin_json(const Pin& p);
Result<Pin> load_pin_json(std::string_view json);

// A tool as the server listed it, in canonical form.
struct ToolDefinition {
  std::string name;
  std::string canonical;  // sorted keys, no whitespace: the pinned bytes
  std::string hash;       // hex SHA-256 of canonical
  std::vector<std::string> flags;
  std::optional<bool> read_only;
};

// The canonical definition of one entry of a tools/list result (a JSON
// object text). Errors: not an object, no string `name`, oversized.
Result<ToolDefinition> tool_definition(std::string_view tool_json);
// The server's pinned identity: its instructions (empty when it has none).
ToolDefinition server_definition(std::string_view instructions);

// What inspection finds in text a model will read: "invisible-unicode",
// "ansi-escape" (and other control characters), "hidden-instructions"
// (phrases that address the model behind the user's back).
std::vector<std::string> inspect_text(std::string_view text);

// Tool names a harness already has: an MCP tool of that name shadows it.
bool shadows_harness_tool(std::string_view name);

// The review of one listing against the stored pins of that server.
struct ToolVerdict {
  std::string name;
  bool usable = false;
  std::string reason;  // when not usable
};
struct Review {
  std::vector<ToolVerdict> tools;   // in listing order
  std::vector<Pin> updates;         // pins to store (new or changed)
  std::vector<std::string> events;  // one line per change, for the ledger: "pinned fs/read_file", …
  bool first_sight = false;         // reviewed as the server's first listing
  // The server pin, marked as having had a listing reviewed (stored
  // silently: it changes no definition).
  std::optional<Pin> server_update;
};

// `pins`: every stored pin of this server (the server pin included, when
// stored). A listing is the server's first sight when no listing of it
// was reviewed before (no tool pinned, and the server pin marks none), or
// when it continues (a later page of) a listing that was:
// `continues_first`. Its tools are pinned rather than quarantined as new.
Review review_tools(std::string_view server, const std::vector<Pin>& pins, const std::vector<ToolDefinition>& listed,
                    int64_t now_ms, bool continues_first = false);
// The server's instructions against its pin (nullopt: nothing to store).
std::optional<Pin> review_server(std::string_view server, const std::optional<Pin>& pin, const ToolDefinition& def,
                                 int64_t now_ms);

// Approves a quarantined pin: its pending definition becomes the pinned
// one. Returns false when there was nothing to approve.
bool approve(Pin& p, int64_t now_ms);

// May a call reach this tool? (The server pin quarantines every tool.)
// Empty when usable; otherwise the reason.
std::string call_blocker(const std::optional<Pin>& server_pin, const std::optional<Pin>& tool_pin);

}  // namespace tollgate::mcp
