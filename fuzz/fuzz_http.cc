// libFuzzer target: the daemon's HTTP request parser (server/http.h), fed
// whole and in two pieces (as a socket delivers it). A parse must be
// Complete, Incomplete or Bad with a status, never crash, and a Complete
// body must be exactly Content-Length bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/http.h"

extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tollgate::server;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HttpRequest r;
  int status = 0;
  std::string why;
  HttpParse p = parse_http_request(in, r, status, why);
  if (p == HttpParse::Bad && (status < 400 || status > 599)) std::abort();
  if (p == HttpParse::Complete) {
    auto it = r.headers.find("content-length");
    size_t want = it == r.headers.end() ? 0 : std::strtoull(it->second.c_str(), nullptr, 10);
    if (r.body.size() != want) std::abort();
  }
  // A prefix of a request is never Complete with a different body.
  if (size > 1) {
    HttpRequest r2;
    if (parse_http_request(in.substr(0, size / 2), r2, status, why) == HttpParse::Complete &&
        p == HttpParse::Complete && r2.body != r.body && r2.headers.count("content-length"))
      std::abort();
  }
  (void)http_response(status ? status : 200, r.body);
  return 0;
}
