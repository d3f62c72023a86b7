// Byte-level BPE (GPT-2 / RoBERTa / Hugging Face `tokenizers` "BPE" + "ByteLevel"), encoding only.
//
// Everything works on raw UTF-8 bytes: the vocabulary arrives from Python already mapped back
// from the byte-level alphabet ("Ġ" -> 0x20, ...), so no per-character remapping is done here.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace triptych_text {

// Split `s` (valid UTF-8) like the GPT-2 pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// calling emit(start, end) with byte offsets for every piece, in order.
template <typename Emit>
void split_gpt2(const unsigned char* s, size_t n, Emit&& emit);

struct AddedToken {
  std::string content;
  int32_t id;
  bool lstrip;
  bool rstrip;
  bool normalized;  // matched in a second pass, after the tokens with normalized=false
};

struct BPEOptions {
  bool add_prefix_space = false;
  bool use_regex = true;
  bool ignore_merges = false;
  int32_t unk_id = -1;
  bool fuse_unk = false;
  std::vector<int32_t> prefix;  // ids added before / after every encoding (post-processor)
  std::vector<int32_t> suffix;
};

struct Merge {
  int32_t left, right, merged;
};

// Open-addressing map from an id pair to (rank, merged id); built once, read-only afterwards.
class PairMap {
 public:
  void build(const std::vector<Merge>& merges);
  // True and sets rank/merged when (left, right) is a merge.
  bool find(int32_t left, int32_t right, int32_t* rank, int32_t* merged) const {
    if (slots_.empty()) return false;
    uint64_t key = pack(left, right);
    size_t i = slot(key);
    while (true) {
      const Slot& s = slots_[i];
      if (s.key == key) {
        *rank = s.rank;
        *merged = s.merged;
        return true;
      }
      if (s.key == kEmpty) return false;
      i = (i + 1) & mask_;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key = kEmpty;
    int32_t rank = 0;
    int32_t merged = 0;
  };
  static uint64_t pack(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  size_t slot(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 0;
};

// Encodings of words already seen. One cache is used by one thread at a time.
struct WordCache {
  std::unordered_map<std::string, std::vector<int32_t>> words;
};

class BPE {
 public:
  BPE(std::vector<int32_t> byte_ids, const std::vector<Merge>& merges,
      std::vector<std::pair<std::string, int32_t>> vocab, std::vector<AddedToken> added,
      BPEOptions options);

  // Append the ids of `text` (valid UTF-8) to `out`.
  void encode(const char* text, size_t n, std::vector<int32_t>& out, WordCache& cache) const;

  // A cache for the calling thread; give it back with release_cache.
  std::unique_ptr<WordCache> acquire_cache();
  void release_cache(std::unique_ptr<WordCache> cache);

 private:
  void encode_segment(const unsigned char* s, size_t n, std::vector<int32_t>& out,
                      WordCache& cache) const;
  void encode_word(const unsigned char* s, size_t n, std::vector<int32_t>& out,
                   WordCache& cache) const;
  void merge_word(const unsigned char* s, size_t n, std::vector<int32_t>& out) const;
  // Split [begin, end) on the added tokens of one pass; segments are (start, end, id or -1).
  void split_added(const unsigned char* s, size_t begin, size_t end, bool normalized_pass,
                   std::vector<std::array<int64_t, 3>>& segments) const;

  std::vector<int32_t> byte_ids_;  // 256 entries, -1 where the byte has no token
  PairMap pairs_;
  std::unordered_map<std::string, int32_t> vocab_;  // only read with ignore_merges
  std::vector<AddedToken> added_;                   // longest first
  bool added_first_byte_[2][256] = {};
  bool has_added_[2] = {false, false};
  BPEOptions options_;

  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<WordCache>> pool_;
};

}  // namespace triptych_text

#include "text/bpe_split.h"
