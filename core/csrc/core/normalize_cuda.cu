// triptych::normalize — CUDA kernel (schema and argument checks live in normalize.cpp).
#include <cuda_runtime.h>
#include <torch/csrc/inductor/aoti_torch/c/shim.h>
#include <torch/csrc/stable/accelerator.h>

#include "core/normalize.h"

namespace triptych {
namespace {

// Channel coefficients travel as a kernel argument: no device allocation, no copy.
constexpr int kMaxChannels = 64;

template <typename T>
struct Coefficients {
  T scale[kMaxChannels];
  T bias[kMaxChannels];
};

// One thread per output element, indexed in the output's memory order so writes coalesce.
template <typename in_t, typename out_t, bool kOutputInterleaved>
__global__ void normalize_kernel(
    const in_t* __restrict__ src, out_t* __restrict__ dst, int64_t total, PlaneLayout in,
    PlaneLayout out, Coefficients<out_t> coeffs) {
  const int64_t C = in.c, P = in.p;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    int64_t n, c, p;
    if (kOutputInterleaved) {
      c = i % C;
      p = (i / C) % P;
      n = i / (C * P);
    } else {
      p = i % P;
      c = (i / P) % C;
      n = i / (C * P);
    }
    const out_t v = static_cast<out_t>(src[n * in.sn + c * in.sc + p * in.sp]);
    dst[n * out.sn + c * out.sc + p * out.sp] = v * coeffs.scale[c] + coeffs.bias[c];
  }
}

template <typename in_t, typename out_t>
void launch(const Tensor& input, const PlaneLayout& in, Tensor& output, const PlaneLayout& out,
            const std::vector<double>& mean, const std::vector<double>& std, cudaStream_t stream) {
  const ChannelAffine<out_t> affine =
      make_channel_affine<out_t>(mean, std, std::is_same<in_t, uint8_t>::value);
  Coefficients<out_t> coeffs{};
  for (int64_t c = 0; c < in.c; ++c) {
    coeffs.scale[c] = affine.scale[c];
    coeffs.bias[c] = affine.bias[c];
  }
  const int64_t total = output.numel();
  const int threads = 256;
  const int64_t wanted = (total + threads - 1) / threads;
  const int blocks = static_cast<int>(wanted < 65535 * 8 ? wanted : 65535 * 8);
  const in_t* src = input.const_data_ptr<in_t>();
  out_t* dst = output.mutable_data_ptr<out_t>();
  if (out.sc == 1) {
    normalize_kernel<in_t, out_t, true><<<blocks, threads, 0, stream>>>(src, dst, total, in, out, coeffs);
  } else {
    normalize_kernel<in_t, out_t, false><<<blocks, threads, 0, stream>>>(src, dst, total, in, out, coeffs);
  }
  const cudaError_t err = cudaGetLastError();
  STD_TORCH_CHECK(err == cudaSuccess, "triptych::normalize CUDA launch failed: ", cudaGetErrorString(err));
}

Tensor normalize_cuda(
    const Tensor& image, std::vector<double> mean, std::vector<double> std, bool channels_last) {
  Tensor output = normalize_allocate_output(image, mean, std, channels_last);
  STD_TORCH_CHECK(output.size(output.dim() - 3) <= kMaxChannels,
      "triptych::normalize on CUDA supports up to ", kMaxChannels, " channels");
  if (output.numel() == 0) return output;
  const torch::stable::accelerator::DeviceGuard guard(image.get_device_index());
  // The stable ABI of torch 2.10 has no typed stream accessor; the AOTI shim's raw one is stable.
  void* raw_stream = nullptr;
  TORCH_ERROR_CODE_CHECK(aoti_torch_get_current_cuda_stream(image.get_device_index(), &raw_stream));
  const cudaStream_t stream = static_cast<cudaStream_t>(raw_stream);
  PlaneLayout in, out;
  Tensor input = normalize_addressable_input(image, in);
  plane_layout(output, out);
  switch (input.scalar_type()) {
    case ScalarType::Byte:
      launch<uint8_t, float>(input, in, output, out, mean, std, stream);
      break;
    case ScalarType::Float:
      launch<float, float>(input, in, output, out, mean, std, stream);
      break;
    default:
      launch<double, double>(input, in, output, out, mean, std, stream);
  }
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("normalize", TORCH_BOX(&normalize_cuda));
}

}  // namespace triptych
