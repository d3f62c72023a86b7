// triptych::resized_crop_flip_normalize — argument handling shared by the CPU and CUDA
// kernels (defined in resized_crop_flip_normalize.cpp).
#pragma once

#include <string>

#include "vision/resized_crop.h"

namespace triptych {

// Validates image, boxes, flips, size, interpolation, mean and std (everything that needs
// no look at the box values) and allocates the float32 (float64 for float64 input)
// output, (C, h, w) or (N, C, h, w), contiguous or channels-last.
Tensor rcfn_allocate_output(
    const Tensor& image, const Tensor& boxes, const Tensor& flips, const std::vector<int64_t>& size,
    const std::string& interpolation, const std::vector<double>& mean, const std::vector<double>& std,
    bool channels_last);

}  // namespace triptych
