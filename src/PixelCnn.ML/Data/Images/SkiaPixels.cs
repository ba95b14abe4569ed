// The pixel bytes of a SkiaSharp bitmap, read through GetPixels(), whose signature has not changed across SkiaSharp's
// major versions. (GetPixelSpan returned ReadOnlySpan<byte> in 2.88 and Span<byte> in 3: code compiled against one
// fails with MissingMethodException on the other.)
using SkiaSharp;

namespace PixelCnn.ML.Data.Images;

internal static class SkiaPixels
{
    /// <summary>The bitmap's pixel bytes, valid while the bitmap lives.</summary>
    public static unsafe ReadOnlySpan<byte> Of(SKBitmap bitmap)
    {
        var pixels = bitmap.GetPixels();
        if (pixels == IntPtr.Zero) throw new InvalidOperationException("the bitmap has no pixels");
        return new ReadOnlySpan<byte>((void*)pixels, checked(bitmap.RowBytes * bitmap.Height));
    }
}
