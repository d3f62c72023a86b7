// triptych::normalize — schema, shared argument handling and the CPU kernel.
//
// out[n, c, h, w] = (x[n, c, h, w] * unit - mean[c]) / std[c], unit = 1/255 for uint8.
// Input: uint8, float32 or float64, (C, H, W) or (N, C, H, W), NCHW or channels-last
// memory (an HWC image is passed as its CHW permuted view). Output: float32 (float64 for
// float64 input), contiguous NCHW or channels-last.
#include "core/normalize.h"

#include <algorithm>

namespace triptych {
namespace {

constexpr int64_t kGrain = 1 << 14;  // elements per parallel task

// The three inner loops, written so the compiler vectorizes them.
template <typename in_t, typename out_t>
TRIPTYCH_MULTIVERSION void affine_contiguous(
    const in_t* __restrict__ src, out_t* __restrict__ dst, int64_t len, out_t a, out_t b) {
  for (int64_t k = 0; k < len; ++k) dst[k] = static_cast<out_t>(src[k]) * a + b;
}

// Interleaved (channels-last) in and out: the channel pattern repeats every C elements,
// so a block of pattern-expanded coefficients turns it into one contiguous loop.
template <typename in_t, typename out_t>
TRIPTYCH_MULTIVERSION void affine_pattern(
    const in_t* __restrict__ src, out_t* __restrict__ dst, int64_t len,
    const out_t* __restrict__ a, const out_t* __restrict__ b) {
  for (int64_t k = 0; k < len; ++k) dst[k] = static_cast<out_t>(src[k]) * a[k] + b[k];
}

// Any other pair of layouts (HWC -> CHW and CHW -> HWC): strided gather/scatter.
template <typename in_t, typename out_t>
void affine_strided(
    const in_t* src, out_t* dst, int64_t pixels, int64_t channels,
    int64_t in_sp, int64_t in_sc, int64_t out_sp, int64_t out_sc,
    const out_t* a, const out_t* b) {
  for (int64_t c = 0; c < channels; ++c) {
    const in_t* s = src + c * in_sc;
    out_t* d = dst + c * out_sc;
    const out_t ac = a[c], bc = b[c];
    for (int64_t k = 0; k < pixels; ++k) d[k * out_sp] = static_cast<out_t>(s[k * in_sp]) * ac + bc;
  }
}

template <typename in_t, typename out_t>
void normalize_cpu_typed(
    const Tensor& input, const PlaneLayout& in, Tensor& output, const PlaneLayout& out,
    const ChannelAffine<out_t>& affine) {
  const in_t* src = input.const_data_ptr<in_t>();
  out_t* dst = output.mutable_data_ptr<out_t>();
  const int64_t N = in.n, C = in.c, P = in.p;
  const out_t* a = affine.scale.data();
  const out_t* b = affine.bias.data();

  if (in.sp == 1 && out.sp == 1) {
    // Planar in and out: one contiguous run per (n, c) plane, split across threads.
    torch::stable::parallel_for(0, N * C * P, kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end;) {
        const int64_t plane = i / P, p0 = i % P, len = std::min(P - p0, end - i);
        const int64_t n = plane / C, c = plane % C;
        affine_contiguous<in_t, out_t>(
            src + n * in.sn + c * in.sc + p0, dst + n * out.sn + c * out.sc + p0, len, a[c], b[c]);
        i += len;
      }
    });
    return;
  }
  if (in.sc == 1 && out.sc == 1 && in.sp == C && out.sp == C) {
    // Interleaved in and out: blocks of whole pixels against pattern coefficients.
    constexpr int64_t kPixelsPerBlock = 64;
    const int64_t block = kPixelsPerBlock * C;
    std::vector<out_t> pa(block), pb(block);
    for (int64_t k = 0; k < block; ++k) {
      pa[k] = a[k % C];
      pb[k] = b[k % C];
    }
    torch::stable::parallel_for(0, N * P, kGrain / C + 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end;) {
        const int64_t n = i / P, p0 = i % P;
        const int64_t pixels = std::min({P - p0, end - i, kPixelsPerBlock});
        affine_pattern<in_t, out_t>(
            src + n * in.sn + p0 * C, dst + n * out.sn + p0 * C, pixels * C, pa.data(), pb.data());
        i += pixels;
      }
    });
    return;
  }
  // Mixed layouts: tiles of pixels, every channel of a tile while it is in cache.
  constexpr int64_t kTile = 256;
  torch::stable::parallel_for(0, N * P, kGrain / C + 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end;) {
      const int64_t n = i / P, p0 = i % P;
      const int64_t pixels = std::min({P - p0, end - i, kTile});
      affine_strided<in_t, out_t>(
          src + n * in.sn + p0 * in.sp, dst + n * out.sn + p0 * out.sp, pixels, C,
          in.sp, in.sc, out.sp, out.sc, a, b);
      i += pixels;
    }
  });
}

Tensor normalize_cpu(
    const Tensor& image, std::vector<double> mean, std::vector<double> std, bool channels_last) {
  Tensor output = normalize_allocate_output(image, mean, std, channels_last);
  if (output.numel() == 0) return output;
  PlaneLayout in, out;
  Tensor input = normalize_addressable_input(image, in);
  plane_layout(output, out);
  switch (input.scalar_type()) {
    case ScalarType::Byte:
      normalize_cpu_typed<uint8_t, float>(input, in, output, out, make_channel_affine<float>(mean, std, true));
      break;
    case ScalarType::Float:
      normalize_cpu_typed<float, float>(input, in, output, out, make_channel_affine<float>(mean, std, false));
      break;
    default:  // Double; normalize_allocate_output rejected everything else
      normalize_cpu_typed<double, double>(input, in, output, out, make_channel_affine<double>(mean, std, false));
  }
  return output;
}

}  // namespace

Tensor normalize_allocate_output(
    const Tensor& image, const std::vector<double>& mean, const std::vector<double>& std,
    bool channels_last) {
  const int64_t dim = image.dim();
  STD_TORCH_CHECK(dim == 3 || dim == 4,
      "triptych::normalize expects a (C, H, W) or (N, C, H, W) tensor, got ", dim, " dimensions");
  const ScalarType dtype = image.scalar_type();
  STD_TORCH_CHECK(dtype == ScalarType::Byte || dtype == ScalarType::Float || dtype == ScalarType::Double,
      "triptych::normalize expects uint8, float32 or float64 input");
  const int64_t channels = image.size(dim - 3);
  STD_TORCH_CHECK(static_cast<int64_t>(mean.size()) == channels && static_cast<int64_t>(std.size()) == channels,
      "triptych::normalize: mean and std need one value per channel (", channels, "), got ",
      mean.size(), " and ", std.size());
  const ScalarType out_dtype = dtype == ScalarType::Double ? ScalarType::Double : ScalarType::Float;
  const int64_t n = dim == 4 ? image.size(0) : 1;
  return allocate_image(image, n, channels, image.size(dim - 2), image.size(dim - 1), out_dtype, channels_last,
                        dim == 4, "normalize", "image");
}

Tensor normalize_addressable_input(const Tensor& image, PlaneLayout& layout) {
  if (plane_layout(image, layout)) return image;
  Tensor input = torch::stable::contiguous(image);
  plane_layout(input, layout);
  return input;
}

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("normalize(Tensor image, float[] mean, float[] std, bool channels_last=False) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("normalize", TORCH_BOX(&normalize_cpu));
}

}  // namespace triptych
