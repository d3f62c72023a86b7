#include "text/wordpiece.h"

#include <algorithm>

#include "text/unicode.h"

namespace triptych_text {

namespace {

// The CJK blocks BERT puts spaces around (BertNormalizer's handle_chinese_chars).
bool is_chinese(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Rust's char::is_ascii_punctuation (symbols like $ + < = > ^ ` | ~ included) or Unicode P*.
bool is_bert_punctuation(uint32_t cp, uint8_t cls) {
  if (cp < 0x80) {
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
  }
  return (cls & kPunct) != 0;
}

}  // namespace

WordPiece::WordPiece(std::vector<std::pair<std::string, int32_t>> vocab, int32_t unk_id,
                     std::string prefix, int max_input_chars_per_word, bool lowercase_ascii)
    : unk_id_(unk_id),
      prefix_(std::move(prefix)),
      max_chars_(max_input_chars_per_word),
      lowercase_ascii_(lowercase_ascii) {
  for (const auto& entry : vocab) {
    size_t len = entry.first.size();
    if (!prefix_.empty() && entry.first.compare(0, prefix_.size(), prefix_) == 0) len -= prefix_.size();
    longest_token_ = std::max(longest_token_, len);
  }
  vocab_.build(vocab);
}

void WordPiece::encode(const char* text, size_t n, std::vector<int32_t>& out) const {
  const unsigned char* s = reinterpret_cast<const unsigned char*>(text);
  std::string word;
  size_t word_chars = 0;
  auto flush = [&]() {
    if (!word.empty()) encode_word(word, word_chars, out);
    word.clear();
    word_chars = 0;
  };
  size_t i = 0;
  while (i < n) {
    int len;
    uint32_t cp = decode_at(s, i, &len);
    uint8_t cls = char_class(cp);
    size_t at = i;
    i += len;
    // Text cleaning: NUL, U+FFFD and control characters are dropped — \v, \f and U+0085 too,
    // though they are whitespace; \t, \n and \r count as whitespace.
    bool tab_or_newline = cp == '\t' || cp == '\n' || cp == '\r';
    if (cp == 0 || cp == 0xFFFD || ((cls & kControl) && !tab_or_newline)) continue;
    bool space = (cls & kSpace) != 0;
    if (space) {
      flush();
    } else if (is_chinese(cp) || is_bert_punctuation(cp, cls)) {
      flush();
      word.assign(reinterpret_cast<const char*>(s + at), len);
      word_chars = 1;
      flush();
    } else {
      if (lowercase_ascii_ && cp >= 'A' && cp <= 'Z') {
        word.push_back(static_cast<char>(cp + 32));
      } else {
        word.append(reinterpret_cast<const char*>(s + at), len);
      }
      ++word_chars;
    }
  }
  flush();
}

void WordPiece::encode_word(const std::string& word, size_t chars, std::vector<int32_t>& out) const {
  if (chars > static_cast<size_t>(max_chars_)) {
    out.push_back(unk_id_);
    return;
  }
  size_t before = out.size();
  std::string candidate;
  size_t start = 0;
  while (start < word.size()) {
    size_t end = std::min(word.size(), start + longest_token_);
    // Back off to a character boundary.
    while (end > start && end < word.size() && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
    int32_t found = -1;
    while (end > start) {
      candidate.clear();
      if (start > 0) candidate += prefix_;
      candidate.append(word, start, end - start);
      found = vocab_.find(candidate.data(), candidate.size());
      if (found >= 0) break;
      --end;
      while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
    }
    if (found < 0) {  // some part matches nothing: the whole word is unknown
      out.resize(before);
      out.push_back(unk_id_);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

}  // namespace triptych_text
