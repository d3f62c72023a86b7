// Whitespace split + vocabulary lookup in one pass: the compiled form of
// `[vocab.get(w, default) for w in text.split()]`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "text/flat_map.h"

namespace triptych_text {

class SplitLookup {
 public:
  // default_id is written for tokens not in `vocab` (-1 lets the caller detect them).
  SplitLookup(std::vector<std::pair<std::string, int32_t>> vocab, int32_t default_id);

  // Append the ids of the whitespace-separated tokens of `text` (valid UTF-8) to `out`.
  void encode(const char* text, size_t n, std::vector<int32_t>& out) const;

 private:
  FlatStringMap ids_;
  int32_t default_id_;
};

}  // namespace triptych_text
