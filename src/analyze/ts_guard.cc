#include "analyze/ts_guard.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csetjmp>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

namespace tollgate::analyze::detail {
namespace {

// Every tree-sitter allocation carries this header. Allocations made while a
// guarded parse runs on the thread are linked into that parse's Arena.
struct Arena;
struct alignas(16) Header {
  Header* prev;
  Header* next;
  Arena* owner;  // null once the parse succeeded (or outside any parse)
  size_t size;
};

struct Arena {
  Header head;  // sentinel of the circular list of live tracked allocations
  size_t live = 0;
  size_t max_bytes = 0;
  std::chrono::steady_clock::time_point deadline;
  unsigned ticks = 0;
  ParseStatus status = ParseStatus::Ok;
  sigjmp_buf* jump = nullptr;
};

thread_local Arena* t_arena = nullptr;

// Some error recoveries spend minutes in tree-sitter's stack merging without
// allocating (so without reaching check() below) or checking its timeout: a
// per-thread timer interrupts the parse at its deadline. The handler jumps
// out of tree-sitter unless the thread is inside the allocator (whose list
// and malloc's own state must not be left half-changed); then the allocator
// gives up as it returns.
thread_local volatile sig_atomic_t t_in_alloc = 0;
thread_local volatile sig_atomic_t t_expired = 0;

int deadline_signal() { return SIGRTMIN + 5; }

void link(Arena* a, Header* h) {
  h->owner = a;
  h->prev = &a->head;
  h->next = a->head.next;
  a->head.next->prev = h;
  a->head.next = h;
  a->live += h->size;
}

void unlink(Header* h) {
  Arena* a = h->owner;
  if (!a) return;
  h->prev->next = h->next;
  h->next->prev = h->prev;
  a->live -= h->size;
  h->owner = nullptr;
}

[[noreturn]] void give_up(Arena* a, ParseStatus why) {
  a->status = why;
  siglongjmp(*a->jump, 1);
}

void on_deadline(int) {
  Arena* a = t_arena;
  if (!a) return;  // the parse is over
  if (t_in_alloc) {
    t_expired = 1;
    return;
  }
  a->status = ParseStatus::OutOfTime;
  siglongjmp(*a->jump, 1);
}

// Allocator entry and exit: the deadline's signal waits while inside.
void enter_alloc() {
  t_in_alloc = 1;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}
void leave_alloc() {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_in_alloc = 0;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (t_expired && t_arena) give_up(t_arena, ParseStatus::OutOfTime);
}

// Called before each allocation of a guarded parse: enforces the caps.
void check(Arena* a, size_t more) {
  if (a->live + more > a->max_bytes) give_up(a, ParseStatus::OutOfMemory);
  if ((++a->ticks & 15u) == 0 && std::chrono::steady_clock::now() > a->deadline) give_up(a, ParseStatus::OutOfTime);
}

void* malloc_impl(size_t n) {
  Arena* a = t_arena;
  if (n > SIZE_MAX - sizeof(Header)) {
    if (a) give_up(a, ParseStatus::OutOfMemory);
    std::abort();
  }
  if (a) check(a, n);
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + n));
  if (!h) {
    if (a) give_up(a, ParseStatus::OutOfMemory);
    std::abort();  // what tree-sitter itself does when malloc fails
  }
  h->size = n;
  h->owner = nullptr;
  h->prev = h->next = nullptr;
  if (a) link(a, h);
  return h + 1;
}

extern "C" void* guard_malloc(size_t n) {
  enter_alloc();
  void* p = malloc_impl(n);
  leave_alloc();
  return p;
}

extern "C" void* guard_calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    if (t_arena) give_up(t_arena, ParseStatus::OutOfMemory);
    std::abort();
  }
  void* p = guard_malloc(count * size);
  std::memset(p, 0, count * size);
  return p;
}

void free_impl(void* p) {
  if (!p) return;
  Header* h = static_cast<Header*>(p) - 1;
  unlink(h);
  std::free(h);
}

extern "C" void guard_free(void* p) {
  enter_alloc();
  free_impl(p);
  leave_alloc();
}

void* realloc_impl(void* p, size_t n) {
  if (!p) return malloc_impl(n);
  Arena* a = t_arena;
  if (n > SIZE_MAX - sizeof(Header)) {
    if (a) give_up(a, ParseStatus::OutOfMemory);
    std::abort();
  }
  Header* h = static_cast<Header*>(p) - 1;
  if (a) check(a, n > h->size ? n - h->size : 0);
  Arena* owner = h->owner;
  unlink(h);
  auto* nh = static_cast<Header*>(std::realloc(h, sizeof(Header) + n));
  if (!nh) {
    if (owner) link(owner, h);
    if (a) give_up(a, ParseStatus::OutOfMemory);
    std::abort();
  }
  nh->size = n;
  nh->owner = nullptr;
  // Memory allocated outside the parse stays outside it: whoever holds it
  // outlives an abandoned parse.
  if (owner) link(owner, nh);
  return nh + 1;
}

extern "C" void* guard_realloc(void* p, size_t n) {
  enter_alloc();
  void* q = realloc_impl(p, n);
  leave_alloc();
  return q;
}

void install_allocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    ts_set_allocator(guard_malloc, guard_calloc, guard_realloc, guard_free);
    struct sigaction sa {};
    sa.sa_handler = on_deadline;
    sigemptyset(&sa.sa_mask);
    ::sigaction(deadline_signal(), &sa, nullptr);
  });
}

// The calling thread's deadline timer, made on first use and deleted with
// the thread.
struct DeadlineTimer {
  timer_t id{};
  bool made = false;
  DeadlineTimer() {
    sigevent sev{};
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = deadline_signal();
    sev._sigev_un._tid = static_cast<pid_t>(::syscall(SYS_gettid));
    made = ::timer_create(CLOCK_MONOTONIC, &sev, &id) == 0;
  }
  ~DeadlineTimer() {
    if (made) ::timer_delete(id);
  }
  void arm(std::chrono::nanoseconds in) {
    if (!made) return;
    itimerspec its{};
    auto ns = std::max<int64_t>(in.count(), 1);
    its.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    its.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    ::timer_settime(id, 0, &its, nullptr);
  }
  void disarm() {
    if (!made) return;
    itimerspec its{};
    ::timer_settime(id, 0, &its, nullptr);
  }
};

// Frees everything a failed parse allocated.
void free_all(Arena* a) {
  Header* h = a->head.next;
  while (h != &a->head) {
    Header* next = h->next;
    std::free(h);
    h = next;
  }
  a->head.next = a->head.prev = &a->head;
  a->live = 0;
}

// After a successful parse its allocations become ordinary ones.
void detach(Arena* a) {
  Header* h = a->head.next;
  while (h != &a->head) {
    Header* next = h->next;
    h->owner = nullptr;
    h->prev = h->next = nullptr;
    h = next;
  }
  a->head.next = a->head.prev = &a->head;
  a->live = 0;
}

// Runs the parse; returns null on tree-sitter's own timeout. Kept free of
// objects with destructors: the allocator may longjmp out of it.
TSTree* parse(const TSLanguage* language, const char* text, uint32_t size, uint64_t timeout_micros, bool* refused) {
  TSParser* parser = ts_parser_new();
  if (!ts_parser_set_language(parser, language)) {
    *refused = true;
    ts_parser_delete(parser);
    return nullptr;
  }
  ts_parser_set_timeout_micros(parser, timeout_micros);
  TSTree* tree = ts_parser_parse_string(parser, nullptr, text, size);
  ts_parser_delete(parser);
  return tree;
}

}  // namespace

GuardedParse guarded_parse(const TSLanguage* language, std::string_view text,
                           std::chrono::steady_clock::time_point deadline, size_t max_bytes) {
  install_allocator();
  GuardedParse out;
  auto now = std::chrono::steady_clock::now();
  if (now >= deadline) {
    out.status = ParseStatus::OutOfTime;
    return out;
  }
  if (text.size() > UINT32_MAX || t_arena) return out;  // no nested guarded parses
  uint64_t micros =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count());
  Arena arena;
  arena.head.prev = arena.head.next = &arena.head;
  arena.head.owner = nullptr;
  arena.head.size = 0;
  arena.max_bytes = max_bytes;
  arena.deadline = deadline;
  sigjmp_buf jump;
  arena.jump = &jump;
  bool refused = false;
  TSTree* volatile tree = nullptr;
  static thread_local DeadlineTimer timer;
  static thread_local bool unblocked = false;
  t_in_alloc = 0;
  t_expired = 0;
  sigset_t deadline_only;
  sigemptyset(&deadline_only);
  sigaddset(&deadline_only, deadline_signal());
  // The deadline's signal stays let through on a thread that parsed once
  // (outside a parse its handler does nothing); a jump out of the handler
  // leaves it blocked, so that path lets it through again.
  if (!unblocked) {
    pthread_sigmask(SIG_UNBLOCK, &deadline_only, nullptr);
    unblocked = true;
  }
  if (sigsetjmp(jump, 0) == 0) {
    t_arena = &arena;
    timer.arm(deadline - std::chrono::steady_clock::now());
    tree = parse(language, text.data(), static_cast<uint32_t>(text.size()), micros, &refused);
    t_arena = nullptr;  // first: a signal from here on finds no parse
    timer.disarm();
    detach(&arena);
    out.tree = tree;
    out.status = refused ? ParseStatus::Refused : tree ? ParseStatus::Ok : ParseStatus::OutOfTime;
    return out;
  }
  t_arena = nullptr;
  timer.disarm();
  pthread_sigmask(SIG_UNBLOCK, &deadline_only, nullptr);
  t_in_alloc = 0;
  t_expired = 0;
  free_all(&arena);
  out.status = arena.status;
  return out;
}

size_t token_upper_bound(std::string_view s) {
  size_t tokens = 0;
  size_t i = 0;
  struct Pending {
    std::string delim;
    bool strip_tabs;
  };
  std::vector<Pending> heredocs;
  auto is_word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '\n') {
      ++tokens;
      ++i;
      // Here-document bodies start after the line that opened them: one
      // token per line and per `$`, backtick or backslash (over-counting).
      for (const auto& h : heredocs) {
        while (i < s.size()) {
          size_t eol = s.find('\n', i);
          std::string_view line = s.substr(i, eol == std::string_view::npos ? std::string_view::npos : eol - i);
          i = eol == std::string_view::npos ? s.size() : eol + 1;
          ++tokens;
          std::string_view cmp = line;
          if (h.strip_tabs) {
            while (!cmp.empty() && cmp.front() == '\t') cmp.remove_prefix(1);
          }
          if (cmp == h.delim) break;
          for (char ch : line) tokens += (ch == '$' || ch == '`' || ch == '\\') ? 1 : 0;
        }
      }
      heredocs.clear();
      continue;
    }
    if (is_word(c)) {
      while (i < s.size() && is_word(s[i])) ++i;
      ++tokens;
      continue;
    }
    if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\n' || s[i - 1] == ';')) {
      size_t eol = s.find('\n', i);
      i = eol == std::string_view::npos ? s.size() : eol;
      ++tokens;
      continue;
    }
    if (c == '\'') {
      size_t end = s.find('\'', i + 1);
      i = end == std::string_view::npos ? s.size() : end + 1;
      tokens += 2;
      continue;
    }
    if (c == '"') {
      // Runs of plain characters count once; every special byte counts.
      tokens += 1;
      ++i;
      bool in_run = false;
      while (i < s.size() && s[i] != '"') {
        char d = s[i];
        if (d == '\\' || d == '$' || d == '`' || d == '(' || d == ')' || d == '{' || d == '}' || d == '\n') {
          tokens += 1 + (d == '\\' ? 1 : 0);
          i += d == '\\' ? 2 : 1;
          in_run = false;
          continue;
        }
        if (!in_run) ++tokens;
        in_run = true;
        ++i;
      }
      ++tokens;
      ++i;
      continue;
    }
    if (c == '<' && i + 1 < s.size() && s[i + 1] == '<' && (i + 2 >= s.size() || s[i + 2] != '<')) {
      // Remember the delimiter so the body is counted by lines.
      size_t j = i + 2;
      bool strip = j < s.size() && s[j] == '-';
      if (strip) ++j;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      std::string delim;
      while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != ';' && s[j] != '|' && s[j] != '&' &&
             s[j] != '<' && s[j] != '>' && s[j] != ')') {
        if (s[j] != '\'' && s[j] != '"' && s[j] != '\\') delim += s[j];
        ++j;
      }
      if (!delim.empty()) heredocs.push_back({delim, strip});
      tokens += 2;
      i = j;
      continue;
    }
    ++tokens;
    ++i;
  }
  return tokens;
}

}  // namespace tollgate::analyze::detail
