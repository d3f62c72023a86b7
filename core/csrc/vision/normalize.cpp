// triptych::normalize — schema, shared argument handling and the CPU kernel.
//
// out[n, c, h, w] = (x[n, c, h, w] * unit - mean[c]) / std[c], unit = 1/255 for uint8.
// Input: uint8, float32 or float64, (C, H, W) or (N, C, H, W), NCHW or channels-last
// memory (an HWC image is passed as its CHW permuted view). Output: float32 (float64 for
// float64 input), contiguous NCHW or channels-last.
#include "vision/normalize.h"

#include <algorithm>
#include <type_traits>

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
    const Tensor& input, const ImageGeometry& in, Tensor& output, const ImageGeometry& out,
    const ChannelAffine<out_t>& affine) {
  // H and W are merged (merge_pixels): w is the pixel count, sw the pixel stride.
  const in_t* src = input.const_data_ptr<in_t>();
  out_t* dst = output.mutable_data_ptr<out_t>();
  const int64_t N = in.n, C = in.c, P = in.w;
  const out_t* a = affine.scale.data();
  const out_t* b = affine.bias.data();

  if (in.sw == 1 && out.sw == 1) {
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
  if (in.sc == 1 && out.sc == 1 && in.sw == C && out.sw == C) {
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
          src + n * in.sn + p0 * in.sw, dst + n * out.sn + p0 * out.sw, pixels, C,
          in.sw, in.sc, out.sw, out.sc, a, b);
      i += pixels;
    }
  });
}

Tensor normalize_cpu(
    const Tensor& image, std::vector<double> mean, std::vector<double> std, bool channels_last) {
  Tensor output = normalize_allocate_output(image, mean, std, channels_last);
  if (output.numel() == 0) return output;
  ImageGeometry in, out = image_geometry(output);
  merge_pixels(out);  // freshly allocated: always mergeable
  const Tensor input = normalize_addressable_input(image, in);
  dispatch_image_dtype(input.scalar_type(), "normalize", [&](auto types) {
    using T = decltype(types);
    using in_t = typename T::in_t;
    using acc_t = typename T::acc_t;
    normalize_cpu_typed<in_t, acc_t>(input, in, output, out,
                                     make_channel_affine<acc_t>(mean, std, std::is_same<in_t, uint8_t>::value));
  });
  return output;
}

}  // namespace

Tensor normalize_allocate_output(
    const Tensor& image, const std::vector<double>& mean, const std::vector<double>& std,
    bool channels_last) {
  check_image(image, "normalize", /*allow_empty=*/true);
  const ImageGeometry g = image_geometry(image);
  check_per_channel(mean, std, g.c, "normalize");
  return allocate_image(image, g.n, g.c, g.h, g.w, float_result_dtype(image.scalar_type()), channels_last,
                        image.dim() == 4, "normalize", "image");
}

Tensor normalize_addressable_input(const Tensor& image, ImageGeometry& geometry) {
  geometry = image_geometry(image);
  if (merge_pixels(geometry)) return image;
  Tensor input = torch::stable::contiguous(image);
  geometry = image_geometry(input);
  merge_pixels(geometry);
  return input;
}

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("normalize(Tensor image, float[] mean, float[] std, bool channels_last=False) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("normalize", TORCH_BOX(&normalize_cpu));
}

}  // namespace triptych
