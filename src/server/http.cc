#include "server/http.h"

#include <cctype>
#include <charconv>

#include "server/protocol.h"

namespace tollgate::server {

namespace {

constexpr size_t kMaxHead = 8192;
constexpr size_t kMaxHeaders = 100;

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HttpParse bad(int& status, std::string& error, int code, std::string msg) {
  status = code;
  error = std::move(msg);
  return HttpParse::Bad;
}

}  // namespace

HttpParse parse_http_request(std::string_view buf, HttpRequest& out, int& status, std::string& error) {
  size_t end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buf.size() > kMaxHead) return bad(status, error, 431, "Request Header Fields Too Large");
    return HttpParse::Incomplete;
  }
  if (end > kMaxHead) return bad(status, error, 431, "Request Header Fields Too Large");
  std::string_view head = buf.substr(0, end);
  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return bad(status, error, 400, "Bad Request");
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (method.empty() || target.empty() || target[0] != '/') return bad(status, error, 400, "Bad Request");
  for (char c : method)
    if (!token_char(c)) return bad(status, error, 400, "Bad Request");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad(status, error, 400, "Bad Request");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return bad(status, error, 505, "HTTP Version Not Supported");
  out.method = std::string(method);
  out.target = std::string(target);
  out.version = std::string(version);
  out.headers.clear();
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    std::string_view h = head.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos);
    pos = e == std::string_view::npos ? head.size() : e + 2;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad(status, error, 400, "Bad Request");
    std::string name;
    for (char c : h.substr(0, colon)) {
      if (!token_char(c)) return bad(status, error, 400, "Bad Request");
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (out.headers.size() >= kMaxHeaders) return bad(status, error, 431, "Request Header Fields Too Large");
    std::string value(trim(h.substr(colon + 1)));
    if (out.headers.count(name) && (name == "content-length" || name == "transfer-encoding"))
      return bad(status, error, 400, "Bad Request");  // ambiguous framing
    out.headers[name] = value;
  }
  if (out.headers.count("transfer-encoding")) return bad(status, error, 411, "Length Required");
  size_t length = 0;
  if (auto it = out.headers.find("content-length"); it != out.headers.end()) {
    const std::string& v = it->second;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
    if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return bad(status, error, 400, "Bad Request");
    if (length > kMaxPayloadBytes) return bad(status, error, 413, "Content Too Large");
  }
  std::string_view rest = buf.substr(end + 4);
  if (rest.size() < length) return HttpParse::Incomplete;
  out.body = std::string(rest.substr(0, length));
  out.bytes = end + 4 + length;
  return HttpParse::Complete;
}

bool HttpRequest::keep_alive() const {
  if (version != "HTTP/1.1") return false;
  auto it = headers.find("connection");
  if (it == headers.end()) return true;
  std::string_view v = it->second;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string token(trim(v.substr(0, comma)));
    for (auto& ch : token) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (token == "close") return false;
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
  }
  return true;
}

bool parse_form(std::string_view body, std::map<std::string, std::string>& out) {
  auto decode = [](std::string_view in, std::string& s) {
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '+') {
        s += ' ';
      } else if (in[i] == '%') {
        unsigned v = 0;
        if (i + 3 > in.size()) return false;
        auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
        if (ec != std::errc() || p != in.data() + i + 3) return false;
        s += static_cast<char>(v);
        i += 2;
      } else {
        s += in[i];
      }
    }
    return true;
  };
  out.clear();
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    std::string_view pair = body.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    pos = amp == std::string_view::npos ? body.size() + 1 : amp + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name, value;
    if (!decode(pair.substr(0, eq), name)) return false;
    if (eq != std::string_view::npos && !decode(pair.substr(eq + 1), value)) return false;
    if (!out.emplace(std::move(name), std::move(value)).second) return false;
  }
  return true;
}

std::string http_response(int status, std::string_view body, std::string_view content_type) {
  std::string_view reason = status == 200   ? "OK"
                            : status == 400 ? "Bad Request"
                            : status == 401 ? "Unauthorized"
                            : status == 404 ? "Not Found"
                            : status == 405 ? "Method Not Allowed"
                            : status == 411 ? "Length Required"
                            : status == 413 ? "Content Too Large"
                            : status == 431 ? "Request Header Fields Too Large"
                            : status == 505 ? "HTTP Version Not Supported"
                                            : "Error";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  out += "Content-Type: " + std::string(content_type) + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n";
  out += body;
  return out;
}

}  // namespace tollgate::server
