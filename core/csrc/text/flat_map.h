// A read-only string -> id hash table with open addressing, laid out for lookups that miss the
// cache: each 16-byte slot holds the key's first 8 bytes (zero-padded), its length and its id,
// so a key of up to 8 bytes (most words) is matched inside its slot, in one cache line; longer
// keys compare the rest against one arena. Callers that look up many keys can compute the
// hashes first and `prefetch` the slots, so the memory reads overlap (see SplitLookup).
// (std::unordered_map's node-per-entry layout took several misses per lookup and dominated the
// profile of vocabulary lookups.)
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace triptych_text {

class FlatStringMap {
 public:
  // Later duplicates of a key are ignored.
  void build(const std::vector<std::pair<std::string, int32_t>>& entries) {
    size_t capacity = 16;
    while (capacity < entries.size() * 2) capacity <<= 1;
    slots_.assign(capacity, Slot{});
    offsets_.assign(capacity, 0);
    mask_ = capacity - 1;
    arena_.clear();
    for (const auto& entry : entries) {
      const std::string& key = entry.first;
      uint64_t h = hash(key.data(), key.size());
      size_t i = h & mask_;
      bool present = false;
      while (slots_[i].id >= 0) {
        if (matches(i, key.data(), key.size(), prefix(key.data(), key.size()))) {
          present = true;
          break;
        }
        i = (i + 1) & mask_;
      }
      if (present) continue;
      slots_[i] = Slot{prefix(key.data(), key.size()), static_cast<uint32_t>(key.size()), entry.second};
      offsets_[i] = arena_.size();
      arena_ += key;
    }
  }

  // The id of key s[0, n), or -1.
  int32_t find(const char* s, size_t n) const { return find_hashed(s, n, hash(s, n)); }

  // find() for a key whose hash(s, n) is known.
  int32_t find_hashed(const char* s, size_t n, uint64_t h) const {
    if (slots_.empty()) return -1;
    uint64_t head = prefix(s, n);
    size_t i = h & mask_;
    while (slots_[i].id >= 0) {
      if (matches(i, s, n, head)) return slots_[i].id;
      i = (i + 1) & mask_;
    }
    return -1;
  }

  // Start loading the slot where the key with hash h is looked for.
  void prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & mask_]);
  }

  size_t size() const {
    size_t count = 0;
    for (const Slot& s : slots_) count += s.id >= 0;
    return count;
  }

  // 8 bytes at a time, multiply-xorshift mixing; the low bits index the table.
  static uint64_t hash(const char* s, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
    while (n >= 8) {
      uint64_t chunk;
      std::memcpy(&chunk, s, 8);
      h = (h ^ chunk) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
      s += 8;
      n -= 8;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, s, n);
    h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    return h;
  }

 private:
  struct Slot {
    uint64_t prefix = 0;  // the key's first 8 bytes, zero-padded
    uint32_t length = 0;
    int32_t id = -1;  // -1: empty
  };

  static uint64_t prefix(const char* s, size_t n) {
    uint64_t head = 0;
    std::memcpy(&head, s, n < 8 ? n : 8);
    return head;
  }

  bool matches(size_t i, const char* s, size_t n, uint64_t head) const {
    const Slot& slot = slots_[i];
    return slot.prefix == head && slot.length == n &&
           (n <= 8 || std::memcmp(arena_.data() + offsets_[i] + 8, s + 8, n - 8) == 0);
  }

  std::vector<Slot> slots_;
  std::vector<uint64_t> offsets_;  // of each key in arena_, read only for keys over 8 bytes
  std::string arena_;
  size_t mask_ = 0;
};

}  // namespace triptych_text
