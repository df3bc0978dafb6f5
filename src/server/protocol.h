// The wire protocol between enforcement points (`tollgate hook`, later the
// MCP gateway) and the daemon, over the daemon's unix socket
// (docs/hooks.md, "Daemon protocol"):
//
//   request   one line of JSON (the header), then exactly `bytes` bytes of
//             payload:  {"v":1,"op":"hook","harness":"claude-code","bytes":N}\n<event JSON>
//   response  one line of JSON, then the daemon closes the connection:
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

}  // namespace tollgate::server
