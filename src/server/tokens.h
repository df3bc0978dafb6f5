// Task tokens as the daemon judges them (docs/tasks.md, "Task tokens"):
// the JWT checks of identity/jwt.h against the issuer's keys, then the
// task the token was minted for, from the store. A token is active only
// while its task is: an unknown, ended or expired task, or an agent that
// is suspended or offboarded, makes it Revoked (Expired for an expired
// task). Used by the hook path (once per session bind), by introspection
// and by `tollgate token verify`.
//
// Thread-safety: as the KeySet and Store given; never throws.
#pragma once

#include <cstdint>
#include <string_view>

#include "identity/jwt.h"
#include "identity/keys.h"
#include "session/session.h"
#include "store/store.h"

namespace tollgate::server {

// `opts.now_s` is ignored: `now_ms` is the one clock.
identity::Verification check_task_token(std::string_view token, const identity::KeySet& keys, store::Store& store,
                                        int64_t now_ms, identity::VerifyOptions opts, session::Task* task = nullptr);

}  // namespace tollgate::server
