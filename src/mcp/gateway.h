// The MCP gateway (docs/mcp.md): sits between an MCP client and an MCP
// server and puts every request behind Tollgate's policies.
//
//   client ──line──► Gateway::from_client ──► to_server (or an answer to the client)
//   server ──line──► Gateway::from_server ──► to_client
//
// tools/call, resources/read and prompts/get are decided by the daemon
// (`mcp.call` on McpTool::"<server>/<tool>" with the arguments as tags);
// a denial is answered to the client as a tool error (tools/call) or a
// JSON-RPC error that says why, and never reaches the server. tools/list
// results are reviewed against the pinned definitions and filtered: a
// quarantined tool, or one the caller may never call, is removed before the
// model sees it. Results count as untrusted input for the session.
// Everything else (notifications, progress, cancellation, the server's own
// requests) passes through unchanged; ids are never rewritten.
//
// The daemon is reached through a Decider (the socket protocol of
// server/protocol.h); when it cannot be reached, decided requests are
// refused (fail closed). Malformed JSON-RPC, oversized messages and batches
// the negotiated protocol version forbids get a JSON-RPC error; the gateway
// keeps going and the event is recorded.
//
// Gateway is a state machine over complete lines (single-threaded, no
// I/O); run_stdio() drives it between a child process and stdin/stdout.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace tollgate::mcp {

// Sends one request to the daemon (header JSON, payload) and returns its
// reply line.
using Decider = std::function<Result<std::string>(std::string_view header, std::string_view payload)>;
// Sends one request to the daemon without waiting for its answer; requests
// sent later through the Decider must be handled after it. `caller`: what
// set_caller() said when the outcome was taken (the HTTP gateway's client
// process), since another caller's request may send it on.
using Poster = std::function<Status(std::string_view header, std::string_view payload, int caller)>;

struct GatewayOptions {
  std::string server;      // the server's name in policies: McpTool::"<server>/<tool>"
  std::string session;     // the session the gateway's requests belong to
  std::string cwd;         // where the server runs (relative paths in arguments)
  std::string task_token;  // TOLLGATE_TASK_TOKEN
  std::string agent;       // TOLLGATE_AGENT
  size_t max_message_bytes = 16u << 20;
};

// Checks a server message that is passed to the client as it arrives (too
// large to hold whole) without holding it: a streamed message may only be
// an answer — an object whose keys are `jsonrpc`, `id`, `result` and
// `error` — and its result may carry no `inputRequests`, so neither a
// request of the server nor a multi-round-trip answer escapes review by
// being large. The caller holds back the message's last byte until it has
// seen the end, and spoils the line when the check fails.
class StreamedMessageCheck {
 public:
  void feed(std::string_view bytes);
  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }
  // The message's JSON has ended (and nothing failed).
  bool complete() const;
  // The raw JSON text of its top-level `id`, once its value has ended.
  bool id_done() const { return id_state_ == kIdDone; }
  const std::string& id() const { return id_; }

 private:
  struct Level {
    bool object = false;
    bool expect_key = false;
  };
  void fail(std::string why) {
    if (why_.empty()) why_ = std::move(why);
  }
  std::vector<Level> stack_;
  bool started_ = false, in_string_ = false, escape_ = false, capturing_ = false, key_escaped_ = false;
  bool in_result_ = false;  // inside the object at depth 2 that is `result`
  enum IdState { kNoId, kIdKey, kIdValue, kIdDone } id_state_ = kNoId;
  std::string id_;
  std::string key_, top_key_;
  std::string why_;
};

class Gateway {
 public:
  // Without a poster, outcomes go through the decider (and wait for it).
  Gateway(GatewayOptions opts, Decider decider, Poster poster = {});

  struct Output {
    std::vector<std::string> to_server;  // lines without the newline
    std::vector<std::string> to_client;
  };

  Output from_client(std::string_view line);
  Output from_server(std::string_view line);
  // A server line too large to hold was passed to the client as it came,
  // all but its last byte, under `check`. `pass`: whether the line may be
  // completed — it was, whole, an answer to a request still waiting whose
  // answer needs no review; otherwise the caller spoils it, and the request
  // it answered, if any, gets the error in the output.
  Output end_streamed(const StreamedMessageCheck& check, size_t bytes, bool& pass);
  // A line over max_message_bytes was dropped.
  Output oversized(bool from_client, size_t bytes);
  // The server is gone: every request still waiting gets an error.
  Output server_exited(int status);

  // The request in `client_line` will never be answered by the server (the
  // upstream failed): forget it, and return the JSON-RPC error its client
  // gets (empty for a notification).
  std::string abandon(std::string_view client_line, std::string_view why);

  // The HTTP exchange of `client_line` is over: in the stateless era its
  // requests still unanswered never will be, and stop waiting.
  void end_exchange(std::string_view client_line);

  // Outcomes of answered calls are recorded after the answer is on its way
  // to the client (and before the next decision): the caller flushes them
  // once its output is written.
  bool has_outcomes() const { return !deferred_.empty(); }
  void flush_outcomes();
  // Who the messages now being handled come from: outcomes taken from here
  // on carry it to the Poster.
  void set_caller(int caller) { caller_ = caller; }

  // A pending request whose answer must be inspected whole (tools/list,
  // initialize): large server lines must then be buffered, not streamed.
  bool needs_whole_answers() const { return inspect_pending_ > 0; }
  const std::string& protocol_version() const { return protocol_version_; }

 private:
  struct Pending {
    std::string method;
    std::string name;       // tools/call: the tool
    std::string arguments;  // its arguments (JSON), for the outcome's effects
    bool paged = false;     // tools/list: asks for a later page (a `cursor`)
  };
  static Output without_carriage_returns(Output out);
  Output client_line(std::string_view line);
  Output server_line(std::string_view line);
  Output handle_client_message(const nlohmann::json& message, std::string_view line, bool in_batch,
                               std::string* batch_error_reply);
  Output handle_server_message(nlohmann::json& message, std::string_view line);
  // An answer that asks the client for input first (2026-07-28).
  Output input_required(const nlohmann::json& message, const nlohmann::json& result, const Pending& p, bool decided);
  void forget(std::map<std::string, Pending>::iterator it);   // a pending request that will not be answered
  Pending take(std::map<std::string, Pending>::iterator it);  // one being answered
  std::string header(std::string_view kind, size_t bytes) const;
  // Has the daemon decide one request (`id` names it in the record): empty
  // when allowed, else what the client is told (`what` names the request).
  std::string refusal(std::string_view method, const std::string& name, const nlohmann::json& args,
                      const std::string& id, std::string_view what);
  // A tool error answering request `id`: the model reads `text`.
  std::string tool_error(const nlohmann::json& id, const std::string& text) const;
  // A request of the server to the client (sampling, elicitation, roots),
  // sent as such or as an input request of a multi-round-trip answer.
  std::string review_server_request(const std::string& method, const nlohmann::json& params, const std::string& id);
  Result<std::string> ask(std::string_view kind, std::string_view payload);
  void record_event(std::string_view event, std::string_view detail, size_t bytes);

  GatewayOptions opts_;
  Decider decider_;
  Poster poster_;
  std::map<std::string, Pending> pending_;
  struct Deferred {
    std::string payload;  // an outcome not yet sent to the daemon
    int caller;
  };
  std::vector<Deferred> deferred_;
  int caller_ = 0;
  int inspect_pending_ = 0;
  std::string protocol_version_;  // the negotiated (or, before that, the client's) version
  // The resources the client may watch (subscriptions it was allowed):
  // the server's `notifications/resources/updated` pass for these and
  // their sub-resources only.
  // The server's first tool listing has more pages to come: those are
  // reviewed as first sight too (pinned, not quarantined as new tools).
  bool first_listing_open_ = false;
  std::set<std::string> watched_;
  // Ids of requests the client cancelled (the oldest forgotten first).
  std::set<std::string> cancelled_;
  std::deque<std::string> cancelled_order_;
  uint64_t dropped_updates_ = 0;
  bool watches(std::string_view uri) const;
};

struct StdioOptions {
  GatewayOptions gateway;
  std::vector<std::string> command;  // the real server: argv
  size_t stream_threshold = 256u << 10;
};

// Starts the server and serves stdin/stdout until the client closes its
// side and the server exits. Returns the server's exit status (or 127 when
// it could not be started).
int run_stdio(const StdioOptions& opts, const Decider& decider, const Poster& poster = {});

}  // namespace tollgate::mcp
