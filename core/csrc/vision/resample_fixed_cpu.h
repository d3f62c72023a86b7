// The fixed-point uint8 -> uint8 resampler (CPU), used by triptych::resize and
// triptych::resized_crop for uint8 images; the float32 path of resample_cpu.h stays for the
// other dtypes, other channel layouts and the float-output fused op.
//
// Pillow-SIMD style: the float weights of each axis (resample.h, trimmed as in
// make_axis_table) are quantised to int16 with a per-table precision (as many fraction bits
// as keep every weight and every product sum inside int16 / int32), then
//   first pass:  source bytes x int16 weights -> int32 sums -> int16 with F fraction bits
//                (F = 7, or 6 where bicubic overshoot needs the headroom)
//   second pass: int16 row(s) x int16 weights -> int32 sums -> rounded half to even (as
//                torch.round on the float result) and saturated to uint8.
// make_fixed_plan picks the order: vertical first (one int16 row per output row) when that
// is cheaper, as when downscaling; else horizontal first, per band of output rows: the
// source rows the band needs are filtered into a band buffer (rows shared with the previous
// band are kept), then each output row is one vertical pass over it.
// Unlike Pillow the intermediate keeps F fraction bits and its overshoot, so the result stays
// within one level of the float path (and of torch's float interpolate + round). Rows keep
// the source's pixel stride (1, 3 or 4).
// The passes have AVX2 versions chosen at run time (cpu_has_avx2); the portable loops do the
// same integer arithmetic, so both give identical bytes.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "vision/resample_cpu.h"

namespace triptych {
namespace resample {
namespace {

// Quantised weights of one axis: output o reads source start[o] .. start[o] + taps - 1
// (taps padded with zero weights to a multiple of `pad`; the padded taps may point past the
// source, so the rows they read carry kFixedRowPad bytes of zeroed slack).
struct FixedAxisTable {
  int64_t in_size = 0, out_size = 0, taps = 1;
  int precision = 14;  // fraction bits of the weights
  bool has_negative = false;
  std::vector<int64_t> start;
  std::vector<int16_t> weights;
};

constexpr int64_t kFixedRowPad = 64;

// `max_input`: the largest magnitude of the values the weights multiply (255 for source
// bytes, 32767 for the int16 intermediate).
inline FixedAxisTable make_fixed_table(const AxisTable<float>& t, int64_t pad, double max_input) {
  FixedAxisTable f;
  f.in_size = t.in_size;
  f.out_size = t.out_size;
  f.taps = (t.taps + pad - 1) / pad * pad;
  f.start = t.start;
  double wmax = 0, abs_sum_max = 0;
  for (int64_t o = 0; o < t.out_size; ++o) {
    double abs_sum = 0;
    for (int64_t j = 0; j < t.taps; ++j) {
      const double w = t.weights[o * t.taps + j];
      wmax = std::max(wmax, std::fabs(w));
      abs_sum += std::fabs(w);
      f.has_negative = f.has_negative || w < 0;
    }
    abs_sum_max = std::max(abs_sum_max, abs_sum);
  }
  // The most fraction bits such that every weight (after the sum correction below, at most
  // `taps` units) fits int16 and a sum of inputs times the weights fits int32 with room.
  int precision = 0;
  for (int p = 1; p <= 22; ++p) {
    const double one = std::ldexp(1.0, p);
    if (wmax * one + static_cast<double>(t.taps) + 1 > 32767.0) break;
    if ((abs_sum_max * one + static_cast<double>(t.taps) + 1) * (max_input + 1) > 1073741824.0) break;
    precision = p;
  }
  f.precision = precision;
  f.weights.assign(t.out_size * f.taps, 0);
  const int32_t one = int32_t{1} << precision;
  for (int64_t o = 0; o < t.out_size; ++o) {
    const float* w = t.weights.data() + o * t.taps;
    int16_t* q = f.weights.data() + o * f.taps;
    int32_t sum = 0;
    double fsum = 0;
    int64_t biggest = 0;
    for (int64_t j = 0; j < t.taps; ++j) {
      q[j] = static_cast<int16_t>(std::lround(std::ldexp(static_cast<double>(w[j]), precision)));
      sum += q[j];
      fsum += w[j];
      if (std::fabs(w[j]) > std::fabs(w[biggest])) biggest = j;
    }
    // Weights normalised to one stay exactly one after quantisation: flat areas keep their value.
    if (std::fabs(fsum - 1.0) < 1e-3) q[biggest] = static_cast<int16_t>(q[biggest] + (one - sum));
  }
  return f;
}

// Fraction bits the int16 intermediate keeps: the most (<= 7) that leave room for the
// horizontal sums' range (bicubic overshoots [0, 255]).
inline int intermediate_bits(const FixedAxisTable& tx) {
  double pos_max = 0, neg_max = 0;
  for (int64_t o = 0; o < tx.out_size; ++o) {
    double pos = 0, neg = 0;
    for (int64_t j = 0; j < tx.taps; ++j) {
      const double w = std::ldexp(static_cast<double>(tx.weights[o * tx.taps + j]), -tx.precision);
      (w > 0 ? pos : neg) += w;
    }
    pos_max = std::max(pos_max, pos);
    neg_max = std::max(neg_max, -neg);
  }
  int bits = 0;
  for (int b = 1; b <= 7 && b < tx.precision; ++b) {
    const double one = std::ldexp(1.0, b);
    if (255.0 * pos_max * one + 1 > 32767.0 || 255.0 * neg_max * one + 1 > 32767.0) break;
    bits = b;
  }
  return bits;
}

// ---- portable passes (the reference arithmetic) -------------------------------------------

inline int16_t fixed_to_i16(int32_t sum, int shift) {
  const int32_t v = (sum + (int32_t{1} << (shift - 1))) >> shift;
  return static_cast<int16_t>(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

// Round half to even of sum / 2^shift, saturated to [0, 255].
inline uint8_t fixed_to_u8(int32_t sum, int shift) {
  const int32_t v = (sum + (int32_t{1} << (shift - 1)) - 1 + ((sum >> shift) & 1)) >> shift;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// One channel: out[x] = sum_j w[x, j] * in[start[x] + j].
TRIPTYCH_MULTIVERSION void hfixed_c1_portable(
    const uint8_t* __restrict__ in, const int64_t* __restrict__ start, const int16_t* __restrict__ w, int64_t taps,
    int64_t out_w, int shift, int16_t* __restrict__ out) {
  for (int64_t x = 0; x < out_w; ++x) {
    const uint8_t* s = in + start[x];
    const int16_t* wx = w + x * taps;
    int32_t sum = 0;
    for (int64_t j = 0; j < taps; ++j) sum += static_cast<int32_t>(s[j]) * wx[j];
    out[x] = fixed_to_i16(sum, shift);
  }
}

// 3 or 4 interleaved channels, pixels `stride` bytes apart; out pixels `stride` values apart.
TRIPTYCH_MULTIVERSION void hfixed_c34_portable(
    const uint8_t* __restrict__ in, int64_t stride, const int64_t* __restrict__ start,
    const int16_t* __restrict__ w, int64_t taps, int64_t out_w, int shift, int16_t* __restrict__ out) {
  const int lanes = stride == 4 ? 4 : 3;
  for (int64_t x = 0; x < out_w; ++x) {
    const uint8_t* s = in + start[x] * stride;
    const int16_t* wx = w + x * taps;
    int32_t sum[4] = {0, 0, 0, 0};
    for (int64_t j = 0; j < taps; ++j) {
      for (int c = 0; c < lanes; ++c) sum[c] += static_cast<int32_t>(s[j * stride + c]) * wx[j];
    }
    for (int c = 0; c < lanes; ++c) out[x * stride + c] = fixed_to_i16(sum[c], shift);
  }
}

// out[k] = sum_j w[j] * rows[j * stride + k], rounded to uint8.
TRIPTYCH_MULTIVERSION void vfixed_portable(
    const int16_t* __restrict__ rows, int64_t stride, const int16_t* __restrict__ w, int64_t taps, int64_t len,
    int shift, uint8_t* __restrict__ out) {
  for (int64_t k = 0; k < len; ++k) {
    int32_t sum = 0;
    for (int64_t j = 0; j < taps; ++j) sum += static_cast<int32_t>(rows[j * stride + k]) * w[j];
    out[k] = fixed_to_u8(sum, shift);
  }
}


// Vertical first: source byte rows -> int16 row (F fraction bits).
TRIPTYCH_MULTIVERSION void vfixed_u8_portable(
    const uint8_t* __restrict__ src, int64_t row_stride, const int16_t* __restrict__ w, int64_t taps, int64_t len,
    int shift, int16_t* __restrict__ out) {
  for (int64_t k = 0; k < len; ++k) {
    int32_t sum = 0;
    for (int64_t j = 0; j < taps; ++j) sum += static_cast<int32_t>(src[j * row_stride + k]) * w[j];
    out[k] = fixed_to_i16(sum, shift);
  }
}

// Then int16 row -> uint8 row, pixels `stride` values apart in both (1, 3 or 4).
TRIPTYCH_MULTIVERSION void hfixed_i16_portable(
    const int16_t* __restrict__ in, int64_t stride, const int64_t* __restrict__ start,
    const int16_t* __restrict__ w, int64_t taps, int64_t out_w, int shift, uint8_t* __restrict__ out) {
  const int lanes = static_cast<int>(stride);
  for (int64_t x = 0; x < out_w; ++x) {
    const int16_t* s = in + start[x] * stride;
    const int16_t* wx = w + x * taps;
    int32_t sum[4] = {0, 0, 0, 0};
    for (int64_t j = 0; j < taps; ++j) {
      for (int c = 0; c < lanes; ++c) sum[c] += static_cast<int32_t>(s[j * stride + c]) * wx[j];
    }
    for (int c = 0; c < lanes; ++c) out[x * stride + c] = fixed_to_u8(sum[c], shift);
  }
}

#if defined(TRIPTYCH_AVX2_KERNELS)
// ---- AVX2 passes ------------------------------------------------------------------------

TRIPTYCH_AVX2_FMA inline __attribute__((always_inline)) int32_t load_pair(const int16_t* w) {
  int32_t v;
  std::memcpy(&v, w, sizeof(v));  // w[0] in the low half, w[1] in the high half
  return v;
}

// One channel, taps a multiple of 8: four output pixels per step, each a run of
// pmaddwd over 8 taps, the four sums gathered with two horizontal adds.
TRIPTYCH_AVX2_FMA void hfixed_c1_avx2(
    const uint8_t* __restrict__ in, const int64_t* __restrict__ start, const int16_t* __restrict__ w, int64_t taps,
    int64_t out_w, int shift, int16_t* __restrict__ out) {
  const __m128i round = _mm_set1_epi32(1 << (shift - 1));
  int64_t x = 0;
  for (; x + 4 <= out_w; x += 4) {
    __m128i acc[4];
    for (int p = 0; p < 4; ++p) {
      const uint8_t* s = in + start[x + p];
      const int16_t* wx = w + (x + p) * taps;
      __m128i a = _mm_setzero_si128();
      for (int64_t j = 0; j < taps; j += 8) {
        const __m128i px = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(s + j)));
        a = _mm_add_epi32(a, _mm_madd_epi16(px, _mm_loadu_si128(reinterpret_cast<const __m128i*>(wx + j))));
      }
      acc[p] = a;
    }
    __m128i sums = _mm_hadd_epi32(_mm_hadd_epi32(acc[0], acc[1]), _mm_hadd_epi32(acc[2], acc[3]));
    sums = _mm_srai_epi32(_mm_add_epi32(sums, round), shift);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + x), _mm_packs_epi32(sums, sums));
  }
  if (x < out_w) hfixed_c1_portable(in, start + x, w + x * taps, taps, out_w - x, shift, out + x);
}

// 3 or 4 interleaved channels, taps even: two output pixels per 256-bit register, two taps
// per pmaddwd (the bytes of pixels j and j+1 shuffled to channel pairs). Each pixel is
// stored as 4 values in order, so for stride 3 the spilled fourth is overwritten by the next
// pixel (or lands in the row's padding).
TRIPTYCH_AVX2_FMA void hfixed_c34_avx2(
    const uint8_t* __restrict__ in, int64_t stride, const int64_t* __restrict__ start,
    const int16_t* __restrict__ w, int64_t taps, int64_t out_w, int shift, int16_t* __restrict__ out) {
  const __m128i mask128 = stride == 4 ? _mm_setr_epi8(0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1)
                                      : _mm_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1);
  const __m256i mask = _mm256_broadcastsi128_si256(mask128);
  const __m256i round = _mm256_set1_epi32(1 << (shift - 1));
  int64_t x = 0;
  for (; x + 2 <= out_w; x += 2) {
    const uint8_t* s0 = in + start[x] * stride;
    const uint8_t* s1 = in + start[x + 1] * stride;
    const int16_t* w0 = w + x * taps;
    const int16_t* w1 = w0 + taps;
    __m256i acc = _mm256_setzero_si256();
    for (int64_t j = 0; j < taps; j += 2) {
      const __m128i p0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s0 + j * stride));
      const __m128i p1 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s1 + j * stride));
      const __m256i px = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(p0), p1, 1), mask);
      const __m256i wv = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi32(load_pair(w0 + j))),
                                                 _mm_set1_epi32(load_pair(w1 + j)), 1);
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(px, wv));
    }
    acc = _mm256_srai_epi32(_mm256_add_epi32(acc, round), shift);
    const __m256i packed = _mm256_packs_epi32(acc, acc);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + x * stride), _mm256_castsi256_si128(packed));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + (x + 1) * stride), _mm256_extracti128_si256(packed, 1));
  }
  if (x < out_w) hfixed_c34_portable(in, stride, start + x, w + x * taps, taps, out_w - x, shift, out + x * stride);
}

// 16 values per step: rows j and j+1 interleaved, two taps per pmaddwd, rounded half to even.
TRIPTYCH_AVX2_FMA void vfixed_avx2(
    const int16_t* __restrict__ rows, int64_t stride, const int16_t* __restrict__ w, int64_t taps, int64_t len,
    int shift, uint8_t* __restrict__ out) {
  const __m256i half_minus_one = _mm256_set1_epi32((1 << (shift - 1)) - 1);
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i zero = _mm256_setzero_si256();
  if (len < 16) {
    vfixed_portable(rows, stride, w, taps, len, shift, out);
    return;
  }
  // The last step overlaps the one before when len is not a multiple of 16: each value is
  // computed alone, so the values written twice are the same, and no scalar tail is left.
  for (int64_t k = 0; k < len; k += 16) {
    k = std::min(k, len - 16);
    __m256i lo = zero, hi = zero;
    const int16_t* r = rows + k;
    int64_t j = 0;
    for (; j + 2 <= taps; j += 2, r += 2 * stride) {
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r));
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + stride));
      const __m256i wv = _mm256_set1_epi32(load_pair(w + j));
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), wv));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), wv));
    }
    if (j < taps) {
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r));
      const __m256i wv = _mm256_set1_epi32(static_cast<int32_t>(static_cast<uint16_t>(w[j])));
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, zero), wv));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, zero), wv));
    }
    // (sum + half - 1 + ((sum >> shift) & 1)) >> shift: half to even.
    lo = _mm256_add_epi32(_mm256_add_epi32(lo, half_minus_one), _mm256_and_si256(_mm256_srai_epi32(lo, shift), one));
    hi = _mm256_add_epi32(_mm256_add_epi32(hi, half_minus_one), _mm256_and_si256(_mm256_srai_epi32(hi, shift), one));
    const __m256i v16 = _mm256_packs_epi32(_mm256_srai_epi32(lo, shift), _mm256_srai_epi32(hi, shift));
    const __m256i v8 = _mm256_permute4x64_epi64(_mm256_packus_epi16(v16, v16), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), _mm256_castsi256_si128(v8));
  }
}

// Half to even of 32-bit sums / 2^shift (see fixed_to_u8), before packing.
TRIPTYCH_AVX2_FMA inline __attribute__((always_inline)) __m256i round_even_256(__m256i v, int shift) {
  const __m256i half_minus_one = _mm256_set1_epi32((1 << (shift - 1)) - 1);
  v = _mm256_add_epi32(_mm256_add_epi32(v, half_minus_one),
                       _mm256_and_si256(_mm256_srai_epi32(v, shift), _mm256_set1_epi32(1)));
  return _mm256_srai_epi32(v, shift);
}

TRIPTYCH_AVX2_FMA inline __attribute__((always_inline)) __m128i round_even_128(__m128i v, int shift) {
  const __m128i half_minus_one = _mm_set1_epi32((1 << (shift - 1)) - 1);
  v = _mm_add_epi32(_mm_add_epi32(v, half_minus_one), _mm_and_si128(_mm_srai_epi32(v, shift), _mm_set1_epi32(1)));
  return _mm_srai_epi32(v, shift);
}

// Source byte rows -> int16 row, 16 values per step, two rows per pmaddwd.
TRIPTYCH_AVX2_FMA void vfixed_u8_avx2(
    const uint8_t* __restrict__ src, int64_t row_stride, const int16_t* __restrict__ w, int64_t taps, int64_t len,
    int shift, int16_t* __restrict__ out) {
  const __m256i round = _mm256_set1_epi32(1 << (shift - 1));
  const __m256i zero = _mm256_setzero_si256();
  if (len < 16) {
    vfixed_u8_portable(src, row_stride, w, taps, len, shift, out);
    return;
  }
  for (int64_t k = 0; k < len; k += 16) {  // the last step may overlap, as in vfixed_avx2
    k = std::min(k, len - 16);
    __m256i lo = round, hi = round;
    const uint8_t* r = src + k;
    int64_t j = 0;
    for (; j + 2 <= taps; j += 2, r += 2 * row_stride) {
      const __m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r)));
      const __m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + row_stride)));
      const __m256i wv = _mm256_set1_epi32(load_pair(w + j));
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), wv));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), wv));
    }
    if (j < taps) {
      const __m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r)));
      const __m256i wv = _mm256_set1_epi32(static_cast<int32_t>(static_cast<uint16_t>(w[j])));
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, zero), wv));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, zero), wv));
    }
    const __m256i v16 = _mm256_packs_epi32(_mm256_srai_epi32(lo, shift), _mm256_srai_epi32(hi, shift));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + k), v16);
  }
}

// 8 int16 at a in the low lane, 8 at b in the high lane.
TRIPTYCH_AVX2_FMA inline __attribute__((always_inline)) __m256i lanes_of(const int16_t* a, const int16_t* b) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a))),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), 1);
}

// int16 row -> uint8 pixels. One channel (taps a multiple of 8): four output pixels per
// step, as hfixed_c1_avx2. 3/4 channels (taps even): two output pixels per register, two
// taps per pmaddwd.
TRIPTYCH_AVX2_FMA void hfixed_i16_avx2(
    const int16_t* __restrict__ in, int64_t stride, const int64_t* __restrict__ start,
    const int16_t* __restrict__ w, int64_t taps, int64_t out_w, int shift, uint8_t* __restrict__ out) {
  int64_t x = 0;
  if (stride == 1 && taps == 8) {
    // Eight output pixels per step: pixel x + p in the low lane and x + 4 + p in the high one
    // of register p, so the two rounds of horizontal adds leave the sums in order.
    for (; x + 8 <= out_w; x += 8) {
      __m256i acc[4];
      for (int p = 0; p < 4; ++p) {
        acc[p] = _mm256_madd_epi16(lanes_of(in + start[x + p], in + start[x + 4 + p]),
                                   lanes_of(w + (x + p) * 8, w + (x + 4 + p) * 8));
      }
      const __m256i sums =
          round_even_256(_mm256_hadd_epi32(_mm256_hadd_epi32(acc[0], acc[1]), _mm256_hadd_epi32(acc[2], acc[3])), shift);
      const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out + x), _mm_packus_epi16(w16, w16));
    }
  }
  if (stride == 1) {
    for (; x + 4 <= out_w; x += 4) {
      __m128i acc[4];
      for (int p = 0; p < 4; ++p) {
        const int16_t* s = in + start[x + p];
        const int16_t* wx = w + (x + p) * taps;
        __m128i a = _mm_setzero_si128();
        for (int64_t j = 0; j < taps; j += 8) {
          a = _mm_add_epi32(a, _mm_madd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + j)),
                                              _mm_loadu_si128(reinterpret_cast<const __m128i*>(wx + j))));
        }
        acc[p] = a;
      }
      __m128i sums = _mm_hadd_epi32(_mm_hadd_epi32(acc[0], acc[1]), _mm_hadd_epi32(acc[2], acc[3]));
      sums = round_even_128(sums, shift);
      const __m128i packed = _mm_packus_epi16(_mm_packs_epi32(sums, sums), _mm_setzero_si128());
      const int32_t four = _mm_cvtsi128_si32(packed);
      std::memcpy(out + x, &four, sizeof(four));
    }
  } else {
    // Words of pixels j and j+1 (stride 3 or 4 int16) to channel pairs.
    const __m128i mask128 =
        stride == 4 ? _mm_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15)
                    : _mm_setr_epi8(0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1);
    const __m256i mask = _mm256_broadcastsi128_si256(mask128);
    for (; x + 2 <= out_w; x += 2) {
      const int16_t* s0 = in + start[x] * stride;
      const int16_t* s1 = in + start[x + 1] * stride;
      const int16_t* w0 = w + x * taps;
      const int16_t* w1 = w0 + taps;
      __m256i acc = _mm256_setzero_si256();
      for (int64_t j = 0; j < taps; j += 2) {
        const __m128i p0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s0 + j * stride));
        const __m128i p1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s1 + j * stride));
        const __m256i px = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(p0), p1, 1), mask);
        const __m256i wv = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi32(load_pair(w0 + j))),
                                                   _mm_set1_epi32(load_pair(w1 + j)), 1);
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(px, wv));
      }
      acc = round_even_256(acc, shift);
      const __m256i packed = _mm256_packus_epi16(_mm256_packs_epi32(acc, acc), _mm256_setzero_si256());
      const int32_t a = _mm256_cvtsi256_si32(packed);
      const int32_t b = _mm_cvtsi128_si32(_mm256_extracti128_si256(packed, 1));
      std::memcpy(out + x * stride, &a, sizeof(a));  // for stride 3 the fourth byte spills as above
      std::memcpy(out + (x + 1) * stride, &b, sizeof(b));
    }
  }
  if (x < out_w) hfixed_i16_portable(in, stride, start + x, w + x * taps, taps, out_w - x, shift, out + x * stride);
}
#endif

inline void hfixed_row(const uint8_t* in, int64_t stride, const FixedAxisTable& tx, int shift, int16_t* out) {
#if defined(TRIPTYCH_AVX2_KERNELS)
  if (cpu_has_avx2()) {
    if (stride == 1) {
      hfixed_c1_avx2(in, tx.start.data(), tx.weights.data(), tx.taps, tx.out_size, shift, out);
    } else {
      hfixed_c34_avx2(in, stride, tx.start.data(), tx.weights.data(), tx.taps, tx.out_size, shift, out);
    }
    return;
  }
#endif
  if (stride == 1) {
    hfixed_c1_portable(in, tx.start.data(), tx.weights.data(), tx.taps, tx.out_size, shift, out);
  } else {
    hfixed_c34_portable(in, stride, tx.start.data(), tx.weights.data(), tx.taps, tx.out_size, shift, out);
  }
}

inline void hfixed_i16_row(const int16_t* in, int64_t stride, const FixedAxisTable& tx, int shift, uint8_t* out) {
#if defined(TRIPTYCH_AVX2_KERNELS)
  if (cpu_has_avx2()) {
    hfixed_i16_avx2(in, stride, tx.start.data(), tx.weights.data(), tx.taps, tx.out_size, shift, out);
    return;
  }
#endif
  hfixed_i16_portable(in, stride, tx.start.data(), tx.weights.data(), tx.taps, tx.out_size, shift, out);
}

inline void vfixed_row(const int16_t* rows, int64_t stride, const int16_t* w, int64_t taps, int64_t len, int shift,
                       uint8_t* out) {
#if defined(TRIPTYCH_AVX2_KERNELS)
  if (cpu_has_avx2()) {
    vfixed_avx2(rows, stride, w, taps, len, shift, out);
    return;
  }
#endif
  vfixed_portable(rows, stride, w, taps, len, shift, out);
}

inline void vfixed_u8_row(const uint8_t* src, int64_t row_stride, const int16_t* w, int64_t taps, int64_t len,
                          int shift, int16_t* out) {
#if defined(TRIPTYCH_AVX2_KERNELS)
  if (cpu_has_avx2()) {
    vfixed_u8_avx2(src, row_stride, w, taps, len, shift, out);
    return;
  }
#endif
  vfixed_u8_portable(src, row_stride, w, taps, len, shift, out);
}

// Whether the fixed-point path takes this image: one channel plane at a time, or 3/4
// interleaved channels (pixel stride 3 or 4).
inline bool fixed_supported(const ImageView<uint8_t>& v) {
  return v.interleaved() ? (v.lanes() == 3 || v.lanes() == 4) : v.planar();
}

// The quantised tables of one image geometry and the order of the passes. The first pass
// multiplies source bytes, the second the int16 intermediate, which bounds each table's
// precision; `fraction` is the intermediate's fraction bits (from the first pass's table).
struct FixedPlan {
  FixedAxisTable ty, tx;
  bool vertical_first = true;
  int fraction = 0;
};

// Picks the cheaper order in "vector steps": the vertical pass does 16 values per pmaddwd of
// two taps, the horizontal pass 2 (interleaved) or about 1 (one channel) pixels per tap pair.
inline FixedPlan make_fixed_plan(const AxisTable<float>& ty, const AxisTable<float>& tx,
                                 const ImageView<uint8_t>& v) {
  const bool interleaved = v.interleaved();
  const double lanes = interleaved ? static_cast<double>(v.lanes()) : 1.0;
  const double per_pixel_tap = interleaved ? 0.25 : 0.2;
  const double hin = static_cast<double>(ty.in_size), hout = static_cast<double>(ty.out_size);
  const double win = static_cast<double>(tx.in_size), wout = static_cast<double>(tx.out_size);
  const double ky = static_cast<double>(ty.taps), kx = static_cast<double>(tx.taps);
  const double vertical_first = hout * win * lanes * ky / 32.0 + hout * wout * kx * per_pixel_tap;
  const double horizontal_first = hin * wout * kx * per_pixel_tap + hout * wout * 4.0 * ky / 32.0;
  FixedPlan plan;
  plan.vertical_first = vertical_first <= horizontal_first;
  const int64_t hpad = interleaved ? 2 : 8;
  plan.ty = make_fixed_table(ty, 1, plan.vertical_first ? 255.0 : 32767.0);
  plan.tx = make_fixed_table(tx, hpad, plan.vertical_first ? 32767.0 : 255.0);
  plan.fraction = intermediate_bits(plan.vertical_first ? plan.ty : plan.tx);
  return plan;
}

// make_fixed_plan for a resize geometry, remembered per thread for the last few geometries:
// a dataset of same-sized images is resized with one plan, and building it (the float
// windows, then their int16 quantisation) took about a quarter of a one-thread 500x375 ->
// 224x224 HWC resize (benchmarks/RESULTS.md). Random crops (resized_crop) rarely repeat a
// geometry and quantise theirs each call, from the cached float tables (cached_axis_table).
inline std::shared_ptr<const FixedPlan> cached_fixed_plan(const Axis& ay, const Axis& ax,
                                                          const ImageView<uint8_t>& v) {
  const std::array<int64_t, 10> key = {ay.in_size, ay.out_size, ay.interp, ay.antialias, ax.in_size,
                                       ax.out_size, ax.interp, ax.antialias, v.interleaved(), v.lanes()};
  return recently_made<FixedPlan, 4>(
      key, [&] { return make_fixed_plan(*cached_axis_table<float>(ay), *cached_axis_table<float>(ax), v); });
}

struct FixedScratch {
  std::vector<uint8_t> in_row, out_row;
  std::vector<int16_t> mid_row, band;
  int64_t band_r0 = 0, band_r1 = 0;  // source rows held in `band`
};

// Output rows [y0, y1) of one image (one plane, or interleaved 3/4 channels); store(y, row)
// gets tx.out_size pixels of img.lanes() bytes (the source's pixel stride).
template <typename Store>
void resample_rows_fixed(const ImageView<uint8_t>& img, const FixedPlan& plan, int64_t y0, int64_t y1,
                         FixedScratch& s, Store&& store) {
  const FixedAxisTable& ty = plan.ty;
  const FixedAxisTable& tx = plan.tx;
  const int64_t stride = img.interleaved() ? img.col_stride : 1;
  const int64_t channels = img.interleaved() ? img.channels : 1;
  const int64_t read_len = (img.cols - 1) * stride + channels;  // never past the last channel
  const int64_t out_len = tx.out_size * stride;
  s.out_row.resize(out_len + 16);
  if (plan.vertical_first) {
    const int vshift = ty.precision - plan.fraction, hshift = tx.precision + plan.fraction;
    s.mid_row.assign(img.cols * stride + kFixedRowPad, 0);
    for (int64_t y = y0; y < y1; ++y) {
      vfixed_u8_row(img.data + ty.start[y] * img.row_stride, img.row_stride, ty.weights.data() + y * ty.taps, ty.taps,
                    read_len, vshift, s.mid_row.data());
      hfixed_i16_row(s.mid_row.data(), stride, tx, hshift, s.out_row.data());
      store(y, s.out_row.data());
    }
    return;
  }
  // Horizontal first, in bands of output rows; rows shared with the previous band are kept.
  const int hshift = tx.precision - plan.fraction, vshift = ty.precision + plan.fraction;
  const int64_t band_stride = out_len + 16;
  s.in_row.assign(img.cols * stride + kFixedRowPad, 0);
  s.band_r0 = s.band_r1 = 0;
  constexpr int64_t kBandRows = 16;
  for (int64_t b0 = y0; b0 < y1; b0 += kBandRows) {
    const int64_t b1 = std::min(y1, b0 + kBandRows);
    int64_t r0 = ty.start[b0], r1 = r0;
    for (int64_t y = b0; y < b1; ++y) {
      r0 = std::min(r0, ty.start[y]);
      r1 = std::max(r1, ty.start[y] + ty.taps);
    }
    int64_t done = r0;
    if (s.band_r0 <= r0 && r0 < s.band_r1) {
      const int64_t keep = std::min(s.band_r1, r1) - r0;
      std::memmove(s.band.data(), s.band.data() + (r0 - s.band_r0) * band_stride,
                   keep * band_stride * sizeof(int16_t));
      done = r0 + keep;
    }
    s.band.resize((r1 - r0) * band_stride);
    for (int64_t r = done; r < r1; ++r) {
      std::memcpy(s.in_row.data(), img.data + r * img.row_stride, read_len);
      hfixed_row(s.in_row.data(), stride, tx, hshift, s.band.data() + (r - r0) * band_stride);
    }
    s.band_r0 = r0;
    s.band_r1 = r1;
    for (int64_t y = b0; y < b1; ++y) {
      vfixed_row(s.band.data() + (ty.start[y] - r0) * band_stride, band_stride, ty.weights.data() + y * ty.taps,
                 ty.taps, out_len, vshift, s.out_row.data());
      store(y, s.out_row.data());
    }
  }
}

// As resample_images, for uint8 images that fixed_supported takes; plan_of(n) is image n's
// FixedPlan. store(n, c0, channels, lanes, y, row) gets uint8 rows of `lanes` bytes per
// pixel (1 for a plane, else the pixel stride).
template <typename ViewOf, typename PlanOf, typename Store>
void resample_images_fixed(int64_t images, int64_t out_h, int64_t out_w, ViewOf&& view_of, PlanOf&& plan_of,
                           Store&& store) {
  if (images == 0) return;
  const ImageView<uint8_t> first = view_of(0);
  const bool split = !first.interleaved() && first.channels > 1;
  const int64_t planes = split ? first.channels : 1;
  const int64_t row_values = out_w * first.lanes();
  const int64_t grain = std::max<int64_t>(4, (int64_t{1} << 16) / std::max<int64_t>(1, row_values));
  torch::stable::parallel_for(0, images * planes * out_h, grain, [&](int64_t begin, int64_t end) {
    FixedScratch scratch;
    for (int64_t i = begin; i < end;) {
      const int64_t item = i / out_h, y0 = i % out_h, y1 = std::min(out_h, y0 + (end - i));
      const int64_t n = item / planes, plane = item % planes;
      ImageView<uint8_t> view = view_of(n);
      if (split) {
        view.data += plane * view.channel_stride;
        view.channels = 1;
      }
      const int64_t lanes = view.lanes();
      resample_rows_fixed(view, plan_of(n), y0, y1, scratch, [&](int64_t y, const uint8_t* row) {
        store(n, plane, view.channels, lanes, y, row);
      });
      i += y1 - y0;
    }
  });
}

// row (cols pixels of `lanes` bytes, the first `channels` kept) -> dst with column stride sx
// and channel stride sc.
inline void store_u8(const uint8_t* row, int64_t cols, int64_t channels, int64_t lanes, uint8_t* dst, int64_t sx,
                     int64_t sc) {
  if ((sc == 1 || channels == 1) && sx == channels && lanes == channels) {
    std::memcpy(dst, row, cols * channels);
    return;
  }
  if (sc == 1) {
    for (int64_t x = 0; x < cols; ++x) {
      for (int64_t c = 0; c < channels; ++c) dst[x * sx + c] = row[x * lanes + c];
    }
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    uint8_t* d = dst + c * sc;
    const uint8_t* r = row + c;
    for (int64_t x = 0; x < cols; ++x) d[x * sx] = r[x * lanes];
  }
}

}  // namespace
}  // namespace resample
}  // namespace triptych
