#include "server/tokens.h"

#include "crypto/crypto.h"

namespace tollgate::server {

identity::Verification check_task_token(std::string_view token, const identity::KeySet& keys, store::Store& store,
                                        int64_t now_ms, identity::VerifyOptions opts, session::Task* task_out) {
  using identity::TokenStatus;
  opts.now_s = now_ms / 1000;
  auto v = identity::verify_jwt(
      token, [&](std::string_view kid) { return keys.find(kid); }, opts);
  if (!v.ok()) return v;
  auto revoked = [&](TokenStatus s, std::string why) {
    v.status = s;
    v.reason = std::move(why);
    return v;
  };
  // The exact token the task was started with: its digest is all the store keeps.
  auto t = store.task_by_token_digest(crypto::sha256_hex(token));
  if (!t) return revoked(TokenStatus::Revoked, "the task store cannot be read (" + t.error().message + ")");
  if (!t->has_value()) return revoked(TokenStatus::Revoked, "the token names no task this daemon knows");
  const session::Task& task = **t;
  if (task.jti != v.claims.jti) return revoked(TokenStatus::Revoked, "the token is not the one its task was given");
  if (task.ended) return revoked(TokenStatus::Revoked, "the task " + task.id + " has ended");
  if (task.expires_ms && task.expires_ms <= now_ms)
    return revoked(TokenStatus::Expired, "the task " + task.id + " has expired");
  auto a = store.get_agent(task.agent);
  if (!a) return revoked(TokenStatus::Revoked, "the agent store cannot be read (" + a.error().message + ")");
  if (a->has_value() && (*a)->status != "active")
    return revoked(TokenStatus::Revoked, "the agent " + task.agent + " is " + (*a)->status);
  if (task_out) *task_out = task;
  return v;
}

}  // namespace tollgate::server
