// Hand-made PNG files for the decoder tests: any colour type, bit depth, Adam7 interlacing and
// extra chunks (gAMA, PLTE, tRNS...), which the library's own encoder never writes. Samples go in
// unfiltered (filter type 0), compressed with zlib; CRC-32 is computed here.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace PixelCnn.ML.Tests.Pictures;

internal sealed class PngBuilder
{
    public const int Gray = 0, Rgb = 2, Palette = 3, GrayAlpha = 4, Rgba = 6;

    private readonly int _width, _height, _bitDepth, _colorType;
    private readonly List<(string Type, byte[] Data)> _chunksBeforeIdat = new();
    private int[]? _samples;

    public PngBuilder(int width, int height, int bitDepth, int colorType)
    {
        _width = width;
        _height = height;
        _bitDepth = bitDepth;
        _colorType = colorType;
    }

    public bool Interlaced { get; init; }

    public int SamplesPerPixel => _colorType switch { Gray => 1, Rgb => 3, Palette => 1, GrayAlpha => 2, Rgba => 4, _ => throw new ArgumentException("colour type") };

    public PngBuilder Chunk(string type, params byte[] data)
    {
        _chunksBeforeIdat.Add((type, data));
        return this;
    }

    /// <summary>Samples in HWC order, each 0..2^bitDepth-1 (palette indices for palette images).</summary>
    public PngBuilder Samples(params int[] samples)
    {
        if (samples.Length != _width * _height * SamplesPerPixel) throw new ArgumentException("sample count");
        _samples = samples;
        return this;
    }

    public byte[] ToArray()
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)_width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)_height);
        ihdr[8] = (byte)_bitDepth;
        ihdr[9] = (byte)_colorType;
        ihdr[12] = (byte)(Interlaced ? 1 : 0);
        var ms = new MemoryStream();
        ms.Write(Signature);
        WriteChunk(ms, "IHDR", ihdr);
        foreach (var (type, data) in _chunksBeforeIdat) WriteChunk(ms, type, data);
        WriteChunk(ms, "IDAT", Zlib(RawScanlines()));
        WriteChunk(ms, "IEND", Array.Empty<byte>());
        return ms.ToArray();
    }

    public static ReadOnlySpan<byte> Signature => new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };

    public static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)data.Length);
        s.Write(len);
        var typeAndData = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData.AsSpan(4));
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32.Compute(typeAndData));
        s.Write(len);
    }

    public static byte[] Be32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    private byte[] RawScanlines()
    {
        var samples = _samples ?? throw new InvalidOperationException("no samples");
        var outStream = new MemoryStream();
        if (!Interlaced)
        {
            WritePass(outStream, samples, 0, 0, 1, 1);
        }
        else
        {
            // Adam7: (x0, y0, dx, dy) of each pass.
            int[,] passes = { { 0, 0, 8, 8 }, { 4, 0, 8, 8 }, { 0, 4, 4, 8 }, { 2, 0, 4, 4 }, { 0, 2, 2, 4 }, { 1, 0, 2, 2 }, { 0, 1, 1, 2 } };
            for (int p = 0; p < 7; p++) WritePass(outStream, samples, passes[p, 0], passes[p, 1], passes[p, 2], passes[p, 3]);
        }
        return outStream.ToArray();
    }

    private void WritePass(Stream s, int[] samples, int x0, int y0, int dx, int dy)
    {
        int spp = SamplesPerPixel;
        var xs = Enumerable.Range(0, _width).Where(x => x >= x0 && (x - x0) % dx == 0).ToArray();
        if (xs.Length == 0) return;
        for (int y = y0; y < _height; y += dy)
        {
            var bits = new List<int>();
            foreach (var x in xs)
                for (int k = 0; k < spp; k++) bits.Add(samples[(y * _width + x) * spp + k]);
            s.WriteByte(0); // filter: none
            s.Write(Pack(bits));
        }
    }

    private byte[] Pack(List<int> values)
    {
        if (_bitDepth == 8) return values.Select(v => (byte)v).ToArray();
        if (_bitDepth == 16) return values.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();
        int perByte = 8 / _bitDepth;
        var packed = new byte[(values.Count + perByte - 1) / perByte];
        for (int i = 0; i < values.Count; i++)
            packed[i / perByte] |= (byte)(values[i] << (8 - _bitDepth * (i % perByte + 1)));
        return packed;
    }

    private static byte[] Zlib(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    /// <summary>(offset of the length field, data length) of every chunk of a PNG.</summary>
    public static List<(int Offset, int Length, string Type)> Chunks(ReadOnlySpan<byte> png)
    {
        var list = new List<(int, int, string)>();
        int pos = 8;
        while (pos + 12 <= png.Length)
        {
            int len = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(png.Slice(pos)), int.MaxValue);
            string type = Encoding.ASCII.GetString(png.Slice(pos + 4, 4));
            list.Add((pos, len, type));
            if (len > png.Length - pos - 12) break;
            pos += 12 + len;
        }
        return list;
    }

    /// <summary>Recomputes the CRC of the chunk whose length field is at <paramref name="offset"/>.</summary>
    public static void FixCrc(byte[] png, int offset, int length)
    {
        var crc = Crc32.Compute(png.AsSpan(offset + 4, 4 + length));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(offset + 8 + length), crc);
    }
}

/// <summary>CRC-32 (ISO 3309 / ITU-T V.42, as used by PNG and zlib).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
