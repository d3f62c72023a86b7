// triptych::resized_crop_flip_normalize — schema, argument handling and the CPU kernel.
//
// One pass per output row: crop (box = top, left, height, width) -> resize with the same
// filters as triptych::resize -> optional horizontal flip -> (x * unit - mean[c]) / std[c],
// unit = 1/255 for uint8. The filter windows are computed on the crop extent and read the
// source through an offset view (no cropped copy); a flip reverses the order of the output
// columns' windows. No rounding to uint8 in between, so the result equals the unfused
// crop -> resize -> flip -> normalize chain up to float rounding (and up to one uint8 level
// before normalisation against a chain whose resize rounds to uint8).
#include "vision/resized_crop_flip_normalize.h"

#include <algorithm>

#include "vision/resample_crops_cpu.h"

namespace triptych {

Tensor rcfn_allocate_output(
    const Tensor& image, const Tensor& boxes, const Tensor& flips, const std::vector<int64_t>& size,
    const std::string& interpolation, const std::vector<double>& mean, const std::vector<double>& std,
    bool channels_last) {
  constexpr const char* op = "resized_crop_flip_normalize";
  check_image(image, op);
  check_output_size(size, op);
  parse_interpolation(interpolation, op);
  const ImageGeometry g = image_geometry(image);
  check_box_tensor(image, boxes, op);
  STD_TORCH_CHECK(flips.scalar_type() == ScalarType::Bool, "triptych::", op, ": flips must be bool");
  STD_TORCH_CHECK(flips.numel() == g.n, "triptych::", op, ": flips needs one flag per image (", g.n, "), got ",
                  flips.numel());
  STD_TORCH_CHECK(flips.device() == image.device(), "triptych::", op, ": flips must be on the image's device");
  check_per_channel(mean, std, g.c, op);
  const ScalarType out_dtype = float_result_dtype(image.scalar_type());
  return allocate_image(image, g.n, g.c, size[0], size[1], out_dtype, channels_last, image.dim() == 4, op, "size");
}

namespace {

template <typename in_t, typename acc_t>
void rcfn_cpu_typed(
    const Tensor& input, const int64_t* boxes, const bool* flips, Tensor& output, int interp, bool antialias,
    const std::vector<double>& mean, const std::vector<double>& std) {
  using namespace resample;
  const ImageGeometry out = image_geometry(output);
  const ChannelAffine<acc_t> affine = make_channel_affine<acc_t>(mean, std, std::is_same<in_t, uint8_t>::value);
  std::vector<acc_t> pattern_scale(out.w * out.c), pattern_bias(out.w * out.c);
  for (int64_t k = 0; k < out.w * out.c; ++k) {
    pattern_scale[k] = affine.scale[k % out.c];
    pattern_bias[k] = affine.bias[k % out.c];
  }
  acc_t* dst = output.mutable_data_ptr<acc_t>();
  resample_crops<in_t, acc_t>(
      input, boxes, flips, out.h, out.w, interp, antialias,
      [&](int64_t n, int64_t c0, int64_t channels, int64_t lanes, int64_t y, const acc_t* row) {
        store_affine<acc_t, acc_t>(row, out.w, channels, lanes, dst + n * out.sn + c0 * out.sc + y * out.sh, out.sw,
                                   out.sc, affine.scale.data() + c0, affine.bias.data() + c0,
                                   pattern_scale.data(), pattern_bias.data());
      },
      [&](int64_t n, PlanarAffine<acc_t>& planar) {  // CHW output: the same values, fused (AVX2)
        if (out.sw != 1) return;
        planar.base = dst + n * out.sn;
        planar.row_stride = out.sh;
        planar.plane_stride = out.sc;
        planar.scale = affine.scale.data();
        planar.bias = affine.bias.data();
      });
}

Tensor rcfn_cpu(
    const Tensor& image, const Tensor& boxes, const Tensor& flips, std::vector<int64_t> size,
    std::string interpolation, bool antialias, std::vector<double> mean, std::vector<double> std,
    bool channels_last) {
  Tensor output = rcfn_allocate_output(image, boxes, flips, size, interpolation, mean, std, channels_last);
  const Tensor box_values = checked_boxes(image, boxes, "resized_crop_flip_normalize");
  if (output.numel() == 0) return output;
  const int interp = parse_interpolation(interpolation, "resized_crop_flip_normalize");
  const Tensor flip_values = torch::stable::contiguous(flips);
  const int64_t* box_ptr = box_values.const_data_ptr<int64_t>();
  // The stable ABI has no typed accessor for bool tensors; the dtype was checked above.
  const bool* flip_ptr = static_cast<const bool*>(flip_values.const_data_ptr());
  const Tensor input = resample::resample_addressable(image);
  dispatch_image_dtype(input.scalar_type(), "resized_crop_flip_normalize", [&](auto types) {
    using T = decltype(types);
    rcfn_cpu_typed<typename T::in_t, typename T::acc_t>(input, box_ptr, flip_ptr, output, interp, antialias, mean,
                                                        std);
  });
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def(
      "resized_crop_flip_normalize(Tensor image, Tensor boxes, Tensor flips, int[2] size, str interpolation, "
      "bool antialias, float[] mean, float[] std, bool channels_last=False) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("resized_crop_flip_normalize", TORCH_BOX(&rcfn_cpu));
}

}  // namespace triptych
