// triptych::lfilter_iir — CUDA kernel (schema and argument checks live in lfilter.cpp).
#include <cuda_runtime.h>
#include <torch/csrc/inductor/aoti_torch/c/shim.h>
#include <torch/csrc/stable/accelerator.h>

#include "audio/lfilter.h"

namespace triptych {
namespace {

constexpr int kMaxCoefficients = 16;  // order <= 15 on CUDA

// One thread per (row, channel) sequence: the recursion is sequential in time, so the
// parallelism is over batch and channels (a batch of 16 x 2 gives 32 threads; the GPU pays
// off for large batches).
template <typename T>
__global__ void lfilter_kernel(const T* __restrict__ x, T* __restrict__ y, const T* __restrict__ a,
                               const T* __restrict__ b, int64_t sequences, int64_t channels, int64_t length,
                               int K) {
  const int64_t task = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (task >= sequences) return;
  const int64_t c = task % channels;
  T an[kMaxCoefficients], bn[kMaxCoefficients], s[kMaxCoefficients];
  for (int k = 0; k < K; ++k) {
    an[k] = a[c * K + k] / a[c * K];
    bn[k] = b[c * K + k] / a[c * K];
    s[k] = 0;
  }
  const T* xs = x + task * length;
  T* ys = y + task * length;
  for (int64_t n = 0; n < length; ++n) {
    const T xn = xs[n];
    const T yn = bn[0] * xn + (K > 1 ? s[0] : T(0));
    for (int i = 0; i + 1 < K - 1; ++i) s[i] = bn[i + 1] * xn - an[i + 1] * yn + s[i + 1];
    if (K > 1) s[K - 2] = bn[K - 1] * xn - an[K - 1] * yn;
    ys[n] = yn;
  }
}

Tensor lfilter_iir_cuda(const Tensor& waveform, const Tensor& a_coeffs, const Tensor& b_coeffs) {
  Tensor output = lfilter_iir_allocate_output(waveform, a_coeffs, b_coeffs);
  STD_TORCH_CHECK(a_coeffs.size(1) <= kMaxCoefficients, "triptych::lfilter_iir on CUDA supports up to ",
                  kMaxCoefficients, " coefficients, got ", a_coeffs.size(1));
  if (output.numel() == 0) return output;
  const torch::stable::accelerator::DeviceGuard guard(waveform.get_device_index());
  // The stable ABI of torch 2.10 has no typed stream accessor; the AOTI shim's raw one is stable.
  void* raw_stream = nullptr;
  TORCH_ERROR_CODE_CHECK(aoti_torch_get_current_cuda_stream(waveform.get_device_index(), &raw_stream));
  const cudaStream_t stream = static_cast<cudaStream_t>(raw_stream);
  const Tensor x = torch::stable::contiguous(waveform);
  const Tensor a = torch::stable::contiguous(a_coeffs);
  const Tensor b = torch::stable::contiguous(b_coeffs);
  const int64_t sequences = x.size(0) * x.size(1);
  const int threads = 64;
  const int blocks = static_cast<int>((sequences + threads - 1) / threads);
  const int K = static_cast<int>(a.size(1));
  if (x.scalar_type() == ScalarType::Double) {
    lfilter_kernel<double><<<blocks, threads, 0, stream>>>(
        x.const_data_ptr<double>(), output.mutable_data_ptr<double>(), a.const_data_ptr<double>(),
        b.const_data_ptr<double>(), sequences, x.size(1), x.size(2), K);
  } else {
    lfilter_kernel<float><<<blocks, threads, 0, stream>>>(
        x.const_data_ptr<float>(), output.mutable_data_ptr<float>(), a.const_data_ptr<float>(),
        b.const_data_ptr<float>(), sequences, x.size(1), x.size(2), K);
  }
  const cudaError_t err = cudaGetLastError();
  STD_TORCH_CHECK(err == cudaSuccess, "triptych::lfilter_iir CUDA launch failed: ", cudaGetErrorString(err));
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("lfilter_iir", TORCH_BOX(&lfilter_iir_cuda));
}

}  // namespace triptych
