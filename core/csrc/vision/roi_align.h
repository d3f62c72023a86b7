// triptych::roi_align, triptych::roi_pool and their backward ops — the argument checks, output
// allocation and per-roi geometry shared by the CPU and CUDA kernels (torchvision's semantics).
#pragma once

#include <cmath>

#include "common.h"

namespace triptych {

// input (N, C, H, W) float32/float64, non-empty in H and W; rois (K, 5) of the same dtype and
// device, rows (batch index, x1, y1, x2, y2); a positive output size.
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

// Calls fn(T{}) with T = float or double, the dtype of a roi op's (checked) input.
template <typename Fn>
inline void dispatch_roi_dtype(ScalarType dtype, Fn&& fn) {
  if (dtype == ScalarType::Float) {
    fn(float{});
  } else {
    fn(double{});
  }
}

// roi_align / roi_pool: every argument checked, then the uninitialised (K, C, PH, PW) output.
inline Tensor roi_allocate_output(const Tensor& input, const Tensor& rois, int64_t pooled_height,
                                  int64_t pooled_width, const char* op) {
  check_roi_inputs(input, rois, pooled_height, pooled_width, op);
  return allocate_image(input, rois.size(0), input.size(1), pooled_height, pooled_width, input.scalar_type(), false,
                        true, op, "output_size");
}

// _roi_align_backward: every argument checked, then the uninitialised (N, C, H, W) gradient.
inline Tensor roi_align_backward_allocate(const Tensor& grad, const Tensor& rois, int64_t pooled_height,
                                          int64_t pooled_width, int64_t batch, int64_t channels, int64_t height,
                                          int64_t width) {
  const char* op = "_roi_align_backward";
  check_roi_inputs(grad, rois, pooled_height, pooled_width, op);
  STD_TORCH_CHECK(grad.size(0) == rois.size(0) && grad.size(2) == pooled_height && grad.size(3) == pooled_width,
                  "triptych::", op, ": grad must be (K, C, pooled_height, pooled_width) with one row per roi");
  STD_TORCH_CHECK(batch >= 0 && channels == grad.size(1) && height > 0 && width > 0, "triptych::", op,
                  ": the input size (", batch, ", ", channels, ", ", height, ", ", width,
                  ") does not match grad's channels or is empty");
  return allocate_image(grad, batch, channels, height, width, grad.scalar_type(), false, true, op, "the input size");
}

// _roi_pool_backward: every argument checked, then the uninitialised gradient of `input`.
inline Tensor roi_pool_backward_allocate(const Tensor& grad, const Tensor& input, const Tensor& rois,
                                         int64_t pooled_height, int64_t pooled_width) {
  const char* op = "_roi_pool_backward";
  check_roi_inputs(input, rois, pooled_height, pooled_width, op);
  STD_TORCH_CHECK(grad.dim() == 4 && grad.size(0) == rois.size(0) && grad.size(1) == input.size(1) &&
                      grad.size(2) == pooled_height && grad.size(3) == pooled_width,
                  "triptych::", op, ": grad must be (K, C, pooled_height, pooled_width)");
  STD_TORCH_CHECK(grad.scalar_type() == input.scalar_type() && grad.is_cuda() == input.is_cuda(), "triptych::", op,
                  ": grad must have the dtype and device of input");
  return allocate_image(input, input.size(0), input.size(1), input.size(2), input.size(3), input.scalar_type(), false,
                        true, op, "input");
}

// The sampling grid of one roi axis: sampling_ratio when positive, else ceil(extent / bins)
// (torchvision's adaptive grid); never negative; capped (check_rois refuses large grids).
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

// Sample s of bin p along one axis: torchvision's start + p * bin + (s + .5) * bin / grid.
template <typename T>
TRIPTYCH_HOST_DEVICE inline T roi_sample(T start, int64_t p, T bin_size, int64_t s, int64_t grid) {
  return start + static_cast<T>(p) * bin_size +
         static_cast<T>(static_cast<float>(s) + .5f) * bin_size / static_cast<T>(grid);
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
  const int64_t lo = static_cast<int64_t>(std::floor(static_cast<T>(bin) * bin_size)) + s;
  const int64_t hi = static_cast<int64_t>(std::ceil(static_cast<T>(bin + 1) * bin_size)) + s;
  start = lo < 0 ? 0 : (lo > extent ? extent : lo);
  end = hi < 0 ? 0 : (hi > extent ? extent : hi);
}

// Every roi of host-readable `rois` (K rows): a batch index in [0, batch), and its sampling
// grid below kMaxRoiGrid per axis (roi_align: pool = false) or its scaled corners within
// +-2**40 pixels (roi_pool, which rounds them to integers).
template <typename T>
inline void check_rois(const T* rois, int64_t k, int64_t batch, double spatial_scale, int64_t pooled_height,
                       int64_t pooled_width, int64_t sampling_ratio, bool aligned, bool pool, const char* op) {
  const T scale = static_cast<T>(spatial_scale);
  for (int64_t i = 0; i < k; ++i) {
    const T* roi = rois + 5 * i;
    STD_TORCH_CHECK(roi[0] >= T(0) && roi[0] < static_cast<T>(batch), "triptych::", op, ": roi ", i,
                    " has batch index ", static_cast<double>(roi[0]), ", outside [0, ", batch, ")");
    if (pool) {
      for (int j = 1; j < 5; ++j) {
        const T v = roi[j] * scale;
        STD_TORCH_CHECK(v > T(-1099511627776.0) && v < T(1099511627776.0), "triptych::", op, ": roi ", i,
                        " has a coordinate ", static_cast<double>(roi[j]),
                        " outside +-2**40 pixels after spatial_scale (or not finite)");
      }
    } else {
      const RoiAlignBox<T> box = roi_align_box(roi, scale, pooled_height, pooled_width, sampling_ratio, aligned);
      STD_TORCH_CHECK(box.grid_h <= kMaxRoiGrid && box.grid_w <= kMaxRoiGrid, "triptych::", op, ": roi ", i,
                      " needs a ", box.grid_h, " x ", box.grid_w, " sampling grid per bin (at most ", kMaxRoiGrid,
                      " per axis): give a positive sampling_ratio or a smaller box");
    }
  }
}

}  // namespace triptych
