// The daemon's Service for the fuzz targets that drive its request path
// (fuzz_hook, fuzz_mcp): the baseline pack, SQLite in memory, a fixed clock.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "policy/pack.h"
#include "server/daemon.h"

extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace fuzz {

inline tollgate::server::Service& service() {
  using namespace tollgate;
  static server::Service* svc = [] {
    auto pack = policy::load_pack_files(policy::baseline_pack_files(), "baseline");
    if (!pack) std::abort();
    auto st = store::Store::open_sqlite(":memory:");
    if (!st) std::abort();
    auto pdp = std::make_shared<const pdp::Pdp>(*pack, session::LabelTable::defaults("/home/dev"),
                                                pdp::Protected{{"/home/dev/.local/state/tollgate"}, {"tollgate"}});
    server::ServiceOptions o;
    o.home = "/home/dev";
    o.user = "dev";
    o.host = "fuzz";
    o.now = [] { return int64_t{1'780'000'000'000}; };
    return new server::Service(std::move(*st), pdp, o);
  }();
  return *svc;
}

}  // namespace fuzz
