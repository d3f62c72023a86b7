// Byte-level BPE encoding; the rules follow Hugging Face `tokenizers` (models/bpe/word.rs,
// pre_tokenizers/byte_level.rs, added_vocabulary.rs) so ids match id for id.
#include "text/bpe.h"

#include <algorithm>

namespace triptych_text {

namespace {

// Words longer than this are encoded without the cache (as Hugging Face does), so a few huge
// "words" cannot fill it.
constexpr size_t kMaxCachedWord = 256;
constexpr size_t kMaxCacheEntries = 200000;

bool is_space_at(const unsigned char* s, size_t i, int* len) {
  return (char_class(decode_at(s, i, len)) & kSpace) != 0;
}

}  // namespace

void PairMap::build(const std::vector<Merge>& merges) {
  size_t capacity = 16;
  while (capacity < merges.size() * 2) capacity <<= 1;
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  shift_ = 64;
  for (size_t c = capacity; c > 1; c >>= 1) --shift_;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const Merge& m = merges[rank];
    uint64_t key = pack(m.left, m.right);
    size_t i = slot(key);
    // A pair listed twice keeps its last rank, like the Hugging Face map built from the list.
    while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask_;
    slots_[i] = Slot{key, static_cast<int32_t>(rank), m.merged};
  }
}

BPE::BPE(std::vector<int32_t> byte_ids, const std::vector<Merge>& merges,
         std::vector<std::pair<std::string, int32_t>> vocab, std::vector<AddedToken> added,
         BPEOptions options)
    : byte_ids_(std::move(byte_ids)), added_(std::move(added)), options_(std::move(options)) {
  pairs_.build(merges);
  if (options_.ignore_merges) {
    for (auto& entry : vocab) vocab_.emplace(std::move(entry.first), entry.second);
  }
  std::stable_sort(added_.begin(), added_.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() > b.content.size();
  });
  for (const AddedToken& token : added_) {
    if (token.content.empty()) continue;
    int pass = token.normalized ? 1 : 0;
    added_first_byte_[pass][static_cast<unsigned char>(token.content[0])] = true;
    has_added_[pass] = true;
  }
}

std::unique_ptr<WordCache> BPE::acquire_cache() {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  if (pool_.empty()) return std::make_unique<WordCache>();
  std::unique_ptr<WordCache> cache = std::move(pool_.back());
  pool_.pop_back();
  return cache;
}

void BPE::release_cache(std::unique_ptr<WordCache> cache) {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  pool_.push_back(std::move(cache));
}

void BPE::split_added(const unsigned char* s, size_t begin, size_t end, bool normalized_pass,
                      std::vector<std::array<int64_t, 3>>& segments) const {
  const int pass = normalized_pass ? 1 : 0;
  size_t piece_start = begin;  // start of the text not yet emitted
  size_t i = begin;
  while (i < end) {
    const AddedToken* found = nullptr;
    if (added_first_byte_[pass][s[i]]) {
      for (const AddedToken& token : added_) {  // longest first: leftmost-longest matching
        if (token.normalized != normalized_pass || token.content.empty()) continue;
        size_t len = token.content.size();
        if (len <= end - i && std::equal(token.content.begin(), token.content.end(), s + i)) {
          found = &token;
          break;
        }
      }
    }
    if (found == nullptr) {
      ++i;
      continue;
    }
    size_t match_start = i;
    size_t match_end = i + found->content.size();
    if (found->lstrip) {
      size_t j = match_start;
      while (j > piece_start) {
        size_t k = j - 1;
        while (k > piece_start && (s[k] & 0xC0) == 0x80) --k;
        int len;
        if (!is_space_at(s, k, &len)) break;
        j = k;
      }
      match_start = j;
    }
    if (found->rstrip) {
      int len;
      while (match_end < end && is_space_at(s, match_end, &len)) match_end += len;
    }
    if (match_start > piece_start) {
      segments.push_back({static_cast<int64_t>(piece_start), static_cast<int64_t>(match_start), -1});
    }
    segments.push_back({static_cast<int64_t>(match_start), static_cast<int64_t>(match_end), found->id});
    piece_start = i = match_end;
  }
  if (end > piece_start) {
    segments.push_back({static_cast<int64_t>(piece_start), static_cast<int64_t>(end), -1});
  }
}

void BPE::encode(const char* text, size_t n, std::vector<int32_t>& out, WordCache& cache) const {
  const unsigned char* s = reinterpret_cast<const unsigned char*>(text);
  out.insert(out.end(), options_.prefix.begin(), options_.prefix.end());
  if (!has_added_[0] && !has_added_[1]) {
    if (n > 0) encode_segment(s, n, out, cache);
  } else {
    std::vector<std::array<int64_t, 3>> first, segments;
    if (has_added_[0]) {
      split_added(s, 0, n, false, first);
    } else if (n > 0) {
      first.push_back({0, static_cast<int64_t>(n), -1});
    }
    for (const auto& seg : first) {
      if (seg[2] >= 0 || !has_added_[1]) {
        segments.push_back(seg);
      } else {
        split_added(s, static_cast<size_t>(seg[0]), static_cast<size_t>(seg[1]), true, segments);
      }
    }
    for (const auto& seg : segments) {
      if (seg[2] >= 0) {
        out.push_back(static_cast<int32_t>(seg[2]));
      } else {
        encode_segment(s + seg[0], static_cast<size_t>(seg[1] - seg[0]), out, cache);
      }
    }
  }
  out.insert(out.end(), options_.suffix.begin(), options_.suffix.end());
}

void BPE::encode_segment(const unsigned char* s, size_t n, std::vector<int32_t>& out,
                         WordCache& cache) const {
  std::string prefixed;
  if (options_.add_prefix_space && (n == 0 || s[0] != ' ')) {
    prefixed.reserve(n + 1);
    prefixed.push_back(' ');
    prefixed.append(reinterpret_cast<const char*>(s), n);
    s = reinterpret_cast<const unsigned char*>(prefixed.data());
    n = prefixed.size();
  }
  if (!options_.use_regex) {
    encode_word(s, n, out, cache);
    return;
  }
  split_gpt2(s, n, [&](size_t start, size_t end) { encode_word(s + start, end - start, out, cache); });
}

void BPE::encode_word(const unsigned char* s, size_t n, std::vector<int32_t>& out,
                      WordCache& cache) const {
  if (n == 0) return;
  if (options_.ignore_merges) {
    auto it = vocab_.find(std::string(reinterpret_cast<const char*>(s), n));
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (n == 1 && byte_ids_[s[0]] >= 0) {
    out.push_back(byte_ids_[s[0]]);
    return;
  }
  if (n > kMaxCachedWord) {
    merge_word(s, n, out);
    return;
  }
  std::string key(reinterpret_cast<const char*>(s), n);
  auto it = cache.words.find(key);
  if (it != cache.words.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
    return;
  }
  size_t before = out.size();
  merge_word(s, n, out);
  if (cache.words.size() >= kMaxCacheEntries) cache.words.clear();
  cache.words.emplace(std::move(key), std::vector<int32_t>(out.begin() + before, out.end()));
}

void BPE::merge_word(const unsigned char* s, size_t n, std::vector<int32_t>& out) const {
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    bool alive;
  };
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t merged;
    bool operator<(const Candidate& o) const {  // std heaps are max-heaps: invert
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> heap_storage;
  symbols.clear();
  bool previous_unk = false;
  for (size_t i = 0; i < n; ++i) {
    int32_t id = byte_ids_[s[i]];
    if (id < 0) {
      // A byte without a token: the unknown token if there is one (fused with a preceding
      // unknown when fuse_unk), otherwise dropped — the Hugging Face rules.
      if (options_.unk_id < 0) continue;
      if (options_.fuse_unk && previous_unk) continue;
      id = options_.unk_id;
      previous_unk = true;
    } else {
      previous_unk = false;
    }
    int32_t pos = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{id, pos - 1, -1, true});
    if (pos > 0) symbols[pos - 1].next = pos;
  }
  std::vector<Candidate>& heap = heap_storage;
  heap.clear();
  auto push = [&](Candidate c) {
    heap.push_back(c);
    std::push_heap(heap.begin(), heap.end());
  };
  int32_t rank, merged;
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (pairs_.find(symbols[i].id, symbols[i + 1].id, &rank, &merged)) {
      push(Candidate{rank, static_cast<int32_t>(i), merged});
    }
  }
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    Candidate top = heap.back();
    heap.pop_back();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    // The pair at this position may have changed since the candidate was queued.
    if (!pairs_.find(left.id, right.id, &rank, &merged) || merged != top.merged) continue;
    left.id = merged;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0 && pairs_.find(symbols[left.prev].id, left.id, &rank, &merged)) {
      push(Candidate{rank, left.prev, merged});
    }
    if (left.next >= 0 && pairs_.find(left.id, symbols[left.next].id, &rank, &merged)) {
      push(Candidate{rank, top.pos, merged});
    }
  }
  for (int32_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace triptych_text
