// triptych::decode_jpeg and triptych::jpeg_header — JPEG decoding with libjpeg-turbo,
// crop- and scale-aware (compiled only when setup.py finds libjpeg-turbo; TRIPTYCH_JPEG).
//
// decode_jpeg(data, mode, crop, scale_num, max_pixels) -> (image, info, error)
//   data       1-D uint8 CPU tensor: the file's bytes (read in place, never written).
//   mode       "RGB" | "GRAY" | "UNCHANGED" (1 channel for grey files, else 3; CMYK -> RGB).
//   crop       [] for the whole image, or [top, left, height, width] in the file's pixels:
//              only the iMCU columns and the rows this box touches are decoded.
//   scale_num  decode at scale_num / 8 (1..8; libjpeg's scaled IDCT, chosen by the caller).
//   max_pixels header width x height above this is refused before decoding (-1: no limit).
// image is an (H, W, C) uint8 tensor holding rows [top, top + H) and columns [left, left + W)
// of the image scaled by scale_num/8; info = [status, height, width, scaled_height,
// scaled_width, top, left] (status: decode_jpeg.h); error is "" or the reason.
//
// The GIL: torch.ops calls run the kernel with the GIL released, so decode_jpeg's batch
// form runs this op on a thread pool.
#include "vision/decode_jpeg.h"

#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <cstring>
#include <tuple>
#include <vector>

#include <jpeglib.h>

#include "common.h"

namespace triptych {
namespace jpeg {

namespace {

// TurboJPEG's limit for progressive files: a few hundred bytes can hold thousands of scans,
// each a pass over the whole coefficient buffer (a CPU-time bomb).
constexpr int kMaxScans = 500;

struct ErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

// error_exit must not return; libjpeg's default calls exit(). Jump back to the phase that
// called libjpeg, which reports the message.
[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (level -1) are errors: "Premature end of JPEG file" is how libjpeg reports a
// truncated file (it pads with a fake EOI and carries on, leaving grey rows). Trace
// messages (level >= 0) are dropped.
void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

void on_progress(j_common_ptr cinfo) {
  auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->progressive_mode && dinfo->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof(err->message),
                  "progressive JPEG with more than %d scans (refused as a possible CPU-time bomb)",
                  kMaxScans);
    std::longjmp(err->jump, 1);
  }
}

// Owns the libjpeg state; destroyed normally (never skipped by a longjmp, which only unwinds
// the phase functions below, none of which holds an object with a destructor).
struct Decoder {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  jpeg_progress_mgr progress;
  bool cmyk = false;

  Decoder() {
    std::memset(&cinfo, 0, sizeof(cinfo));
    std::memset(&progress, 0, sizeof(progress));
    err.message[0] = '\0';
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error;
    err.pub.emit_message = on_message;
    progress.progress_monitor = on_progress;
  }
  ~Decoder() { jpeg_destroy_decompress(&cinfo); }  // safe on a never-created struct (mem == NULL)
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
};

// Phase 1: the header. Returns false with d.err.message set on a libjpeg error.
bool read_header(Decoder& d, const unsigned char* data, size_t size, Header& header) {
  if (setjmp(d.err.jump)) return false;
  jpeg_create_decompress(&d.cinfo);
  d.cinfo.progress = &d.progress;
  jpeg_mem_src(&d.cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&d.cinfo, TRUE);
  header.height = d.cinfo.image_height;
  header.width = d.cinfo.image_width;
  header.components = d.cinfo.num_components;
  header.color_space = d.cinfo.jpeg_color_space;
  return true;
}

// A complete file has its end-of-image marker FF D9 somewhere after the start of its scan
// data (entropy-coded bytes stuff every FF as FF 00, so FF D9 cannot occur inside them).
// libjpeg notices a cut file only on reaching the missing rows, so a region decode above the
// cut would otherwise succeed. Searching from the end finds it at once in a complete file.
bool has_end_marker(const unsigned char* data, size_t size, size_t scan_start) {
  if (size < 2 || scan_start > size - 2) return false;
  for (size_t i = size - 2;; --i) {
    if (data[i] == 0xFF && data[i + 1] == 0xD9) return true;
    if (i == scan_start) return false;
  }
}

// The output colour space for `mode`, and the channels of the result; false: not handled here.
bool choose_color_space(Decoder& d, Mode mode, int64_t& channels) {
  const J_COLOR_SPACE in = d.cinfo.jpeg_color_space;
  const bool gray_file = in == JCS_GRAYSCALE;
  if (in == JCS_CMYK || in == JCS_YCCK) {
    if (mode == Mode::kGray) return false;  // Pillow's CMYK -> L conversion: leave it to Pillow
    d.cinfo.out_color_space = JCS_CMYK;     // converted to RGB below, as Pillow does
    d.cmyk = true;
    channels = 3;
    return true;
  }
  if (!(gray_file || in == JCS_YCbCr || in == JCS_RGB)) return false;
  if (mode == Mode::kGray || (mode == Mode::kUnchanged && gray_file)) {
    d.cinfo.out_color_space = JCS_GRAYSCALE;
    channels = 1;
  } else {
    d.cinfo.out_color_space = JCS_EXT_RGB;
    channels = 3;
  }
  return true;
}

// Phase 2: scale, start, crop columns. `crop` is null for the whole image.
bool start(Decoder& d, const int64_t* crop, Region& region) {
  if (setjmp(d.err.jump)) return false;
  jpeg_decompress_struct& cinfo = d.cinfo;
  const int64_t height = cinfo.image_height, width = cinfo.image_width;
  cinfo.scale_num = static_cast<unsigned int>(region.scale_num);
  cinfo.scale_denom = 8;
  cinfo.dct_method = JDCT_ISLOW;  // libjpeg's default and Pillow's/torchvision's: same pixels
  jpeg_calc_output_dimensions(&cinfo);
  const int64_t sh = cinfo.output_height, sw = cinfo.output_width;
  region.scaled_height = sh;
  region.scaled_width = sw;
  int64_t y0 = 0, y1 = sh, x0 = 0, x1 = sw;
  if (crop) {
    // The box in scaled pixels, rounded outward, plus one pixel each side: libjpeg upsamples
    // chroma from neighbours, which a decode that starts or stops exactly at the box lacks.
    y0 = std::max<int64_t>(0, crop[0] * sh / height - 1);
    y1 = std::min<int64_t>(sh, ((crop[0] + crop[2]) * sh + height - 1) / height + 1);
    x0 = std::max<int64_t>(0, crop[1] * sw / width - 1);
    x1 = std::min<int64_t>(sw, ((crop[1] + crop[3]) * sw + width - 1) / width + 1);
  }
  jpeg_start_decompress(&cinfo);
  if (x0 > 0 || x1 < sw) {
    // Rounds the left edge down to an iMCU column and widens to match.
    JDIMENSION xoffset = static_cast<JDIMENSION>(x0), cropped = static_cast<JDIMENSION>(x1 - x0);
    jpeg_crop_scanline(&cinfo, &xoffset, &cropped);
    x0 = xoffset;
    x1 = x0 + cinfo.output_width;
  }
  region.top = y0;
  region.left = x0;
  region.height = y1 - y0;
  region.width = x1 - x0;
  return true;
}

// Pillow's CMYK -> RGB for the inverted (Adobe) CMYK libjpeg returns: Pillow reads these files
// as "CMYK;I" and converts with r = (255 - k) - (c * (255 - k)) / 255 on the inverted values.
inline uint8_t cmyk_channel(int raw_c, int raw_k) {
  const int product = (255 - raw_c) * raw_k + 128;
  return static_cast<uint8_t>(raw_k - ((product + (product >> 8)) >> 8));
}

// Phase 3: skip to the region, read its rows into `out` (H, W, C), stop after its last row.
bool read_rows(Decoder& d, const Region& region, uint8_t* out) {
  if (setjmp(d.err.jump)) return false;
  jpeg_decompress_struct& cinfo = d.cinfo;
  if (region.top > 0) jpeg_skip_scanlines(&cinfo, static_cast<JDIMENSION>(region.top));
  const int64_t row_bytes = region.width * region.channels;
  JSAMPARRAY cmyk_row = nullptr;
  if (d.cmyk) {  // freed with the decoder (libjpeg's image pool), also after an error
    cmyk_row = (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
                                          static_cast<JDIMENSION>(region.width * 4), 1);
  }
  int64_t row = 0;
  while (row < region.height) {
    JDIMENSION got;
    if (d.cmyk) {
      got = jpeg_read_scanlines(&cinfo, cmyk_row, 1);
      const uint8_t* in = cmyk_row[0];
      uint8_t* dst = out + row * row_bytes;
      for (int64_t x = 0; x < region.width; ++x, in += 4, dst += 3) {
        dst[0] = cmyk_channel(in[0], in[3]);
        dst[1] = cmyk_channel(in[1], in[3]);
        dst[2] = cmyk_channel(in[2], in[3]);
      }
    } else {
      JSAMPROW rows[8];
      const int64_t want = std::min<int64_t>(8, region.height - row);
      for (int64_t i = 0; i < want; ++i) rows[i] = out + (row + i) * row_bytes;
      got = jpeg_read_scanlines(&cinfo, rows, static_cast<JDIMENSION>(want));
    }
    if (got == 0) {  // cannot happen with an in-memory source; never loop forever
      std::snprintf(d.err.message, sizeof(d.err.message), "libjpeg returned no rows");
      return false;
    }
    row += got;
  }
  if (region.top + region.height == static_cast<int64_t>(cinfo.output_height)) {
    jpeg_finish_decompress(&cinfo);  // reads to the EOI marker: a cut-off tail is an error
  } else {
    jpeg_abort_decompress(&cinfo);  // rows below the region are never decoded
  }
  return true;
}

Mode parse_mode(const std::string& mode) {
  if (mode == "RGB") return Mode::kRgb;
  if (mode == "GRAY") return Mode::kGray;
  STD_TORCH_CHECK(mode == "UNCHANGED", "triptych::decode_jpeg: mode must be RGB, GRAY or UNCHANGED, got '",
                  mode, "'");
  return Mode::kUnchanged;
}

void check_data(const Tensor& data, const char* op) {
  STD_TORCH_CHECK(data.scalar_type() == ScalarType::Byte && data.dim() == 1 && data.is_contiguous(),
                  "triptych::", op, ": data must be a contiguous 1-D uint8 tensor");
  STD_TORCH_CHECK(data.is_cpu(), "triptych::", op, ": data must be on the CPU");
}

using DecodeResult = std::tuple<Tensor, std::vector<int64_t>, std::string>;

Tensor empty_bytes(const Tensor& like, std::vector<int64_t> shape) {
  return torch::stable::empty(shape, ScalarType::Byte, std::nullopt, like.device());
}

DecodeResult decode_jpeg_cpu(const Tensor& data, const std::string& mode_name,
                             const std::vector<int64_t>& crop, int64_t scale_num, int64_t max_pixels) {
  check_data(data, "decode_jpeg");
  const Mode mode = parse_mode(mode_name);
  STD_TORCH_CHECK(crop.empty() || crop.size() == 4,
                  "triptych::decode_jpeg: crop must be [] or [top, left, height, width]");
  STD_TORCH_CHECK(scale_num >= 1 && scale_num <= 8,
                  "triptych::decode_jpeg: scale_num must be in 1..8 (eighths), got ", scale_num);
  std::vector<int64_t> info(7, 0);
  const auto fail = [&](Status status, const std::string& message) {
    info[0] = status;
    return DecodeResult(empty_bytes(data, {0}), info, message);
  };
  Decoder d;
  Header header;
  if (!read_header(d, static_cast<const unsigned char*>(data.const_data_ptr()),
                   static_cast<size_t>(data.numel()), header)) {
    return fail(kCorrupt, d.err.message);
  }
  info[1] = header.height;
  info[2] = header.width;
  if (max_pixels >= 0 && header.height * header.width > max_pixels) {
    return fail(kTooLarge, "more pixels than max_pixels");
  }
  const auto* bytes = static_cast<const unsigned char*>(data.const_data_ptr());
  if (!has_end_marker(bytes, static_cast<size_t>(data.numel()),
                      static_cast<size_t>(d.cinfo.src->next_input_byte - bytes))) {
    return fail(kCorrupt, "Premature end of JPEG file (no end-of-image marker after the scan data)");
  }
  if (!crop.empty()) {
    STD_TORCH_CHECK(crop[0] >= 0 && crop[1] >= 0 && crop[2] > 0 && crop[3] > 0 &&
                        crop[0] + crop[2] <= header.height && crop[1] + crop[3] <= header.width,
                    "triptych::decode_jpeg: crop [", crop[0], ", ", crop[1], ", ", crop[2], ", ", crop[3],
                    "] is not inside the ", header.height, "x", header.width, " image");
  }
  Region region;
  region.scale_num = scale_num;
  if (!choose_color_space(d, mode, region.channels)) {
    return fail(kUnsupported, "colour space not converted by this decoder");
  }
  if (!start(d, crop.empty() ? nullptr : crop.data(), region)) {
    return fail(kCorrupt, d.err.message);
  }
  Tensor out = empty_bytes(data, {region.height, region.width, region.channels});
  if (!read_rows(d, region, static_cast<uint8_t*>(out.mutable_data_ptr()))) {
    return fail(kCorrupt, d.err.message);
  }
  info = {kOk, header.height, header.width, region.scaled_height, region.scaled_width, region.top,
          region.left};
  return DecodeResult(out, info, std::string());
}

// jpeg_header(data) -> (info, error): info = [status, height, width, components, color_space]
// with libjpeg's J_COLOR_SPACE numbering (1 grey, 2 RGB, 3 YCbCr, 4 CMYK, 5 YCCK).
std::tuple<std::vector<int64_t>, std::string> jpeg_header_cpu(const Tensor& data) {
  check_data(data, "jpeg_header");
  Decoder d;
  Header header;
  if (!read_header(d, static_cast<const unsigned char*>(data.const_data_ptr()),
                   static_cast<size_t>(data.numel()), header)) {
    return {std::vector<int64_t>{kCorrupt, 0, 0, 0, 0}, std::string(d.err.message)};
  }
  return {std::vector<int64_t>{kOk, header.height, header.width, header.components, header.color_space},
          std::string()};
}

// jpeg_library_version() -> int: LIBJPEG_TURBO_VERSION_NUMBER of the library linked in
// (2001005 = 2.1.5), for `triptych info`.
int64_t jpeg_library_version_cpu() { return LIBJPEG_TURBO_VERSION_NUMBER; }

}  // namespace
}  // namespace jpeg
}  // namespace triptych

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("decode_jpeg(Tensor data, str mode, int[] crop, int scale_num, int max_pixels) -> (Tensor, int[], str)");
  m.def("jpeg_header(Tensor data) -> (int[], str)");
  m.def("jpeg_library_version() -> int");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("decode_jpeg", TORCH_BOX(&triptych::jpeg::decode_jpeg_cpu));
  m.impl("jpeg_header", TORCH_BOX(&triptych::jpeg::jpeg_header_cpu));
  // No tensor argument to dispatch on: registered as the op's catch-all (CompositeExplicitAutograd).
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CompositeExplicitAutograd, m) {
  m.impl("jpeg_library_version", TORCH_BOX(&triptych::jpeg::jpeg_library_version_cpu));
}
