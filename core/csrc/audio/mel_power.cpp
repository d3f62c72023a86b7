// triptych::mel_power — schema, argument checks and the CPU kernel (see mel_power.h).
#include "audio/mel_power.h"

#include <algorithm>
#include <limits>

namespace triptych {
namespace {

// One STFT frame: its |X|^2 into `power` (F values), then each mel filter's dot product over
// its non-zero bins (the filter's column copied contiguous in `weights`).
template <typename T>
TRIPTYCH_MULTIVERSION void mel_frame(const T* __restrict__ pairs, int64_t bins, const T* __restrict__ weights,
                                     const int64_t* first, const int64_t* end, const int64_t* offset,
                                     int64_t mels, T* __restrict__ power, T* out, int64_t out_stride) {
  for (int64_t f = 0; f < bins; ++f) power[f] = pairs[2 * f] * pairs[2 * f] + pairs[2 * f + 1] * pairs[2 * f + 1];
  for (int64_t m = 0; m < mels; ++m) {
    const T* w = weights + offset[m] - first[m];
    T acc = 0;
    for (int64_t f = first[m]; f < end[m]; ++f) acc += power[f] * w[f];
    out[m * out_stride] = acc;
  }
}

template <typename T>
void mel_power_rows(const Tensor& spec, const Tensor& fb, Tensor& output) {
  const int64_t n = spec.size(0), frames = spec.size(1), bins = spec.size(2), mels = fb.size(1);
  const T* x = spec.const_data_ptr<T>();
  const T* w = fb.const_data_ptr<T>();
  T* y = output.mutable_data_ptr<T>();
  std::vector<int64_t> first(mels), end(mels), offset(mels);
  mel_filter_spans(w, bins, mels, first.data(), end.data());
  std::vector<T> weights;
  for (int64_t m = 0; m < mels; ++m) {
    offset[m] = static_cast<int64_t>(weights.size());
    for (int64_t f = first[m]; f < end[m]; ++f) weights.push_back(w[f * mels + m]);
  }
  if (weights.empty()) weights.push_back(T(0));
  // Frames are independent; a task is a run of frames of one row (output column t of row r).
  torch::stable::parallel_for(0, n * frames, 64, [&](int64_t begin, int64_t stop) {
    std::vector<T> power(static_cast<size_t>(std::max<int64_t>(bins, 1)));
    for (int64_t task = begin; task < stop; ++task) {
      const int64_t r = task / frames, t = task % frames;
      mel_frame(x + task * bins * 2, bins, weights.data(), first.data(), end.data(), offset.data(), mels,
                power.data(), y + r * mels * frames + t, frames);
    }
  });
}

Tensor mel_power_cpu(const Tensor& spec, const Tensor& fb) {
  Tensor output = mel_power_allocate_output(spec, fb);
  if (output.numel() == 0) return output;
  const Tensor x = torch::stable::contiguous(spec);
  const Tensor w = torch::stable::contiguous(fb);
  if (x.scalar_type() == ScalarType::Double) {
    mel_power_rows<double>(x, w, output);
  } else {
    mel_power_rows<float>(x, w, output);
  }
  return output;
}

}  // namespace

Tensor mel_power_allocate_output(const Tensor& spec, const Tensor& fb) {
  STD_TORCH_CHECK(spec.dim() == 4 && spec.size(3) == 2,
                  "triptych::mel_power expects spec of shape (N, T, F, 2), got ", spec.dim(), " dimensions");
  const ScalarType dtype = spec.scalar_type();
  STD_TORCH_CHECK(dtype == ScalarType::Float || dtype == ScalarType::Double,
                  "triptych::mel_power expects float32 or float64 values");
  STD_TORCH_CHECK(fb.scalar_type() == dtype, "triptych::mel_power: fb dtype must match spec's");
  STD_TORCH_CHECK(fb.dim() == 2 && fb.size(0) == spec.size(2), "triptych::mel_power: fb must be (F, M) with F = ",
                  spec.size(2), " (spec's bins)");
  STD_TORCH_CHECK(fb.device() == spec.device(), "triptych::mel_power: fb and spec must be on the same device");
  const std::vector<int64_t> shape = {spec.size(0), fb.size(1), spec.size(1)};
  return torch::stable::empty(shape, dtype, std::nullopt, spec.device());
}

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("mel_power(Tensor spec, Tensor fb) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("mel_power", TORCH_BOX(&mel_power_cpu));
}

}  // namespace triptych
