#include "text/split_lookup.h"

#include "text/unicode.h"

namespace triptych_text {

namespace {

// Python's str.isspace: White_Space plus the information separators U+001C..U+001F.
inline bool python_space(uint32_t cp) {
  return (cp >= 0x1C && cp <= 0x1F) || (char_class(cp) & kSpace) != 0;
}

}  // namespace

SplitLookup::SplitLookup(std::vector<std::pair<std::string, int32_t>> vocab, int32_t default_id)
    : default_id_(default_id) {
  ids_.build(vocab);
}

void SplitLookup::encode(const char* text, size_t n, std::vector<int32_t>& out) const {
  const unsigned char* s = reinterpret_cast<const unsigned char*>(text);
  size_t i = 0;
  while (i < n) {
    int len;
    while (i < n && python_space(decode_at(s, i, &len))) i += len;
    size_t start = i;
    while (i < n && !python_space(decode_at(s, i, &len))) i += len;
    if (i > start) {
      int32_t id = ids_.find(text + start, i - start);
      out.push_back(id >= 0 ? id : default_id_);
    }
  }
}

}  // namespace triptych_text
