// Shared helpers for triptych kernels. Everything here uses the libtorch stable ABI
// only (torch/csrc/stable + torch/headeronly), so _C loads on every torch >= 2.10.
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

// ---- overflow-safe size and offset checks ---------------------------------------------
//
// Sizes, offsets and boxes reach a kernel straight from a caller (a direct
// torch.ops.triptych.* call skips the Python checks), so a check such as
// `top + height <= image_height` can overflow int64 and pass for a box near 2**63. Every
// such check goes through this helper, which never forms the sum.

// True when [offset, offset + length) lies inside [0, extent).
inline bool range_inside(int64_t offset, int64_t length, int64_t extent) {
  return offset >= 0 && length >= 0 && offset <= extent && length <= extent - offset;
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
// for the error messages. The byte count is computed in checked
// arithmetic first, and a failed allocation is reported in words: the stable ABI's own error
// only names the dispatcher call that failed.
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

// Per-channel affine map used by normalize: out = in * scale[c] + bias[c].
// uint8 input folds the 1/255 into scale, so every kernel does one multiply-add.
template <typename T>
struct ChannelAffine {
  std::vector<T> scale;
  std::vector<T> bias;
};

template <typename T>
inline ChannelAffine<T> make_channel_affine(
    const std::vector<double>& mean,
    const std::vector<double>& std,
    bool input_is_uint8) {
  STD_TORCH_CHECK(mean.size() == std.size(), "triptych: mean and std must have the same length");
  ChannelAffine<T> affine;
  const double unit = input_is_uint8 ? 1.0 / 255.0 : 1.0;
  for (size_t c = 0; c < mean.size(); ++c) {
    STD_TORCH_CHECK(std[c] != 0.0, "triptych: std must be non-zero, got 0 for channel ", c);
    affine.scale.push_back(static_cast<T>(unit / std[c]));
    affine.bias.push_back(static_cast<T>(-mean[c] / std[c]));
  }
  return affine;
}

// Image geometry shared by the normalize kernels: a logical (N, C, P) view of an
// (N, C, H, W) tensor whose H and W collapse into one pixel axis P of stride `sp`.
struct PlaneLayout {
  int64_t n = 1, c = 1, p = 1;
  int64_t sn = 0, sc = 0, sp = 0;
};

// Returns false when H and W cannot be addressed as one axis (e.g. a cropped view);
// the caller then makes the input contiguous first.
inline bool plane_layout(const Tensor& t, PlaneLayout& out) {
  const int64_t dim = t.dim();
  const int64_t h = t.size(dim - 2), w = t.size(dim - 1);
  const int64_t sh = t.stride(dim - 2), sw = t.stride(dim - 1);
  if (h > 1 && w > 1 && sh != w * sw) return false;
  out.n = dim == 4 ? t.size(0) : 1;
  out.sn = dim == 4 ? t.stride(0) : 0;
  out.c = t.size(dim - 3);
  out.sc = t.stride(dim - 3);
  out.p = h * w;
  out.sp = w > 1 ? sw : (h > 1 ? sh : 1);
  return true;
}

}  // namespace triptych
