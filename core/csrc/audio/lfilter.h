// triptych::lfilter_iir — shared between the CPU and CUDA kernels.
//
// lfilter_iir(waveform (R, C, T), a (C, K), b (C, K)) runs, for every row r and channel c,
//     a0 y[n] = sum_k b_k x[n - k] - sum_{k >= 1} a_k y[n - k]   (zero initial state)
// with channel c's coefficients, in transposed direct form II. No clamping. Not
// differentiable: triptych.audio.functional.lfilter uses it when no input needs a gradient.
#pragma once

#include "common.h"

namespace triptych {

// Validates arguments (naming the op and the bad value) and allocates the output.
Tensor lfilter_iir_allocate_output(const Tensor& waveform, const Tensor& a_coeffs, const Tensor& b_coeffs);

}  // namespace triptych
