// triptych::resized_crop and the crop-box handling it shares with
// triptych::resized_crop_flip_normalize (CPU and CUDA kernels; defined in resized_crop.cpp).
#pragma once

#include <string>

#include "vision/resize.h"

namespace triptych {

// Checks `boxes` (int64, (N, 4), or (4,) for a single image) against the image's
// batch and device; the box values are checked by check_boxes_inside.
void check_box_tensor(const Tensor& image, const Tensor& boxes, const char* op);

// Checks that every (top, left, height, width) row of `boxes` (int64, on the CPU) is a
// non-empty box inside the height x width image, in overflow-safe arithmetic (range_inside).
void check_boxes_inside(const Tensor& boxes, int64_t height, int64_t width, const char* op);

// The boxes as the kernels read them: contiguous, and checked (on the host: for CUDA boxes
// this copies N x 4 values, which waits for the stream — the kernels clamp every read into
// the image, but a box outside it must be an error, not a silently different crop).
Tensor checked_boxes(const Tensor& image, const Tensor& boxes, const char* op);

// resized_crop: validates the arguments and allocates the output (the image's dtype and
// memory format, like resize).
Tensor resized_crop_allocate_output(
    const Tensor& image, const Tensor& boxes, const std::vector<int64_t>& size, const std::string& interpolation);

}  // namespace triptych
