// triptych::lfilter_iir — schema, argument checks and the CPU kernel (see lfilter.h).
#include "audio/lfilter.h"

#include <algorithm>

namespace triptych {
namespace {

// One (row, channel) sequence. The recursion is sequential in time, so the work is spread
// over rows and channels; K is the number of coefficients (order + 1), fixed at compile time
// for the common orders so the state stays in registers.
template <typename T, int K>
void filter_fixed(const T* __restrict__ x, T* __restrict__ y, int64_t length, const T* a, const T* b) {
  T s[K > 1 ? K - 1 : 1] = {};
  T an[K], bn[K];
  for (int k = 0; k < K; ++k) {
    an[k] = a[k] / a[0];
    bn[k] = b[k] / a[0];
  }
  for (int64_t n = 0; n < length; ++n) {
    const T xn = x[n];
    const T yn = bn[0] * xn + (K > 1 ? s[0] : T(0));
    for (int i = 0; i + 1 < K - 1; ++i) s[i] = bn[i + 1] * xn - an[i + 1] * yn + s[i + 1];
    if (K > 1) s[K - 2] = bn[K - 1] * xn - an[K - 1] * yn;
    y[n] = yn;
  }
}

template <typename T>
void filter_any(const T* x, T* y, int64_t length, const T* a, const T* b, int64_t K) {
  std::vector<T> s(static_cast<size_t>(std::max<int64_t>(K - 1, 1)), T(0)), an(K), bn(K);
  for (int64_t k = 0; k < K; ++k) {
    an[k] = a[k] / a[0];
    bn[k] = b[k] / a[0];
  }
  for (int64_t n = 0; n < length; ++n) {
    const T xn = x[n];
    const T yn = bn[0] * xn + (K > 1 ? s[0] : T(0));
    for (int64_t i = 0; i + 1 < K - 1; ++i) s[i] = bn[i + 1] * xn - an[i + 1] * yn + s[i + 1];
    if (K > 1) s[K - 2] = bn[K - 1] * xn - an[K - 1] * yn;
    y[n] = yn;
  }
}

template <typename T>
void lfilter_typed(const Tensor& waveform, const Tensor& a_coeffs, const Tensor& b_coeffs, Tensor& output) {
  const int64_t rows = waveform.size(0), channels = waveform.size(1), length = waveform.size(2);
  const int64_t K = a_coeffs.size(1);
  const T* x = waveform.const_data_ptr<T>();
  const T* a = a_coeffs.const_data_ptr<T>();
  const T* b = b_coeffs.const_data_ptr<T>();
  T* y = output.mutable_data_ptr<T>();
  torch::stable::parallel_for(0, rows * channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t c = task % channels;
      const T* xs = x + task * length;
      T* ys = y + task * length;
      const T* ac = a + c * K;
      const T* bc = b + c * K;
      switch (K) {
        case 1: filter_fixed<T, 1>(xs, ys, length, ac, bc); break;
        case 2: filter_fixed<T, 2>(xs, ys, length, ac, bc); break;
        case 3: filter_fixed<T, 3>(xs, ys, length, ac, bc); break;
        case 5: filter_fixed<T, 5>(xs, ys, length, ac, bc); break;
        default: filter_any<T>(xs, ys, length, ac, bc, K);
      }
    }
  });
}

Tensor lfilter_iir_cpu(const Tensor& waveform, const Tensor& a_coeffs, const Tensor& b_coeffs) {
  Tensor output = lfilter_iir_allocate_output(waveform, a_coeffs, b_coeffs);
  if (output.numel() == 0) return output;
  const Tensor x = torch::stable::contiguous(waveform);
  const Tensor a = torch::stable::contiguous(a_coeffs);
  const Tensor b = torch::stable::contiguous(b_coeffs);
  if (x.scalar_type() == ScalarType::Double) {
    lfilter_typed<double>(x, a, b, output);
  } else {
    lfilter_typed<float>(x, a, b, output);
  }
  return output;
}

}  // namespace

Tensor lfilter_iir_allocate_output(const Tensor& waveform, const Tensor& a_coeffs, const Tensor& b_coeffs) {
  STD_TORCH_CHECK(waveform.dim() == 3, "triptych::lfilter_iir expects a (R, C, T) waveform, got ",
                  waveform.dim(), " dimensions");
  const ScalarType dtype = waveform.scalar_type();
  STD_TORCH_CHECK(dtype == ScalarType::Float || dtype == ScalarType::Double,
                  "triptych::lfilter_iir expects float32 or float64 samples");
  STD_TORCH_CHECK(a_coeffs.scalar_type() == dtype && b_coeffs.scalar_type() == dtype,
                  "triptych::lfilter_iir: coefficient dtypes must match the waveform's");
  STD_TORCH_CHECK(a_coeffs.dim() == 2 && b_coeffs.dim() == 2 && a_coeffs.size(0) == waveform.size(1) &&
                      b_coeffs.size(0) == waveform.size(1) && a_coeffs.size(1) == b_coeffs.size(1) &&
                      a_coeffs.size(1) >= 1,
                  "triptych::lfilter_iir: a_coeffs and b_coeffs must both be (C, order + 1) with C = ",
                  waveform.size(1));
  STD_TORCH_CHECK(a_coeffs.device() == waveform.device() && b_coeffs.device() == waveform.device(),
                  "triptych::lfilter_iir: coefficients and waveform must be on the same device");
  return torch::stable::empty({waveform.size(0), waveform.size(1), waveform.size(2)}, dtype, std::nullopt,
                              waveform.device());
}

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("lfilter_iir(Tensor waveform, Tensor a_coeffs, Tensor b_coeffs) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("lfilter_iir", TORCH_BOX(&lfilter_iir_cpu));
}

}  // namespace triptych
