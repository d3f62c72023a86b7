// triptych::normalize — CUDA kernel (schema and argument checks live in normalize.cpp).
#include <type_traits>

#include "cuda_common.cuh"
#include "vision/normalize.h"

namespace triptych {
namespace {

// One thread per output element, indexed in the output's memory order so writes coalesce.
// H and W are merged (merge_pixels): w is the pixel count, sw the pixel stride.
template <typename in_t, typename out_t, bool kOutputInterleaved>
__global__ void normalize_kernel(
    const in_t* __restrict__ src, out_t* __restrict__ dst, int64_t total, ImageGeometry in,
    ImageGeometry out, cuda::ChannelCoefficients<out_t> coeffs) {
  const int64_t C = in.c, P = in.w;
  TRIPTYCH_GRID_STRIDE_LOOP(i, total) {
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
    const out_t v = static_cast<out_t>(src[n * in.sn + c * in.sc + p * in.sw]);
    dst[n * out.sn + c * out.sc + p * out.sw] = coeffs(v, c);
  }
}

template <typename in_t, typename out_t>
void launch(const Tensor& input, const ImageGeometry& in, Tensor& output, const ImageGeometry& out,
            const std::vector<double>& mean, const std::vector<double>& std, cudaStream_t stream) {
  const cuda::ChannelCoefficients<out_t> coeffs = cuda::channel_coefficients(
      make_channel_affine<out_t>(mean, std, std::is_same<in_t, uint8_t>::value), "normalize");
  const int64_t total = output.numel();
  constexpr int threads = 256;
  const int blocks = cuda::blocks_for(total, threads);
  const in_t* src = input.const_data_ptr<in_t>();
  out_t* dst = output.mutable_data_ptr<out_t>();
  if (out.sc == 1) {
    normalize_kernel<in_t, out_t, true><<<blocks, threads, 0, stream>>>(src, dst, total, in, out, coeffs);
  } else {
    normalize_kernel<in_t, out_t, false><<<blocks, threads, 0, stream>>>(src, dst, total, in, out, coeffs);
  }
  cuda::check_launch("normalize");
}

Tensor normalize_cuda(
    const Tensor& image, std::vector<double> mean, std::vector<double> std, bool channels_last) {
  Tensor output = normalize_allocate_output(image, mean, std, channels_last);
  if (output.numel() == 0) return output;
  const torch::stable::accelerator::DeviceGuard guard(image.get_device_index());
  const cudaStream_t stream = cuda::current_stream(image);
  ImageGeometry in, out = image_geometry(output);
  merge_pixels(out);
  const Tensor input = normalize_addressable_input(image, in);
  dispatch_image_dtype(input.scalar_type(), "normalize", [&](auto types) {
    using T = decltype(types);
    launch<typename T::in_t, typename T::acc_t>(input, in, output, out, mean, std, stream);
  });
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("normalize", TORCH_BOX(&normalize_cuda));
}

}  // namespace triptych
