// triptych::resized_crop — CUDA kernel for a whole batch in one launch (after a small
// launch that builds each sample's windows from its device-side box). Schema and argument
// checks live in resized_crop.cpp.
#include "vision/resample_cuda.cuh"
#include "vision/resized_crop.h"

namespace triptych {
namespace {

Tensor resized_crop_cuda(
    const Tensor& image, const Tensor& boxes, std::vector<int64_t> size, std::string interpolation, bool antialias) {
  constexpr const char* op = "resized_crop";
  Tensor output = resized_crop_allocate_output(image, boxes, size, interpolation);
  const int interp = parse_interpolation(interpolation, op);
  const Tensor box_values = checked_boxes(image, boxes, op);
  if (output.numel() == 0) return output;
  const torch::stable::accelerator::DeviceGuard guard(image.get_device_index());
  const cudaStream_t stream = cuda::current_stream(image);
  dispatch_image_dtype(image.scalar_type(), op, [&](auto types) {
    using T = decltype(types);
    using in_t = typename T::in_t;
    using acc_t = typename T::acc_t;
    resample::resample_crops_cuda<in_t, acc_t, in_t>(image, box_values.const_data_ptr<int64_t>(), nullptr, output,
                                                     interp, antialias, resample::ConvertEpilogue<acc_t, in_t>{},
                                                     stream, op);
  });
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("resized_crop", TORCH_BOX(&resized_crop_cuda));
}

}  // namespace triptych
