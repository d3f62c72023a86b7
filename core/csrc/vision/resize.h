// Argument handling shared by the CPU and CUDA kernels of triptych::resize and
// triptych::resized_crop_flip_normalize (defined in resize.cpp).
#pragma once

#include <string>

#include "common.h"
#include "vision/resample.h"

namespace triptych {

// "nearest" | "bilinear" | "bicubic" -> resample::Interp; a clear error otherwise.
int parse_interpolation(const std::string& interpolation, const char* op);

// The same test as vision/ops.py's _is_channels_last: more than one channel, not
// contiguous, and dense in (N)HWC order. The output of resize keeps this layout.
bool image_is_channels_last(const Tensor& image);

// resize: validates the arguments and allocates the output (same dtype, same layout).
Tensor resize_allocate_output(
    const Tensor& image, const std::vector<int64_t>& size, const std::string& interpolation);

}  // namespace triptych
