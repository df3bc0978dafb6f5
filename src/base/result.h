// Result<T>: a value or an Error, returned across every component boundary
// of Tollgate instead of throwing. An Error carries a one-line message and,
// where the problem has a place in some input, a source location. Result is
// a plain value type: not synchronised, safe to move between threads.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tollgate {

// A position in a named input; line and column count from 1, 0 = unknown.
struct SourceLoc {
  uint32_t line = 0;
  uint32_t col = 0;
};

// One problem found in an input, printed like a compiler does:
// `file:line:col: message`.
struct Diagnostic {
  std::string file;
  SourceLoc loc;
  std::string message;
  bool warning = false;

  std::string str() const {
    std::string out = file.empty() ? std::string("<input>") : file;
    out += ':' + std::to_string(loc.line ? loc.line : 1) + ':' + std::to_string(loc.col ? loc.col : 1);
    out += warning ? ": warning: " : ": ";
    out += message;
    return out;
  }
};

struct Error {
  std::string message;
  // Every problem found, when the failing step collects more than one.
  std::vector<Diagnostic> diagnostics;

  Error() = default;
  explicit Error(std::string msg) : message(std::move(msg)) {}
  Error(std::string msg, std::vector<Diagnostic> diags) : message(std::move(msg)), diagnostics(std::move(diags)) {}
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error err) : err_(std::move(err)), ok_(false) {}  // NOLINT: implicit by design
  static Status Ok() { return {}; }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

}  // namespace tollgate
