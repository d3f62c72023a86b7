// The CPU separable resampler shared by triptych::resize and
// triptych::resized_crop_flip_normalize (CPU only; the CUDA kernels have their own loops
// over the same weights, see resample_cuda.cuh).
//
// An image is a view of rows x cols x channels with arbitrary row stride and either
// interleaved channels (HWC memory: channel stride 1, column stride C) or planar channels
// (CHW memory: column stride 1). A crop is just a view with an offset: nothing is copied.
//
// Per output row the two passes run back to back on small per-thread buffers (no
// image-sized intermediate):
//   vertical first  : source rows -> one float row (W_in * C, interleaved) -> horizontal
//                     pass -> output row
//   horizontal first: the source rows a band of output rows needs -> horizontal pass ->
//                     band buffer -> vertical pass per output row
// `plan_order` picks the cheaper order from the tap counts (downscaling favours vertical
// first, upscaling horizontal first). Rows always reach the horizontal pass interleaved,
// so 3- and 4-channel pixels are filtered as one 4-lane vector per tap.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "common.h"
#include "vision/resample.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define TRIPTYCH_AVX2_KERNELS 1
#include <immintrin.h>
#endif

namespace triptych {
namespace resample {
// Internal linkage: every translation unit that includes this header gets its own copy,
// which keeps GCC's target_clones (TRIPTYCH_MULTIVERSION) resolvers out of COMDAT groups.
namespace {

// Precomputed weights of one axis: output index o reads source indices
// start[o] .. start[o] + taps - 1 with weights weights[o * taps + j].
template <typename acc_t>
struct AxisTable {
  int64_t in_size = 0;
  int64_t out_size = 0;
  int64_t taps = 1;
  bool identity = false;  // output o is exactly source o (a plain copy)
  std::vector<int64_t> start;
  std::vector<acc_t> weights;
};

// `reverse` mirrors the output (a horizontal flip): output o uses the window of out-1-o.
// The windows are then trimmed to the widest run of non-zero weights (nonzero_span).
template <typename acc_t>
AxisTable<acc_t> make_axis_table(const Axis& axis, bool reverse = false) {
  const int64_t in = axis.in_size, out = axis.out_size;
  const int64_t bound = window_taps<acc_t>(axis);
  std::vector<acc_t> full(out * bound);
  std::vector<int64_t> window_start(out), first(out), last(out);
  int64_t taps = 1;
  for (int64_t o = 0; o < out; ++o) {
    acc_t* w = full.data() + o * bound;
    window_start[o] = compute_window<acc_t>(axis, reverse ? out - 1 - o : o, bound, w);
    int64_t lo, hi;
    nonzero_span(w, bound, lo, hi);
    first[o] = window_start[o] + lo;
    last[o] = window_start[o] + hi;
    taps = std::max(taps, hi - lo + 1);
  }
  AxisTable<acc_t> t;
  t.in_size = in;
  t.out_size = out;
  t.taps = taps;
  t.start.resize(out);
  t.weights.assign(out * taps, acc_t(0));
  bool identity = in == out;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = std::min(first[o], in - taps);  // keeps start + taps <= in
    const acc_t* full_w = full.data() + o * bound;
    acc_t* w = t.weights.data() + o * taps;
    for (int64_t p = first[o]; p <= last[o]; ++p) w[p - start] = full_w[p - window_start[o]];
    t.start[o] = start;
    for (int64_t j = 0; j < taps && identity; ++j) {
      identity = w[j] == (start + j == o ? acc_t(1) : acc_t(0));
    }
  }
  t.identity = identity;
  return t;
}

// make() for `key`, remembered per thread for the last `Kept` keys used (least recently used
// evicted): one memo per Value/Kept/Key/Make combination, so per call site. The value is
// shared so that a caller may keep it past its eviction.
template <typename Value, size_t Kept, typename Key, typename Make>
std::shared_ptr<const Value> recently_made(const Key& key, Make&& make) {
  struct Entry {
    Key key;
    std::shared_ptr<const Value> value;
    uint64_t used;
  };
  thread_local std::vector<Entry> entries;
  thread_local uint64_t clock = 0;
  ++clock;
  for (Entry& e : entries) {
    if (e.key == key) {
      e.used = clock;
      return e.value;
    }
  }
  std::shared_ptr<const Value> value = std::make_shared<const Value>(make());
  if (entries.size() < Kept) {
    entries.push_back(Entry{key, value, clock});
  } else {
    *std::min_element(entries.begin(), entries.end(),
                      [](const Entry& a, const Entry& b) { return a.used < b.used; }) = Entry{key, value, clock};
  }
  return value;
}

// make_axis_table, remembered per thread for the last 128 axes (~5 KB each for 224 outputs):
// building the two tables of a crop costs ~9 us, ~12 % of a one-thread 224x224
// resized_crop_flip_normalize. Repeated geometries (a fixed set of crops, same-sized images)
// always hit; RandomResizedCrop's fresh crops draw extents from a few hundred values, and hit
// ~15 % of the time (15 epochs of 72 ImageNet-size images, with flips).
template <typename acc_t>
std::shared_ptr<const AxisTable<acc_t>> cached_axis_table(const Axis& axis, bool reverse = false) {
  const std::array<int64_t, 5> key = {axis.in_size, axis.out_size, axis.interp, axis.antialias, reverse};
  return recently_made<AxisTable<acc_t>, 128>(key, [&] { return make_axis_table<acc_t>(axis, reverse); });
}

template <typename T>
struct ImageView {
  const T* data = nullptr;
  int64_t rows = 0, cols = 0, channels = 0;
  int64_t row_stride = 0, col_stride = 0, channel_stride = 0;

  // Interleaved channels: HWC memory, pixels `col_stride` values apart, which is the channel
  // count or, for an RGB view of an RGBX buffer (what Pillow decodes into), 4.
  bool interleaved() const {
    return channels > 1 && channel_stride == 1 && (col_stride == channels || (channels == 3 && col_stride == 4));
  }
  bool planar() const { return col_stride == 1; }
  // Values per pixel the passes carry: the pixel stride for interleaved images, else 1.
  int64_t lanes() const { return interleaved() ? col_stride : 1; }
};

// ---- the passes -------------------------------------------------------------------------
//
// The float loops are written with GCC/Clang vector extensions (portable, no intrinsics):
// TRIPTYCH_MULTIVERSION compiles them for AVX2 and for the SSE2 baseline, where each
// 8-lane vector becomes two 4-lane ones. Other compilers take the plain loops.

// Calls FN<K>(args...) with the tap count as a compile-time constant for 1..6 taps (so the
// tap loop unrolls) and FN<0>(args...) (a run-time count) otherwise. A macro rather than a
// template taking a callable: a lambda would not inherit the caller's target attribute.
#define TRIPTYCH_DISPATCH_TAPS(taps, FN, ...)   \
  switch (taps) {                              \
    case 1: return FN<1>(__VA_ARGS__);         \
    case 2: return FN<2>(__VA_ARGS__);         \
    case 3: return FN<3>(__VA_ARGS__);         \
    case 4: return FN<4>(__VA_ARGS__);         \
    case 5: return FN<5>(__VA_ARGS__);         \
    case 6: return FN<6>(__VA_ARGS__);         \
    default: return FN<0>(__VA_ARGS__);        \
  }

#if defined(__GNUC__)
#define TRIPTYCH_VECTOR_EXTENSIONS 1
// The helpers below return 32-byte vectors and are always inlined, so the ABI note GCC
// gives for them (-Wpsabi) does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float float4_t __attribute__((vector_size(16)));
typedef float float8_t __attribute__((vector_size(32)));

#define TRIPTYCH_ALWAYS_INLINE inline __attribute__((always_inline))

TRIPTYCH_ALWAYS_INLINE float8_t load8_as_float(const float* p) {
  float8_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

TRIPTYCH_ALWAYS_INLINE float4_t load4(const float* p) {
  float4_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
#endif

// out[k] = sum_j w[j] * src[j * row_stride + k], k < len: contiguous rows, so this is the
// cheap pass. With float input and accumulation, 32 running sums stay in registers across
// the taps; other types take plain loops the compiler vectorises.
template <typename in_t, typename acc_t>
TRIPTYCH_MULTIVERSION void vertical_row_portable(
    const in_t* __restrict__ src, int64_t row_stride, const acc_t* __restrict__ w, int64_t taps,
    int64_t len, acc_t* __restrict__ out) {
  int64_t k = 0;
#if defined(TRIPTYCH_VECTOR_EXTENSIONS)
  if constexpr (std::is_same<acc_t, float>::value && std::is_same<in_t, float>::value) {
    for (; k + 32 <= len; k += 32) {
      float8_t a0 = {}, a1 = {}, a2 = {}, a3 = {};
      const in_t* s = src + k;
      for (int64_t j = 0; j < taps; ++j, s += row_stride) {
        const float wj = w[j];
        a0 += wj * load8_as_float(s);
        a1 += wj * load8_as_float(s + 8);
        a2 += wj * load8_as_float(s + 16);
        a3 += wj * load8_as_float(s + 24);
      }
      std::memcpy(out + k, &a0, sizeof(a0));
      std::memcpy(out + k + 8, &a1, sizeof(a1));
      std::memcpy(out + k + 16, &a2, sizeof(a2));
      std::memcpy(out + k + 24, &a3, sizeof(a3));
    }
  }
#endif
  if (k == len) return;
  const int64_t n = len - k;
  acc_t* __restrict__ o = out + k;
  const acc_t w0 = w[0];
  const in_t* __restrict__ s0 = src + k;
  for (int64_t i = 0; i < n; ++i) o[i] = w0 * static_cast<acc_t>(s0[i]);
  for (int64_t j = 1; j < taps; ++j) {
    const acc_t wj = w[j];
    const in_t* __restrict__ s = src + j * row_stride + k;
    for (int64_t i = 0; i < n; ++i) o[i] += wj * static_cast<acc_t>(s[i]);
  }
}

#if defined(TRIPTYCH_AVX2_KERNELS)
// The two hot loops of the uint8 path (vertical pass over byte rows, horizontal pass over
// 3/4-channel pixels) are written with AVX2 + FMA intrinsics and chosen at run time: GCC
// neither vectorises a byte-to-float vector conversion well nor contracts to FMA under
// -std=c++17. Other CPUs take the portable loops, whose sums round differently in the last
// bit (uint8 results can differ by one level where a value lands on .5).
#define TRIPTYCH_AVX2_FMA __attribute__((target("avx2,fma")))

TRIPTYCH_AVX2_FMA inline __attribute__((always_inline)) __m256 load8_u8_as_float(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

TRIPTYCH_AVX2_FMA void vertical_row_u8_avx2(
    const uint8_t* __restrict__ src, int64_t row_stride, const float* __restrict__ w, int64_t taps,
    int64_t len, float* __restrict__ out) {
#define load8 load8_u8_as_float
  int64_t k = 0;
  for (; k + 32 <= len; k += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const uint8_t* s = src + k;
    for (int64_t j = 0; j < taps; ++j, s += row_stride) {
      const __m256 wj = _mm256_set1_ps(w[j]);
      a0 = _mm256_fmadd_ps(wj, load8(s), a0);
      a1 = _mm256_fmadd_ps(wj, load8(s + 8), a1);
      a2 = _mm256_fmadd_ps(wj, load8(s + 16), a2);
      a3 = _mm256_fmadd_ps(wj, load8(s + 24), a3);
    }
    _mm256_storeu_ps(out + k, a0);
    _mm256_storeu_ps(out + k + 8, a1);
    _mm256_storeu_ps(out + k + 16, a2);
    _mm256_storeu_ps(out + k + 24, a3);
  }
  for (; k + 8 <= len; k += 8) {
    __m256 a0 = _mm256_setzero_ps();
    const uint8_t* s = src + k;
    for (int64_t j = 0; j < taps; ++j, s += row_stride) {
      a0 = _mm256_fmadd_ps(_mm256_set1_ps(w[j]), load8(s), a0);
    }
    _mm256_storeu_ps(out + k, a0);
  }
  for (; k < len; ++k) {
    float sum = 0.f;
    for (int64_t j = 0; j < taps; ++j) sum += w[j] * static_cast<float>(src[j * row_stride + k]);
    out[k] = sum;
  }
#undef load8
}

// 3 or 4 interleaved float channels, one 4-lane vector per pixel (see horizontal_row_c34).
template <int K>
TRIPTYCH_AVX2_FMA inline __attribute__((always_inline)) void horizontal_c34_avx2_fixed(
    const float* __restrict__ in, int64_t channels, const int64_t* __restrict__ start,
    const float* __restrict__ w, int64_t taps, int64_t out_w, float* __restrict__ out) {
  const int64_t k = K > 0 ? K : taps;
  for (int64_t x = 0; x < out_w; ++x) {
    const float* s = in + start[x] * channels;
    const float* wx = w + x * k;
    __m128 acc = _mm_mul_ps(_mm_broadcast_ss(wx), _mm_loadu_ps(s));
    for (int64_t j = 1; j < k; ++j) acc = _mm_fmadd_ps(_mm_broadcast_ss(wx + j), _mm_loadu_ps(s + j * channels), acc);
    _mm_storeu_ps(out + x * channels, acc);
  }
}

TRIPTYCH_AVX2_FMA void horizontal_row_c34_avx2(
    const float* __restrict__ in, int64_t channels, const int64_t* __restrict__ start,
    const float* __restrict__ w, int64_t taps, int64_t out_w, float* __restrict__ out) {
  TRIPTYCH_DISPATCH_TAPS(taps, horizontal_c34_avx2_fixed, in, channels, start, w, taps, out_w, out)
}

// Two 4-lane pixels as one 8-lane vector (`lo` in the low half).
TRIPTYCH_AVX2_FMA inline __attribute__((always_inline)) __m256 load_pixel_pair(const float* lo, const float* hi) {
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(lo)), _mm_loadu_ps(hi), 1);
}

// Pixels x .. x + 7 given as p[q] = (pixel x + q | pixel x + 4 + q), q < 4, 4 lanes each ->
// channel c (< channels) of the 8 pixels * a[c] + b[c] into dst + c * sc, contiguously.
TRIPTYCH_AVX2_FMA inline __attribute__((always_inline)) void store_planes8(
    __m256 p0, __m256 p1, __m256 p2, __m256 p3, int64_t channels, float* dst, int64_t sc, const __m256* a,
    const __m256* b) {
  const __m256 t0 = _mm256_unpacklo_ps(p0, p1), t1 = _mm256_unpackhi_ps(p0, p1);  // c0 c0 c1 c1 | c2 c2 c3 c3
  const __m256 t2 = _mm256_unpacklo_ps(p2, p3), t3 = _mm256_unpackhi_ps(p2, p3);
  _mm256_storeu_ps(dst, _mm256_fmadd_ps(_mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), a[0], b[0]));
  _mm256_storeu_ps(dst + sc, _mm256_fmadd_ps(_mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)), a[1], b[1]));
  _mm256_storeu_ps(dst + 2 * sc, _mm256_fmadd_ps(_mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), a[2], b[2]));
  if (channels == 4) {
    _mm256_storeu_ps(dst + 3 * sc, _mm256_fmadd_ps(_mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)), a[3], b[3]));
  }
}

// The weights of horizontal_planar_affine_avx2 for the full blocks of 8 output pixels: for
// block b, tap j and q < 4, 8 values: the weight of pixel 8b + q four times, then that of
// pixel 8b + 4 + q four times, so one load multiplies a pair of pixels (load_pixel_pair).
inline void pair_weights(const AxisTable<float>& tx, std::vector<float>& out) {
  const int64_t taps = tx.taps, blocks = tx.out_size / 8;
  out.resize(blocks * taps * 32);
  float* o = out.data();
  for (int64_t b = 0; b < blocks; ++b) {
    for (int64_t j = 0; j < taps; ++j) {
      for (int64_t q = 0; q < 4; ++q, o += 8) {
        const float lo = tx.weights[(8 * b + q) * taps + j], hi = tx.weights[(8 * b + 4 + q) * taps + j];
        for (int i = 0; i < 4; ++i) {
          o[i] = lo;
          o[4 + i] = hi;
        }
      }
    }
  }
}

// The horizontal pass of 3/4-lane interleaved float pixels fused with an affine store into
// channel planes (column stride 1): dst[c * sc + x] = (sum_j w[x, j] * in[start[x] + j][c])
// * scale[c] + bias[c] for c < channels (3 or 4). Two pixels share each 8-lane multiply-add
// (weights from pair_weights), and each block of 8 pixels is transposed in registers and
// stored one contiguous vector per plane, so the interleaved output row is never written.
// The last out_w % 8 pixels take one 4-lane vector each. The pixel stride L (3 or 4) and the
// tap count K (0: run time) are compile-time constants, so every load is a base register plus
// a constant offset.
template <int L, int K>
TRIPTYCH_AVX2_FMA inline __attribute__((always_inline)) void horizontal_planar_affine_avx2_fixed(
    const float* __restrict__ in, int64_t channels, const int64_t* __restrict__ start,
    const float* __restrict__ w, const float* __restrict__ wpairs, int64_t taps, int64_t out_w,
    float* __restrict__ dst, int64_t sc, const float* __restrict__ scale, const float* __restrict__ bias) {
  constexpr int64_t lanes = L;
  const int64_t k = K > 0 ? K : taps;
  __m256 a[4], b[4];
  for (int64_t c = 0; c < 4; ++c) {
    a[c] = _mm256_set1_ps(c < channels ? scale[c] : 0.f);
    b[c] = _mm256_set1_ps(c < channels ? bias[c] : 0.f);
  }
  int64_t x = 0;
  const float* wp = wpairs;
  for (; x + 8 <= out_w; x += 8) {
    const float* s[8];
    for (int q = 0; q < 8; ++q) s[q] = in + start[x + q] * lanes;
    __m256 acc[4];
    for (int q = 0; q < 4; ++q) acc[q] = _mm256_mul_ps(_mm256_loadu_ps(wp + 8 * q), load_pixel_pair(s[q], s[q + 4]));
    wp += 32;
    for (int64_t j = 1; j < k; ++j, wp += 32) {
      for (int q = 0; q < 4; ++q) {
        acc[q] = _mm256_fmadd_ps(_mm256_loadu_ps(wp + 8 * q),
                                 load_pixel_pair(s[q] + j * lanes, s[q + 4] + j * lanes), acc[q]);
      }
    }
    store_planes8(acc[0], acc[1], acc[2], acc[3], channels, dst + x, sc, a, b);
  }
  for (; x < out_w; ++x) {
    const float* s = in + start[x] * lanes;
    const float* wx = w + x * k;
    __m128 acc = _mm_mul_ps(_mm_broadcast_ss(wx), _mm_loadu_ps(s));
    for (int64_t j = 1; j < k; ++j) acc = _mm_fmadd_ps(_mm_broadcast_ss(wx + j), _mm_loadu_ps(s + j * lanes), acc);
    float v[4];
    _mm_storeu_ps(v, acc);
    for (int64_t c = 0; c < channels; ++c) dst[c * sc + x] = std::fma(v[c], scale[c], bias[c]);
  }
}

template <int L>
struct PlanarAffineLanes {  // horizontal_planar_affine_avx2_fixed<L, K> as FN<K> for TRIPTYCH_DISPATCH_TAPS
  template <int K>
  TRIPTYCH_AVX2_FMA static inline __attribute__((always_inline)) void run(
      const float* in, int64_t channels, const int64_t* start, const float* w, const float* wpairs, int64_t taps,
      int64_t out_w, float* dst, int64_t sc, const float* scale, const float* bias) {
    horizontal_planar_affine_avx2_fixed<L, K>(in, channels, start, w, wpairs, taps, out_w, dst, sc, scale, bias);
  }
};

TRIPTYCH_AVX2_FMA void horizontal_planar_affine_avx2(
    const float* __restrict__ in, int64_t lanes, int64_t channels, const int64_t* __restrict__ start,
    const float* __restrict__ w, const float* __restrict__ wpairs, int64_t taps, int64_t out_w,
    float* __restrict__ dst, int64_t sc, const float* __restrict__ scale, const float* __restrict__ bias) {
  if (lanes == 3) {
    TRIPTYCH_DISPATCH_TAPS(taps, PlanarAffineLanes<3>::template run, in, channels, start, w, wpairs, taps, out_w,
                           dst, sc, scale, bias)
  }
  TRIPTYCH_DISPATCH_TAPS(taps, PlanarAffineLanes<4>::template run, in, channels, start, w, wpairs, taps, out_w, dst,
                         sc, scale, bias)
}

// TRIPTYCH_CPU_BASELINE=1 in the environment (read once) makes the kernels take the portable
// loops on any CPU, so the tests can compare both versions on one machine.
inline bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          !(std::getenv("TRIPTYCH_CPU_BASELINE") && std::getenv("TRIPTYCH_CPU_BASELINE")[0] == '1');
  return has;
}
#endif

template <typename in_t, typename acc_t>
inline void vertical_row(
    const in_t* src, int64_t row_stride, const acc_t* w, int64_t taps, int64_t len, acc_t* out) {
#if defined(TRIPTYCH_AVX2_KERNELS)
  if constexpr (std::is_same<in_t, uint8_t>::value && std::is_same<acc_t, float>::value) {
    if (cpu_has_avx2()) {
      vertical_row_u8_avx2(src, row_stride, w, taps, len, out);
      return;
    }
  }
#endif
  vertical_row_portable<in_t, acc_t>(src, row_stride, w, taps, len, out);
}

// Horizontal pass: output pixel x = sum_j w[x, j] * in pixel (start[x] + j), over rows of
// interleaved channels. A fixed tap count K lets the compiler unroll the tap loop.
template <int K, typename acc_t>
inline void horizontal_c1_fixed(
    const acc_t* __restrict__ in, const int64_t* __restrict__ start, const acc_t* __restrict__ w, int64_t taps,
    int64_t out_w, acc_t* __restrict__ out) {
  const int64_t k = K > 0 ? K : taps;
  for (int64_t x = 0; x < out_w; ++x) {
    const acc_t* s = in + start[x];
    const acc_t* wx = w + x * k;
    acc_t sum = wx[0] * s[0];
    for (int64_t j = 1; j < k; ++j) sum += wx[j] * s[j];
    out[x] = sum;
  }
}

template <typename acc_t>
TRIPTYCH_MULTIVERSION void horizontal_row_c1(
    const acc_t* __restrict__ in, const int64_t* __restrict__ start, const acc_t* __restrict__ w,
    int64_t taps, int64_t out_w, acc_t* __restrict__ out) {
  TRIPTYCH_DISPATCH_TAPS(taps, horizontal_c1_fixed, in, start, w, taps, out_w, out)
}

#if defined(TRIPTYCH_VECTOR_EXTENSIONS)
// 3 or 4 interleaved float channels: a pixel is one 4-lane vector. For 3 channels the
// fourth lane reads the next pixel's first channel and is discarded: `in` needs one
// element of padding after the row, `out` one after its last pixel (pixels are written in
// order, so the spilled lane is overwritten by the next pixel).
template <int K>
TRIPTYCH_ALWAYS_INLINE void horizontal_c34_fixed(
    const float* __restrict__ in, int64_t channels, const int64_t* __restrict__ start,
    const float* __restrict__ w, int64_t taps, int64_t out_w, float* __restrict__ out) {
  const int64_t k = K > 0 ? K : taps;
  for (int64_t x = 0; x < out_w; ++x) {
    const float* s = in + start[x] * channels;
    const float* wx = w + x * k;
    float4_t acc = wx[0] * load4(s);
    for (int64_t j = 1; j < k; ++j) acc += wx[j] * load4(s + j * channels);
    std::memcpy(out + x * channels, &acc, sizeof(acc));
  }
}

TRIPTYCH_MULTIVERSION void horizontal_row_c34(
    const float* __restrict__ in, int64_t channels, const int64_t* __restrict__ start,
    const float* __restrict__ w, int64_t taps, int64_t out_w, float* __restrict__ out) {
  TRIPTYCH_DISPATCH_TAPS(taps, horizontal_c34_fixed, in, channels, start, w, taps, out_w, out)
}
#endif

// Any channel count: the inner loop runs over contiguous channels.
template <typename acc_t>
TRIPTYCH_MULTIVERSION void horizontal_row_generic(
    const acc_t* __restrict__ in, int64_t channels, const int64_t* __restrict__ start,
    const acc_t* __restrict__ w, int64_t taps, int64_t out_w, acc_t* __restrict__ out) {
  for (int64_t x = 0; x < out_w; ++x) {
    const acc_t* s = in + start[x] * channels;
    const acc_t* wx = w + x * taps;
    acc_t* o = out + x * channels;
    for (int64_t c = 0; c < channels; ++c) o[c] = acc_t(0);
    for (int64_t j = 0; j < taps; ++j) {
      const acc_t wj = wx[j];
      const acc_t* sj = s + j * channels;
      for (int64_t c = 0; c < channels; ++c) o[c] += wj * sj[c];
    }
  }
}

// Rows handed to horizontal_row carry kRowPad elements of slack after the last pixel.
constexpr int64_t kRowPad = 4;

template <typename acc_t>
inline void horizontal_row(const acc_t* in, int64_t channels, const AxisTable<acc_t>& tx, acc_t* out) {
  const int64_t* start = tx.start.data();
  const acc_t* w = tx.weights.data();
  if (channels == 1) {
    horizontal_row_c1<acc_t>(in, start, w, tx.taps, tx.out_size, out);
    return;
  }
#if defined(TRIPTYCH_VECTOR_EXTENSIONS)
  if constexpr (std::is_same<acc_t, float>::value) {
    if (channels == 3 || channels == 4) {
#if defined(TRIPTYCH_AVX2_KERNELS)
      if (cpu_has_avx2()) {
        horizontal_row_c34_avx2(in, channels, start, w, tx.taps, tx.out_size, out);
        return;
      }
#endif
      horizontal_row_c34(in, channels, start, w, tx.taps, tx.out_size, out);
      return;
    }
  }
#endif
  horizontal_row_generic<acc_t>(in, channels, start, w, tx.taps, tx.out_size, out);
}

// ---- one image --------------------------------------------------------------------------

enum class Order { kVerticalFirst, kHorizontalFirst };

// Relative cost of the two orders, in "vector multiply-adds": the vertical pass is a
// contiguous loop (~8 lanes), the horizontal pass one (scalar or 4-lane) multiply-add per
// output pixel and tap.
template <typename acc_t>
Order plan_order(const AxisTable<acc_t>& ty, const AxisTable<acc_t>& tx, int64_t channels) {
  if (tx.identity) return Order::kVerticalFirst;
  const double c = static_cast<double>(channels);
  const double per_pixel_tap = channels == 1 ? 1.0 : std::max(1.0, c / 4.0);
  const double hin = static_cast<double>(ty.in_size), hout = static_cast<double>(ty.out_size);
  const double win = static_cast<double>(tx.in_size), wout = static_cast<double>(tx.out_size);
  const double ky = static_cast<double>(ty.taps), kx = static_cast<double>(tx.taps);
  const double vertical_first = hout * win * c * ky / 8.0 + hout * wout * kx * per_pixel_tap;
  const double horizontal_first = hin * win * c / 8.0 + hin * wout * kx * per_pixel_tap + hout * wout * c * ky / 8.0;
  return vertical_first <= horizontal_first ? Order::kVerticalFirst : Order::kHorizontalFirst;
}

// Per-thread buffers, sized for one image geometry.
template <typename acc_t>
struct Scratch {
  std::vector<acc_t> in_row, out_row, band, pair_weights;
  acc_t one = acc_t(1);
};

// An output the resampler may write directly, by-passing `store`: channel planes of one
// image with column stride 1, output row y of channel c at base + y * row_stride +
// c * plane_stride, each value times scale[c] plus bias[c] (base null: no such output).
template <typename acc_t>
struct PlanarAffine {
  acc_t* base = nullptr;
  int64_t row_stride = 0, plane_stride = 0;
  const acc_t* scale = nullptr;
  const acc_t* bias = nullptr;
};

// Whether resample_rows fuses the horizontal pass of these rows with the store to `planar`
// (horizontal_planar_affine_avx2): float rows of 3/4-lane pixels on an AVX2 CPU.
template <typename acc_t>
inline bool fuses_planar_affine(const PlanarAffine<acc_t>* planar, int64_t channels, int64_t lanes) {
#if defined(TRIPTYCH_AVX2_KERNELS)
  if constexpr (std::is_same<acc_t, float>::value) {
    return planar != nullptr && planar->base != nullptr && channels >= 3 && channels <= lanes && lanes <= 4 &&
           cpu_has_avx2();
  }
#endif
  (void)planar, (void)channels, (void)lanes;
  return false;
}

// Computes output rows [y0, y1) of one image whose channels are interleaved (or single)
// and hands each to store(y, row), row = tx.out_size pixels of img.lanes() values each
// (the channels, then any padding value of an RGBX-style source, which the store skips).
// Where fuses_planar_affine(planar, ...) holds, vertical-first rows that need a horizontal
// pass are written to `planar` instead (the same values as `store` would write there, up
// to float rounding).
template <typename in_t, typename acc_t, typename Store>
void resample_rows(
    const ImageView<in_t>& img, const AxisTable<acc_t>& ty, const AxisTable<acc_t>& tx, Order order,
    int64_t y0, int64_t y1, Scratch<acc_t>& s, Store&& store, const PlanarAffine<acc_t>* planar = nullptr) {
  const int64_t C = img.lanes();
  const int64_t in_len = img.cols * C, out_len = tx.out_size * C;
  // The padding value after a row's last pixel may lie past the tensor's storage: not read.
  const int64_t read_len = in_len - (C - (img.channels > 1 ? img.channels : 1));
  s.in_row.resize(in_len + kRowPad);
  s.out_row.resize(out_len + kRowPad);
  std::fill(s.in_row.begin() + read_len, s.in_row.end(), acc_t(0));
  if (order == Order::kVerticalFirst) {
    const bool fused = !tx.identity && fuses_planar_affine(planar, img.channels, C);
#if defined(TRIPTYCH_AVX2_KERNELS)
    if constexpr (std::is_same<acc_t, float>::value) {
      if (fused) pair_weights(tx, s.pair_weights);
    }
#endif
    for (int64_t y = y0; y < y1; ++y) {
      if (y + 1 < y1) {  // the source rows the next output row adds to the window: on their way to cache
        const int64_t r0 = std::max(ty.start[y] + ty.taps, ty.start[y + 1]), r1 = ty.start[y + 1] + ty.taps;
        for (int64_t r = r0; r < r1; ++r) {
          const char* p = reinterpret_cast<const char*>(img.data + r * img.row_stride);
          for (int64_t b = 0; b < read_len * static_cast<int64_t>(sizeof(in_t)); b += 64) __builtin_prefetch(p + b);
        }
      }
      vertical_row<in_t, acc_t>(img.data + ty.start[y] * img.row_stride, img.row_stride,
                                ty.weights.data() + y * ty.taps, ty.taps, read_len, s.in_row.data());
      if (tx.identity) {
        store(y, s.in_row.data());
      } else if (fused) {
#if defined(TRIPTYCH_AVX2_KERNELS)
        if constexpr (std::is_same<acc_t, float>::value) {
          horizontal_planar_affine_avx2(s.in_row.data(), C, img.channels, tx.start.data(), tx.weights.data(),
                                        s.pair_weights.data(), tx.taps, tx.out_size,
                                        planar->base + y * planar->row_stride, planar->plane_stride, planar->scale,
                                        planar->bias);
        }
#endif
      } else {
        horizontal_row<acc_t>(s.in_row.data(), C, tx, s.out_row.data());
        store(y, s.out_row.data());
      }
    }
    return;
  }
  // Horizontal first, in bands of output rows so the band buffer stays in cache.
  constexpr int64_t kBandRows = 16;
  const int64_t band_stride = out_len + kRowPad;
  for (int64_t b0 = y0; b0 < y1; b0 += kBandRows) {
    const int64_t b1 = std::min(y1, b0 + kBandRows);
    int64_t r0 = ty.start[b0], r1 = r0;
    for (int64_t y = b0; y < b1; ++y) {
      r0 = std::min(r0, ty.start[y]);
      r1 = std::max(r1, ty.start[y] + ty.taps);
    }
    s.band.resize((r1 - r0) * band_stride);
    for (int64_t r = r0; r < r1; ++r) {
      vertical_row<in_t, acc_t>(img.data + r * img.row_stride, img.row_stride, &s.one, 1, read_len,
                                s.in_row.data());
      horizontal_row<acc_t>(s.in_row.data(), C, tx, s.band.data() + (r - r0) * band_stride);
    }
    for (int64_t y = b0; y < b1; ++y) {
      vertical_row<acc_t, acc_t>(s.band.data() + (ty.start[y] - r0) * band_stride, band_stride,
                                 ty.weights.data() + y * ty.taps, ty.taps, out_len, s.out_row.data());
      store(y, s.out_row.data());
    }
  }
}

// No planar_of for resample_images: every row goes through `store`.
struct NoPlanarOutput {
  template <typename acc_t>
  void operator()(int64_t, PlanarAffine<acc_t>&) const {}
};

// Runs the resampler over every image in parallel, split into bands of output rows.
// view_of(n) is image n's (cropped) source; tables_of(n, ty, tx) points ty/tx at its
// tables; store(n, c0, channels, lanes, y, row) writes output row y of channels
// c0 .. c0 + channels - 1 from `row` (pixels `lanes` values apart). Planar images are resampled one
// channel plane at a time, so every row stays contiguous and nothing is interleaved.
// planar_of(n, p) may describe image n's output as a PlanarAffine equivalent to `store`, for
// resample_rows to write interleaved images' rows there directly.
template <typename in_t, typename acc_t, typename ViewOf, typename TablesOf, typename Store,
          typename PlanarOf = NoPlanarOutput>
void resample_images(int64_t images, int64_t out_h, int64_t out_w, ViewOf&& view_of, TablesOf&& tables_of,
                     Store&& store, PlanarOf&& planar_of = PlanarOf{}) {
  if (images == 0) return;
  const ImageView<in_t> first = view_of(0);
  const bool split = !first.interleaved() && first.channels > 1;
  const int64_t planes = split ? first.channels : 1;
  const int64_t row_values = out_w * first.lanes();
  const int64_t grain = std::max<int64_t>(4, (int64_t{1} << 16) / std::max<int64_t>(1, row_values));
  torch::stable::parallel_for(0, images * planes * out_h, grain, [&](int64_t begin, int64_t end) {
    Scratch<acc_t> scratch;
    for (int64_t i = begin; i < end;) {
      const int64_t item = i / out_h, y0 = i % out_h, y1 = std::min(out_h, y0 + (end - i));
      const int64_t n = item / planes, plane = item % planes;
      ImageView<in_t> view = view_of(n);
      if (split) {
        view.data += plane * view.channel_stride;
        view.channels = 1;
      }
      const AxisTable<acc_t>* ty = nullptr;
      const AxisTable<acc_t>* tx = nullptr;
      tables_of(n, ty, tx);
      const Order order = plan_order(*ty, *tx, view.lanes());
      PlanarAffine<acc_t> planar;
      if (!split) planar_of(n, planar);
      resample_rows<in_t, acc_t>(
          view, *ty, *tx, order, y0, y1, scratch,
          [&](int64_t y, const acc_t* row) { store(n, plane, view.channels, view.lanes(), y, row); }, &planar);
      i += y1 - y0;
    }
  });
}

// The image as the resampler reads it: interleaved channels (HWC memory, any row stride) or
// contiguous rows per channel plane; anything else is copied to contiguous memory first.
inline Tensor resample_addressable(const Tensor& image) {
  const int64_t dim = image.dim();
  const int64_t c = image.size(dim - 3), sc = image.stride(dim - 3), sw = image.stride(dim - 1);
  const bool interleaved = c > 1 && sc == 1 && (sw == c || (c == 3 && sw == 4));
  return interleaved || sw == 1 ? image : torch::stable::contiguous(image);
}

// ---- stores -----------------------------------------------------------------------------

// Round half to even (as torch.round) and saturate to [0, 255]. Written so it vectorises:
// the magic-number rounding avoids a libm call, the clamp happens on integers.
inline uint8_t round_saturate_u8(float v) {
  v = (v + 12582912.f) - 12582912.f;  // 1.5 * 2^23: rounds in the current (nearest-even) mode
  int32_t i = static_cast<int32_t>(v);
  i = i < 0 ? 0 : i;
  i = i > 255 ? 255 : i;
  return static_cast<uint8_t>(i);
}

template <typename acc_t, typename out_t>
inline out_t convert_out(acc_t v) {
  if constexpr (std::is_same<out_t, uint8_t>::value) {
    return round_saturate_u8(static_cast<float>(v));
  } else {
    return static_cast<out_t>(v);
  }
}

// row (cols pixels of `lanes` values, the first `channels` of them kept) -> dst with column
// stride sx and channel stride sc.
template <typename acc_t, typename out_t>
TRIPTYCH_MULTIVERSION void store_converted(
    const acc_t* __restrict__ row, int64_t cols, int64_t channels, int64_t lanes, out_t* __restrict__ dst,
    int64_t sx, int64_t sc) {
  if ((sc == 1 || channels == 1) && sx == channels && lanes == channels) {
    const int64_t len = cols * channels;
    for (int64_t k = 0; k < len; ++k) dst[k] = convert_out<acc_t, out_t>(row[k]);
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    out_t* d = dst + c * sc;
    const acc_t* r = row + c;
    for (int64_t x = 0; x < cols; ++x) d[x * sx] = convert_out<acc_t, out_t>(r[x * lanes]);
  }
}

// out = row * scale[c] + bias[c]. `pattern_scale`/`pattern_bias` repeat the channel
// coefficients over a whole interleaved row, so the channels-last case is one flat loop.
template <typename acc_t, typename out_t>
TRIPTYCH_MULTIVERSION void store_affine_portable(
    const acc_t* __restrict__ row, int64_t cols, int64_t channels, int64_t lanes, out_t* __restrict__ dst,
    int64_t sx, int64_t sc, const acc_t* __restrict__ scale, const acc_t* __restrict__ bias,
    const acc_t* __restrict__ pattern_scale, const acc_t* __restrict__ pattern_bias) {
  if (channels == 1) {
    const acc_t a = scale[0], b = bias[0];
    if (sx == 1) {
      for (int64_t x = 0; x < cols; ++x) dst[x] = static_cast<out_t>(row[x] * a + b);
    } else {
      for (int64_t x = 0; x < cols; ++x) dst[x * sx] = static_cast<out_t>(row[x] * a + b);
    }
    return;
  }
  if (sc == 1 && sx == channels && lanes == channels) {
    const int64_t len = cols * channels;
    for (int64_t k = 0; k < len; ++k) dst[k] = static_cast<out_t>(row[k] * pattern_scale[k] + pattern_bias[k]);
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    out_t* d = dst + c * sc;
    const acc_t* r = row + c;
    const acc_t a = scale[c], b = bias[c];
    for (int64_t x = 0; x < cols; ++x) d[x * sx] = static_cast<out_t>(r[x * lanes] * a + b);
  }
}

#if defined(TRIPTYCH_AVX2_KERNELS)
// store_affine from 3- or 4-lane interleaved pixels into channel planes (column stride 1),
// the common CHW float output: 8 pixels are loaded as two 4x4 blocks, transposed in
// registers and written with one FMA and one contiguous store per channel, where the
// portable loop does one strided scalar store per value. Reads one 4-lane vector per pixel,
// so for 3 lanes the row needs one value of padding (rows from resample_rows carry kRowPad).
TRIPTYCH_AVX2_FMA void store_affine_planar_c34_avx2(
    const float* __restrict__ row, int64_t cols, int64_t channels, int64_t lanes, float* __restrict__ dst,
    int64_t sc, const float* __restrict__ scale, const float* __restrict__ bias) {
  __m256 a[4], b[4];
  for (int64_t c = 0; c < 4; ++c) {
    a[c] = _mm256_set1_ps(c < channels ? scale[c] : 0.f);
    b[c] = _mm256_set1_ps(c < channels ? bias[c] : 0.f);
  }
  int64_t x = 0;
  for (; x + 8 <= cols; x += 8) {
    const float* p = row + x * lanes;
    store_planes8(load_pixel_pair(p, p + 4 * lanes), load_pixel_pair(p + lanes, p + 5 * lanes),
                  load_pixel_pair(p + 2 * lanes, p + 6 * lanes), load_pixel_pair(p + 3 * lanes, p + 7 * lanes),
                  channels, dst + x, sc, a, b);
  }
  for (; x < cols; ++x) {
    for (int64_t c = 0; c < channels; ++c) dst[c * sc + x] = std::fma(row[x * lanes + c], scale[c], bias[c]);
  }
}
#endif

// store_affine_portable, or its AVX2 version where it has one for the layout.
template <typename acc_t, typename out_t>
inline void store_affine(
    const acc_t* row, int64_t cols, int64_t channels, int64_t lanes, out_t* dst, int64_t sx, int64_t sc,
    const acc_t* scale, const acc_t* bias, const acc_t* pattern_scale, const acc_t* pattern_bias) {
#if defined(TRIPTYCH_AVX2_KERNELS)
  if constexpr (std::is_same<acc_t, float>::value && std::is_same<out_t, float>::value) {
    if (sx == 1 && channels >= 3 && channels <= lanes && lanes <= 4 && cpu_has_avx2()) {
      store_affine_planar_c34_avx2(row, cols, channels, lanes, dst, sc, scale, bias);
      return;
    }
  }
#endif
  store_affine_portable<acc_t, out_t>(row, cols, channels, lanes, dst, sx, sc, scale, bias, pattern_scale,
                                      pattern_bias);
}

}  // namespace
}  // namespace resample
}  // namespace triptych
