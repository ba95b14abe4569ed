using System.Buffers.Binary;
using System.IO.Compression;

namespace PixelCnn.ML.Tests.Data;

/// <summary>Writes small IDX files (plain or gzip) for the reader tests.</summary>
internal static class IdxTestFiles
{
    public static byte[] Images(int count, int rows, int cols, byte[]? pixels = null) =>
        Build(0x00000803, new[] { count, rows, cols }, pixels ?? Pattern(count * rows * cols));

    public static byte[] Labels(byte[] labels) => Build(0x00000801, new[] { labels.Length }, labels);

    public static byte[] Build(int magic, int[] dims, byte[] payload)
    {
        var b = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(b, 4 + 4 * dims.Length);
        return b;
    }

    public static byte[] Gzip(byte[] plain)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(plain);
        return ms.ToArray();
    }

    public static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 31 % 251)).ToArray();
}
