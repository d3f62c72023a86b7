// BERT tokenisation: text cleaning, whitespace / punctuation / CJK split, greedy longest-match
// WordPiece — the rules of Hugging Face `tokenizers` (BertNormalizer, BertPreTokenizer,
// models/wordpiece). Accent stripping and non-ASCII lowercasing need Unicode decompositions,
// which Python applies before calling in (see triptych/text/tokenizers/_wordpiece.py);
// ASCII lowercasing is done here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "text/flat_map.h"

namespace triptych_text {

class WordPiece {
 public:
  WordPiece(std::vector<std::pair<std::string, int32_t>> vocab, int32_t unk_id, std::string prefix,
            int max_input_chars_per_word, bool lowercase_ascii);

  // Append the ids of `text` (valid UTF-8) to `out`.
  void encode(const char* text, size_t n, std::vector<int32_t>& out) const;

 private:
  void encode_word(const std::string& word, size_t chars, std::vector<int32_t>& out) const;

  FlatStringMap vocab_;
  int32_t unk_id_;
  std::string prefix_;
  int max_chars_;
  bool lowercase_ascii_;
  size_t longest_token_ = 0;  // in bytes, without the prefix
};

}  // namespace triptych_text
