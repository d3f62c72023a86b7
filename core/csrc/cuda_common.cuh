// What every triptych CUDA kernel shares: the current stream, the launch check, grid sizing,
// the grid-stride loop and per-channel coefficients passed by value. Stable ABI only, like
// common.h.
#pragma once

#include <cuda_runtime.h>
#include <torch/csrc/inductor/aoti_torch/c/shim.h>
#include <torch/csrc/stable/accelerator.h>

#include "common.h"

namespace triptych {
namespace cuda {

// The current CUDA stream of `on`'s device. The stable ABI of torch 2.10 has no typed stream
// accessor; the AOTI shim's raw one is stable.
inline cudaStream_t current_stream(const Tensor& on) {
  void* raw_stream = nullptr;
  TORCH_ERROR_CODE_CHECK(aoti_torch_get_current_cuda_stream(on.get_device_index(), &raw_stream));
  return static_cast<cudaStream_t>(raw_stream);
}

// Turns a failed launch into a RuntimeError naming the op.
inline void check_launch(const char* op) {
  const cudaError_t err = cudaGetLastError();
  STD_TORCH_CHECK(err == cudaSuccess, "triptych::", op, " CUDA launch failed: ", cudaGetErrorString(err));
}

// Blocks for `total` items at `threads` per block, capped: the kernels loop grid-stride.
inline int blocks_for(int64_t total, int threads) {
  const int64_t wanted = (total + threads - 1) / threads;
  return static_cast<int>(wanted < 65535 * 8 ? (wanted > 0 ? wanted : 1) : 65535 * 8);
}

// for (int64_t i = ...; i < total; ...) over the whole grid, 64-bit indices.
#define TRIPTYCH_GRID_STRIDE_LOOP(i, total)                                                 \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (total); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// Per-channel coefficients travel as a kernel argument: no device allocation, no copy.
constexpr int kMaxChannels = 64;

template <typename T>
struct ChannelCoefficients {
  T scale[kMaxChannels];
  T bias[kMaxChannels];

  __device__ T operator()(T v, int64_t c) const { return v * scale[c] + bias[c]; }
};

// The affine map as a kernel argument; `op` names the op for the channel-limit error.
template <typename T>
inline ChannelCoefficients<T> channel_coefficients(const ChannelAffine<T>& affine, const char* op) {
  const int64_t channels = static_cast<int64_t>(affine.scale.size());
  STD_TORCH_CHECK(channels <= kMaxChannels, "triptych::", op, " on CUDA supports up to ", kMaxChannels,
                  " channels, got ", channels);
  ChannelCoefficients<T> coeffs{};
  for (int64_t c = 0; c < channels; ++c) {
    coeffs.scale[c] = affine.scale[c];
    coeffs.bias[c] = affine.bias[c];
  }
  return coeffs;
}

}  // namespace cuda
}  // namespace triptych
