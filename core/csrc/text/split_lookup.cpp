#include "text/split_lookup.h"

#include <algorithm>

#include "text/unicode.h"

namespace triptych_text {

namespace {

// Python's str.isspace: White_Space plus the information separators U+001C..U+001F.
inline bool python_space(uint32_t cp) {
  return (cp >= 0x1C && cp <= 0x1F) || (char_class(cp) & kSpace) != 0;
}

// python_space for every ASCII byte, so the loop over mostly-ASCII text reads one table entry
// per byte instead of decoding a code point and looking up its class (the profile's top cost).
struct AsciiSpaceTable {
  bool space[128];
  constexpr AsciiSpaceTable() : space() {
    for (uint32_t c = 0; c < 128; ++c) space[c] = (c >= 0x1C && c <= 0x1F) || (kAsciiClass[c] & kSpace) != 0;
  }
};
constexpr AsciiSpaceTable kAsciiSpace;

// Whether the character at s[i] is whitespace; *len receives its length in bytes.
inline bool space_at(const unsigned char* s, size_t i, int* len) {
  if (s[i] < 0x80) {
    *len = 1;
    return kAsciiSpace.space[s[i]];
  }
  return python_space(decode_at(s, i, len));
}

}  // namespace

SplitLookup::SplitLookup(std::vector<std::pair<std::string, int32_t>> vocab, int32_t default_id)
    : default_id_(default_id) {
  ids_.build(vocab);
}

void SplitLookup::encode(const char* text, size_t n, std::vector<int32_t>& out) const {
  const unsigned char* s = reinterpret_cast<const unsigned char*>(text);
  // a token takes at least one byte and one separator: this bounds the new ids; room for them
  // is made once (growing geometrically, as `out` collects a whole block of texts)
  size_t bound = out.size() + n / 2 + 1;
  if (out.capacity() < bound) out.reserve(std::max(bound, 2 * out.capacity()));
  // Tokens are found and hashed a batch ahead of their lookups, with their table slots
  // prefetched, so the cache misses of a batch overlap instead of following one another.
  constexpr int kBatch = 16;
  struct Pending {
    size_t start, size;
    uint64_t hash;
  } pending[kBatch];
  int count = 0;
  auto flush = [&]() {
    for (int k = 0; k < count; ++k) {
      int32_t id = ids_.find_hashed(text + pending[k].start, pending[k].size, pending[k].hash);
      out.push_back(id >= 0 ? id : default_id_);
    }
    count = 0;
  };
  size_t i = 0;
  int len = 1;
  while (i < n) {
    while (i < n && space_at(s, i, &len)) i += len;
    size_t start = i;
    while (i < n && !space_at(s, i, &len)) i += len;
    if (i > start) {
      uint64_t h = FlatStringMap::hash(text + start, i - start);
      ids_.prefetch(h);
      pending[count++] = Pending{start, i - start, h};
      if (count == kBatch) flush();
    }
  }
  flush();
}

}  // namespace triptych_text
