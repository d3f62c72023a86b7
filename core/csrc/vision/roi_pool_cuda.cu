// triptych::roi_pool and triptych::_roi_pool_backward — CUDA kernels (schemas and checks:
// roi_pool.cpp, roi_align.h). One thread per output bin and channel; the backward pass
// recomputes the bin's first maximum and adds the gradient there with atomicAdd.
#include <limits>
#include <vector>

#include "cuda_common.cuh"
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

template <typename T>
void check_pool_rois_cuda(const Tensor& rois, int64_t batch, double spatial_scale, cudaStream_t stream,
                          const char* op) {
  std::vector<T> host(static_cast<size_t>(rois.numel()));
  if (!host.empty()) {
    cudaMemcpyAsync(host.data(), rois.const_data_ptr<T>(), host.size() * sizeof(T), cudaMemcpyDeviceToHost, stream);
    STD_TORCH_CHECK(cudaStreamSynchronize(stream) == cudaSuccess, "triptych::", op, ": copying the rois failed");
  }
  check_roi_batch_indices<T>(host.data(), rois.size(0), batch, op);
  check_roi_extents<T>(host.data(), rois.size(0), static_cast<T>(spatial_scale), 1, 1, 1, false, true, op);
}

Tensor roi_pool_cuda(const Tensor& input, const Tensor& rois_in, double spatial_scale, int64_t pooled_height,
                     int64_t pooled_width) {
  check_roi_inputs(input, rois_in, pooled_height, pooled_width, "roi_pool");
  Tensor output = allocate_image(input, rois_in.size(0), input.size(1), pooled_height, pooled_width,
                                 input.scalar_type(), false, true, "roi_pool", "output_size");
  const torch::stable::accelerator::DeviceGuard guard(input.get_device_index());
  const cudaStream_t stream = cuda::current_stream(input);
  const Tensor rois = torch::stable::contiguous(rois_in);
  const ImageGeometry g = image_geometry(input);
  const int64_t total = output.numel();
  constexpr int threads = 256;
  if (input.scalar_type() == ScalarType::Float) {
    check_pool_rois_cuda<float>(rois, g.n, spatial_scale, stream, "roi_pool");
    if (total == 0) return output;
    roi_pool_forward_kernel<float><<<cuda::blocks_for(total, threads), threads, 0, stream>>>(
        input.const_data_ptr<float>(), g, rois.const_data_ptr<float>(), total, static_cast<float>(spatial_scale),
        pooled_height, pooled_width, output.mutable_data_ptr<float>());
  } else {
    check_pool_rois_cuda<double>(rois, g.n, spatial_scale, stream, "roi_pool");
    if (total == 0) return output;
    roi_pool_forward_kernel<double><<<cuda::blocks_for(total, threads), threads, 0, stream>>>(
        input.const_data_ptr<double>(), g, rois.const_data_ptr<double>(), total, spatial_scale, pooled_height,
        pooled_width, output.mutable_data_ptr<double>());
  }
  cuda::check_launch("roi_pool");
  return output;
}

Tensor roi_pool_backward_cuda(const Tensor& grad, const Tensor& input, const Tensor& rois_in, double spatial_scale,
                              int64_t pooled_height, int64_t pooled_width) {
  check_roi_inputs(input, rois_in, pooled_height, pooled_width, "_roi_pool_backward");
  STD_TORCH_CHECK(grad.dim() == 4 && grad.size(0) == rois_in.size(0) && grad.size(1) == input.size(1) &&
                      grad.size(2) == pooled_height && grad.size(3) == pooled_width,
                  "triptych::_roi_pool_backward: grad must be (K, C, pooled_height, pooled_width)");
  STD_TORCH_CHECK(grad.scalar_type() == input.scalar_type() && grad.is_cuda() == input.is_cuda(),
                  "triptych::_roi_pool_backward: grad must have the dtype and device of input");
  const ImageGeometry g = image_geometry(input), gg = image_geometry(grad);
  Tensor grad_input = allocate_image(input, g.n, g.c, g.h, g.w, input.scalar_type(), false, true,
                                     "_roi_pool_backward", "input");
  const torch::stable::accelerator::DeviceGuard guard(input.get_device_index());
  const cudaStream_t stream = cuda::current_stream(input);
  const Tensor rois = torch::stable::contiguous(rois_in);
  cudaMemsetAsync(grad_input.mutable_data_ptr(), 0,
                  static_cast<size_t>(grad_input.numel()) * element_size(input.scalar_type()), stream);
  const int64_t total = grad.numel();
  constexpr int threads = 256;
  if (input.scalar_type() == ScalarType::Float) {
    check_pool_rois_cuda<float>(rois, g.n, spatial_scale, stream, "_roi_pool_backward");
    if (total == 0) return grad_input;
    roi_pool_backward_kernel<float><<<cuda::blocks_for(total, threads), threads, 0, stream>>>(
        grad.const_data_ptr<float>(), gg, input.const_data_ptr<float>(), g, rois.const_data_ptr<float>(), total,
        static_cast<float>(spatial_scale), pooled_height, pooled_width, grad_input.mutable_data_ptr<float>());
  } else {
    check_pool_rois_cuda<double>(rois, g.n, spatial_scale, stream, "_roi_pool_backward");
    if (total == 0) return grad_input;
    roi_pool_backward_kernel<double><<<cuda::blocks_for(total, threads), threads, 0, stream>>>(
        grad.const_data_ptr<double>(), gg, input.const_data_ptr<double>(), g, rois.const_data_ptr<double>(), total,
        spatial_scale, pooled_height, pooled_width, grad_input.mutable_data_ptr<double>());
  }
  cuda::check_launch("_roi_pool_backward");
  return grad_input;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("roi_pool", TORCH_BOX(&roi_pool_cuda));
  m.impl("_roi_pool_backward", TORCH_BOX(&roi_pool_backward_cuda));
}

}  // namespace triptych
