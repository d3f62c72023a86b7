// A batch of crops through the CPU resampler, shared by triptych::resized_crop and
// triptych::resized_crop_flip_normalize: per-sample filter tables on each crop's extent, the
// source read through an offset view (no cropped copy), an optional horizontal flip per
// sample (reversed column windows). Boxes must have passed check_boxes_inside. The filter
// tables come from the per-thread cache (cached_axis_table).
#pragma once

#include <vector>

#include "vision/resample_fixed_cpu.h"

namespace triptych {
namespace resample {
namespace {

// store(n, c0, channels, lanes, y, row) and planar_of as for resample_images; `flips` may be null.
template <typename in_t, typename acc_t, typename Store, typename PlanarOf = NoPlanarOutput>
void resample_crops(const Tensor& input, const int64_t* boxes, const bool* flips, int64_t out_h, int64_t out_w,
                    int interp, bool antialias, Store&& store, PlanarOf&& planar_of = PlanarOf{}) {
  const ImageGeometry in = image_geometry(input);
  std::vector<std::shared_ptr<const AxisTable<acc_t>>> ty(in.n), tx(in.n);
  for (int64_t n = 0; n < in.n; ++n) {
    const int64_t h = boxes[4 * n + 2], w = boxes[4 * n + 3];
    ty[n] = cached_axis_table<acc_t>(Axis{h, out_h, interp, antialias});
    tx[n] = cached_axis_table<acc_t>(Axis{w, out_w, interp, antialias}, flips != nullptr && flips[n]);
  }
  const in_t* src = input.const_data_ptr<in_t>();
  const auto view_of = [&](int64_t n) {
    const int64_t top = boxes[4 * n], left = boxes[4 * n + 1];
    return ImageView<in_t>{src + n * in.sn + top * in.sh + left * in.sw, ty[n]->in_size, tx[n]->in_size,
                           in.c, in.sh, in.sw, in.sc};
  };
  resample_images<in_t, acc_t>(
      in.n, out_h, out_w, view_of,
      [&](int64_t n, const AxisTable<acc_t>*& y, const AxisTable<acc_t>*& x) {
        y = ty[n].get();
        x = tx[n].get();
      },
      store, planar_of);
}

// The same for uint8 -> uint8 in fixed point (resample_fixed_cpu.h): false, and nothing
// done, where fixed_supported refuses the layout. store(n, c0, channels, lanes, y, row) gets
// uint8 rows as for resample_images_fixed.
template <typename Store>
bool resample_crops_fixed(const Tensor& input, const int64_t* boxes, int64_t out_h, int64_t out_w, int interp,
                          bool antialias, Store&& store) {
  const ImageGeometry in = image_geometry(input);
  const uint8_t* src = input.const_data_ptr<uint8_t>();
  const auto view_of = [&](int64_t n) {
    return ImageView<uint8_t>{src + n * in.sn + boxes[4 * n] * in.sh + boxes[4 * n + 1] * in.sw,
                              boxes[4 * n + 2], boxes[4 * n + 3], in.c, in.sh, in.sw, in.sc};
  };
  if (in.n == 0 || !fixed_supported(view_of(0))) return false;
  std::vector<FixedPlan> plans(in.n);
  for (int64_t n = 0; n < in.n; ++n) {
    plans[n] = make_fixed_plan(*cached_axis_table<float>(Axis{boxes[4 * n + 2], out_h, interp, antialias}),
                               *cached_axis_table<float>(Axis{boxes[4 * n + 3], out_w, interp, antialias}), view_of(n));
  }
  resample_images_fixed(
      in.n, out_h, out_w, view_of, [&](int64_t n) -> const FixedPlan& { return plans[n]; },
      store);
  return true;
}

}  // namespace
}  // namespace resample
}  // namespace triptych
