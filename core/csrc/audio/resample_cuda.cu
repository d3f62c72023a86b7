// triptych::resample_poly — CUDA kernel (schema and argument checks live in resample.cpp).
#include <cuda_runtime.h>
#include <torch/csrc/inductor/aoti_torch/c/shim.h>
#include <torch/csrc/stable/accelerator.h>

#include "audio/resample.h"

namespace triptych {
namespace {

// One thread per output sample; neighbouring threads read neighbouring input windows, so the
// loads of a warp overlap and stay in L1/L2. Each thread scans its kernel row's full K taps
// (zeros included): the non-zero spans would need a host-side pass per call.
template <typename T>
__global__ void resample_poly_kernel(const T* __restrict__ x, const T* __restrict__ h, T* __restrict__ y,
                                     int64_t rows, int64_t frames, int64_t out_len, int64_t taps,
                                     int64_t orig, int64_t new_freq, int64_t width) {
  const int64_t total = rows * out_len;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t r = idx / out_len, j = idx % out_len;
    const int64_t q = j / new_freq, p = j % new_freq;
    const int64_t start = q * orig - width;
    const T* xr = x + r * frames;
    const T* hp = h + p * taps;
    T acc = 0;
    for (int64_t m = 0; m < taps; ++m) {
      const int64_t i = start + m;
      if (i >= 0 && i < frames) acc += xr[i] * hp[m];
    }
    y[idx] = acc;
  }
}

Tensor resample_poly_cuda(const Tensor& waveform, const Tensor& kernel, int64_t orig, int64_t new_freq,
                          int64_t width) {
  Tensor output = resample_poly_allocate_output(waveform, kernel, orig, new_freq, width);
  if (output.numel() == 0) return output;
  const torch::stable::accelerator::DeviceGuard guard(waveform.get_device_index());
  // The stable ABI of torch 2.10 has no typed stream accessor; the AOTI shim's raw one is stable.
  void* raw_stream = nullptr;
  TORCH_ERROR_CODE_CHECK(aoti_torch_get_current_cuda_stream(waveform.get_device_index(), &raw_stream));
  const cudaStream_t stream = static_cast<cudaStream_t>(raw_stream);
  const Tensor x = torch::stable::contiguous(waveform);
  const Tensor h = torch::stable::contiguous(kernel);
  const int64_t total = output.numel();
  const int threads = 256;
  const int64_t wanted = (total + threads - 1) / threads;
  const int blocks = static_cast<int>(wanted < 65535 * 8 ? wanted : 65535 * 8);
  if (x.scalar_type() == ScalarType::Double) {
    resample_poly_kernel<double><<<blocks, threads, 0, stream>>>(
        x.const_data_ptr<double>(), h.const_data_ptr<double>(), output.mutable_data_ptr<double>(),
        x.size(0), x.size(1), output.size(1), h.size(1), orig, new_freq, width);
  } else {
    resample_poly_kernel<float><<<blocks, threads, 0, stream>>>(
        x.const_data_ptr<float>(), h.const_data_ptr<float>(), output.mutable_data_ptr<float>(),
        x.size(0), x.size(1), output.size(1), h.size(1), orig, new_freq, width);
  }
  const cudaError_t err = cudaGetLastError();
  STD_TORCH_CHECK(err == cudaSuccess, "triptych::resample_poly CUDA launch failed: ", cudaGetErrorString(err));
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("resample_poly", TORCH_BOX(&resample_poly_cuda));
}

}  // namespace triptych
