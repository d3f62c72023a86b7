// triptych::resample_poly — shared between the CPU and CUDA kernels.
//
// resample_poly(waveform (N, T), kernel (new, K), orig, new, width) computes, for output
// j = q * new + p (0 <= j < ceil(new * T / orig)):
//     out[n, j] = sum_m x[n, q * orig + m - width] * kernel[p, m],  0 <= m < K,
// with x = 0 outside [0, T). That is torchaudio's strided-convolution formulation of
// windowed-sinc resampling (kernel rows are the polyphase filters, K = 2 * width + orig);
// the kernels only visit each row's non-zero span, which for a downsampling ratio is a
// small part of K.
#pragma once

#include "common.h"

namespace triptych {

// Validates arguments (naming the op and the bad value) and allocates the (N, out_len) output.
Tensor resample_poly_allocate_output(
    const Tensor& waveform, const Tensor& kernel, int64_t orig, int64_t new_freq, int64_t width);

inline int64_t resample_poly_output_length(int64_t frames, int64_t orig, int64_t new_freq) {
  return (new_freq * frames + orig - 1) / orig;
}

}  // namespace triptych
