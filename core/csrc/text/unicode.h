// UTF-8 decoding, validation and character classes for the text tokenizers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "text/unicode_table.h"

namespace triptych_text {

inline uint8_t char_class(uint32_t cp) {
  if (cp < 0x80) return kAsciiClass[cp];
  int lo = 0, hi = kClassRangeCount - 1;
  while (lo <= hi) {
    int mid = (lo + hi) >> 1;
    if (cp < kClassRanges[mid].first) {
      hi = mid - 1;
    } else if (cp > kClassRanges[mid].last) {
      lo = mid + 1;
    } else {
      return kClassRanges[mid].flags;
    }
  }
  return 0;
}

// Decode the code point starting at s[i] of a string already checked by utf8_error_offset.
inline uint32_t decode_at(const unsigned char* s, size_t i, int* len) {
  unsigned char c = s[i];
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  if (c < 0xE0) {
    *len = 2;
    return ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
  }
  if (c < 0xF0) {
    *len = 3;
    return ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
  }
  *len = 4;
  return ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) |
         (s[i + 3] & 0x3Fu);
}

// Offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF included), or -1 when the whole string is valid.
inline ptrdiff_t utf8_error_offset(const unsigned char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t min_cp;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, min_cp = 0x80, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, min_cp = 0x800, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, min_cp = 0x10000, cp = c & 0x07;
    } else {
      return static_cast<ptrdiff_t>(i);
    }
    if (i + len > n) return static_cast<ptrdiff_t>(i);
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return static_cast<ptrdiff_t>(i);
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return static_cast<ptrdiff_t>(i);
    }
    i += len;
  }
  return -1;
}

}  // namespace triptych_text
