// triptych::resized_crop_flip_normalize — CUDA kernel for a whole batch in one launch
// (after a small launch that builds each sample's windows from its device-side box and
// flip). Schema and argument checks live in resized_crop_flip_normalize.cpp.
#include <type_traits>

#include "vision/resample_cuda.cuh"
#include "vision/resized_crop_flip_normalize.h"

namespace triptych {
namespace {

Tensor rcfn_cuda(
    const Tensor& image, const Tensor& boxes, const Tensor& flips, std::vector<int64_t> size,
    std::string interpolation, bool antialias, std::vector<double> mean, std::vector<double> std,
    bool channels_last) {
  constexpr const char* op = "resized_crop_flip_normalize";
  Tensor output = rcfn_allocate_output(image, boxes, flips, size, interpolation, mean, std, channels_last);
  STD_TORCH_CHECK(output.size(output.dim() - 3) <= cuda::kMaxChannels, "triptych::", op, " on CUDA supports up to ",
                  cuda::kMaxChannels, " channels");
  const int interp = parse_interpolation(interpolation, op);
  const Tensor box_values = checked_boxes(image, boxes, op);
  if (output.numel() == 0) return output;
  const torch::stable::accelerator::DeviceGuard guard(image.get_device_index());
  const cudaStream_t stream = cuda::current_stream(image);
  const Tensor flip_values = torch::stable::contiguous(flips);
  // The stable ABI has no typed accessor for bool tensors; the dtype was checked.
  const bool* flip_ptr = static_cast<const bool*>(flip_values.const_data_ptr());
  dispatch_image_dtype(image.scalar_type(), op, [&](auto types) {
    using T = decltype(types);
    using in_t = typename T::in_t;
    using acc_t = typename T::acc_t;
    const cuda::ChannelCoefficients<acc_t> epilogue = cuda::channel_coefficients(
        make_channel_affine<acc_t>(mean, std, std::is_same<in_t, uint8_t>::value), op);
    resample::resample_crops_cuda<in_t, acc_t, acc_t>(image, box_values.const_data_ptr<int64_t>(), flip_ptr, output,
                                                      interp, antialias, epilogue, stream, op);
  });
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("resized_crop_flip_normalize", TORCH_BOX(&rcfn_cuda));
}

}  // namespace triptych
