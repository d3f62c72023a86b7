// triptych::roi_align, triptych::roi_pool and their backward ops — the argument checks and the
// per-roi geometry shared by the CPU and CUDA kernels (torchvision's semantics).
#pragma once

#include <cmath>

#include "common.h"

namespace triptych {

// input (N, C, H, W) float32/float64; rois (K, 5) of the same dtype and device, each row
// (batch index, x1, y1, x2, y2) with a batch index in [0, N); a positive output size.
inline void check_roi_inputs(const Tensor& input, const Tensor& rois, int64_t pooled_height, int64_t pooled_width,
                             const char* op) {
  STD_TORCH_CHECK(input.dim() == 4, "triptych::", op, ": input must be an (N, C, H, W) tensor, got ", input.dim(),
                  " dimensions");
  const ScalarType dtype = input.scalar_type();
  STD_TORCH_CHECK(dtype == ScalarType::Float || dtype == ScalarType::Double, "triptych::", op,
                  ": input must be float32 or float64");
  STD_TORCH_CHECK(input.size(2) > 0 && input.size(3) > 0, "triptych::", op,
                  ": input is empty (height or width 0)");
  STD_TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "triptych::", op,
                  ": rois must be a (K, 5) tensor of (batch index, x1, y1, x2, y2) rows");
  STD_TORCH_CHECK(rois.scalar_type() == dtype, "triptych::", op, ": rois must have the dtype of input");
  STD_TORCH_CHECK(rois.is_cuda() == input.is_cuda() && rois.get_device_index() == input.get_device_index(),
                  "triptych::", op, ": rois must be on the device of input");
  STD_TORCH_CHECK(pooled_height > 0 && pooled_width > 0, "triptych::", op,
                  ": output_size must be (height, width) of positive integers, got (", pooled_height, ", ",
                  pooled_width, ")");
}

// Checks every roi's batch index (on the host: `rois` must be CPU-readable) against `batch`.
template <typename T>
inline void check_roi_batch_indices(const T* rois, int64_t k, int64_t batch, const char* op) {
  for (int64_t i = 0; i < k; ++i) {
    const T b = rois[5 * i];
    STD_TORCH_CHECK(b >= T(0) && b < static_cast<T>(batch), "triptych::", op, ": roi ", i,
                    " has batch index ", static_cast<double>(b), ", outside [0, ", batch, ")");
  }
}

// Every roi's sampling grid below kMaxRoiGrid per axis (roi_align), or its scaled corners
// within +-2**40 pixels (roi_pool, which rounds them to integers). Host-readable rois.
template <typename T>
inline void check_roi_extents(const T* rois, int64_t k, T spatial_scale, int64_t pooled_height, int64_t pooled_width,
                              int64_t sampling_ratio, bool aligned, bool pool, const char* op);

// A backward op's arguments: grad (K, C, PH, PW) for K rois and the input's sizes.
inline void check_roi_backward(const Tensor& grad, const Tensor& rois, int64_t batch, int64_t channels,
                               int64_t height, int64_t width, const char* op) {
  STD_TORCH_CHECK(grad.dim() == 4 && grad.size(0) == rois.size(0), "triptych::", op,
                  ": grad must be a (K, C, PH, PW) tensor with one row per roi");
  STD_TORCH_CHECK(batch >= 0 && channels == grad.size(1) && height > 0 && width > 0, "triptych::", op,
                  ": the input size (", batch, ", ", channels, ", ", height, ", ", width,
                  ") does not match grad's channels or is empty");
}

// The sampling grid of one roi axis: sampling_ratio when positive, else ceil(extent / bins)
// (torchvision's adaptive grid); never negative. Refuses grids too large to loop over.
template <typename T>
TRIPTYCH_HOST_DEVICE inline int64_t roi_grid(int64_t sampling_ratio, T roi_extent, int64_t bins) {
  if (sampling_ratio > 0) return sampling_ratio;
  const double g = std::ceil(static_cast<double>(roi_extent) / static_cast<double>(bins));
  return g > 0 ? (g < 1e9 ? static_cast<int64_t>(g) : int64_t{1000000000}) : 0;
}

constexpr int64_t kMaxRoiGrid = 1 << 16;  // sampling points per bin and axis

// One roi's geometry in input pixels (torchvision's roi_align formulas).
template <typename T>
struct RoiAlignBox {
  T start_h, start_w, bin_h, bin_w;
  int64_t grid_h, grid_w, count;
};

template <typename T>
TRIPTYCH_HOST_DEVICE inline RoiAlignBox<T> roi_align_box(const T* roi, T spatial_scale, int64_t pooled_height,
                                                       int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
  const T offset = aligned ? T(0.5) : T(0);
  RoiAlignBox<T> box;
  box.start_w = roi[1] * spatial_scale - offset;
  box.start_h = roi[2] * spatial_scale - offset;
  T width = roi[3] * spatial_scale - offset - box.start_w;
  T height = roi[4] * spatial_scale - offset - box.start_h;
  if (!aligned) {  // torchvision: boxes smaller than one pixel are widened to one
    width = width > T(1) ? width : T(1);
    height = height > T(1) ? height : T(1);
  }
  box.bin_h = height / static_cast<T>(pooled_height);
  box.bin_w = width / static_cast<T>(pooled_width);
  box.grid_h = roi_grid<T>(sampling_ratio, height, pooled_height);
  box.grid_w = roi_grid<T>(sampling_ratio, width, pooled_width);
  const int64_t count = box.grid_h * box.grid_w;
  box.count = count > 1 ? count : 1;
  return box;
}

// The bilinear taps of one sampling coordinate v along an axis of `extent` pixels
// (torchvision's bilinear_interpolate): false when v lies outside [-1, extent] (the sample
// counts as 0); else low/high indices and their weights.
template <typename T>
TRIPTYCH_HOST_DEVICE inline bool roi_taps(T v, int64_t extent, int64_t& low, int64_t& high, T& w_low, T& w_high) {
  if (!(v >= T(-1) && v <= static_cast<T>(extent))) return false;  // NaN too
  if (v <= T(0)) v = T(0);
  low = static_cast<int64_t>(v);
  if (low >= extent - 1) {
    high = low = extent - 1;
    v = static_cast<T>(low);
  } else {
    high = low + 1;
  }
  w_high = v - static_cast<T>(low);
  w_low = T(1) - w_high;
  return true;
}

// roi_pool's bin of one roi (torchvision's formulas): [start, end) along one axis.
template <typename T>
TRIPTYCH_HOST_DEVICE inline void roi_pool_bin(T roi_start, T roi_end, T spatial_scale, int64_t bin, int64_t bins,
                                              int64_t extent, int64_t& start, int64_t& end) {
  const int64_t s = static_cast<int64_t>(std::round(roi_start * spatial_scale));
  const int64_t e = static_cast<int64_t>(std::round(roi_end * spatial_scale));
  const int64_t size = e - s + 1 > 1 ? e - s + 1 : 1;
  const T bin_size = static_cast<T>(size) / static_cast<T>(bins);
  int64_t lo = static_cast<int64_t>(std::floor(static_cast<T>(bin) * bin_size)) + s;
  int64_t hi = static_cast<int64_t>(std::ceil(static_cast<T>(bin + 1) * bin_size)) + s;
  start = lo < 0 ? 0 : (lo > extent ? extent : lo);
  end = hi < 0 ? 0 : (hi > extent ? extent : hi);
}

template <typename T>
inline void check_roi_extents(const T* rois, int64_t k, T spatial_scale, int64_t pooled_height, int64_t pooled_width,
                              int64_t sampling_ratio, bool aligned, bool pool, const char* op) {
  for (int64_t i = 0; i < k; ++i) {
    const T* roi = rois + 5 * i;
    if (pool) {
      for (int j = 1; j < 5; ++j) {
        const T v = roi[j] * spatial_scale;
        STD_TORCH_CHECK(v > T(-1099511627776.0) && v < T(1099511627776.0), "triptych::", op, ": roi ", i,
                        " has a coordinate ", static_cast<double>(roi[j]),
                        " outside +-2**40 pixels after spatial_scale (or not finite)");
      }
    } else {
      const RoiAlignBox<T> box = roi_align_box(roi, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned);
      STD_TORCH_CHECK(box.grid_h <= kMaxRoiGrid && box.grid_w <= kMaxRoiGrid, "triptych::", op, ": roi ", i,
                      " needs a ", box.grid_h, " x ", box.grid_w, " sampling grid per bin (at most ", kMaxRoiGrid,
                      " per axis): give a positive sampling_ratio or a smaller box");
    }
  }
}

}  // namespace triptych
