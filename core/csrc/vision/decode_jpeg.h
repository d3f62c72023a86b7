// JPEG decoding through libjpeg-turbo (built only with TRIPTYCH_JPEG; see setup.py).
//
// No error escapes these functions as a C++ exception: libjpeg's errors *and warnings*
// longjmp back into the phase that called libjpeg, and the op returns the message as a
// string (a stable-ABI kernel that throws aborts the process on torch 2.11). Python turns a
// non-empty message into ImageDecodeError naming the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace triptych {
namespace jpeg {

// What the op reports in the first element of its int[] result.
enum Status : int64_t {
  kOk = 0,
  kCorrupt = 1,      // libjpeg error or warning (truncated, corrupt, unsupported process)
  kUnsupported = 2,  // a valid file this decoder does not convert (e.g. CMYK to GRAY): use Pillow
  kTooLarge = 3,     // more pixels than max_pixels, read from the header before decoding
};

enum class Mode { kUnchanged, kGray, kRgb };

struct Header {
  int64_t height = 0, width = 0, components = 0, color_space = 0;
};

// The image a decode produces: rows [top, top + height) and columns [left, left + width) of
// the whole image scaled by scale_num / 8 (whose size is scaled_height x scaled_width).
struct Region {
  int64_t scale_num = 8, scaled_height = 0, scaled_width = 0;
  int64_t top = 0, left = 0, height = 0, width = 0, channels = 0;
};

}  // namespace jpeg
}  // namespace triptych
