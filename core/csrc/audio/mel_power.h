// triptych::mel_power — shared between the CPU and CUDA kernels.
//
// mel_power(spec (N, T, F, 2), fb (F, M)) -> (N, M, T) computes
//     out[n, m, t] = sum_f (spec[n, t, f, 0]^2 + spec[n, t, f, 1]^2) * fb[f, m],
// the mel projection of a power spectrogram, straight from the complex STFT seen as real pairs
// (torch.view_as_real of the (N, T, F) complex STFT: torch.stft's own memory layout). Fused:
// no power tensor is written, and each mel filter visits only its non-zero bins (a mel
// filterbank is ~2 non-zeros per bin, against M per bin for a dense matrix product).
#pragma once

#include "common.h"

namespace triptych {

// Validates arguments (naming the op and the bad value) and allocates the (N, M, T) output.
Tensor mel_power_allocate_output(const Tensor& spec, const Tensor& fb);

// Each mel filter's non-zero bins [first, end) from a (F, M) filterbank (row-major); an empty
// filter has first == end.
template <typename T>
void mel_filter_spans(const T* fb, int64_t bins, int64_t mels, int64_t* first, int64_t* end) {
  for (int64_t m = 0; m < mels; ++m) {
    int64_t lo = 0, hi = bins;
    while (lo < bins && fb[lo * mels + m] == T(0)) ++lo;
    while (hi > lo && fb[(hi - 1) * mels + m] == T(0)) --hi;
    first[m] = lo;
    end[m] = hi;
  }
}

}  // namespace triptych
