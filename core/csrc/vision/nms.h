// triptych::nms and triptych::batched_nms — argument checks shared by the CPU and CUDA kernels.
#pragma once

#include <cmath>
#include <limits>

#include "common.h"

namespace triptych {

// boxes (N, 4) float32/float64 in (x1, y1, x2, y2), scores (N,) of the same dtype and device;
// idxs (N,) int64 when given. N must fit in int32 (the kernels index ranks in 32 bits).
inline void check_nms_inputs(const Tensor& boxes, const Tensor& scores, const Tensor* idxs, const char* op) {
  STD_TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "triptych::", op,
                  ": boxes must be an (N, 4) tensor, got ", boxes.dim(), " dimensions",
                  boxes.dim() == 2 ? " with a last dimension other than 4" : "");
  const ScalarType dtype = boxes.scalar_type();
  STD_TORCH_CHECK(dtype == ScalarType::Float || dtype == ScalarType::Double, "triptych::", op,
                  ": boxes must be float32 or float64");
  STD_TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0), "triptych::", op,
                  ": scores must be an (N,) tensor with one score per box (N = ", boxes.size(0), ")");
  STD_TORCH_CHECK(scores.scalar_type() == dtype, "triptych::", op, ": scores must have the dtype of boxes");
  STD_TORCH_CHECK(scores.get_device_index() == boxes.get_device_index() &&
                      scores.is_cuda() == boxes.is_cuda(),
                  "triptych::", op, ": scores must be on the device of boxes");
  if (idxs != nullptr) {
    STD_TORCH_CHECK(idxs->dim() == 1 && idxs->size(0) == boxes.size(0), "triptych::", op,
                    ": idxs must be an (N,) tensor with one category per box (N = ", boxes.size(0), ")");
    STD_TORCH_CHECK(idxs->scalar_type() == ScalarType::Long, "triptych::", op, ": idxs must be int64");
    STD_TORCH_CHECK(idxs->get_device_index() == boxes.get_device_index() && idxs->is_cuda() == boxes.is_cuda(),
                    "triptych::", op, ": idxs must be on the device of boxes");
  }
  STD_TORCH_CHECK(boxes.size(0) < (int64_t{1} << 31), "triptych::", op, ": at most 2**31 - 1 boxes, got ",
                  boxes.size(0));
}

// The largest T not above `threshold`: for a T value v, `v > threshold` (compared in double,
// as torchvision does) holds exactly when `v > threshold_below<T>(threshold)`.
template <typename T>
inline T threshold_below(double threshold) {
  T t = static_cast<T>(threshold);
  if (static_cast<double>(t) > threshold) t = std::nextafter(t, -std::numeric_limits<T>::infinity());
  return t;
}

}  // namespace triptych
