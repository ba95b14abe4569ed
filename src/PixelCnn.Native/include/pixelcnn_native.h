/* PixelCnn.ML native image codecs: a flat C ABI over libpng and TurboJPEG for decoding untrusted
 * image files and encoding result pictures. The tensor engine is TorchSharp; nothing here links
 * libtorch.
 *
 * Conventions:
 *  - Every call that can fail returns pcn_status: NULL on success, otherwise a heap-allocated
 *    UTF-8 message that the caller must release with pcn_free_status. No C++ exception, and no
 *    longjmp, ever leaves this library.
 */
#ifndef PIXELCNN_NATIVE_H
#define PIXELCNN_NATIVE_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PCN_BUILDING)
#define PCN_API __attribute__((visibility("default")))
#else
#define PCN_API
#endif

/* Bump on any change of an exported signature or of the meaning of a code. */
#define PCN_ABI_VERSION 2

typedef char* pcn_status;

PCN_API int32_t pcn_abi_version(void);
PCN_API void pcn_free_status(pcn_status status);

/* ---- images (image_codec.cpp) -------------------------------------------------------------
 * Decoders for untrusted files: libpng (classic API, errors contained inside the shim) and
 * TurboJPEG 2.1. The format is sniffed from the magic bytes. Output is always 8-bit, HWC,
 * row-major, no padding, with 1 channel (gray) or 3 (RGB):
 *   PNG gray / gray+alpha -> 1 channel; RGB / RGBA / palette -> 3 channels. Alpha and tRNS
 *   transparency are dropped (no compositing). 16-bit samples keep their high byte; 1/2/4-bit
 *   gray is scaled to 0..255. No gamma or colour-profile conversion is applied (gAMA, cHRM,
 *   sRGB, iCCP are ignored), so stored sample values come out unchanged.
 *   JPEG grayscale -> 1 channel; YCbCr / RGB -> 3 channels; CMYK and YCCK are rejected.
 * Limits: at most PCN_IMAGE_MAX_BYTES of input; width and height 1..max_side, where max_side
 * is 1..PCN_IMAGE_MAX_SIDE (0 selects PCN_IMAGE_MAX_SIDE). Any libjpeg warning (e.g. a
 * truncated file) is a failure. On failure *pixels is NULL and the status says why, starting
 * with "PNG: " or "JPEG: " when the decoder itself objected.
 * Buffers returned by pcn_image_decode, pcn_png_encode and pcn_jpeg_encode are released with
 * pcn_image_free (NULL is a no-op). */
#define PCN_IMAGE_MAX_BYTES (32LL * 1024 * 1024)
#define PCN_IMAGE_MAX_SIDE 4096
PCN_API pcn_status pcn_image_decode(const uint8_t* data, int64_t len, int32_t max_side, uint8_t** pixels,
                                    int32_t* width, int32_t* height, int32_t* channels);
PCN_API void pcn_image_free(uint8_t* buffer);
/* 8-bit HWC pixels, channels 1 (gray) or 3 (RGB), width/height 1..PCN_IMAGE_MAX_SIDE; writes a
 * non-interlaced PNG with no ancillary chunks into a new buffer. */
PCN_API pcn_status pcn_png_encode(const uint8_t* pixels, int32_t width, int32_t height, int32_t channels,
                                  uint8_t** out, int64_t* out_len);
/* Baseline (or progressive when progressive != 0) JPEG, quality 1..100, 4:4:4 for RGB.
 * channels 1 (gray), 3 (RGB) or 4 (CMYK pixels, written as an Adobe YCCK JPEG — which
 * pcn_image_decode rejects; it exists so that rejection can be tested). width/height 1..65535. */
PCN_API pcn_status pcn_jpeg_encode(const uint8_t* pixels, int32_t width, int32_t height, int32_t channels,
                                   int32_t quality, int32_t progressive, uint8_t** out, int64_t* out_len);

#ifdef __cplusplus
}
#endif
#endif
