// triptych::box_iou — argument checks shared by the CPU and CUDA kernels.
#pragma once

#include "common.h"

namespace triptych {

// boxes1 (N, 4) and boxes2 (M, 4), float32 or float64, same dtype and device; returns the
// uninitialised (N, M) output.
inline Tensor box_iou_allocate_output(const Tensor& boxes1, const Tensor& boxes2) {
  STD_TORCH_CHECK(boxes1.dim() == 2 && boxes1.size(1) == 4, "triptych::box_iou: boxes1 must be an (N, 4) tensor");
  STD_TORCH_CHECK(boxes2.dim() == 2 && boxes2.size(1) == 4, "triptych::box_iou: boxes2 must be an (M, 4) tensor");
  const ScalarType dtype = boxes1.scalar_type();
  STD_TORCH_CHECK(dtype == ScalarType::Float || dtype == ScalarType::Double,
                  "triptych::box_iou: boxes1 must be float32 or float64");
  STD_TORCH_CHECK(boxes2.scalar_type() == dtype, "triptych::box_iou: boxes2 must have the dtype of boxes1");
  STD_TORCH_CHECK(boxes2.is_cuda() == boxes1.is_cuda() && boxes2.get_device_index() == boxes1.get_device_index(),
                  "triptych::box_iou: boxes2 must be on the device of boxes1");
  const int64_t n = boxes1.size(0), m = boxes2.size(0);
  int64_t bytes = element_size(dtype);
  STD_TORCH_CHECK(!__builtin_mul_overflow(bytes, n, &bytes) && !__builtin_mul_overflow(bytes, m, &bytes),
                  "triptych::box_iou: an output (", n, ", ", m, ") is too large to address");
  try {
    return torch::stable::empty({n, m}, dtype, std::nullopt, boxes1.device());
  } catch (const std::exception&) {
    STD_TORCH_CHECK(false, "triptych::box_iou: an output (", n, ", ", m, ") of ", bytes,
                    " bytes cannot be allocated");
  }
  return Tensor();  // not reached
}

// max(v, 0) as torch's clamp(min=0): NaN stays NaN.
template <typename T>
TRIPTYCH_HOST_DEVICE inline T clamp_min0(T v) {
  return v < T(0) ? T(0) : v;
}

}  // namespace triptych
