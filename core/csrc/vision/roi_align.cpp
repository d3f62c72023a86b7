// triptych::roi_align and triptych::_roi_align_backward — schemas and the CPU kernels.
//
// torchvision's RoIAlign: each output bin averages a grid of bilinear samples of the input.
// The bilinear weights of a sample grid are separable, so one bin is
//   out[c] = sum_rows sum_cols Wy[row] * Wx[col] * input[b, c, row, col]
// with Wy (Wx) the summed taps of the grid's y (x) samples along that axis — a few distinct
// rows and columns instead of 4 taps per sample. The input is read channels-last (a copy when
// it is not), so every tap is one contiguous, vectorised pass over the channels; the backward
// pass scatters the same taps into a channels-last gradient and each thread owns a block of
// channels, so there are no races. Tap weights are computed once per roi, not per channel.
#include "vision/roi_align.h"

#include <algorithm>
#include <vector>

namespace triptych {
namespace {

// Taps of one roi along one axis: bin p uses taps [offset[p], offset[p + 1]).
template <typename T>
struct AxisTaps {
  std::vector<int64_t> index;
  std::vector<T> weight;
  std::vector<int64_t> offset;
};

template <typename T>
void axis_taps(T start, T bin_size, int64_t bins, int64_t grid, int64_t extent, T scale, AxisTaps<T>& out) {
  out.offset.push_back(static_cast<int64_t>(out.index.size()));
  for (int64_t p = 0; p < bins; ++p) {
    const size_t first = out.index.size();
    for (int64_t s = 0; s < grid; ++s) {
      const T v = roi_sample(start, p, bin_size, s, grid);
      int64_t low, high;
      T w_low, w_high;
      if (!roi_taps(v, extent, low, high, w_low, w_high)) continue;
      for (const auto& [index, weight] : {std::pair<int64_t, T>{low, w_low}, std::pair<int64_t, T>{high, w_high}}) {
        if (out.index.size() > first && out.index.back() == index) {
          out.weight.back() += weight * scale;
        } else {
          out.index.push_back(index);
          out.weight.push_back(weight * scale);
        }
      }
    }
    out.offset.push_back(static_cast<int64_t>(out.index.size()));
  }
}

// Rows (with 1/count folded in) and columns of every roi.
template <typename T>
struct RoiTaps {
  std::vector<AxisTaps<T>> y, x;
  std::vector<int64_t> batch;
};

template <typename T>
RoiTaps<T> roi_taps_all(const T* rois, int64_t k, T spatial_scale, int64_t ph, int64_t pw, int64_t sampling_ratio,
                        bool aligned, int64_t height, int64_t width) {
  RoiTaps<T> taps;
  taps.y.resize(k);
  taps.x.resize(k);
  taps.batch.resize(k);
  for (int64_t i = 0; i < k; ++i) {
    const RoiAlignBox<T> box = roi_align_box(rois + 5 * i, spatial_scale, ph, pw, sampling_ratio, aligned);
    taps.batch[i] = static_cast<int64_t>(rois[5 * i]);
    axis_taps<T>(box.start_h, box.bin_h, ph, box.grid_h, height, T(1) / static_cast<T>(box.count), taps.y[i]);
    axis_taps<T>(box.start_w, box.bin_w, pw, box.grid_w, width, T(1), taps.x[i]);
  }
  return taps;
}

template <typename T>
TRIPTYCH_MULTIVERSION void axpy(T* __restrict__ acc, const T* __restrict__ src, T w, int64_t len) {
  for (int64_t i = 0; i < len; ++i) acc[i] += w * src[i];
}

// The input as channels-last memory: returns the tensor to read and its (n, h, w) strides
// (channel stride 1).
Tensor channels_last_input(const Tensor& input, int64_t& sn, int64_t& sh, int64_t& sw) {
  const int64_t C = input.size(1), H = input.size(2), W = input.size(3);
  if (input.stride(1) == 1 && input.stride(3) == C && input.stride(2) == C * W) {
    sn = input.stride(0);
    sh = input.stride(2);
    sw = input.stride(3);
    return input;
  }
  Tensor nhwc = torch::stable::empty({input.size(0), H, W, C}, input.scalar_type(), std::nullopt, input.device());
  sn = H * W * C;
  sh = W * C;
  sw = C;
  const ImageGeometry g = image_geometry(input);
  const int64_t n_planes = g.n * g.c;
  auto copy = [&](auto* dst, const auto* src) {
    torch::stable::parallel_for(0, n_planes, 1, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const int64_t n = p / C, c = p % C;
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) dst[n * sn + h * sh + w * sw + c] = src[n * g.sn + c * g.sc + h * g.sh + w * g.sw];
      }
    });
  };
  if (input.scalar_type() == ScalarType::Float) {
    copy(nhwc.mutable_data_ptr<float>(), input.const_data_ptr<float>());
  } else {
    copy(nhwc.mutable_data_ptr<double>(), input.const_data_ptr<double>());
  }
  return nhwc;
}

constexpr int64_t kChannelBlock = 64;

template <typename T>
void roi_align_forward_typed(const Tensor& input, const T* rois, int64_t k, T spatial_scale, int64_t ph, int64_t pw,
                             int64_t sampling_ratio, bool aligned, Tensor& output) {
  const int64_t C = input.size(1), H = input.size(2), W = input.size(3);
  const RoiTaps<T> taps = roi_taps_all(rois, k, spatial_scale, ph, pw, sampling_ratio, aligned, H, W);
  int64_t sn, sh, sw;
  const Tensor src_t = channels_last_input(input, sn, sh, sw);
  const T* src = src_t.const_data_ptr<T>();
  T* out = output.mutable_data_ptr<T>();
  const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
  // Work items: (roi, channel block); each writes its own outputs.
  torch::stable::parallel_for(0, k * blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> acc(kChannelBlock);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t i = item / blocks, c0 = (item % blocks) * kChannelBlock, len = std::min(kChannelBlock, C - c0);
      const AxisTaps<T>& ty = taps.y[i];
      const AxisTaps<T>& tx = taps.x[i];
      const T* base = src + taps.batch[i] * sn + c0;
      for (int64_t py = 0; py < ph; ++py) {
        for (int64_t px = 0; px < pw; ++px) {
          std::fill(acc.begin(), acc.begin() + len, T(0));
          for (int64_t a = ty.offset[py]; a < ty.offset[py + 1]; ++a) {
            const T* row = base + ty.index[a] * sh;
            for (int64_t b = tx.offset[px]; b < tx.offset[px + 1]; ++b) {
              axpy<T>(acc.data(), row + tx.index[b] * sw, ty.weight[a] * tx.weight[b], len);
            }
          }
          T* dst = out + ((i * C + c0) * ph + py) * pw + px;
          for (int64_t c = 0; c < len; ++c) dst[c * ph * pw] = acc[c];
        }
      }
    }
  });
}

template <typename T>
void roi_align_backward_typed(const Tensor& grad, const T* rois, int64_t k, T spatial_scale, int64_t ph, int64_t pw,
                              int64_t sampling_ratio, bool aligned, int64_t N, int64_t C, int64_t H, int64_t W,
                              Tensor& grad_input) {
  const RoiTaps<T> taps = roi_taps_all(rois, k, spatial_scale, ph, pw, sampling_ratio, aligned, H, W);
  // Channels-last accumulator, zeroed; then transposed into the NCHW result.
  std::vector<T> acc(static_cast<size_t>(N * H * W * C), T(0));
  const ImageGeometry g = image_geometry(grad);  // (K, C, PH, PW)
  const T* gsrc = grad.const_data_ptr<T>();
  const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
  torch::stable::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> gvec(kChannelBlock);
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t c0 = blk * kChannelBlock, len = std::min(kChannelBlock, C - c0);
      for (int64_t i = 0; i < k; ++i) {
        const AxisTaps<T>& ty = taps.y[i];
        const AxisTaps<T>& tx = taps.x[i];
        T* base = acc.data() + taps.batch[i] * H * W * C + c0;
        for (int64_t py = 0; py < ph; ++py) {
          for (int64_t px = 0; px < pw; ++px) {
            const T* gp = gsrc + i * g.sn + c0 * g.sc + py * g.sh + px * g.sw;
            for (int64_t c = 0; c < len; ++c) gvec[c] = gp[c * g.sc];
            for (int64_t a = ty.offset[py]; a < ty.offset[py + 1]; ++a) {
              T* row = base + ty.index[a] * W * C;
              for (int64_t b = tx.offset[px]; b < tx.offset[px + 1]; ++b) {
                axpy<T>(row + tx.index[b] * C, gvec.data(), ty.weight[a] * tx.weight[b], len);
              }
            }
          }
        }
      }
    }
  });
  T* dst = grad_input.mutable_data_ptr<T>();
  torch::stable::parallel_for(0, N * C, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const int64_t n = p / C, c = p % C;
      const T* s = acc.data() + n * H * W * C + c;
      T* d = dst + p * H * W;
      for (int64_t q = 0; q < H * W; ++q) d[q] = s[q * C];
    }
  });
}

Tensor roi_align_cpu(const Tensor& input, const Tensor& rois_in, double spatial_scale, int64_t pooled_height,
                     int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
  Tensor output = roi_allocate_output(input, rois_in, pooled_height, pooled_width, "roi_align");
  const Tensor rois = torch::stable::contiguous(rois_in);
  dispatch_roi_dtype(input.scalar_type(), [&](auto zero) {
    using T = decltype(zero);
    check_rois<T>(rois.const_data_ptr<T>(), rois.size(0), input.size(0), spatial_scale, pooled_height, pooled_width,
                  sampling_ratio, aligned, false, "roi_align");
    if (output.numel() == 0) return;
    roi_align_forward_typed<T>(input, rois.const_data_ptr<T>(), rois.size(0), static_cast<T>(spatial_scale),
                               pooled_height, pooled_width, sampling_ratio, aligned, output);
  });
  return output;
}

Tensor roi_align_backward_cpu(const Tensor& grad, const Tensor& rois_in, double spatial_scale, int64_t pooled_height,
                              int64_t pooled_width, int64_t batch_size, int64_t channels, int64_t height,
                              int64_t width, int64_t sampling_ratio, bool aligned) {
  Tensor grad_input = roi_align_backward_allocate(grad, rois_in, pooled_height, pooled_width, batch_size, channels,
                                                  height, width);
  const Tensor rois = torch::stable::contiguous(rois_in);
  dispatch_roi_dtype(grad.scalar_type(), [&](auto zero) {
    using T = decltype(zero);
    check_rois<T>(rois.const_data_ptr<T>(), rois.size(0), batch_size, spatial_scale, pooled_height, pooled_width,
                  sampling_ratio, aligned, false, "_roi_align_backward");
    roi_align_backward_typed<T>(grad, rois.const_data_ptr<T>(), rois.size(0), static_cast<T>(spatial_scale),
                                pooled_height, pooled_width, sampling_ratio, aligned, batch_size, channels, height,
                                width, grad_input);
  });
  return grad_input;
}

}  // namespace

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def(
      "roi_align(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width, "
      "int sampling_ratio, bool aligned) -> Tensor");
  m.def(
      "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, int pooled_height, int pooled_width, "
      "int batch_size, int channels, int height, int width, int sampling_ratio, bool aligned) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("roi_align", TORCH_BOX(&roi_align_cpu));
  m.impl("_roi_align_backward", TORCH_BOX(&roi_align_backward_cpu));
}

}  // namespace triptych
