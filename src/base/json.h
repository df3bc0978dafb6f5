// JSON from untrusted sources (hook events, the daemon protocol, config and
// harness settings files): nlohmann::json behind a Result, with a nesting
// cap checked before the parser runs, so hostile input gets a clear error
// instead of deep recursion or an exception. Include only from .cc files.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tollgate {

// Deepest nesting of arrays and objects found in `text` (strings skipped);
// stops counting once `cap` is exceeded.
inline int json_depth(std::string_view text, int cap) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth && (max_depth = depth) > cap) return max_depth;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

// Parses `text` as one JSON value. `what` names the input in errors:
// "hook event: parse error at byte 17: unexpected end of input".
inline Result<nlohmann::json> parse_json(std::string_view text, std::string_view what, int max_depth = 64) {
  if (json_depth(text, max_depth) > max_depth)
    return Error(std::string(what) + ": nested deeper than " + std::to_string(max_depth) + " levels");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    std::string msg = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: …" → keep what follows the tag
    if (auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
    return Error(std::string(what) + ": " + msg);
  }
}

// A member name as readers that match names without regard to case see it
// (Go's encoding/json, and the SDKs built on it): ASCII letters in lower
// case, and the two non-ASCII letters that fold to ASCII ones — `ſ` (U+017F)
// to `s`, the Kelvin sign (U+212A) to `k`.
inline std::string fold_member_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c == 0xC5 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) == 0xBF) {
      out += 's';
      ++i;
    } else if (c == 0xE2 && i + 2 < name.size() && static_cast<unsigned char>(name[i + 1]) == 0x84 &&
               static_cast<unsigned char>(name[i + 2]) == 0xAA) {
      out += 'k';
      i += 2;
    } else {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
  }
  return out;
}

// As parse_json, and refuses an object that names a member twice (RFC 8259
// leaves the meaning open; for signed claims and other security-relevant
// input, two readers must never see two different values). With
// `fold_case`, names that differ only as fold_member_name forgets (`name`
// and `Name`) count as the same member: for messages that readers matching
// names without case may read.
inline Result<nlohmann::json> parse_json_unique_keys(std::string_view text, std::string_view what, int max_depth = 64,
                                                     bool fold_case = false) {
  if (json_depth(text, max_depth) > max_depth)
    return Error(std::string(what) + ": nested deeper than " + std::to_string(max_depth) + " levels");
  std::vector<std::set<std::string>> open;  // member names of each object being parsed
  std::string duplicate;
  auto check = [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) {
      open.emplace_back();
    } else if (ev == E::object_end && !open.empty()) {
      open.pop_back();
    } else if (ev == E::key && !open.empty() && parsed.is_string()) {
      const auto& name = parsed.get_ref<const std::string&>();
      if (!open.back().insert(fold_case ? fold_member_name(name) : name).second && duplicate.empty()) duplicate = name;
    }
    return true;
  };
  try {
    auto j = nlohmann::json::parse(text, check);
    if (!duplicate.empty())
      return Error(std::string(what) + ": the member `" + duplicate + "` appears twice" +
                   (fold_case ? " (names are compared without case)" : ""));
    return j;
  } catch (const nlohmann::json::exception& e) {
    std::string msg = e.what();
    if (auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
    return Error(std::string(what) + ": " + msg);
  }
}

// Compact serialisation that never throws: invalid UTF-8 is replaced.
inline std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tollgate
