// A minimal HTTP/1.1 request parser for the daemon's loopback API
// (`tollgate serve --http 127.0.0.1:PORT`, docs/hooks.md "HTTP API"):
// request line, headers, and a body of Content-Length bytes. One request
// per connection; no chunked bodies, no pipelining, no keep-alive.
//
//   request  = method SP target SP "HTTP/1." ("0"|"1") CRLF *(header CRLF) CRLF body
//   header   = name ":" OWS value OWS
//
// Limits: 8 KiB of request line and headers, 100 headers, 16 MiB of body.
// Input is untrusted (any local process can connect); the parser is a pure
// function over a buffer and never throws.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace tollgate::server {

struct HttpRequest {
  std::string method, target;
  std::string version;                         // "HTTP/1.1" or "HTTP/1.0"
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  size_t bytes = 0;  // of the buffer: the request's head and body
  // HTTP/1.1 without `Connection: close`: another request may follow on
  // the connection.
  bool keep_alive() const;
};

enum class HttpParse { Incomplete, Complete, Bad };

// Parses `buf`. Incomplete: read more. Bad: `error` holds the status line
// reason and `status` the code to answer with (400, 411, 413, 431, 505).
HttpParse parse_http_request(std::string_view buf, HttpRequest& out, int& status, std::string& error);

// An application/x-www-form-urlencoded body (`token=…&token_type_hint=…`)
// → name/value pairs, percent-decoded, `+` as space. False for a bad escape
// or a name given twice.
bool parse_form(std::string_view body, std::map<std::string, std::string>& out);

// A complete response with Content-Length and Connection: close.
std::string http_response(int status, std::string_view body, std::string_view content_type = "application/json");

}  // namespace tollgate::server
