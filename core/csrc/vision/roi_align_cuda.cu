// triptych::roi_align and triptych::_roi_align_backward — CUDA kernels (schemas and checks:
// roi_align.cpp, roi_align.h). One thread per output element, torchvision's scheme; the
// backward pass adds into the gradient with atomicAdd. The rois are copied to the host once
// for the same batch-index and grid checks as on the CPU.
#include "vision/box_cuda.cuh"
#include "vision/roi_align.h"

namespace triptych {
namespace {

template <typename T>
__global__ void roi_align_forward_kernel(const T* __restrict__ input, ImageGeometry g, const T* __restrict__ rois,
                                         int64_t total, T spatial_scale, int64_t ph, int64_t pw,
                                         int64_t sampling_ratio, bool aligned, T* __restrict__ out) {
  TRIPTYCH_GRID_STRIDE_LOOP(index, total) {
    const int64_t px = index % pw, py = (index / pw) % ph, c = (index / (pw * ph)) % g.c, k = index / (pw * ph * g.c);
    const T* roi = rois + 5 * k;
    const RoiAlignBox<T> box = roi_align_box(roi, spatial_scale, ph, pw, sampling_ratio, aligned);
    const T* plane = input + static_cast<int64_t>(roi[0]) * g.sn + c * g.sc;
    T sum = 0;
    for (int64_t iy = 0; iy < box.grid_h; ++iy) {
      const T y = roi_sample(box.start_h, py, box.bin_h, iy, box.grid_h);
      int64_t y0, y1;
      T wy0, wy1;
      if (!roi_taps(y, g.h, y0, y1, wy0, wy1)) continue;
      for (int64_t ix = 0; ix < box.grid_w; ++ix) {
        const T x = roi_sample(box.start_w, px, box.bin_w, ix, box.grid_w);
        int64_t x0, x1;
        T wx0, wx1;
        if (!roi_taps(x, g.w, x0, x1, wx0, wx1)) continue;
        sum += wy0 * wx0 * plane[y0 * g.sh + x0 * g.sw] + wy0 * wx1 * plane[y0 * g.sh + x1 * g.sw] +
               wy1 * wx0 * plane[y1 * g.sh + x0 * g.sw] + wy1 * wx1 * plane[y1 * g.sh + x1 * g.sw];
      }
    }
    out[index] = sum / static_cast<T>(box.count);
  }
}

template <typename T>
__global__ void roi_align_backward_kernel(const T* __restrict__ grad, ImageGeometry gg, const T* __restrict__ rois,
                                          int64_t total, T spatial_scale, int64_t ph, int64_t pw,
                                          int64_t sampling_ratio, bool aligned, int64_t C, int64_t H, int64_t W,
                                          T* __restrict__ grad_input) {
  TRIPTYCH_GRID_STRIDE_LOOP(index, total) {
    const int64_t px = index % pw, py = (index / pw) % ph, c = (index / (pw * ph)) % C, k = index / (pw * ph * C);
    const T* roi = rois + 5 * k;
    const RoiAlignBox<T> box = roi_align_box(roi, spatial_scale, ph, pw, sampling_ratio, aligned);
    T* plane = grad_input + (static_cast<int64_t>(roi[0]) * C + c) * H * W;
    const T g = grad[k * gg.sn + c * gg.sc + py * gg.sh + px * gg.sw] / static_cast<T>(box.count);
    for (int64_t iy = 0; iy < box.grid_h; ++iy) {
      const T y = roi_sample(box.start_h, py, box.bin_h, iy, box.grid_h);
      int64_t y0, y1;
      T wy0, wy1;
      if (!roi_taps(y, H, y0, y1, wy0, wy1)) continue;
      for (int64_t ix = 0; ix < box.grid_w; ++ix) {
        const T x = roi_sample(box.start_w, px, box.bin_w, ix, box.grid_w);
        int64_t x0, x1;
        T wx0, wx1;
        if (!roi_taps(x, W, x0, x1, wx0, wx1)) continue;
        atomicAdd(plane + y0 * W + x0, g * wy0 * wx0);
        atomicAdd(plane + y0 * W + x1, g * wy0 * wx1);
        atomicAdd(plane + y1 * W + x0, g * wy1 * wx0);
        atomicAdd(plane + y1 * W + x1, g * wy1 * wx1);
      }
    }
  }
}

Tensor roi_align_cuda(const Tensor& input, const Tensor& rois_in, double spatial_scale, int64_t pooled_height,
                      int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
  Tensor output = roi_allocate_output(input, rois_in, pooled_height, pooled_width, "roi_align");
  const torch::stable::accelerator::DeviceGuard guard(input.get_device_index());
  const cudaStream_t stream = cuda::current_stream(input);
  const Tensor rois = torch::stable::contiguous(rois_in);
  const ImageGeometry g = image_geometry(input);
  const int64_t total = output.numel();
  dispatch_roi_dtype(input.scalar_type(), [&](auto zero) {
    using T = decltype(zero);
    check_rois<T>(cuda::to_host<T>(rois, stream, "roi_align").data(), rois.size(0), g.n, spatial_scale,
                  pooled_height, pooled_width, sampling_ratio, aligned, false, "roi_align");
    if (total == 0) return;
    constexpr int threads = 256;
    roi_align_forward_kernel<T><<<cuda::blocks_for(total, threads), threads, 0, stream>>>(
        input.const_data_ptr<T>(), g, rois.const_data_ptr<T>(), total, static_cast<T>(spatial_scale), pooled_height,
        pooled_width, sampling_ratio, aligned, output.mutable_data_ptr<T>());
    cuda::check_launch("roi_align");
  });
  return output;
}

Tensor roi_align_backward_cuda(const Tensor& grad, const Tensor& rois_in, double spatial_scale, int64_t pooled_height,
                               int64_t pooled_width, int64_t batch_size, int64_t channels, int64_t height,
                               int64_t width, int64_t sampling_ratio, bool aligned) {
  Tensor grad_input = roi_align_backward_allocate(grad, rois_in, pooled_height, pooled_width, batch_size, channels,
                                                  height, width);
  const torch::stable::accelerator::DeviceGuard guard(grad.get_device_index());
  const cudaStream_t stream = cuda::current_stream(grad);
  const Tensor rois = torch::stable::contiguous(rois_in);
  const ImageGeometry gg = image_geometry(grad);
  const int64_t total = grad.numel();
  cudaMemsetAsync(grad_input.mutable_data_ptr(), 0,
                  static_cast<size_t>(grad_input.numel()) * element_size(grad.scalar_type()), stream);
  dispatch_roi_dtype(grad.scalar_type(), [&](auto zero) {
    using T = decltype(zero);
    check_rois<T>(cuda::to_host<T>(rois, stream, "_roi_align_backward").data(), rois.size(0), batch_size,
                  spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned, false, "_roi_align_backward");
    if (total == 0) return;
    constexpr int threads = 256;
    roi_align_backward_kernel<T><<<cuda::blocks_for(total, threads), threads, 0, stream>>>(
        grad.const_data_ptr<T>(), gg, rois.const_data_ptr<T>(), total, static_cast<T>(spatial_scale), pooled_height,
        pooled_width, sampling_ratio, aligned, channels, height, width, grad_input.mutable_data_ptr<T>());
    cuda::check_launch("_roi_align_backward");
  });
  return grad_input;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("roi_align", TORCH_BOX(&roi_align_cuda));
  m.impl("_roi_align_backward", TORCH_BOX(&roi_align_backward_cuda));
}

}  // namespace triptych
