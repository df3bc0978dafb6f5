// "Did you mean …?": the nearest of a set of names to a misspelt one, by
// Levenshtein distance over bytes. Used by every diagnostic that can offer a
// correction (the validator, annotation checks, configuration keys). Pure
// functions; cost is bounded by the caps in nearest().
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate {

// Levenshtein distance over bytes, giving up (returning `limit + 1`) once
// the distance must exceed `limit`.
inline size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    size_t best = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
      best = std::min(best, row[j]);
    }
    if (best > limit) return limit + 1;
  }
  return row[b.size()];
}

// The candidate nearest to `key`, if it is near enough to be a plausible
// typo. `key_of` maps an element of `candidates` to its name.
template <class Range, class Key>
std::optional<std::string> nearest(std::string_view key, const Range& candidates, Key key_of) {
  // Suggestions are a courtesy: skip them where the search would be costly.
  if (key.empty() || key.size() > 256 || std::size(candidates) > 20000) return std::nullopt;
  size_t limit = std::max<size_t>(2, key.size() / 3);
  size_t best = limit + 1;
  std::optional<std::string> out;
  for (const auto& c : candidates) {
    std::string_view k = key_of(c);
    if (k == key) continue;
    size_t d = edit_distance(key, k, std::min(limit, best));
    if (d < best && d < std::max(key.size(), k.size())) {
      best = d;
      out = std::string(k);
    }
  }
  return out;
}

}  // namespace tollgate
