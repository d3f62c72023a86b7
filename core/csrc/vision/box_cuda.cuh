// What the detection-op CUDA kernels (nms, box_iou, roi_align, roi_pool) share: arithmetic
// that is never contracted into a multiply-add (so an IoU equals the CPU kernel's bit for
// bit), and a host copy of a small device tensor (the rois, for the same checks as on the CPU).
#pragma once

#include <vector>

#include "cuda_common.cuh"

namespace triptych {
namespace cuda {

__device__ inline float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ inline double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ inline float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ inline double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ inline float sub_rn(float a, float b) { return __fsub_rn(a, b); }
__device__ inline double sub_rn(double a, double b) { return __dsub_rn(a, b); }
__device__ inline float div_rn(float a, float b) { return __fdiv_rn(a, b); }
__device__ inline double div_rn(double a, double b) { return __ddiv_rn(a, b); }

// (x2 - x1) * (y2 - y1) of an (x1, y1, x2, y2) box, uncontracted.
template <typename T>
__device__ inline T box_area_rn(const T* b) {
  return mul_rn(sub_rn(b[2], b[0]), sub_rn(b[3], b[1]));
}

// The contents of a contiguous device tensor, copied to the host on `stream`.
template <typename T>
inline std::vector<T> to_host(const Tensor& t, cudaStream_t stream, const char* op) {
  std::vector<T> host(static_cast<size_t>(t.numel()));
  if (!host.empty()) {
    cudaMemcpyAsync(host.data(), t.const_data_ptr<T>(), host.size() * sizeof(T), cudaMemcpyDeviceToHost, stream);
    STD_TORCH_CHECK(cudaStreamSynchronize(stream) == cudaSuccess, "triptych::", op, ": a device-to-host copy failed");
  }
  return host;
}

}  // namespace cuda
}  // namespace triptych
