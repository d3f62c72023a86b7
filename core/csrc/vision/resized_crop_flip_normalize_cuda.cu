// triptych::resized_crop_flip_normalize — CUDA kernel for a whole batch in one launch
// (after a small launch that builds each sample's windows from its device-side box and
// flip). Schema and argument checks live in resized_crop_flip_normalize.cpp.
#include "vision/resample_cuda.cuh"
#include "vision/resized_crop_flip_normalize.h"

namespace triptych {
namespace {

template <typename in_t, typename acc_t>
void rcfn_cuda_typed(
    const Tensor& input, const Tensor& boxes, const Tensor& flips, Tensor& output, int interp, bool antialias,
    const std::vector<double>& mean, const std::vector<double>& std, cudaStream_t stream) {
  using namespace resample;
  constexpr const char* op = "resized_crop_flip_normalize";
  const ImageGeometry in = image_geometry(input);
  const ImageGeometry out = image_geometry(output);
  const int64_t* box_ptr = boxes.const_data_ptr<int64_t>();
  // The stable ABI has no typed accessor for bool tensors; the dtype was checked.
  const bool* flip_ptr = static_cast<const bool*>(flips.const_data_ptr());
  const DeviceTables<acc_t> tables = build_tables<acc_t>(
      input, in.n, box_ptr, flip_ptr, in.h, in.w, out.h, out.w, interp, antialias, stream, op);
  const cuda::ChannelCoefficients<acc_t> epilogue = cuda::channel_coefficients(
      make_channel_affine<acc_t>(mean, std, std::is_same<in_t, uint8_t>::value), op);
  const ResampleShape shape{in.n, in.c, in.h, in.w, out.h, out.w, in.sn, in.sc, in.sh, in.sw,
                            out.sn, out.sc, out.sh, out.sw, /*per_sample_tables=*/true,
                            /*out_channels_last=*/out.c > 1 && out.sc == 1};
  const int64_t total = output.numel();
  resample_kernel<in_t, acc_t, acc_t, cuda::ChannelCoefficients<acc_t>>
      <<<cuda::blocks_for(total, 256), 256, 0, stream>>>(input.const_data_ptr<in_t>(), output.mutable_data_ptr<acc_t>(),
                                                        shape, box_ptr, tables.view, epilogue);
  cuda::check_launch(op);
}

Tensor rcfn_cuda(
    const Tensor& image, const Tensor& boxes, const Tensor& flips, std::vector<int64_t> size,
    std::string interpolation, bool antialias, std::vector<double> mean, std::vector<double> std,
    bool channels_last) {
  Tensor output = rcfn_allocate_output(image, boxes, flips, size, interpolation, mean, std, channels_last);
  STD_TORCH_CHECK(output.size(output.dim() - 3) <= cuda::kMaxChannels,
                  "triptych::resized_crop_flip_normalize on CUDA supports up to ", cuda::kMaxChannels, " channels");
  const int interp = parse_interpolation(interpolation, "resized_crop_flip_normalize");
  // The boxes are checked on the host (a copy of N x 4 values, which waits for the stream):
  // the kernel clamps reads into the image, but a box outside it must be an error, not a
  // silently different crop.
  rcfn_check_boxes(torch::stable::to(boxes, torch::stable::Device(torch::headeronly::DeviceType::CPU)),
                   image.size(image.dim() - 2), image.size(image.dim() - 1));
  if (output.numel() == 0) return output;
  const torch::stable::accelerator::DeviceGuard guard(image.get_device_index());
  const cudaStream_t stream = cuda::current_stream(image);
  const Tensor box_values = torch::stable::contiguous(boxes);
  const Tensor flip_values = torch::stable::contiguous(flips);
  dispatch_image_dtype(image.scalar_type(), "resized_crop_flip_normalize", [&](auto types) {
    using T = decltype(types);
    rcfn_cuda_typed<typename T::in_t, typename T::acc_t>(image, box_values, flip_values, output, interp, antialias,
                                                         mean, std, stream);
  });
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("resized_crop_flip_normalize", TORCH_BOX(&rcfn_cuda));
}

}  // namespace triptych
