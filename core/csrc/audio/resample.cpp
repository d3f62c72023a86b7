// triptych::resample_poly — schema, argument checks and the CPU kernel (see resample.h).
#include "audio/resample.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <type_traits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace triptych {
namespace {

// The kernel's polyphase rows, regrouped for the inner loop. Consecutive phases p = 4g .. 4g+3
// of one input block q read overlapping input windows (their spans start a few samples apart),
// so a group of four shares one window: row i of group g holds phase 4g+i's non-zero taps
// shifted by (first_p - first of the group), zero-padded to `taps` (a multiple of 8). Each input
// vector then feeds four FMAs (one per phase), and with two waveform rows in flight each
// kernel vector feeds two: loads per FMA drop from 2 (a plain dot product) to 0.75, which is
// what bounds this loop. Phases past `new` (when new % 4 != 0) are zero rows that are never
// stored. Measured with benchmarks/bench_audio.py.
constexpr int64_t kGroup = 4;
constexpr int64_t kTapMultiple = 8;     // one AVX2 register of floats
constexpr int64_t kUnitFrames = 2048;   // input frames per work unit: the two units' windows
                                        // (8 KiB each in float32) and one group's rows stay in L1

template <typename T>
struct GroupedKernel {
  std::vector<T> table;        // (groups, kGroup, taps)
  std::vector<int64_t> first;  // per group: the kernel column of its tap 0
  int64_t groups = 0, taps = kTapMultiple;
  int64_t min_first = 0, max_end = 0;  // over groups: first, first + taps
};

template <typename T>
GroupedKernel<T> group_kernel(const T* kernel, int64_t phases, int64_t row_length) {
  GroupedKernel<T> out;
  std::vector<int64_t> first(phases), length(phases);
  for (int64_t p = 0; p < phases; ++p) {
    const T* row = kernel + p * row_length;
    int64_t lo = 0, hi = row_length - 1;
    while (lo < row_length && row[lo] == T(0)) ++lo;
    while (hi >= lo && row[hi] == T(0)) --hi;
    first[p] = lo < row_length ? lo : 0;
    length[p] = std::max<int64_t>(hi - lo + 1, 0);
  }
  out.groups = (phases + kGroup - 1) / kGroup;
  out.first.assign(out.groups, 0);
  int64_t span = 1;
  for (int64_t g = 0; g < out.groups; ++g) {
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
    for (int64_t p = g * kGroup; p < std::min(phases, (g + 1) * kGroup); ++p) {
      if (length[p] == 0) continue;
      lo = std::min(lo, first[p]);
      hi = std::max(hi, first[p] + length[p]);
    }
    if (hi == 0) lo = 0;  // all-zero group
    out.first[g] = lo;
    span = std::max(span, hi - lo);
  }
  out.taps = (span + kTapMultiple - 1) / kTapMultiple * kTapMultiple;
  out.table.assign(static_cast<size_t>(out.groups * kGroup * out.taps), T(0));
  for (int64_t p = 0; p < phases; ++p) {
    const int64_t g = p / kGroup;
    T* dst = out.table.data() + (g * kGroup + p % kGroup) * out.taps + (first[p] - out.first[g]);
    std::copy(kernel + p * row_length + first[p], kernel + p * row_length + first[p] + length[p], dst);
  }
  out.min_first = *std::min_element(out.first.begin(), out.first.end());
  out.max_end = *std::max_element(out.first.begin(), out.first.end()) + out.taps;
  return out;
}

// The four outputs of one group for S windows: out[s][i] = sum_k x[s][k] * h[i * taps + k].
// Portable version (float64, and CPUs without AVX2 + FMA).
template <typename T, int S>
TRIPTYCH_MULTIVERSION void group_dots(const T* const* x, const T* __restrict__ h, int64_t taps,
                                      T (*out)[kGroup]) {
  for (int s = 0; s < S; ++s) {
    for (int i = 0; i < kGroup; ++i) {
      const T* __restrict__ xs = x[s];
      const T* __restrict__ hi = h + i * taps;
      T acc[kTapMultiple] = {};
      for (int64_t k = 0; k < taps; k += kTapMultiple) {
        for (int l = 0; l < kTapMultiple; ++l) acc[l] += xs[k + l] * hi[k + l];
      }
      T sum = 0;
      for (int l = 0; l < kTapMultiple; ++l) sum += acc[l];
      out[s][i] = sum;
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define TRIPTYCH_RESAMPLE_AVX2 1
// Written with intrinsics: GCC does not contract the portable loop to FMAs under -std=c++17
// nor keep the 4 x S accumulators in registers. Same run-time choice (and the same
// TRIPTYCH_CPU_BASELINE switch) as the vision kernels' cpu_has_avx2 (vision/resample_cpu.h).
inline bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          !(std::getenv("TRIPTYCH_CPU_BASELINE") && std::getenv("TRIPTYCH_CPU_BASELINE")[0] == '1');
  return has;
}

__attribute__((target("avx2,fma"))) inline __m128 sum_each(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));  // (sum a0, .., sum a3)
}

template <int S>
__attribute__((target("avx2,fma"))) void group_dots_avx2(const float* const* x, const float* __restrict__ h,
                                                          int64_t taps, float (*out)[kGroup]) {
  __m256 acc[S][kGroup];
  for (int s = 0; s < S; ++s)
    for (int i = 0; i < kGroup; ++i) acc[s][i] = _mm256_setzero_ps();
  for (int64_t k = 0; k < taps; k += kTapMultiple) {
    __m256 h0 = _mm256_loadu_ps(h + k), h1 = _mm256_loadu_ps(h + taps + k);
    __m256 h2 = _mm256_loadu_ps(h + 2 * taps + k), h3 = _mm256_loadu_ps(h + 3 * taps + k);
    // Keep the kernel vectors in registers: GCC otherwise folds their loads into each FMA,
    // loading them S times, and this loop is bound by loads.
    asm("" : "+x"(h0), "+x"(h1), "+x"(h2), "+x"(h3));
    for (int s = 0; s < S; ++s) {
      const __m256 v = _mm256_loadu_ps(x[s] + k);
      acc[s][0] = _mm256_fmadd_ps(h0, v, acc[s][0]);
      acc[s][1] = _mm256_fmadd_ps(h1, v, acc[s][1]);
      acc[s][2] = _mm256_fmadd_ps(h2, v, acc[s][2]);
      acc[s][3] = _mm256_fmadd_ps(h3, v, acc[s][3]);
    }
  }
  for (int s = 0; s < S; ++s) _mm_storeu_ps(out[s], sum_each(acc[s][0], acc[s][1], acc[s][2], acc[s][3]));
}
#endif

template <typename T, int S>
void run_group_dots(const T* const* x, const T* h, int64_t taps, T (*out)[kGroup]) {
#if defined(TRIPTYCH_RESAMPLE_AVX2)
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_has_avx2_fma()) return group_dots_avx2<S>(x, h, taps, out);
  }
#endif
  group_dots<T, S>(x, h, taps, out);
}

template <typename T>
void resample_rows(const Tensor& waveform, const Tensor& kernel, Tensor& output, int64_t orig,
                   int64_t new_freq, int64_t width) {
  const int64_t rows = waveform.size(0), frames = waveform.size(1), out_len = output.size(1);
  const T* x = waveform.const_data_ptr<T>();
  T* y = output.mutable_data_ptr<T>();
  const GroupedKernel<T> gk = group_kernel(kernel.const_data_ptr<T>(), new_freq, kernel.size(1));
  const int64_t taps = gk.taps, groups = gk.groups;
  const int64_t blocks = (out_len + new_freq - 1) / new_freq;

  // Blocks [q_lo, q_hi) read only inside the waveform and write only whole blocks.
  const int64_t q_lo = std::min(blocks, std::max<int64_t>(0, (width - gk.min_first + orig - 1) / orig));
  const int64_t room = frames + width - gk.max_end;
  int64_t q_hi = room < 0 ? 0 : std::min(room / orig + 1, out_len / new_freq);
  q_hi = std::max(q_lo, q_hi);
  const int64_t kBlocksPerUnit = std::clamp<int64_t>(kUnitFrames / orig, 1, 64);
  const int64_t units_per_row = (q_hi - q_lo) / kBlocksPerUnit;
  const int64_t units = rows * units_per_row;

  // Store the valid outputs of group g of block q (all four, except in the last group when
  // new % 4 != 0 and at the end of the output).
  auto store = [&](T* yr, int64_t q, int64_t g, const T* values) {
    const int64_t j0 = q * new_freq + g * kGroup;
    if ((g + 1) * kGroup <= new_freq && j0 + kGroup <= out_len) {
      std::copy(values, values + kGroup, yr + j0);
      return;
    }
    const int64_t count = std::min({kGroup, new_freq - g * kGroup, out_len - j0});
    for (int64_t i = 0; i < count; ++i) yr[j0 + i] = values[i];
  };

  // Bulk: pairs of units (two rows, or two stretches of one row) share each kernel vector.
  torch::stable::parallel_for(0, (units + 1) / 2, 1, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t u[2] = {2 * pair, std::min(2 * pair + 1, units - 1)};
      const T* xr[2];
      T* yr[2];
      int64_t q0[2];
      for (int s = 0; s < 2; ++s) {
        xr[s] = x + (u[s] / units_per_row) * frames;
        yr[s] = y + (u[s] / units_per_row) * out_len;
        q0[s] = q_lo + (u[s] % units_per_row) * kBlocksPerUnit;
      }
      const bool both = u[1] != u[0];
      for (int64_t g = 0; g < groups; ++g) {
        const T* h = gk.table.data() + g * kGroup * taps;
        for (int64_t b = 0; b < kBlocksPerUnit; ++b) {
          T values[2][kGroup];
          const T* windows[2] = {xr[0] + (q0[0] + b) * orig + gk.first[g] - width,
                                 xr[1] + (q0[1] + b) * orig + gk.first[g] - width};
          if (both) {
            run_group_dots<T, 2>(windows, h, taps, values);
            store(yr[1], q0[1] + b, g, values[1]);
          } else {
            run_group_dots<T, 1>(windows, h, taps, values);
          }
          store(yr[0], q0[0] + b, g, values[0]);
        }
      }
    }
  });

  // The rest of each row: the ends (through a zero-padded copy of the window) and the blocks
  // left over from whole units.
  torch::stable::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> padded(static_cast<size_t>(taps));
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * frames;
      T* yr = y + r * out_len;
      const int64_t bulk_end = q_lo + units_per_row * kBlocksPerUnit;
      for (int64_t q = 0; q < blocks; ++q) {
        if (q == q_lo && q_lo < bulk_end) q = bulk_end;
        if (q >= blocks) break;
        const bool inside = q >= q_lo && q < q_hi;
        for (int64_t g = 0; g < groups; ++g) {
          const int64_t start = q * orig + gk.first[g] - width;
          const T* window = xr + start;
          if (!inside) {
            for (int64_t k = 0; k < taps; ++k) {
              const int64_t i = start + k;
              padded[k] = (i >= 0 && i < frames) ? xr[i] : T(0);
            }
            window = padded.data();
          }
          T values[1][kGroup];
          run_group_dots<T, 1>(&window, gk.table.data() + g * kGroup * taps, taps, values);
          store(yr, q, g, values[0]);
        }
      }
    }
  });
}

Tensor resample_poly_cpu(const Tensor& waveform, const Tensor& kernel, int64_t orig, int64_t new_freq,
                         int64_t width) {
  Tensor output = resample_poly_allocate_output(waveform, kernel, orig, new_freq, width);
  if (output.numel() == 0) return output;
  const Tensor x = torch::stable::contiguous(waveform);
  const Tensor h = torch::stable::contiguous(kernel);
  if (x.scalar_type() == ScalarType::Double) {
    resample_rows<double>(x, h, output, orig, new_freq, width);
  } else {
    resample_rows<float>(x, h, output, orig, new_freq, width);
  }
  return output;
}

}  // namespace

Tensor resample_poly_allocate_output(
    const Tensor& waveform, const Tensor& kernel, int64_t orig, int64_t new_freq, int64_t width) {
  STD_TORCH_CHECK(waveform.dim() == 2, "triptych::resample_poly expects a (N, T) waveform, got ",
                  waveform.dim(), " dimensions");
  const ScalarType dtype = waveform.scalar_type();
  STD_TORCH_CHECK(dtype == ScalarType::Float || dtype == ScalarType::Double,
                  "triptych::resample_poly expects float32 or float64 samples");
  STD_TORCH_CHECK(kernel.scalar_type() == dtype, "triptych::resample_poly: kernel dtype must match the waveform's");
  STD_TORCH_CHECK(orig > 0 && new_freq > 0, "triptych::resample_poly: orig and new must be positive, got ",
                  orig, " and ", new_freq);
  STD_TORCH_CHECK(width >= 0, "triptych::resample_poly: width must be >= 0, got ", width);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  STD_TORCH_CHECK(width <= (kMax - orig) / 2, "triptych::resample_poly: width ", width, " is too large");
  STD_TORCH_CHECK(waveform.size(1) <= (kMax - orig) / new_freq,
                  "triptych::resample_poly: the output length overflows (", waveform.size(1), " frames x ",
                  new_freq, ")");
  STD_TORCH_CHECK(kernel.dim() == 2 && kernel.size(0) == new_freq && kernel.size(1) == 2 * width + orig,
                  "triptych::resample_poly: kernel must be (new, 2 * width + orig) = (", new_freq, ", ",
                  2 * width + orig, ")");
  STD_TORCH_CHECK(kernel.device() == waveform.device(),
                  "triptych::resample_poly: kernel and waveform must be on the same device");
  const std::vector<int64_t> shape = {waveform.size(0),
                                      resample_poly_output_length(waveform.size(1), orig, new_freq)};
  return torch::stable::empty(shape, dtype, std::nullopt, waveform.device());
}

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("resample_poly(Tensor waveform, Tensor kernel, int orig, int new, int width) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("resample_poly", TORCH_BOX(&resample_poly_cpu));
}

}  // namespace triptych
