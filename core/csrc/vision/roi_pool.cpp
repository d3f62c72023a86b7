// triptych::roi_pool and triptych::_roi_pool_backward — schemas and the CPU kernels.
//
// torchvision's RoIPool: each output bin is the maximum of the input over the bin's pixels
// (corners rounded to integers, an empty bin gives 0). The backward pass recomputes each
// bin's arg-max (the first maximum in row-major order, as torchvision's strict `>`) and adds
// the gradient there, so the forward op returns one tensor and stores no indices. Work is
// split by channel: each (batch, channel) plane of the gradient has one writer.
#include <algorithm>
#include <limits>
#include <vector>

#include "vision/roi_align.h"

namespace triptych {
namespace {

// Calls fn(bin_h0, bin_h1, bin_w0, bin_w1) for every (py, px) bin of roi `roi`.
template <typename T, typename Fn>
inline void for_each_bin(const T* roi, T scale, int64_t ph, int64_t pw, int64_t H, int64_t W, Fn&& fn) {
  for (int64_t py = 0; py < ph; ++py) {
    int64_t h0, h1;
    roi_pool_bin<T>(roi[2], roi[4], scale, py, ph, H, h0, h1);
    for (int64_t px = 0; px < pw; ++px) {
      int64_t w0, w1;
      roi_pool_bin<T>(roi[1], roi[3], scale, px, pw, W, w0, w1);
      fn(py, px, h0, h1, w0, w1);
    }
  }
}

// The arg-max (h * W + w) of a plane over [h0, h1) x [w0, w1), or -1 for an empty bin.
template <typename T>
inline int64_t bin_argmax(const T* plane, int64_t sh, int64_t sw, int64_t W, int64_t h0, int64_t h1, int64_t w0,
                          int64_t w1, T& value) {
  if (h1 <= h0 || w1 <= w0) {
    value = T(0);
    return -1;
  }
  T best = std::numeric_limits<T>::lowest();
  int64_t arg = -1;
  for (int64_t h = h0; h < h1; ++h) {
    for (int64_t w = w0; w < w1; ++w) {
      const T v = plane[h * sh + w * sw];
      if (v > best) {
        best = v;
        arg = h * W + w;
      }
    }
  }
  value = best;
  return arg;
}

template <typename T>
void roi_pool_forward_typed(const Tensor& input, const T* rois, int64_t k, T scale, int64_t ph, int64_t pw,
                            Tensor& output) {
  const ImageGeometry g = image_geometry(input);
  const T* src = input.const_data_ptr<T>();
  T* out = output.mutable_data_ptr<T>();
  torch::stable::parallel_for(0, k * g.c, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t i = item / g.c, c = item % g.c;
      const T* roi = rois + 5 * i;
      const T* plane = src + static_cast<int64_t>(roi[0]) * g.sn + c * g.sc;
      T* dst = out + item * ph * pw;
      for_each_bin<T>(roi, scale, ph, pw, g.h, g.w, [&](int64_t py, int64_t px, int64_t h0, int64_t h1, int64_t w0,
                                                        int64_t w1) {
        bin_argmax<T>(plane, g.sh, g.sw, g.w, h0, h1, w0, w1, dst[py * pw + px]);
      });
    }
  });
}

template <typename T>
void roi_pool_backward_typed(const Tensor& grad, const Tensor& input, const T* rois, int64_t k, T scale, int64_t ph,
                             int64_t pw, Tensor& grad_input) {
  const ImageGeometry g = image_geometry(input), gg = image_geometry(grad);
  const T* src = input.const_data_ptr<T>();
  const T* gsrc = grad.const_data_ptr<T>();
  T* dst = grad_input.mutable_data_ptr<T>();  // contiguous (N, C, H, W)
  std::fill(dst, dst + g.n * g.c * g.h * g.w, T(0));
  torch::stable::parallel_for(0, g.c, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      for (int64_t i = 0; i < k; ++i) {
        const T* roi = rois + 5 * i;
        const int64_t b = static_cast<int64_t>(roi[0]);
        const T* plane = src + b * g.sn + c * g.sc;
        T* gplane = dst + (b * g.c + c) * g.h * g.w;
        for_each_bin<T>(roi, scale, ph, pw, g.h, g.w, [&](int64_t py, int64_t px, int64_t h0, int64_t h1,
                                                          int64_t w0, int64_t w1) {
          T value;
          const int64_t arg = bin_argmax<T>(plane, g.sh, g.sw, g.w, h0, h1, w0, w1, value);
          if (arg >= 0) gplane[arg] += gsrc[i * gg.sn + c * gg.sc + py * gg.sh + px * gg.sw];
        });
      }
    }
  });
}

Tensor roi_pool_cpu(const Tensor& input, const Tensor& rois_in, double spatial_scale, int64_t pooled_height,
                    int64_t pooled_width) {
  Tensor output = roi_allocate_output(input, rois_in, pooled_height, pooled_width, "roi_pool");
  const Tensor rois = torch::stable::contiguous(rois_in);
  dispatch_roi_dtype(input.scalar_type(), [&](auto zero) {
    using T = decltype(zero);
    check_rois<T>(rois.const_data_ptr<T>(), rois.size(0), input.size(0), spatial_scale, 1, 1, 1, false, true,
                  "roi_pool");
    if (output.numel() == 0) return;
    roi_pool_forward_typed<T>(input, rois.const_data_ptr<T>(), rois.size(0), static_cast<T>(spatial_scale),
                              pooled_height, pooled_width, output);
  });
  return output;
}

Tensor roi_pool_backward_cpu(const Tensor& grad, const Tensor& input, const Tensor& rois_in, double spatial_scale,
                             int64_t pooled_height, int64_t pooled_width) {
  Tensor grad_input = roi_pool_backward_allocate(grad, input, rois_in, pooled_height, pooled_width);
  const Tensor rois = torch::stable::contiguous(rois_in);
  dispatch_roi_dtype(input.scalar_type(), [&](auto zero) {
    using T = decltype(zero);
    check_rois<T>(rois.const_data_ptr<T>(), rois.size(0), input.size(0), spatial_scale, 1, 1, 1, false, true,
                  "_roi_pool_backward");
    roi_pool_backward_typed<T>(grad, input, rois.const_data_ptr<T>(), rois.size(0), static_cast<T>(spatial_scale),
                               pooled_height, pooled_width, grad_input);
  });
  return grad_input;
}

}  // namespace

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("roi_pool(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width) -> Tensor");
  m.def(
      "_roi_pool_backward(Tensor grad, Tensor input, Tensor rois, float spatial_scale, int pooled_height, "
      "int pooled_width) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("roi_pool", TORCH_BOX(&roi_pool_cpu));
  m.impl("_roi_pool_backward", TORCH_BOX(&roi_pool_backward_cpu));
}

}  // namespace triptych
