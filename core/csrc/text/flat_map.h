// A read-only string -> id hash table with open addressing: keys live in one arena and each
// slot keeps the key's hash, so a lookup is usually one cache miss (std::unordered_map's
// node-per-entry layout took several, and dominated the profile of vocabulary lookups).
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
    mask_ = capacity - 1;
    arena_.clear();
    for (const auto& entry : entries) {
      const std::string& key = entry.first;
      uint64_t h = hash(key.data(), key.size());
      size_t i = h & mask_;
      bool present = false;
      while (slots_[i].id >= 0) {
        if (matches(slots_[i], h, key.data(), key.size())) {
          present = true;
          break;
        }
        i = (i + 1) & mask_;
      }
      if (present) continue;
      slots_[i] = Slot{h, static_cast<uint64_t>(arena_.size()), static_cast<uint32_t>(key.size()), entry.second};
      arena_ += key;
    }
  }

  // The id of key s[0, n), or -1.
  int32_t find(const char* s, size_t n) const {
    if (slots_.empty()) return -1;
    uint64_t h = hash(s, n);
    size_t i = h & mask_;
    while (slots_[i].id >= 0) {
      if (matches(slots_[i], h, s, n)) return slots_[i].id;
      i = (i + 1) & mask_;
    }
    return -1;
  }

  size_t size() const {
    size_t count = 0;
    for (const Slot& s : slots_) count += s.id >= 0;
    return count;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t offset = 0;
    uint32_t length = 0;
    int32_t id = -1;  // -1: empty
  };

  bool matches(const Slot& slot, uint64_t h, const char* s, size_t n) const {
    return slot.hash == h && slot.length == n && std::memcmp(arena_.data() + slot.offset, s, n) == 0;
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

  std::vector<Slot> slots_;
  std::string arena_;
  size_t mask_ = 0;
};

}  // namespace triptych_text
