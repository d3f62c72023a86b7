// triptych::resized_crop — schema, the crop-box checks shared with
// resized_crop_flip_normalize, and the CPU kernel.
//
// resized_crop(image, boxes, size, interpolation, antialias): for each image n of a batch (or
// the one (C, H, W) image), crop box n (top, left, height, width) resized to size = (h, w)
// with the filters of triptych::resize, in one pass (no cropped copy). Output: the image's
// dtype (uint8 rounded half to even and saturated, as resize, in fixed point) and memory format.
#include "vision/resized_crop.h"

#include "vision/resample_crops_cpu.h"

namespace triptych {

void check_box_tensor(const Tensor& image, const Tensor& boxes, const char* op) {
  const ImageGeometry g = image_geometry(image);
  STD_TORCH_CHECK(boxes.scalar_type() == ScalarType::Long, "triptych::", op, ": boxes must be int64");
  // Compared dimension by dimension: 4 * N could overflow for an absurd (empty) batch.
  const bool box_shape_ok = boxes.dim() == 2 ? boxes.size(0) == g.n && boxes.size(1) == 4
                                             : boxes.dim() == 1 && g.n == 1 && boxes.size(0) == 4;
  STD_TORCH_CHECK(box_shape_ok, "triptych::", op, ": boxes must have shape (N, 4) (or (4,) for one image) with N = ",
                  g.n, " images");
  STD_TORCH_CHECK(boxes.device() == image.device(), "triptych::", op, ": boxes must be on the image's device");
}

void check_boxes_inside(const Tensor& boxes, int64_t height, int64_t width, const char* op) {
  const Tensor values = torch::stable::contiguous(boxes);
  const int64_t* b = values.const_data_ptr<int64_t>();
  for (int64_t n = 0; n < values.numel() / 4; ++n) {
    const int64_t top = b[4 * n], left = b[4 * n + 1], h = b[4 * n + 2], w = b[4 * n + 3];
    STD_TORCH_CHECK(h > 0 && w > 0 && range_inside(top, h, height) && range_inside(left, w, width), "triptych::",
                    op, ": crop box ", n, " (top=", top, ", left=", left, ", height=", h, ", width=", w,
                    ") does not lie inside the ", height, "x", width, " image");
  }
}

Tensor checked_boxes(const Tensor& image, const Tensor& boxes, const char* op) {
  const Tensor values = torch::stable::contiguous(boxes);
  const int64_t height = image.size(image.dim() - 2), width = image.size(image.dim() - 1);
  if (values.is_cpu()) {
    check_boxes_inside(values, height, width, op);
  } else {
    check_boxes_inside(torch::stable::to(values, torch::stable::Device(torch::headeronly::DeviceType::CPU)), height,
                       width, op);
  }
  return values;
}

Tensor resized_crop_allocate_output(
    const Tensor& image, const Tensor& boxes, const std::vector<int64_t>& size, const std::string& interpolation) {
  constexpr const char* op = "resized_crop";
  check_image(image, op);
  check_output_size(size, op);
  parse_interpolation(interpolation, op);
  check_box_tensor(image, boxes, op);
  const ImageGeometry g = image_geometry(image);
  return allocate_image(image, g.n, g.c, size[0], size[1], image.scalar_type(), image_is_channels_last(image),
                        image.dim() == 4, op, "size");
}

namespace {

template <typename in_t, typename acc_t>
void resized_crop_cpu_typed(const Tensor& input, const int64_t* boxes, Tensor& output, int interp, bool antialias) {
  using namespace resample;
  const ImageGeometry out = image_geometry(output);
  in_t* dst = output.mutable_data_ptr<in_t>();
  if constexpr (std::is_same<in_t, uint8_t>::value) {
    const bool fixed = resample_crops_fixed(
        input, boxes, out.h, out.w, interp, antialias,
        [&](int64_t n, int64_t c0, int64_t channels, int64_t lanes, int64_t y, const uint8_t* row) {
          store_u8(row, out.w, channels, lanes, dst + n * out.sn + c0 * out.sc + y * out.sh, out.sw, out.sc);
        });
    if (fixed) return;
  }
  resample_crops<in_t, acc_t>(
      input, boxes, nullptr, out.h, out.w, interp, antialias,
      [&](int64_t n, int64_t c0, int64_t channels, int64_t lanes, int64_t y, const acc_t* row) {
        store_converted<acc_t, in_t>(row, out.w, channels, lanes, dst + n * out.sn + c0 * out.sc + y * out.sh,
                                     out.sw, out.sc);
      });
}

Tensor resized_crop_cpu(
    const Tensor& image, const Tensor& boxes, std::vector<int64_t> size, std::string interpolation, bool antialias) {
  Tensor output = resized_crop_allocate_output(image, boxes, size, interpolation);
  const Tensor box_values = checked_boxes(image, boxes, "resized_crop");
  if (output.numel() == 0) return output;
  const int interp = parse_interpolation(interpolation, "resized_crop");
  const Tensor input = resample::resample_addressable(image);
  dispatch_image_dtype(input.scalar_type(), "resized_crop", [&](auto types) {
    using T = decltype(types);
    resized_crop_cpu_typed<typename T::in_t, typename T::acc_t>(input, box_values.const_data_ptr<int64_t>(), output,
                                                                interp, antialias);
  });
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def(
      "resized_crop(Tensor image, Tensor boxes, int[2] size, str interpolation=\"bilinear\", bool antialias=True) "
      "-> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("resized_crop", TORCH_BOX(&resized_crop_cpu));
}

}  // namespace triptych
