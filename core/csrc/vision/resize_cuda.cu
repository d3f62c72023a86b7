// triptych::resize — CUDA kernel (schema and argument checks live in resize.cpp; the
// filter weights are the shared ones of vision/resample.h).
#include "vision/resample_cuda.cuh"
#include "vision/resize.h"

namespace triptych {
namespace {

template <typename in_t, typename acc_t>
void resize_cuda_typed(const Tensor& input, Tensor& output, int interp, bool antialias, cudaStream_t stream) {
  using namespace resample;
  const ImageGeometry in = image_geometry(input);
  const ImageGeometry out = image_geometry(output);
  const DeviceTables<acc_t> tables = build_tables<acc_t>(
      input, 1, nullptr, nullptr, in.h, in.w, out.h, out.w, interp, antialias, stream, "resize");
  const ResampleShape shape{in.n, in.c, in.h, in.w, out.h, out.w, in.sn, in.sc, in.sh, in.sw,
                            out.sn, out.sc, out.sh, out.sw, /*per_sample_tables=*/false,
                            /*out_channels_last=*/out.c > 1 && out.sc == 1};
  const int64_t total = output.numel();
  resample_kernel<in_t, acc_t, in_t, ConvertEpilogue<acc_t, in_t>><<<cuda::blocks_for(total, 256), 256, 0, stream>>>(
      input.const_data_ptr<in_t>(), output.mutable_data_ptr<in_t>(), shape, nullptr, tables.view,
      ConvertEpilogue<acc_t, in_t>{});
  cuda::check_launch("resize");
}

Tensor resize_cuda(const Tensor& image, std::vector<int64_t> size, std::string interpolation, bool antialias) {
  Tensor output = resize_allocate_output(image, size, interpolation);
  if (output.numel() == 0) return output;
  const int interp = parse_interpolation(interpolation, "resize");
  const torch::stable::accelerator::DeviceGuard guard(image.get_device_index());
  const cudaStream_t stream = cuda::current_stream(image);
  dispatch_image_dtype(image.scalar_type(), "resize", [&](auto types) {
    using T = decltype(types);
    resize_cuda_typed<typename T::in_t, typename T::acc_t>(image, output, interp, antialias, stream);
  });
  return output;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("resize", TORCH_BOX(&resize_cuda));
}

}  // namespace triptych
