// triptych::resample_poly — schema, argument checks and the CPU kernel (see resample.h).
#include "audio/resample.h"

#include <algorithm>
#include <limits>

namespace triptych {
namespace {

constexpr int64_t kLanes = 32;  // floats per dot-product step: four AVX2 registers

// Dot product of n = a multiple of kLanes values with 32 independent accumulators: the adds
// of one step do not wait on each other (one accumulator register is bound by the add
// latency, ~4x slower). The summation order is fixed, so no -ffast-math is needed.
template <typename T>
TRIPTYCH_MULTIVERSION T dot(const T* __restrict__ x, const T* __restrict__ h, int64_t n) {
  T acc[kLanes] = {};
  for (int64_t k = 0; k < n; k += kLanes) {
    for (int i = 0; i < kLanes; ++i) acc[i] += x[k + i] * h[k + i];
  }
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int i = 0; i < width; ++i) acc[i] += acc[i + width];
  }
  return acc[0];
}

// Each kernel row's non-zero span, copied to the front of a row of `taps` values (a multiple
// of kLanes, zero-padded): the dot products need no remainder loop, and the compact table
// (phases x taps) stays in cache.
template <typename T>
struct CompactKernel {
  std::vector<T> table;
  std::vector<int64_t> first;  // where each span starts in the original row
  int64_t taps = 0;
};

template <typename T>
CompactKernel<T> compact_kernel(const T* kernel, int64_t phases, int64_t row_length) {
  CompactKernel<T> out;
  out.first.resize(phases);
  std::vector<int64_t> length(phases);
  int64_t longest = 0;
  for (int64_t p = 0; p < phases; ++p) {
    const T* row = kernel + p * row_length;
    int64_t first = 0, last = row_length - 1;
    while (first < row_length && row[first] == T(0)) ++first;
    while (last >= first && row[last] == T(0)) --last;
    out.first[p] = first < row_length ? first : 0;
    length[p] = std::max<int64_t>(last - first + 1, 0);
    longest = std::max(longest, length[p]);
  }
  out.taps = std::max<int64_t>((longest + kLanes - 1) / kLanes * kLanes, kLanes);
  out.table.assign(static_cast<size_t>(phases * out.taps), T(0));
  for (int64_t p = 0; p < phases; ++p) {
    std::copy(kernel + p * row_length + out.first[p], kernel + p * row_length + out.first[p] + length[p],
              out.table.begin() + p * out.taps);
  }
  return out;
}

template <typename T>
void resample_rows(const Tensor& waveform, const Tensor& kernel, Tensor& output, int64_t orig,
                   int64_t new_freq, int64_t width) {
  const int64_t rows = waveform.size(0), frames = waveform.size(1), out_len = output.size(1);
  const T* x = waveform.const_data_ptr<T>();
  T* y = output.mutable_data_ptr<T>();
  const CompactKernel<T> ck = compact_kernel(kernel.const_data_ptr<T>(), new_freq, kernel.size(1));
  const int64_t taps = ck.taps;
  constexpr int64_t kChunk = 4096;  // outputs per task
  const int64_t chunks = (out_len + kChunk - 1) / kChunk;
  torch::stable::parallel_for(0, rows * chunks, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> edge(static_cast<size_t>(taps));  // zero-padded input near the ends
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / chunks, j0 = (task % chunks) * kChunk;
      const int64_t j1 = std::min(out_len, j0 + kChunk);
      const T* xr = x + r * frames;
      T* yr = y + r * out_len;
      int64_t q = j0 / new_freq, p = j0 % new_freq;  // then stepped: no division per output
      for (int64_t j = j0; j < j1; ++j) {
        const int64_t start = q * orig + ck.first[p] - width;
        const T* hp = ck.table.data() + p * taps;
        if (start >= 0 && start + taps <= frames) {
          yr[j] = dot(xr + start, hp, taps);
        } else {
          for (int64_t k = 0; k < taps; ++k) {
            const int64_t i = start + k;
            edge[k] = (i >= 0 && i < frames) ? xr[i] : T(0);
          }
          yr[j] = dot(edge.data(), hp, taps);
        }
        if (++p == new_freq) {
          p = 0;
          ++q;
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
