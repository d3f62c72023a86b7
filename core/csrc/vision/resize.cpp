// triptych::resize — schema, shared argument handling and the CPU kernel.
//
// resize(image, size=(h, w), interpolation, antialias): torch's
// F.interpolate(image, size, mode, align_corners=False, antialias) for uint8 (rounded and
// saturated), float32 and float64 images, (C, H, W) or (N, C, H, W), contiguous or
// channels-last memory (an HWC image is passed as its CHW permuted view); the output keeps
// the input's memory format. Separable filtering with weights computed once per output
// row and column (vision/resample.h), passes in vision/resample_cpu.h (uint8 in the fixed
// point of vision/resample_fixed_cpu.h).
#include "vision/resize.h"

#include <algorithm>

#include "vision/resample_fixed_cpu.h"

namespace triptych {

int parse_interpolation(const std::string& interpolation, const char* op) {
  if (interpolation == "nearest") return resample::kNearest;
  if (interpolation == "bilinear") return resample::kBilinear;
  if (interpolation == "bicubic") return resample::kBicubic;
  STD_TORCH_CHECK(false, "triptych::", op, ": interpolation must be one of nearest, bilinear, bicubic, got '",
                  interpolation, "'");
  return -1;
}

namespace {

// torch's rule for "dense in this dimension order" (innermost first): sizes of 1 are skipped.
bool dense_in_order(const Tensor& t, std::initializer_list<int64_t> inner_to_outer) {
  int64_t expected = 1;
  for (const int64_t d : inner_to_outer) {
    const int64_t size = t.size(d);
    if (size == 1) continue;
    if (t.stride(d) != expected) return false;
    expected *= size;
  }
  return true;
}

}  // namespace

bool image_is_channels_last(const Tensor& image) {
  if (image.dim() == 4) {
    return image.size(1) > 1 && !image.is_contiguous() && dense_in_order(image, {1, 3, 2, 0});
  }
  return image.size(0) > 1 && !image.is_contiguous() && dense_in_order(image, {0, 2, 1});
}

Tensor resize_allocate_output(
    const Tensor& image, const std::vector<int64_t>& size, const std::string& interpolation) {
  check_image(image, "resize");
  check_output_size(size, "resize");
  parse_interpolation(interpolation, "resize");
  const ImageGeometry g = image_geometry(image);
  return allocate_image(image, g.n, g.c, size[0], size[1], image.scalar_type(),
                        image_is_channels_last(image), image.dim() == 4, "resize", "size");
}

namespace {

template <typename in_t, typename acc_t>
void resize_cpu_typed(const Tensor& input, Tensor& output, int interp, bool antialias) {
  using namespace resample;
  const ImageGeometry in = image_geometry(input);
  const ImageGeometry out = image_geometry(output);
  const Axis ay{in.h, out.h, interp, antialias}, ax{in.w, out.w, interp, antialias};
  const in_t* src = input.const_data_ptr<in_t>();
  in_t* dst = output.mutable_data_ptr<in_t>();
  const auto view_of = [&](int64_t n) {
    return ImageView<in_t>{src + n * in.sn, in.h, in.w, in.c, in.sh, in.sw, in.sc};
  };
  if constexpr (std::is_same<in_t, uint8_t>::value) {
    if (fixed_supported(view_of(0))) {  // uint8 -> uint8 in fixed point
      const std::shared_ptr<const FixedPlan> plan = cached_fixed_plan(ay, ax, view_of(0));
      resample_images_fixed(
          in.n, out.h, out.w, view_of, [&](int64_t) -> const FixedPlan& { return *plan; },
          [&](int64_t n, int64_t c0, int64_t channels, int64_t lanes, int64_t y, const uint8_t* row) {
            store_u8(row, out.w, channels, lanes, dst + n * out.sn + c0 * out.sc + y * out.sh, out.sw, out.sc);
          });
      return;
    }
  }
  const std::shared_ptr<const AxisTable<acc_t>> ty = cached_axis_table<acc_t>(ay);
  const std::shared_ptr<const AxisTable<acc_t>> tx = cached_axis_table<acc_t>(ax);
  resample_images<in_t, acc_t>(
      in.n, out.h, out.w, view_of,
      [&](int64_t, const AxisTable<acc_t>*& y, const AxisTable<acc_t>*& x) {
        y = ty.get();
        x = tx.get();
      },
      [&](int64_t n, int64_t c0, int64_t channels, int64_t lanes, int64_t y, const acc_t* row) {
        store_converted<acc_t, in_t>(row, out.w, channels, lanes, dst + n * out.sn + c0 * out.sc + y * out.sh,
                                     out.sw, out.sc);
      });
}

Tensor resize_cpu(const Tensor& image, std::vector<int64_t> size, std::string interpolation, bool antialias) {
  Tensor output = resize_allocate_output(image, size, interpolation);
  if (output.numel() == 0) return output;
  const int interp = parse_interpolation(interpolation, "resize");
  const Tensor input = resample::resample_addressable(image);
  dispatch_image_dtype(input.scalar_type(), "resize", [&](auto types) {
    using T = decltype(types);
    resize_cpu_typed<typename T::in_t, typename T::acc_t>(input, output, interp, antialias);
  });
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("resize(Tensor image, int[2] size, str interpolation=\"bilinear\", bool antialias=True) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("resize", TORCH_BOX(&resize_cpu));
}

}  // namespace triptych
