// Resampling filters shared by triptych::resize and triptych::resized_crop_flip_normalize,
// on the CPU and in CUDA kernels: the one definition of which source pixels an output pixel
// reads and with which weights.
//
// The weights reproduce torch's F.interpolate(..., align_corners=False) for each mode:
//   nearest            torch's legacy "nearest": src = floor(dst * in / out) (float math)
//   bilinear/bicubic   antialias=False: torch's upsample_{bilinear,bicubic}2d (bicubic a=-0.75,
//                      clamped border taps); antialias=True: the PIL-style filter whose support
//                      grows with the downscale factor (bicubic a=-0.5), normalised per output.
// The arithmetic mirrors torch's, including where it goes through double (window centres),
// so window bounds agree on the edge cases too.
//
// Every window is stored with the same number of taps per axis (`window_taps`): weights are
// zero-padded and the window start is moved left where needed so that
// start + taps <= in_size always holds. Consumers then loop over a fixed tap count with no
// bounds checks.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"

namespace triptych {
namespace resample {

enum Interp : int { kNearest = 0, kBilinear = 1, kBicubic = 2 };

// One axis of a resampling: `in_size` source pixels (the crop extent for a crop) to
// `out_size` output pixels.
struct Axis {
  int64_t in_size;
  int64_t out_size;
  int interp;
  bool antialias;
};

TRIPTYCH_HOST_DEVICE inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }
TRIPTYCH_HOST_DEVICE inline int64_t max_i64(int64_t a, int64_t b) { return a > b ? a : b; }

template <typename acc_t>
TRIPTYCH_HOST_DEVICE inline acc_t cubic_inner(acc_t x, acc_t a) {  // |x| < 1
  return ((a + 2) * x - (a + 3)) * x * x + 1;
}

template <typename acc_t>
TRIPTYCH_HOST_DEVICE inline acc_t cubic_outer(acc_t x, acc_t a) {  // 1 <= |x| < 2
  return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

template <typename acc_t>
TRIPTYCH_HOST_DEVICE inline acc_t antialias_filter(acc_t x, int interp) {
  x = x < 0 ? -x : x;
  if (interp == kBilinear) return x < 1 ? acc_t(1) - x : acc_t(0);
  const acc_t a = acc_t(-0.5);  // Keys' a = -0.5, as PIL and torch with antialias=True
  if (x < 1) return cubic_inner(x, a);
  if (x < 2) return cubic_outer(x, a);
  return acc_t(0);
}

// torch's area_pixel_compute_scale for align_corners=False without a scale factor, in the
// precision torch uses (float for float32/uint8 images, double for float64).
template <typename acc_t>
TRIPTYCH_HOST_DEVICE inline acc_t axis_scale(const Axis& axis) {
  return static_cast<acc_t>(axis.in_size) / static_cast<acc_t>(axis.out_size);
}

template <typename acc_t>
TRIPTYCH_HOST_DEVICE inline acc_t antialias_support(const Axis& axis) {
  const acc_t scale = axis_scale<acc_t>(axis);
  const int interp_size = axis.interp == kBilinear ? 2 : 4;
  return scale >= acc_t(1) ? static_cast<acc_t>((interp_size * 0.5) * scale)
                           : static_cast<acc_t>(interp_size * 0.5);
}

// The fixed number of taps every window of this axis fits in.
template <typename acc_t>
TRIPTYCH_HOST_DEVICE inline int64_t window_taps(const Axis& axis) {
  if (axis.interp == kNearest) return 1;
  if (!axis.antialias) return min_i64(axis.interp == kBilinear ? 2 : 4, axis.in_size);
  const int64_t widest = static_cast<int64_t>(ceil(antialias_support<acc_t>(axis))) * 2 + 1;
  return min_i64(widest, axis.in_size);
}

// Fills w[0 .. taps) for output index `i` and returns the first source index it reads.
// `taps` must be window_taps(axis).
template <typename acc_t>
TRIPTYCH_HOST_DEVICE inline int64_t compute_window(const Axis& axis, int64_t i, int64_t taps, acc_t* w) {
  const int64_t in = axis.in_size, out = axis.out_size;
  for (int64_t j = 0; j < taps; ++j) w[j] = acc_t(0);

  if (axis.interp == kNearest) {
    int64_t src;
    if (out == in) {
      src = i;
    } else if (out == 2 * in) {
      src = i >> 1;
    } else {
      const float scale = static_cast<float>(in) / static_cast<float>(out);
      src = min_i64(static_cast<int64_t>(floorf(static_cast<float>(i) * scale)), in - 1);
    }
    w[0] = acc_t(1);
    return src;
  }

  const acc_t scale = axis_scale<acc_t>(axis);
  if (axis.antialias) {
    // torch's _compute_indices_min_size_weights_aa; center and bounds go through double there.
    const acc_t support = antialias_support<acc_t>(axis);
    const acc_t center = static_cast<acc_t>(scale * (i + 0.5));
    const acc_t invscale = scale >= acc_t(1) ? static_cast<acc_t>(1.0 / scale) : acc_t(1);
    const int64_t widest = static_cast<int64_t>(ceil(support)) * 2 + 1;
    const int64_t xmin = max_i64(static_cast<int64_t>(static_cast<double>(center - support) + 0.5), 0);
    int64_t xsize = min_i64(static_cast<int64_t>(static_cast<double>(center + support) + 0.5), in) - xmin;
    xsize = max_i64(0, min_i64(xsize, min_i64(widest, taps)));
    const int64_t start = min_i64(xmin, in - taps);
    acc_t* wx = w + (xmin - start);
    acc_t total = acc_t(0);
    for (int64_t j = 0; j < xsize; ++j) {
      const acc_t arg = static_cast<acc_t>(
          (static_cast<double>(static_cast<acc_t>(j + xmin) - center) + 0.5) * static_cast<double>(invscale));
      const acc_t v = antialias_filter<acc_t>(arg, axis.interp);
      wx[j] = v;
      total += v;
    }
    if (total != acc_t(0)) {
      for (int64_t j = 0; j < xsize; ++j) wx[j] /= total;
    }
    return start;
  }

  if (axis.interp == kBilinear) {
    // torch's compute_source_index_and_lambda (linear, source index clamped at 0).
    if (out == in) {
      const int64_t start = min_i64(i, in - taps);
      w[i - start] = acc_t(1);
      return start;
    }
    acc_t real = scale * (static_cast<acc_t>(i) + acc_t(0.5)) - acc_t(0.5);
    if (real < acc_t(0)) real = acc_t(0);
    const int64_t i0 = min_i64(static_cast<int64_t>(floor(real)), in - 1);
    acc_t l1 = real - static_cast<acc_t>(i0);
    l1 = l1 < acc_t(0) ? acc_t(0) : (l1 > acc_t(1) ? acc_t(1) : l1);
    const acc_t l0 = acc_t(1) - l1;
    const int64_t start = min_i64(i0, in - taps);
    if (i0 < in - 1) {
      w[i0 - start] = l0;
      w[i0 + 1 - start] = l1;
    } else {
      w[i0 - start] = l0 + l1;  // both taps read the last pixel
    }
    return start;
  }

  // Bicubic without antialias: torch's upsample_bicubic2d, a = -0.75, taps idx-1 .. idx+2
  // clamped to the image; clamped taps are folded into the border weight.
  const acc_t real = scale * (static_cast<acc_t>(i) + acc_t(0.5)) - acc_t(0.5);
  const int64_t idx = min_i64(static_cast<int64_t>(floor(real)), in - 1);
  acc_t t = real - static_cast<acc_t>(idx);
  t = t < acc_t(0) ? acc_t(0) : (t > acc_t(1) ? acc_t(1) : t);
  const acc_t a = acc_t(-0.75);
  const acc_t x2 = static_cast<acc_t>(1.0 - t);
  acc_t coeffs[4];
  coeffs[0] = cubic_outer<acc_t>(static_cast<acc_t>(t + 1.0), a);
  coeffs[1] = cubic_inner<acc_t>(t, a);
  coeffs[2] = cubic_inner<acc_t>(x2, a);
  coeffs[3] = cubic_outer<acc_t>(static_cast<acc_t>(x2 + 1.0), a);
  const int64_t start = max_i64(0, min_i64(idx - 1, in - taps));
  for (int j = 0; j < 4; ++j) {
    const int64_t pos = max_i64(0, min_i64(idx - 1 + j, in - 1));
    w[pos - start] += coeffs[j];
  }
  return start;
}

// The run w[lo .. hi] of a window's weights between its first and last non-zero weight
// (lo = hi = 0 when all are zero). torch's tap bound (2 * ceil(support) + 1) is about one tap
// wider than any real window, so both the CPU tables and the CUDA windows trim to this run.
template <typename acc_t>
TRIPTYCH_HOST_DEVICE inline void nonzero_span(const acc_t* w, int64_t taps, int64_t& lo, int64_t& hi) {
  lo = 0;
  hi = taps - 1;
  while (lo < hi && w[lo] == acc_t(0)) ++lo;
  while (hi > lo && w[hi] == acc_t(0)) --hi;
}

}  // namespace resample
}  // namespace triptych
