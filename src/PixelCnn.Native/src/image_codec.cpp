// Image decoding of untrusted files (PNG via libpng's classic API, JPEG via TurboJPEG 2.1) and
// encoding for saving results. The contract (output layout, limits, what is dropped) is in the
// "images" section of pixelcnn_native.h.
//
// libpng reports errors by longjmp. That longjmp must never cross a C++ frame with a non-trivial
// destructor, nor a managed frame: every libpng call therefore happens inside png_read_core /
// png_write_core, plain C-style functions whose frames hold only pointers and integers and whose
// mutable state lives in a POD context owned by the caller. The error handler copies libpng's
// message into that context and jumps back to the setjmp in the same core function, which frees
// libpng's structs and returns a failure code; buffers it allocated stay in the context for the
// caller to free. Nothing else in this file throws through libpng or TurboJPEG.
#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include "common.h"
#if defined(PCN_WITH_PNG)
#include <png.h>
#endif
#if defined(PCN_WITH_JPEG)
#include <turbojpeg.h>
#endif

namespace {

constexpr int64_t kMaxInputBytes = PCN_IMAGE_MAX_BYTES;
constexpr int32_t kMaxSide = PCN_IMAGE_MAX_SIDE;

struct Decoded {
  uint8_t* pixels = nullptr;  // malloc'ed; ownership passes to the caller of pcn_image_decode
  int32_t width = 0, height = 0, channels = 0;
};

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

std::string size_limit_message(int64_t w, int64_t h, int32_t max_side) {
  if (w < 1 || h < 1)
    return format("image is %lldx%lld pixels; width and height must be at least 1", static_cast<long long>(w),
                  static_cast<long long>(h));
  return format("image is %lldx%lld pixels; the limit is %d per side", static_cast<long long>(w),
                static_cast<long long>(h), max_side);
}

bool side_ok(int64_t w, int64_t h, int32_t max_side) { return w >= 1 && h >= 1 && w <= max_side && h <= max_side; }

// w*h*c with overflow checks; the limits make overflow impossible today, the check keeps it so.
size_t checked_bytes(int64_t w, int64_t h, int64_t c) {
  int64_t wh = 0, whc = 0;
  if (__builtin_mul_overflow(w, h, &wh) || __builtin_mul_overflow(wh, c, &whc) || whc <= 0 ||
      static_cast<uint64_t>(whc) > SIZE_MAX)
    throw std::length_error("decoded image size overflows");
  return static_cast<size_t>(whc);
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// In place: keep the first `keep` of every `from` bytes (drops alpha). dst never overtakes src.
void drop_trailing_channels(uint8_t* p, size_t pixels, int from, int keep) {
  for (size_t i = 0; i < pixels; i++)
    for (int k = 0; k < keep; k++) p[i * keep + k] = p[i * from + k];
}

// ---------------------------------------------------------------------------------------------
// PNG
#if defined(PCN_WITH_PNG)

// Bound on what libpng may allocate for one chunk, and on how many ancillary chunks it keeps;
// those chunks are discarded anyway (see png_read_core), this caps what reading them costs.
constexpr png_alloc_size_t kPngChunkMallocMax = 1 << 20;
constexpr png_uint_32 kPngChunkCacheMax = 128;

// libpng's error pointer: where the error handler leaves the message before jumping back.
struct PngErrorSink {
  char message[256];
};

void png_on_error(png_structp png, png_const_charp msg) {
  auto* sink = static_cast<PngErrorSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof sink->message, "PNG: %s", msg ? msg : "unknown libpng error");
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {
  // Warnings are recoverable conditions (bad CRC in a discarded ancillary chunk, extra
  // compressed data); the image data itself is still validated. Nothing goes to stderr.
}

// Everything the read core mutates, so nothing of value lives in its frame across a longjmp.
struct PngReadCtx {
  const uint8_t* data;
  size_t len;
  size_t pos;
  int32_t max_side;
  uint8_t* image;       // rows as libpng delivers them after the transforms (malloc)
  png_bytep* rows;      // row pointers into image (malloc)
  png_uint_32 width, height;
  int channels;         // after the transforms: 1..4 samples of 8 bits
  PngErrorSink error;
};

void png_read_from_memory(png_structp png, png_bytep out, size_t n) {
  auto* ctx = static_cast<PngReadCtx*>(png_get_io_ptr(png));
  if (n > ctx->len - ctx->pos) png_error(png, "file is truncated (read past the end of the data)");
  std::memcpy(out, ctx->data + ctx->pos, n);
  ctx->pos += n;
}

// Returns 0 on success (ctx->image holds width*height*channels bytes), 1 on failure (ctx->error
// says why). The caller frees ctx->rows, and ctx->image on failure. Only POD in this frame.
int png_read_core(PngReadCtx* ctx) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx->error, png_on_error, png_on_warning);
  if (png == nullptr) {
    std::snprintf(ctx->error.message, sizeof ctx->error.message, "PNG: out of memory creating the decoder");
    return 1;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(ctx->error.message, sizeof ctx->error.message, "PNG: out of memory creating the decoder");
    return 1;
  }
  // png and info are not modified between here and any longjmp, so they need not be volatile.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return 1;
  }
  png_set_read_fn(png, ctx, png_read_from_memory);
  png_set_user_limits(png, kMaxSide, kMaxSide);
  png_set_chunk_malloc_max(png, kPngChunkMallocMax);
  png_set_chunk_cache_max(png, kPngChunkCacheMax);
  // Every ancillary chunk is skipped unparsed (CRC-checked only): no text, ICC profile, EXIF or
  // gamma handling to attack, and gamma can never be applied. tRNS is skipped too because alpha
  // is dropped anyway; palette images then expand straight to RGB.
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, -1);
  static const png_byte kTrns[5] = {'t', 'R', 'N', 'S', '\0'};
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kTrns, 1);

  png_read_info(png, info);
  png_uint_32 w = 0, h = 0;
  int bit_depth = 0, color_type = 0;
  png_get_IHDR(png, info, &w, &h, &bit_depth, &color_type, nullptr, nullptr, nullptr);
  if (w < 1 || h < 1 || w > static_cast<png_uint_32>(ctx->max_side) || h > static_cast<png_uint_32>(ctx->max_side)) {
    // Normally caught from the raw IHDR bytes before libpng runs (decode_png); a backstop.
    std::snprintf(ctx->error.message, sizeof ctx->error.message, "image is %ux%u pixels; width and height must be 1..%d", w, h,
                  ctx->max_side);
    png_destroy_read_struct(&png, &info, nullptr);
    return 1;
  }
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bit_depth == 16) png_set_strip_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  const int channels = png_get_channels(png, info);
  const size_t rowbytes = png_get_rowbytes(png, info);
  if (png_get_bit_depth(png, info) != 8 || channels < 1 || channels > 4 || rowbytes != size_t(w) * size_t(channels))
    png_error(png, "unexpected sample layout after conversion to 8 bits");
  // w, h <= 4096 and channels <= 4: at most 64 MiB, no overflow in size_t.
  ctx->image = static_cast<uint8_t*>(std::malloc(rowbytes * h));
  ctx->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * h));
  if (ctx->image == nullptr || ctx->rows == nullptr) png_error(png, "out of memory for the decoded image");
  for (png_uint_32 y = 0; y < h; y++) ctx->rows[y] = ctx->image + size_t(y) * rowbytes;
  png_read_image(png, ctx->rows);
  png_read_end(png, nullptr);  // reads up to IEND: a file cut after the pixel data is still rejected
  ctx->width = w;
  ctx->height = h;
  ctx->channels = channels;
  png_destroy_read_struct(&png, &info, nullptr);
  return 0;
}

Decoded decode_png(const uint8_t* data, size_t len, int32_t max_side) {
  // Read the size from IHDR ourselves first, so an oversized image gets the same message as a
  // JPEG rather than libpng's "exceeds user limit" (libpng's limit still applies as a backstop).
  if (len >= 24 && std::memcmp(data + 12, "IHDR", 4) == 0) {
    int64_t w = be32(data + 16), h = be32(data + 20);
    if (!side_ok(w, h, max_side)) throw std::runtime_error(size_limit_message(w, h, max_side));
  }
  PngReadCtx ctx;
  std::memset(&ctx, 0, sizeof ctx);
  ctx.data = data;
  ctx.len = len;
  ctx.max_side = max_side;
  int rc = png_read_core(&ctx);
  std::free(ctx.rows);
  if (rc != 0) {
    std::free(ctx.image);
    throw std::runtime_error(ctx.error.message);
  }
  Decoded d;
  d.pixels = ctx.image;
  d.width = static_cast<int32_t>(ctx.width);
  d.height = static_cast<int32_t>(ctx.height);
  // Gray+alpha -> gray, RGBA -> RGB: alpha is dropped, not composited.
  d.channels = ctx.channels <= 2 ? 1 : 3;
  if (ctx.channels != d.channels)
    drop_trailing_channels(d.pixels, size_t(d.width) * size_t(d.height), ctx.channels, d.channels);
  return d;
}

struct PngWriteCtx {
  const uint8_t* pixels;
  png_uint_32 width, height;
  int channels;
  uint8_t* out;  // growing output buffer (malloc)
  size_t len, cap;
  png_bytep* rows;
  PngErrorSink error;
};

void png_write_to_memory(png_structp png, png_bytep data, size_t n) {
  auto* ctx = static_cast<PngWriteCtx*>(png_get_io_ptr(png));
  if (n > ctx->cap - ctx->len) {
    size_t cap = ctx->cap ? ctx->cap : 4096;
    while (cap - ctx->len < n) {
      if (cap > SIZE_MAX / 2) png_error(png, "encoded image too large");
      cap *= 2;
    }
    auto* grown = static_cast<uint8_t*>(std::realloc(ctx->out, cap));
    if (grown == nullptr) png_error(png, "out of memory for the encoded image");
    ctx->out = grown;
    ctx->cap = cap;
  }
  std::memcpy(ctx->out + ctx->len, data, n);
  ctx->len += n;
}

void png_flush_noop(png_structp) {}

// Same discipline as png_read_core: 0 on success, 1 with ctx->error set; the caller frees
// ctx->out (on failure) and ctx->rows.
int png_write_core(PngWriteCtx* ctx) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx->error, png_on_error, png_on_warning);
  if (png == nullptr) {
    std::snprintf(ctx->error.message, sizeof ctx->error.message, "PNG: out of memory creating the encoder");
    return 1;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    std::snprintf(ctx->error.message, sizeof ctx->error.message, "PNG: out of memory creating the encoder");
    return 1;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return 1;
  }
  png_set_write_fn(png, ctx, png_write_to_memory, png_flush_noop);
  png_set_IHDR(png, info, ctx->width, ctx->height, 8, ctx->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  const size_t stride = size_t(ctx->width) * size_t(ctx->channels);
  ctx->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * ctx->height));
  if (ctx->rows == nullptr) png_error(png, "out of memory for row pointers");
  // libpng's row pointer type is non-const, but writing never modifies the rows.
  for (png_uint_32 y = 0; y < ctx->height; y++) ctx->rows[y] = const_cast<uint8_t*>(ctx->pixels) + size_t(y) * stride;
  png_write_info(png, info);
  png_write_image(png, ctx->rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return 0;
}

#endif  // PCN_WITH_PNG

// ---------------------------------------------------------------------------------------------
// JPEG
#if defined(PCN_WITH_JPEG)

struct TjHandle {
  tjhandle h;
  explicit TjHandle(tjhandle x) : h(x) {}
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
  TjHandle(const TjHandle&) = delete;
  TjHandle& operator=(const TjHandle&) = delete;
};

std::string tj_error(tjhandle h) {
  const char* m = tjGetErrorStr2(h);
  return std::string("JPEG: ") + (m && *m ? m : "unknown TurboJPEG error");
}

Decoded decode_jpeg(const uint8_t* data, size_t len, int32_t max_side) {
  TjHandle tj(tjInitDecompress());
  if (tj.h == nullptr) throw std::runtime_error(tj_error(nullptr));
  int w = 0, h = 0, subsamp = 0, colorspace = -1;
  if (tjDecompressHeader3(tj.h, data, static_cast<unsigned long>(len), &w, &h, &subsamp, &colorspace) != 0)
    throw std::runtime_error(tj_error(tj.h));
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK)
    throw std::runtime_error(std::string("JPEG: ") + (colorspace == TJCS_CMYK ? "CMYK" : "YCCK") +
                             " JPEG images are not supported (only grayscale and RGB/YCbCr)");
  // A tables-only stream parses as a header with no image: w and h stay 0.
  if (!side_ok(w, h, max_side)) throw std::runtime_error(size_limit_message(w, h, max_side));
  Decoded d;
  d.width = w;
  d.height = h;
  d.channels = colorspace == TJCS_GRAY ? 1 : 3;
  size_t bytes = checked_bytes(w, h, d.channels);
  d.pixels = static_cast<uint8_t*>(std::malloc(bytes));
  if (d.pixels == nullptr) throw std::bad_alloc();
  // STOPONWARNING stops at the first libjpeg warning (corrupt or truncated data); either way a
  // return of -1 is a failure, warning or not, so a half-decoded image never comes back.
  int flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS | TJFLAG_STOPONWARNING;
  int rc = tjDecompress2(tj.h, data, static_cast<unsigned long>(len), d.pixels, w, 0, h,
                         d.channels == 1 ? TJPF_GRAY : TJPF_RGB, flags);
  if (rc != 0) {
    std::free(d.pixels);
    throw std::runtime_error(tj_error(tj.h));
  }
  return d;
}

#endif  // PCN_WITH_JPEG

const char* sniff_other_format(const uint8_t* p, size_t n) {
  auto starts = [&](const char* magic, size_t m) { return n >= m && std::memcmp(p, magic, m) == 0; };
  if (starts("GIF87a", 6) || starts("GIF89a", 6)) return "GIF";
  if (starts("BM", 2)) return "BMP";
  if (n >= 12 && std::memcmp(p, "RIFF", 4) == 0 && std::memcmp(p + 8, "WEBP", 4) == 0) return "WebP";
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return "TIFF";
  if (n >= 12 && std::memcmp(p + 4, "ftyp", 4) == 0) return "HEIF/AVIF";
  if (starts("P5", 2) || starts("P6", 2)) return "PNM";
  return nullptr;
}

Decoded decode_any(const uint8_t* data, int64_t len, int32_t max_side) {
  if (len > kMaxInputBytes)
    throw std::runtime_error(format("image data is %lld bytes; the limit is %lld (32 MiB)", static_cast<long long>(len),
                                    static_cast<long long>(kMaxInputBytes)));
  if (len <= 0) throw std::runtime_error("empty image data (0 bytes)");
  const size_t n = static_cast<size_t>(len);
  if (n >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) {
#if defined(PCN_WITH_PNG)
    return decode_png(data, n, max_side);
#else
    throw std::runtime_error("PNG support was not compiled into the native library (libpng was not found at build time)");
#endif
  }
  if (n >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
#if defined(PCN_WITH_JPEG)
    return decode_jpeg(data, n, max_side);
#else
    throw std::runtime_error("JPEG support was not compiled into the native library (TurboJPEG was not found at build time)");
#endif
  }
  if (const char* other = sniff_other_format(data, n))
    throw std::runtime_error(format("unsupported image format (%s; only PNG and JPEG are supported)", other));
  throw std::runtime_error("unsupported image format (not PNG or JPEG)");
}

void check_encode_args(const uint8_t* pixels, int32_t width, int32_t height, int32_t max_side, void* out, int64_t* out_len) {
  if (pixels == nullptr || out == nullptr || out_len == nullptr) throw std::invalid_argument("null pointer argument");
  if (!side_ok(width, height, max_side)) throw std::invalid_argument(size_limit_message(width, height, max_side));
}

}  // namespace

extern "C" {

PCN_API pcn_status pcn_image_decode(const uint8_t* data, int64_t len, int32_t max_side, uint8_t** pixels,
                                    int32_t* width, int32_t* height, int32_t* channels) {
  PCN_TRY
  if (pixels == nullptr || width == nullptr || height == nullptr || channels == nullptr)
    throw std::invalid_argument("null output pointer");
  *pixels = nullptr;
  *width = *height = *channels = 0;
  if (data == nullptr && len != 0) throw std::invalid_argument("null data pointer");
  if (max_side == 0) max_side = kMaxSide;
  if (max_side < 1 || max_side > kMaxSide)
    throw std::invalid_argument(format("max_side must be 1..%d (or 0 for %d), got %d", kMaxSide, kMaxSide, max_side));
  Decoded d = decode_any(data, len, max_side);
  *pixels = d.pixels;
  *width = d.width;
  *height = d.height;
  *channels = d.channels;
  PCN_CATCH
}

PCN_API void pcn_image_free(uint8_t* buffer) { std::free(buffer); }

PCN_API pcn_status pcn_png_encode(const uint8_t* pixels, int32_t width, int32_t height, int32_t channels, uint8_t** out,
                                  int64_t* out_len) {
  PCN_TRY
  check_encode_args(pixels, width, height, kMaxSide, out, out_len);
  *out = nullptr;
  *out_len = 0;
  if (channels != 1 && channels != 3) throw std::invalid_argument(format("PNG encoding takes 1 or 3 channels, got %d", channels));
#if defined(PCN_WITH_PNG)
  PngWriteCtx ctx;
  std::memset(&ctx, 0, sizeof ctx);
  ctx.pixels = pixels;
  ctx.width = static_cast<png_uint_32>(width);
  ctx.height = static_cast<png_uint_32>(height);
  ctx.channels = channels;
  int rc = png_write_core(&ctx);
  std::free(ctx.rows);
  if (rc != 0) {
    std::free(ctx.out);
    throw std::runtime_error(ctx.error.message);
  }
  *out = ctx.out;
  *out_len = static_cast<int64_t>(ctx.len);
#else
  throw std::runtime_error("PNG support was not compiled into the native library (libpng was not found at build time)");
#endif
  PCN_CATCH
}

PCN_API pcn_status pcn_jpeg_encode(const uint8_t* pixels, int32_t width, int32_t height, int32_t channels,
                                   int32_t quality, int32_t progressive, uint8_t** out, int64_t* out_len) {
  PCN_TRY
  check_encode_args(pixels, width, height, 65535, out, out_len);
  *out = nullptr;
  *out_len = 0;
  if (channels != 1 && channels != 3 && channels != 4)
    throw std::invalid_argument(format("JPEG encoding takes 1, 3 or 4 (CMYK) channels, got %d", channels));
  if (quality < 1 || quality > 100) throw std::invalid_argument(format("JPEG quality must be 1..100, got %d", quality));
#if defined(PCN_WITH_JPEG)
  TjHandle tj(tjInitCompress());
  if (tj.h == nullptr) throw std::runtime_error(tj_error(nullptr));
  const int subsamp = channels == 1 ? TJSAMP_GRAY : TJSAMP_444;
  const int format_code = channels == 1 ? TJPF_GRAY : channels == 3 ? TJPF_RGB : TJPF_CMYK;
  unsigned long cap = tjBufSize(width, height, subsamp);
  if (cap == static_cast<unsigned long>(-1)) throw std::runtime_error(tj_error(nullptr));
  if (channels == 4) cap += cap / 3;  // tjBufSize (2.1) budgets for three components, CMYK has four
  // Our own malloc'ed buffer (NOREALLOC: tjBufSize is the documented worst case), so every
  // buffer this file returns is released the same way, by pcn_image_free.
  unsigned char* buf = static_cast<unsigned char*>(std::malloc(cap));
  if (buf == nullptr) throw std::bad_alloc();
  unsigned long size = cap;
  int flags = TJFLAG_ACCURATEDCT | TJFLAG_NOREALLOC | (progressive ? TJFLAG_PROGRESSIVE : 0);
  if (tjCompress2(tj.h, pixels, width, 0, height, format_code, &buf, &size, subsamp, quality, flags) != 0) {
    std::free(buf);
    throw std::runtime_error(tj_error(tj.h));
  }
  *out = buf;
  *out_len = static_cast<int64_t>(size);
#else
  throw std::runtime_error("JPEG support was not compiled into the native library (TurboJPEG was not found at build time)");
#endif
  PCN_CATCH
}

}  // extern "C"
