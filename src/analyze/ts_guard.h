// Internal to tollgate_analyze: runs tree-sitter on untrusted text within
// hard limits. tree-sitter 0.20.7's error recovery can spend seconds and
// gigabytes on a few kilobytes of crafted input (`a|a|…|`) without ever
// checking the parser's timeout, and it corrupts its heap once ~65 535
// unreduced tokens meet error recovery. guarded_parse therefore installs
// (once per process, before any tree-sitter allocation) an allocator that
// tracks every allocation made while a parse runs on the calling thread; when
// the parse exceeds its memory cap or its deadline, the allocator jumps back
// out of tree-sitter (only C frames lie in between) and every allocation of
// that parse, the parser included, is freed. Some recoveries run for a
// minute without allocating at all (81 bytes of `cat< < t<a|a|…`), so a
// per-thread CLOCK_MONOTONIC timer also sends the thread a real-time signal
// (SIGRTMIN+5) at the deadline, whose handler jumps out the same way unless
// the thread is inside the allocator (which then gives up as it returns).
// token_upper_bound gives the caller a cheap bound to refuse inputs that
// could reach the corruption. Thread-safe: the tracking state and the timer
// are per thread.
#pragma once

#include <tree_sitter/api.h>

#include <chrono>
#include <cstddef>
#include <string_view>

namespace tollgate::analyze::detail {

enum class ParseStatus { Ok, OutOfTime, OutOfMemory, Refused };

struct GuardedParse {
  TSTree* tree = nullptr;  // owned by the caller (ts_tree_delete); null unless status is Ok
  ParseStatus status = ParseStatus::Refused;
};

// Parses `text` with a fresh parser for `language`, giving up at `deadline`
// or when the parse holds more than `max_bytes` of memory.
GuardedParse guarded_parse(const TSLanguage* language, std::string_view text,
                           std::chrono::steady_clock::time_point deadline, size_t max_bytes);

// An upper bound on the number of tokens tree-sitter-bash produces for
// `text` (every punctuation byte and newline counts; words, quoted strings,
// comments and here-document lines count once each).
size_t token_upper_bound(std::string_view text);

}  // namespace tollgate::analyze::detail
