// triptych::mel_power — CUDA kernel (schema and argument checks live in mel_power.cpp).
#include "audio/mel_power.h"
#include "cuda_common.cuh"

namespace triptych {
namespace {

// One thread per output (n, m, t), neighbouring threads on neighbouring frames t. Each scans
// the filter's full column of bins (zeros included): the non-zero spans would need a
// host-side pass over the filterbank per call.
template <typename T>
__global__ void mel_power_kernel(const T* __restrict__ x, const T* __restrict__ fb, T* __restrict__ y,
                                 int64_t n, int64_t frames, int64_t bins, int64_t mels) {
  TRIPTYCH_GRID_STRIDE_LOOP(idx, n * mels * frames) {
    const int64_t t = idx % frames, m = (idx / frames) % mels, r = idx / (frames * mels);
    const T* pairs = x + (r * frames + t) * bins * 2;
    T acc = 0;
    for (int64_t f = 0; f < bins; ++f) {
      const T w = fb[f * mels + m];
      if (w != T(0)) acc += (pairs[2 * f] * pairs[2 * f] + pairs[2 * f + 1] * pairs[2 * f + 1]) * w;
    }
    y[idx] = acc;
  }
}

Tensor mel_power_cuda(const Tensor& spec, const Tensor& fb) {
  Tensor output = mel_power_allocate_output(spec, fb);
  if (output.numel() == 0) return output;
  const torch::stable::accelerator::DeviceGuard guard(spec.get_device_index());
  const cudaStream_t stream = cuda::current_stream(spec);
  const Tensor x = torch::stable::contiguous(spec);
  const Tensor w = torch::stable::contiguous(fb);
  const int threads = 256;
  const int blocks = cuda::blocks_for(output.numel(), threads);
  if (x.scalar_type() == ScalarType::Double) {
    mel_power_kernel<double><<<blocks, threads, 0, stream>>>(
        x.const_data_ptr<double>(), w.const_data_ptr<double>(), output.mutable_data_ptr<double>(), x.size(0),
        x.size(1), x.size(2), w.size(1));
  } else {
    mel_power_kernel<float><<<blocks, threads, 0, stream>>>(
        x.const_data_ptr<float>(), w.const_data_ptr<float>(), output.mutable_data_ptr<float>(), x.size(0),
        x.size(1), x.size(2), w.size(1));
  }
  cuda::check_launch("mel_power");
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("mel_power", TORCH_BOX(&mel_power_cuda));
}

}  // namespace triptych
