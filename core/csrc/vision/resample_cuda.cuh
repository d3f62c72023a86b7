// CUDA side of the resampler shared by triptych::resize and
// triptych::resized_crop_flip_normalize: the filter weights come from vision/resample.h
// (the same __host__ __device__ code the CPU tables use), the loops are CUDA's own.
//
// Two launches per call, both on the current stream:
//   1. build_windows_kernel: one thread per (sample, output row or column) computes its
//      window into small device tables. Crops differ per sample, so the tables do too; for
//      resize there is a single table pair.
//   2. resample_kernel: one thread per output element, in the output's memory order so the
//      writes coalesce. It reads the (cropped, optionally flipped) source directly with
//      the separable weights — sum over rows of (sum over columns) — so no intermediate
//      image is needed, then applies the epilogue (uint8 rounding, or the per-channel
//      normalisation of the fused op, cuda::ChannelCoefficients).
// Indices are int64 throughout; every source read is clamped into the crop.
#pragma once

#include <type_traits>

#include "cuda_common.cuh"
#include "vision/resample.h"

namespace triptych {
namespace resample {

struct CropBox {
  int64_t top, left, height, width;
};

// Box n clamped into the image, so a bad box can never read out of bounds (the Python
// wrapper already rejects boxes outside the image; checking here would need a device sync).
__device__ inline CropBox load_box(const int64_t* boxes, int64_t n, int64_t height, int64_t width) {
  if (boxes == nullptr) return CropBox{0, 0, height, width};
  const int64_t* b = boxes + 4 * n;
  CropBox box;
  box.top = max_i64(0, min_i64(b[0], height - 1));
  box.left = max_i64(0, min_i64(b[1], width - 1));
  box.height = max_i64(1, min_i64(b[2], height - box.top));
  box.width = max_i64(1, min_i64(b[3], width - box.left));
  return box;
}

template <typename acc_t>
struct WindowTables {
  int64_t* start_y;  // [tables, out_h]
  int64_t* count_y;  // [tables, out_h]: taps actually used (<= taps_y)
  acc_t* weight_y;   // [tables, out_h, taps_y]
  int64_t* start_x;  // [tables, out_w]
  int64_t* count_x;  // [tables, out_w]
  acc_t* weight_x;   // [tables, out_w, taps_x]
  int64_t taps_y, taps_x;
};

// Drops the zero weights at both ends of a window (see nonzero_span): moves the weights to
// the front, returns the new start and the number of taps left in `count`.
template <typename acc_t>
__device__ inline int64_t trim_window(int64_t start, acc_t* w, int64_t taps, int64_t& count) {
  int64_t lo, hi;
  nonzero_span(w, taps, lo, hi);
  for (int64_t j = 0; j <= hi - lo; ++j) w[j] = w[j + lo];
  for (int64_t j = hi - lo + 1; j < taps; ++j) w[j] = acc_t(0);
  count = hi - lo + 1;
  return start + lo;
}

// Thread per (table, output index) over [tables * (out_h + out_w)).
template <typename acc_t>
__global__ void build_windows_kernel(
    WindowTables<acc_t> t, int64_t tables, const int64_t* boxes, const bool* flips, int64_t in_h,
    int64_t in_w, int64_t out_h, int64_t out_w, int interp, bool antialias) {
  const int64_t per_table = out_h + out_w;
  const int64_t total = tables * per_table;
  TRIPTYCH_GRID_STRIDE_LOOP(i, total) {
    const int64_t n = i / per_table, o = i % per_table;
    const CropBox box = load_box(boxes, n, in_h, in_w);
    if (o < out_h) {
      const Axis axis{box.height, out_h, interp, antialias};
      acc_t* w = t.weight_y + (n * out_h + o) * t.taps_y;
      const int64_t taps = window_taps<acc_t>(axis);  // <= t.taps_y: the crop is no taller than the image
      for (int64_t j = taps; j < t.taps_y; ++j) w[j] = acc_t(0);
      const int64_t start = compute_window<acc_t>(axis, o, taps, w);
      t.start_y[n * out_h + o] = trim_window<acc_t>(start, w, taps, t.count_y[n * out_h + o]);
    } else {
      const int64_t x = o - out_h;
      const Axis axis{box.width, out_w, interp, antialias};
      const bool flip = flips != nullptr && flips[n];
      acc_t* w = t.weight_x + (n * out_w + x) * t.taps_x;
      const int64_t taps = window_taps<acc_t>(axis);
      for (int64_t j = taps; j < t.taps_x; ++j) w[j] = acc_t(0);
      const int64_t start = compute_window<acc_t>(axis, flip ? out_w - 1 - x : x, taps, w);
      t.start_x[n * out_w + x] = trim_window<acc_t>(start, w, taps, t.count_x[n * out_w + x]);
    }
  }
}

struct ResampleShape {
  int64_t n, c, in_h, in_w, out_h, out_w;
  int64_t sn, sc, sh, sw;  // source strides (elements)
  int64_t dn, dc, dh, dw;  // output strides (elements)
  bool per_sample_tables;
  bool out_channels_last;
};

template <typename acc_t, typename out_t>
struct ConvertEpilogue {
  __device__ out_t operator()(acc_t v, int64_t) const {
    if constexpr (std::is_same<out_t, uint8_t>::value) {
      float r = rintf(static_cast<float>(v));  // half to even, as torch.round
      r = r < 0.f ? 0.f : (r > 255.f ? 255.f : r);
      return static_cast<uint8_t>(r);
    } else {
      return static_cast<out_t>(v);
    }
  }
};

template <typename in_t, typename acc_t, typename out_t, typename Epilogue>
__global__ void resample_kernel(
    const in_t* __restrict__ src, out_t* __restrict__ dst, ResampleShape s, const int64_t* __restrict__ boxes,
    WindowTables<acc_t> t, Epilogue epilogue) {
  const int64_t total = s.n * s.c * s.out_h * s.out_w;
  TRIPTYCH_GRID_STRIDE_LOOP(i, total) {
    int64_t n, c, y, x;
    if (s.out_channels_last) {
      c = i % s.c;
      x = (i / s.c) % s.out_w;
      y = (i / (s.c * s.out_w)) % s.out_h;
      n = i / (s.c * s.out_w * s.out_h);
    } else {
      x = i % s.out_w;
      y = (i / s.out_w) % s.out_h;
      c = (i / (s.out_w * s.out_h)) % s.c;
      n = i / (s.out_w * s.out_h * s.c);
    }
    const CropBox box = load_box(boxes, n, s.in_h, s.in_w);
    const int64_t table = s.per_sample_tables ? n : 0;
    const int64_t y_row = table * s.out_h + y, x_row = table * s.out_w + x;
    const int64_t y0 = t.start_y[y_row], x0 = t.start_x[x_row];
    const int64_t count_y = t.count_y[y_row], count_x = t.count_x[x_row];
    const acc_t* wy = t.weight_y + y_row * t.taps_y;
    const acc_t* wx = t.weight_x + x_row * t.taps_x;
    const in_t* plane = src + n * s.sn + c * s.sc + box.top * s.sh + box.left * s.sw;
    acc_t sum = acc_t(0);
    for (int64_t i_y = 0; i_y < count_y; ++i_y) {
      const acc_t w_row = wy[i_y];
      const in_t* row = plane + min_i64(y0 + i_y, box.height - 1) * s.sh;
      acc_t row_sum = acc_t(0);
      for (int64_t i_x = 0; i_x < count_x; ++i_x) {
        row_sum += wx[i_x] * static_cast<acc_t>(row[min_i64(x0 + i_x, box.width - 1) * s.sw]);
      }
      sum += w_row * row_sum;
    }
    dst[n * s.dn + c * s.dc + y * s.dh + x * s.dw] = epilogue(sum, c);
  }
}

// Allocates and fills the window tables on the image's device. `boxes`/`flips` are device
// pointers (null for a whole-image resize, where tables == 1). The tensors returned keep
// the storage alive until the caller's launches are queued (the caching allocator orders
// reuse on the stream).
template <typename acc_t>
struct DeviceTables {
  Tensor starts, weights;
  WindowTables<acc_t> view;
};

template <typename acc_t>
DeviceTables<acc_t> build_tables(
    const Tensor& like, int64_t tables, const int64_t* boxes, const bool* flips, int64_t in_h, int64_t in_w,
    int64_t out_h, int64_t out_w, int interp, bool antialias, cudaStream_t stream, const char* op) {
  // A crop is never larger than the image and the tap count grows with the input size, so
  // the whole image's tap count bounds every sample's.
  const int64_t taps_y = window_taps<acc_t>(Axis{in_h, out_h, interp, antialias});
  const int64_t taps_x = window_taps<acc_t>(Axis{in_w, out_w, interp, antialias});
  const ScalarType acc_type = std::is_same<acc_t, double>::value ? ScalarType::Double : ScalarType::Float;
  DeviceTables<acc_t> d;
  const std::vector<int64_t> starts_shape = {2 * tables * (out_h + out_w)};  // starts, then counts
  const std::vector<int64_t> weights_shape = {tables * (out_h * taps_y + out_w * taps_x)};
  d.starts = torch::stable::empty(starts_shape, ScalarType::Long, std::nullopt, like.device());
  d.weights = torch::stable::empty(weights_shape, acc_type, std::nullopt, like.device());
  int64_t* starts = d.starts.template mutable_data_ptr<int64_t>();
  acc_t* weights = d.weights.template mutable_data_ptr<acc_t>();
  const int64_t rows = tables * (out_h + out_w);
  d.view = WindowTables<acc_t>{starts, starts + rows, weights, starts + tables * out_h,
                               starts + rows + tables * out_h, weights + tables * out_h * taps_y, taps_y, taps_x};
  const int64_t total = tables * (out_h + out_w);
  build_windows_kernel<acc_t><<<cuda::blocks_for(total, 128), 128, 0, stream>>>(
      d.view, tables, boxes, flips, in_h, in_w, out_h, out_w, interp, antialias);
  cuda::check_launch(op);
  return d;
}

// A batch of crops (device-side boxes, optional device-side flips) resampled into `output`
// in two launches on `stream`: the per-sample windows, then one thread per output element
// with `epilogue` (uint8 rounding for resized_crop, the affine map for
// resized_crop_flip_normalize). Shared by both ops' CUDA kernels.
template <typename in_t, typename acc_t, typename out_t, typename Epilogue>
void resample_crops_cuda(const Tensor& input, const int64_t* boxes, const bool* flips, Tensor& output, int interp,
                         bool antialias, Epilogue epilogue, cudaStream_t stream, const char* op) {
  const ImageGeometry in = image_geometry(input);
  const ImageGeometry out = image_geometry(output);
  const DeviceTables<acc_t> tables = build_tables<acc_t>(
      input, in.n, boxes, flips, in.h, in.w, out.h, out.w, interp, antialias, stream, op);
  const ResampleShape shape{in.n, in.c, in.h, in.w, out.h, out.w, in.sn, in.sc, in.sh, in.sw,
                            out.sn, out.sc, out.sh, out.sw, /*per_sample_tables=*/true,
                            /*out_channels_last=*/out.c > 1 && out.sc == 1};
  const int64_t total = output.numel();
  resample_kernel<in_t, acc_t, out_t, Epilogue><<<cuda::blocks_for(total, 256), 256, 0, stream>>>(
      input.const_data_ptr<in_t>(), output.mutable_data_ptr<out_t>(), shape, boxes, tables.view, epilogue);
  cuda::check_launch(op);
}

}  // namespace resample
}  // namespace triptych
