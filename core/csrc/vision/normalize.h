// triptych::normalize — shared between the CPU and CUDA kernels.
#pragma once

#include "common.h"

namespace triptych {

// Validates the arguments and allocates the float output (NCHW- or channels-last
// memory) for an input of shape (C, H, W) or (N, C, H, W).
Tensor normalize_allocate_output(
    const Tensor& image,
    const std::vector<double>& mean,
    const std::vector<double>& std,
    bool channels_last);

// The input, made addressable with H and W as one pixel axis (see merge_pixels) if it is
// not already; `geometry` receives the merged geometry.
Tensor normalize_addressable_input(const Tensor& image, ImageGeometry& geometry);

}  // namespace triptych
