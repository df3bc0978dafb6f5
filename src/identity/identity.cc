#include "identity/identity.h"

#include "base/json.h"

namespace tollgate::identity {

using nlohmann::json;

Status check_trust_domain(std::string_view td) {
  if (td.empty() || td.size() > 255) return Error("the trust domain must be 1 to 255 characters");
  for (char c : td)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
      return Error("the trust domain `" + std::string(td) +
                   "` may hold only lower-case letters, digits, `.`, `-` and `_`");
  return Status::Ok();
}

std::string spiffe_segment(std::string_view id) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (plain) {
      out += ch;
    } else {
      out += '_';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  // "." and ".." are not segments (SPIFFE ID §2.2); nor is an empty one.
  if (out.empty() || out == "." || out == "..") {
    std::string dots;
    for (size_t i = 0; i < out.size(); ++i) dots += "_2E";
    return out.empty() ? "_" : dots;
  }
  return out;
}

std::string spiffe_id(std::string_view trust_domain, std::string_view agent, std::string_view task) {
  return "spiffe://" + std::string(trust_domain) + "/agent/" + spiffe_segment(agent) + "/task/" + spiffe_segment(task);
}

std::string task_token_claims(const TaskTokenClaims& c) {
  json j = {{"iss", c.issuer},
            {"sub", spiffe_id(c.trust_domain, c.agent, c.task)},
            {"iat", c.iat},
            {"nbf", c.iat},
            {"exp", c.exp},
            {"jti", c.jti},
            {"act", {{"sub", c.owner}}},
            {"agent", c.agent},
            {"task", c.task},
            {"ticket", c.ticket},
            {"repos", c.repos},
            {"env", c.environment},
            {"labels", c.labels}};
  if (c.audience.size() == 1)
    j["aud"] = c.audience.front();
  else
    j["aud"] = c.audience;
  if (c.window_start_s || c.window_end_s) j["window"] = {{"start", c.window_start_s}, {"end", c.window_end_s}};
  return dump_json(j);
}

}  // namespace tollgate::identity
