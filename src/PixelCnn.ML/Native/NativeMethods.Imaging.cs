// P/Invokes for the image codecs of the native shim (the "images" section of pixelcnn_native.h).
// Buffers handed back by these calls are malloc'ed by the shim and released with pcn_image_free;
// the callers in Imaging/ImageCodec.cs copy them into managed arrays and free them at once.
using System.Runtime.InteropServices;

namespace PixelCnn.ML.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)] internal static partial IntPtr pcn_image_decode(byte* data, long len, int maxSide, out IntPtr pixels, out int width, out int height, out int channels);
    [LibraryImport(Library)] internal static partial void pcn_image_free(IntPtr buffer);
    [LibraryImport(Library)] internal static partial IntPtr pcn_png_encode(byte* pixels, int width, int height, int channels, out IntPtr data, out long length);
    [LibraryImport(Library)] internal static partial IntPtr pcn_jpeg_encode(byte* pixels, int width, int height, int channels, int quality, int progressive, out IntPtr data, out long length);

    /// <summary>Returns the message of a failed status (freeing it), or null for success.</summary>
    internal static string? TakeStatusMessage(IntPtr status)
    {
        if (status == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(status) ?? "unknown native error"; }
        finally { pcn_free_status(status); }
    }

    /// <summary>Copies a shim-allocated image buffer into a new array and frees the native buffer.</summary>
    internal static byte[] TakeImageBuffer(IntPtr buffer, long length)
    {
        try
        {
            var result = GC.AllocateUninitializedArray<byte>(checked((int)length));
            new ReadOnlySpan<byte>((void*)buffer, result.Length).CopyTo(result);
            return result;
        }
        finally { pcn_image_free(buffer); }
    }
}
