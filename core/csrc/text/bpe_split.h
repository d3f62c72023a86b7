// The GPT-2 pre-tokenisation split, written out by hand (no regex engine): each branch below is
// one alternative of the pattern, tried in the pattern's order at every position.
#pragma once

#include "text/unicode.h"

namespace triptych_text {

namespace detail {

// 0 = other (not letter, number or space), else the kLetter / kNumber / kSpace bit.
inline uint8_t gpt2_kind(uint32_t cp) {
  uint8_t c = char_class(cp);
  if (c & kLetter) return kLetter;
  if (c & kNumber) return kNumber;
  if (c & kSpace) return kSpace;
  return 0;
}

// Length of the contraction ('s 't 're 've 'm 'll 'd) at s[i] == '\'', or 0.
inline size_t contraction_length(const unsigned char* s, size_t n, size_t i) {
  if (i + 1 >= n) return 0;
  unsigned char a = s[i + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= n) return 0;
  unsigned char b = s[i + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

}  // namespace detail

template <typename Emit>
void split_gpt2(const unsigned char* s, size_t n, Emit&& emit) {
  size_t i = 0;
  while (i < n) {
    int len;
    uint32_t cp = decode_at(s, i, &len);
    if (cp == '\'') {
      size_t c = detail::contraction_length(s, n, i);
      if (c) {
        emit(i, i + c);
        i += c;
        continue;
      }
    }
    // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional U+0020, then a run of one kind.
    size_t run_start = i;
    uint8_t kind = detail::gpt2_kind(cp);
    if (cp == ' ' && i + 1 < n) {
      int next_len;
      uint8_t next_kind = detail::gpt2_kind(decode_at(s, i + 1, &next_len));
      if (next_kind != kSpace) {
        run_start = i + 1;
        kind = next_kind;
      }
    }
    if (kind != kSpace) {
      size_t j = run_start;
      while (j < n) {
        int l;
        if (detail::gpt2_kind(decode_at(s, j, &l)) != kind) break;
        j += l;
      }
      emit(i, j);
      i = j;
      continue;
    }
    // "\s+(?!\S)" then "\s+": a whitespace run; when a non-space follows a run of two or more,
    // the last space is left to start the next piece.
    size_t j = i, last = i, count = 0;
    while (j < n) {
      int l;
      if (detail::gpt2_kind(decode_at(s, j, &l)) != kSpace) break;
      last = j;
      j += l;
      ++count;
    }
    size_t end = (j < n && count >= 2) ? last : j;
    emit(i, end);
    i = end;
  }
}

}  // namespace triptych_text
