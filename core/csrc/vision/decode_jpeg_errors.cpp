// libjpeg's standard error manager (jpeg_std_error and its message table), compiled here as
// position-independent code in place of the archive's jerror.o.
//
// Why: Debian's static libjpeg.a (libjpeg62-turbo-dev 2.1.5) is not built with -fPIC. Linked
// into _C.so with its symbols made local (-Wl,--exclude-libs), every reference between its
// objects resolves at link time and needs no GOT — except jerror.o's direct reference to
// glibc's `stderr`, which no shared object can satisfy. Defining jerror.o's two symbols here
// keeps the linker from pulling that one object in (setup.py's link check proves the result
// links). jerror.h documents this use: include it with JMESSAGE defined to get the strings.
//
// The decoder (decode_jpeg.cpp) replaces error_exit and emit_message with its own; these
// defaults only matter to code that would use jpeg_std_error without overriding them.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <jpeglib.h>

#define JMESSAGE(code, string) string,
// Two messages quote jversion.h, which is not installed.
#define TRIPTYCH_STR2(x) #x
#define TRIPTYCH_STR(x) TRIPTYCH_STR2(x)
#ifndef JVERSION
#define JVERSION "libjpeg-turbo " TRIPTYCH_STR(LIBJPEG_TURBO_VERSION)
#endif
#ifndef JCOPYRIGHT_SHORT
#define JCOPYRIGHT_SHORT "Copyright (C) the libjpeg-turbo authors and the Independent JPEG Group"
#endif
#define TRIPTYCH_HIDDEN __attribute__((visibility("hidden")))

extern "C" {

TRIPTYCH_HIDDEN extern const char* const jpeg_std_message_table[];
TRIPTYCH_HIDDEN struct jpeg_error_mgr* jpeg_std_error(struct jpeg_error_mgr* err);

const char* const jpeg_std_message_table[] = {
#include <jerror.h>
    nullptr};

}  // extern "C"

#undef JMESSAGE

namespace {

constexpr int kMessageCount =
    static_cast<int>(sizeof(jpeg_std_message_table) / sizeof(jpeg_std_message_table[0])) - 1;

void format_message(j_common_ptr cinfo, char* buffer) {
  jpeg_error_mgr* err = cinfo->err;
  const int code = err->msg_code;
  const char* format = nullptr;
  if (code > 0 && code <= err->last_jpeg_message) {
    format = err->jpeg_message_table[code];
  } else if (err->addon_message_table != nullptr && code >= err->first_addon_message &&
             code <= err->last_addon_message) {
    format = err->addon_message_table[code - err->first_addon_message];
  }
  if (format == nullptr) {  // message 0 is "Bogus message code %d"
    err->msg_parm.i[0] = code;
    format = err->jpeg_message_table[0];
  }
  // libjpeg's messages take either one string or up to eight ints (msg_parm is a union).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
  if (std::strstr(format, "%s") != nullptr) {
    std::snprintf(buffer, JMSG_LENGTH_MAX, format, err->msg_parm.s);
  } else {
    const int* i = err->msg_parm.i;
    std::snprintf(buffer, JMSG_LENGTH_MAX, format, i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]);
  }
#pragma GCC diagnostic pop
}

void output_message(j_common_ptr cinfo) {
  char buffer[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, buffer);
  std::fprintf(stderr, "%s\n", buffer);
}

void emit_message(j_common_ptr cinfo, int msg_level) {
  jpeg_error_mgr* err = cinfo->err;
  if (msg_level < 0) {  // a warning: shown once, or every time when tracing
    if (err->num_warnings == 0 || err->trace_level >= 3) (*err->output_message)(cinfo);
    err->num_warnings++;
  } else if (err->trace_level >= msg_level) {
    (*err->output_message)(cinfo);
  }
}

// libjpeg's default exits the process; nothing in triptych relies on it (the decoder installs
// its own), so an unexpected fatal error stops loudly instead.
[[noreturn]] void error_exit(j_common_ptr cinfo) {
  (*cinfo->err->output_message)(cinfo);
  std::abort();
}

void reset_error_mgr(j_common_ptr cinfo) {
  cinfo->err->num_warnings = 0;
  cinfo->err->msg_code = 0;
}

}  // namespace

extern "C" struct jpeg_error_mgr* jpeg_std_error(struct jpeg_error_mgr* err) {
  std::memset(err, 0, sizeof(*err));
  err->error_exit = error_exit;
  err->emit_message = emit_message;
  err->output_message = output_message;
  err->format_message = format_message;
  err->reset_error_mgr = reset_error_mgr;
  err->jpeg_message_table = jpeg_std_message_table;
  err->last_jpeg_message = kMessageCount - 1;
  return err;
}
