// The wire protocol between enforcement points (`tollgate hook`, later the
// MCP gateway) and the daemon, over the daemon's unix socket
// (docs/hooks.md, "Daemon protocol"):
//
//   request   one line of JSON (the header), then exactly `bytes` bytes of
//             payload:  {"v":1,"op":"hook","harness":"claude-code","bytes":N}\n<event JSON>
//   response  one line of JSON, then the daemon closes the connection (unless
//             the header has "keep": true: then the next request may follow):
//             {"ok":true,"verdict":"allow"|"deny"|"ask"|"record","kind":"pre_tool",
//              "event":"PreToolUse","reason":"…","notice":"…"}  or  {"ok":false,"error":"…"}
//
// Other ops: "ping" (→ {"ok":true,"pid":…,"pack":…}), "status", "reload".
// Headers are capped at 16 KiB and payloads at 16 MiB; a client that sends
// nothing is disconnected after the daemon's read timeout.
//
// call_daemon() is the client side: connect, send, read the reply, all
// within one deadline. Thread-safe; never throws.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tollgate::server {

inline constexpr size_t kMaxHeaderBytes = 16384;  // room for a task token (identity::kMaxTokenBytes)
inline constexpr size_t kMaxPayloadBytes = 16u << 20;
inline constexpr size_t kMaxReplyBytes = 1u << 20;

// The data directory: $TOLLGATE_DATA, else $XDG_STATE_HOME/tollgate, else
// ~/.local/state/tollgate.
std::string default_data_dir();
// The socket clients use: $TOLLGATE_SOCKET, else <default data dir>/tollgate.sock.
std::string default_socket();

// Sends one request and returns the daemon's reply line (without the
// newline). Fails on connection errors, timeouts and oversized replies.
Result<std::string> call_daemon(const std::string& socket_path, std::string_view header, std::string_view payload,
                                int timeout_ms);

// A connection to the daemon kept open across requests (each header gets
// "keep": true), for a client that asks many times: `tollgate mcp`. The
// daemon answers the requests of one connection in order, so a request sent
// with post() is handled before any request after it. Reconnects when the
// daemon has closed the connection (an idle timeout, a restart). Not
// thread-safe; never throws.
class DaemonLink {
 public:
  DaemonLink(std::string socket_path, int timeout_ms);
  ~DaemonLink();
  DaemonLink(const DaemonLink&) = delete;
  DaemonLink& operator=(const DaemonLink&) = delete;

  // Sends one request and returns its answer (without the newline); the
  // answers of earlier posts are read and dropped first. `header` is a JSON
  // object.
  Result<std::string> call(std::string_view header, std::string_view payload);
  // Sends one request whose answer nobody waits for (its header gets
  // "wait": false): the daemon answers it at once and may hold its record
  // back for a few milliseconds, to reach the disk with the next request's.
  Status post(std::string_view header, std::string_view payload);
  // Returns once the records of every earlier post are on disk (a ping, whose
  // answer leaves only after the commit that holds them). At once without
  // posts outstanding.
  Status flush();

 private:
  Status send_request(std::string_view header, std::string_view payload, bool wait, bool& reused);
  Result<std::string> read_line();
  void reset();

  std::string socket_;
  int timeout_ms_;
  int fd_ = -1;
  std::string in_;            // bytes read past the last answer
  int unanswered_ = 0;        // posts whose answers are still to be read
  bool peer_closed_ = false;  // the last failure was the daemon closing the connection
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace tollgate::server
