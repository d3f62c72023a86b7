// triptych::roi_pool and triptych::_roi_pool_backward — CUDA kernels (schemas and checks:
// roi_pool.cpp, roi_align.h). One thread per output bin and channel; the backward pass
// recomputes the bin's first maximum and adds the gradient there with atomicAdd.
#include <limits>

#include "vision/box_cuda.cuh"
#include "vision/roi_align.h"

namespace triptych {
namespace {

template <typename T>
__device__ inline int64_t bin_argmax(const T* plane, const ImageGeometry& g, const T* roi, T scale, int64_t py,
                                     int64_t px, int64_t ph, int64_t pw, T& value) {
  int64_t h0, h1, w0, w1;
  roi_pool_bin<T>(roi[2], roi[4], scale, py, ph, g.h, h0, h1);
  roi_pool_bin<T>(roi[1], roi[3], scale, px, pw, g.w, w0, w1);
  value = T(0);
  if (h1 <= h0 || w1 <= w0) return -1;
  value = std::numeric_limits<T>::lowest();  // as the CPU kernel (and torchvision's -FLT_MAX for float)
  int64_t arg = -1;
  for (int64_t h = h0; h < h1; ++h) {
    for (int64_t w = w0; w < w1; ++w) {
      const T v = plane[h * g.sh + w * g.sw];
      if (v > value) {
        value = v;
        arg = h * g.w + w;
      }
    }
  }
  return arg;
}

template <typename T>
__global__ void roi_pool_forward_kernel(const T* __restrict__ input, ImageGeometry g, const T* __restrict__ rois,
                                        int64_t total, T scale, int64_t ph, int64_t pw, T* __restrict__ out) {
  TRIPTYCH_GRID_STRIDE_LOOP(index, total) {
    const int64_t px = index % pw, py = (index / pw) % ph, c = (index / (pw * ph)) % g.c, k = index / (pw * ph * g.c);
    const T* roi = rois + 5 * k;
    T value;
    bin_argmax<T>(input + static_cast<int64_t>(roi[0]) * g.sn + c * g.sc, g, roi, scale, py, px, ph, pw, value);
    out[index] = value;
  }
}

template <typename T>
__global__ void roi_pool_backward_kernel(const T* __restrict__ grad, ImageGeometry gg, const T* __restrict__ input,
                                         ImageGeometry g, const T* __restrict__ rois, int64_t total, T scale,
                                         int64_t ph, int64_t pw, T* __restrict__ grad_input) {
  TRIPTYCH_GRID_STRIDE_LOOP(index, total) {
    const int64_t px = index % pw, py = (index / pw) % ph, c = (index / (pw * ph)) % g.c, k = index / (pw * ph * g.c);
    const T* roi = rois + 5 * k;
    const int64_t b = static_cast<int64_t>(roi[0]);
    T value;
    const int64_t arg = bin_argmax<T>(input + b * g.sn + c * g.sc, g, roi, scale, py, px, ph, pw, value);
    if (arg >= 0) atomicAdd(grad_input + (b * g.c + c) * g.h * g.w + arg, grad[k * gg.sn + c * gg.sc + py * gg.sh + px * gg.sw]);
  }
}

Tensor roi_pool_cuda(const Tensor& input, const Tensor& rois_in, double spatial_scale, int64_t pooled_height,
                     int64_t pooled_width) {
  Tensor output = roi_allocate_output(input, rois_in, pooled_height, pooled_width, "roi_pool");
  const torch::stable::accelerator::DeviceGuard guard(input.get_device_index());
  const cudaStream_t stream = cuda::current_stream(input);
  const Tensor rois = torch::stable::contiguous(rois_in);
  const ImageGeometry g = image_geometry(input);
  const int64_t total = output.numel();
  dispatch_roi_dtype(input.scalar_type(), [&](auto zero) {
    using T = decltype(zero);
    check_rois<T>(cuda::to_host<T>(rois, stream, "roi_pool").data(), rois.size(0), g.n, spatial_scale, 1, 1, 1,
                  false, true, "roi_pool");
    if (total == 0) return;
    constexpr int threads = 256;
    roi_pool_forward_kernel<T><<<cuda::blocks_for(total, threads), threads, 0, stream>>>(
        input.const_data_ptr<T>(), g, rois.const_data_ptr<T>(), total, static_cast<T>(spatial_scale), pooled_height,
        pooled_width, output.mutable_data_ptr<T>());
    cuda::check_launch("roi_pool");
  });
  return output;
}

Tensor roi_pool_backward_cuda(const Tensor& grad, const Tensor& input, const Tensor& rois_in, double spatial_scale,
                              int64_t pooled_height, int64_t pooled_width) {
  Tensor grad_input = roi_pool_backward_allocate(grad, input, rois_in, pooled_height, pooled_width);
  const torch::stable::accelerator::DeviceGuard guard(input.get_device_index());
  const cudaStream_t stream = cuda::current_stream(input);
  const Tensor rois = torch::stable::contiguous(rois_in);
  const ImageGeometry g = image_geometry(input), gg = image_geometry(grad);
  const int64_t total = grad.numel();
  cudaMemsetAsync(grad_input.mutable_data_ptr(), 0,
                  static_cast<size_t>(grad_input.numel()) * element_size(input.scalar_type()), stream);
  dispatch_roi_dtype(input.scalar_type(), [&](auto zero) {
    using T = decltype(zero);
    check_rois<T>(cuda::to_host<T>(rois, stream, "_roi_pool_backward").data(), rois.size(0), g.n, spatial_scale, 1,
                  1, 1, false, true, "_roi_pool_backward");
    if (total == 0) return;
    constexpr int threads = 256;
    roi_pool_backward_kernel<T><<<cuda::blocks_for(total, threads), threads, 0, stream>>>(
        grad.const_data_ptr<T>(), gg, input.const_data_ptr<T>(), g, rois.const_data_ptr<T>(), total,
        static_cast<T>(spatial_scale), pooled_height, pooled_width, grad_input.mutable_data_ptr<T>());
    cuda::check_launch("_roi_pool_backward");
  });
  return grad_input;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("roi_pool", TORCH_BOX(&roi_pool_cuda));
  m.impl("_roi_pool_backward", TORCH_BOX(&roi_pool_backward_cuda));
}

}  // namespace triptych
