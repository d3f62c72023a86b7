// What every triptych kernel shares: the stable-ABI aliases, overflow-safe checks, argument
// checks, the one dtype dispatch, output allocation, image geometry and per-channel affine
// coefficients. Everything here uses the libtorch stable ABI only (torch/csrc/stable +
// torch/headeronly), so _C loads on every torch >= 2.10. CUDA-only helpers live in
// cuda_common.cuh.
#pragma once

#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/ops.h>
#include <torch/csrc/stable/tensor.h>
#include <torch/headeronly/core/ScalarType.h>
#include <torch/headeronly/util/Exception.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace triptych {

using torch::headeronly::ScalarType;
using torch::stable::Tensor;

// gcc/clang on x86-64: compile a hot loop twice (AVX2 and baseline) and pick at load time,
// so wheels stay portable while modern CPUs get 8-wide float lanes.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__CUDACC__) && !defined(__clang__)
#define TRIPTYCH_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define TRIPTYCH_MULTIVERSION
#endif

// Code shared by CPU loops and CUDA kernels.
#if defined(__CUDACC__)
#define TRIPTYCH_HOST_DEVICE __host__ __device__
#else
#define TRIPTYCH_HOST_DEVICE
#endif

// ---- overflow-safe size and offset checks ---------------------------------------------
//
// Sizes, offsets and boxes reach a kernel straight from a caller (a direct
// torch.ops.triptych.* call skips the Python checks), so a check such as
// `top + height <= image_height` can overflow int64 and pass for a box near 2**63. Every
// such check goes through this helper, which never forms the sum. (Products — byte counts —
// are checked with __builtin_mul_overflow, in allocate_image only.)

// True when [offset, offset + length) lies inside [0, extent).
TRIPTYCH_HOST_DEVICE inline bool range_inside(int64_t offset, int64_t length, int64_t extent) {
  return offset >= 0 && length >= 0 && offset <= extent && length <= extent - offset;
}

// ---- argument checks ----------------------------------------------------------------------

// A (C, H, W) or (N, C, H, W) image of a dtype dispatch_image_dtype handles; non-empty in H
// and W unless `allow_empty`.
inline void check_image(const Tensor& image, const char* op, bool allow_empty = false) {
  const int64_t dim = image.dim();
  STD_TORCH_CHECK(dim == 3 || dim == 4, "triptych::", op,
                  " expects a (C, H, W) or (N, C, H, W) image, got ", dim, " dimensions");
  const ScalarType dtype = image.scalar_type();
  STD_TORCH_CHECK(dtype == ScalarType::Byte || dtype == ScalarType::Float || dtype == ScalarType::Double,
                  "triptych::", op, " expects a uint8, float32 or float64 image");
  STD_TORCH_CHECK(allow_empty || (image.size(dim - 1) > 0 && image.size(dim - 2) > 0), "triptych::", op,
                  ": the image is empty (height or width 0)");
}

// An output size (height, width) of positive values.
inline void check_output_size(const std::vector<int64_t>& size, const char* op) {
  STD_TORCH_CHECK(size.size() == 2 && size[0] > 0 && size[1] > 0, "triptych::", op,
                  ": size must be (height, width) of positive integers");
}

// One mean and one non-zero std per channel.
inline void check_per_channel(
    const std::vector<double>& mean, const std::vector<double>& std, int64_t channels, const char* op) {
  STD_TORCH_CHECK(static_cast<int64_t>(mean.size()) == channels && static_cast<int64_t>(std.size()) == channels,
                  "triptych::", op, ": mean and std need one value per channel (", channels, "), got ",
                  mean.size(), " and ", std.size());
  for (size_t c = 0; c < std.size(); ++c) {
    STD_TORCH_CHECK(std[c] != 0.0, "triptych::", op, ": std must be non-zero, got 0 for channel ", c);
  }
}

// ---- the one dtype dispatch ---------------------------------------------------------------

// The element type of an image and the type its arithmetic runs in: float for uint8 and
// float32 images, double for float64.
template <typename In, typename Acc>
struct ImageTypes {
  using in_t = In;
  using acc_t = Acc;
};

// Calls fn(ImageTypes<in_t, acc_t>{}) for the image dtype; use as
//   dispatch_image_dtype(dtype, "op", [&](auto types) {
//     using T = decltype(types);
//     kernel<typename T::in_t, typename T::acc_t>(...);
//   });
template <typename Fn>
inline void dispatch_image_dtype(ScalarType dtype, const char* op, Fn&& fn) {
  switch (dtype) {
    case ScalarType::Byte:
      fn(ImageTypes<uint8_t, float>{});
      return;
    case ScalarType::Float:
      fn(ImageTypes<float, float>{});
      return;
    case ScalarType::Double:
      fn(ImageTypes<double, double>{});
      return;
    default:
      STD_TORCH_CHECK(false, "triptych::", op, " expects a uint8, float32 or float64 image");
  }
}

// The dtype of a float result computed from an image: float64 for float64, else float32.
inline ScalarType float_result_dtype(ScalarType image_dtype) {
  return image_dtype == ScalarType::Double ? ScalarType::Double : ScalarType::Float;
}

// ---- output allocation --------------------------------------------------------------------

inline int64_t element_size(ScalarType dtype) {
  switch (dtype) {
    case ScalarType::Byte:
    case ScalarType::Bool:
      return 1;
    case ScalarType::Float:
      return 4;
    default:  // Double, Long
      return 8;
  }
}

inline std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

// An uninitialised (N, C, H, W) image — (C, H, W) when `batched` is false — on `device_of`'s
// device, contiguous or channels-last memory. `arg` names the argument the shape came from,
// for the error messages. The byte count is computed in checked arithmetic first, and a
// failed allocation is reported in words: the stable ABI's own error only names the
// dispatcher call that failed.
inline Tensor allocate_image(
    const Tensor& device_of, int64_t n, int64_t c, int64_t h, int64_t w, ScalarType dtype,
    bool channels_last, bool batched, const char* op, const char* arg) {
  const std::vector<int64_t> shape4 = {n, c, h, w};
  const std::vector<int64_t> shape(shape4.begin() + (batched ? 0 : 1), shape4.end());
  int64_t bytes = element_size(dtype);
  for (const int64_t extent : shape4) {
    STD_TORCH_CHECK(extent >= 0, "triptych::", op, ": ", arg, " gives a negative output size ",
                    shape_string(shape));
    STD_TORCH_CHECK(!__builtin_mul_overflow(bytes, extent, &bytes), "triptych::", op, ": ", arg,
                    " gives an output ", shape_string(shape), " too large to address (2**63 bytes or more)");
  }
  try {
    Tensor out = torch::stable::empty(
        shape4, dtype, std::nullopt, device_of.device(), std::nullopt,
        channels_last ? torch::headeronly::MemoryFormat::ChannelsLast
                      : torch::headeronly::MemoryFormat::Contiguous);
    return batched ? out : torch::stable::squeeze(out, 0);
  } catch (const std::exception&) {
    STD_TORCH_CHECK(false, "triptych::", op, ": ", arg, " gives an output ", shape_string(shape), " of ", bytes,
                    " bytes, which cannot be allocated");
  }
  return Tensor();  // not reached
}

// ---- image geometry -----------------------------------------------------------------------

// (N, C, H, W) sizes and strides (elements) of a 3-D or 4-D image (N = 1, stride 0 for 3-D).
struct ImageGeometry {
  int64_t n, c, h, w;
  int64_t sn, sc, sh, sw;
};

inline ImageGeometry image_geometry(const Tensor& image) {
  const int64_t dim = image.dim();
  ImageGeometry g;
  g.n = dim == 4 ? image.size(0) : 1;
  g.sn = dim == 4 ? image.stride(0) : 0;
  g.c = image.size(dim - 3);
  g.sc = image.stride(dim - 3);
  g.h = image.size(dim - 2);
  g.sh = image.stride(dim - 2);
  g.w = image.size(dim - 1);
  g.sw = image.stride(dim - 1);
  return g;
}

// Folds H and W into one pixel axis (h = 1, w = H * W, stride sw) for per-pixel ops; false
// (and `g` unchanged) when the memory cannot address them as one axis, e.g. a cropped view.
inline bool merge_pixels(ImageGeometry& g) {
  if (g.h > 1 && g.w > 1 && g.sh != g.w * g.sw) return false;
  g.sw = g.w > 1 ? g.sw : (g.h > 1 ? g.sh : 1);
  g.w *= g.h;
  g.h = 1;
  g.sh = g.w * g.sw;
  return true;
}

// ---- per-channel affine coefficients ------------------------------------------------------

// out = in * scale[c] + bias[c], the normalisation (x * unit - mean[c]) / std[c] with
// unit = 1/255 for uint8 input folded in, so every kernel does one multiply-add.
template <typename T>
struct ChannelAffine {
  std::vector<T> scale;
  std::vector<T> bias;
};

// mean and std must have passed check_per_channel.
template <typename T>
inline ChannelAffine<T> make_channel_affine(
    const std::vector<double>& mean, const std::vector<double>& std, bool input_is_uint8) {
  ChannelAffine<T> affine;
  const double unit = input_is_uint8 ? 1.0 / 255.0 : 1.0;
  for (size_t c = 0; c < mean.size(); ++c) {
    affine.scale.push_back(static_cast<T>(unit / std[c]));
    affine.bias.push_back(static_cast<T>(-mean[c] / std[c]));
  }
  return affine;
}

}  // namespace triptych
