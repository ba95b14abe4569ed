// Mutation fuzzing of the decoders: thousands of damaged PNG and JPEG files must each either
// decode to a well-formed image or be rejected with InvalidImageException — never crash the
// process, hang, or return a malformed buffer. Deterministic (fixed seed) so a failure reproduces.
using System.Buffers.Binary;
using System.Diagnostics;
using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Tests.Imaging;

[TestClass]
public class ImageDecodeFuzzTests
{
    // 500 per seed file keeps the test well under a second; set PIXELCNN_FUZZ_CASES_PER_SEED to run
    // a longer campaign locally (e.g. 100000).
    private static readonly int CasesPerSeed =
        int.TryParse(Environment.GetEnvironmentVariable("PIXELCNN_FUZZ_CASES_PER_SEED"), out var n) && n > 0 ? n : 500;

    [TestMethod]
    public void Mutated_png_and_jpeg_files_decode_to_valid_images_or_are_rejected()
    {
        var seeds = SeedFiles();
        var rng = new Random(20261122);
        int decoded = 0, rejected = 0, cases = 0;
        var sw = Stopwatch.StartNew();
        foreach (var (name, bytes, isPng) in seeds)
        {
            for (int i = 0; i < CasesPerSeed; i++)
            {
                var (mutated, how) = Mutate(bytes, isPng, rng);
                cases++;
                try
                {
                    var image = ImageCodec.Decode(mutated, $"{name}#{i}");
                    Assert.IsTrue(image.Width >= 1 && image.Height >= 1 && image.Width <= ImageCodec.MaxSide && image.Height <= ImageCodec.MaxSide,
                        $"{name}#{i} ({how}): size {image.Width}x{image.Height}");
                    Assert.IsTrue(image.Channels is 1 or 3, $"{name}#{i} ({how}): {image.Channels} channels");
                    Assert.AreEqual((long)image.Width * image.Height * image.Channels, image.Pixels.Length, $"{name}#{i} ({how})");
                    decoded++;
                }
                catch (InvalidImageException e)
                {
                    Assert.IsFalse(string.IsNullOrWhiteSpace(e.Reason), $"{name}#{i} ({how}): empty reason");
                    StringAssert.StartsWith(e.Message, $"{name}#{i}: ");
                    rejected++;
                }
            }
        }
        Console.WriteLine($"{cases} mutated files: {decoded} decoded, {rejected} rejected, {sw.ElapsedMilliseconds} ms");
        Assert.IsTrue(cases >= 5000, $"only {cases} cases");
        Assert.IsTrue(decoded > 0, "no mutated file decoded: the mutations are too coarse to test the decoded path");
        Assert.IsTrue(rejected > 0, "no mutated file was rejected");
    }

    private static List<(string Name, byte[] Bytes, bool IsPng)> SeedFiles()
    {
        var rgb = TestImages.Smooth(32, 32, 3);
        var gray = TestImages.Noise(32, 32, 1, seed: 3);
        var plte = Enumerable.Range(0, 16 * 3).Select(i => (byte)(i * 5)).ToArray();
        var paletteSamples = Enumerable.Range(0, 32 * 32).Select(i => i % 16).ToArray();
        var sixteen = Enumerable.Range(0, 24 * 24 * 2).Select(i => (i * 2719) & 0xFFFF).ToArray();
        var adam7 = TestImages.Noise(32, 32, 3, seed: 9).ToArray().Select(b => (int)b).ToArray();
        return new()
        {
            ("rgb.png", ImageCodec.EncodePng(rgb), true),
            ("gray.png", ImageCodec.EncodePng(gray), true),
            ("palette4.png", new PngBuilder(32, 32, 4, PngBuilder.Palette).Chunk("PLTE", plte).Chunk("tRNS", 0, 10, 20).Samples(paletteSamples).ToArray(), true),
            ("gray-alpha16.png", new PngBuilder(24, 24, 16, PngBuilder.GrayAlpha).Chunk("gAMA", PngBuilder.Be32(45455)).Samples(sixteen).ToArray(), true),
            ("adam7.png", new PngBuilder(32, 32, 8, PngBuilder.Rgb) { Interlaced = true }.Samples(adam7).ToArray(), true),
            ("baseline.jpg", ImageCodec.EncodeJpeg(rgb, quality: 85), false),
            ("gray.jpg", ImageCodec.EncodeJpeg(TestImages.Smooth(32, 32, 1), quality: 75), false),
            ("progressive.jpg", ImageCodec.EncodeJpeg(TestImages.Noise(32, 32, 3, seed: 5), quality: 80, progressive: true), false),
            ("subsampled.jpg", ImageCodec.EncodeJpeg(rgb, quality: 60), false),
            ("ycck.jpg", ImageCodec.EncodeJpegRaw(TestImages.Noise(16, 16, 3, seed: 6).ToArray().Concat(new byte[256]).ToArray(), 16, 16, 4, 80, false), false),
            ("tiny.png", ImageCodec.EncodePng(new MLImage(1, 1, 1, new byte[] { 7 })), true),
            ("tiny.jpg", ImageCodec.EncodeJpeg(new MLImage(1, 1, 3, new byte[] { 1, 2, 3 })), false),
        };
    }

    private static (byte[] Bytes, string How) Mutate(byte[] original, bool isPng, Random rng)
    {
        var b = (byte[])original.Clone();
        switch (rng.Next(isPng ? 6 : 5))
        {
            case 0:
            {
                int flips = 1 + rng.Next(8);
                for (int k = 0; k < flips; k++) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return (b, $"{flips} bit flips");
            }
            case 1:
            {
                int writes = 1 + rng.Next(4);
                for (int k = 0; k < writes; k++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                return (b, $"{writes} byte overwrites");
            }
            case 2:
            {
                int keep = rng.Next(b.Length);
                return (b[..keep], $"truncated to {keep} bytes");
            }
            case 3:
                return isPng ? CorruptPngLength(b, rng) : CorruptJpegSegmentLength(b, rng);
            case 4:
                return isPng ? CorruptPngChunkWithValidCrc(b, rng) : CorruptJpegEntropyData(b, rng);
            default:
                return CorruptPngHeaderWithValidCrc(b, rng);
        }
    }

    private static uint InterestingValue(Random rng, uint current) => rng.Next(6) switch
    {
        0 => 0,
        1 => 0xFFFFFFFF,
        2 => 0x7FFFFFFF,
        3 => current + (uint)rng.Next(1, 64),
        4 => current - (uint)rng.Next(1, 64),
        _ => (uint)rng.Next(),
    };

    // The length field of a chunk takes a boundary or nearby value.
    private static (byte[], string) CorruptPngLength(byte[] b, Random rng)
    {
        var chunks = PngBuilder.Chunks(b);
        var (offset, _, type) = chunks[rng.Next(chunks.Count)];
        uint value = InterestingValue(rng, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(offset)));
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(offset), value);
        return (b, $"{type} length set to {value}");
    }

    // Damage inside a chunk with the CRC recomputed, so the damage reaches zlib and the chunk parsers.
    private static (byte[], string) CorruptPngChunkWithValidCrc(byte[] b, Random rng)
    {
        var chunks = PngBuilder.Chunks(b).Where(c => c.Length > 0).ToList();
        var (offset, length, type) = chunks[rng.Next(chunks.Count)];
        int writes = 1 + rng.Next(3);
        for (int k = 0; k < writes; k++) b[offset + 8 + rng.Next(length)] = (byte)rng.Next(256);
        PngBuilder.FixCrc(b, offset, length);
        return (b, $"{writes} bytes of {type} overwritten, CRC fixed");
    }

    // IHDR fields (size, depth, colour type, interlace) take odd values, CRC recomputed.
    private static (byte[], string) CorruptPngHeaderWithValidCrc(byte[] b, Random rng)
    {
        int field = rng.Next(4);
        string how;
        if (field < 2)
        {
            int at = 16 + 4 * field;
            uint value = rng.Next(3) == 0 ? (uint)rng.Next(1, 4097) : InterestingValue(rng, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at)));
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), value);
            how = $"IHDR {(field == 0 ? "width" : "height")} set to {value}";
        }
        else
        {
            int at = 24 + rng.Next(5);
            b[at] = (byte)(rng.Next(2) == 0 ? rng.Next(256) : new[] { 0, 1, 2, 3, 4, 6, 8, 16 }[rng.Next(8)]);
            how = $"IHDR byte {at - 16} set to {b[at]}";
        }
        PngBuilder.FixCrc(b, 8, 13);
        return (b, how);
    }

    // The 2-byte length of a marker segment before the scan data takes a boundary or nearby value.
    private static (byte[], string) CorruptJpegSegmentLength(byte[] b, Random rng)
    {
        var segments = new List<(int At, byte Marker)>();
        int pos = 2;
        while (pos + 4 <= b.Length && b[pos] == 0xFF)
        {
            byte marker = b[pos + 1];
            segments.Add((pos + 2, marker));
            if (marker == 0xDA) break; // start of scan: entropy-coded data follows
            pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(pos + 2));
        }
        var (at, m) = segments[rng.Next(segments.Count)];
        ushort old = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));
        ushort value = rng.Next(5) switch
        {
            0 => 0,
            1 => 0xFFFF,
            2 => (ushort)rng.Next(0, 3),
            3 => (ushort)(old + rng.Next(-8, 9)),
            _ => (ushort)rng.Next(65536),
        };
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), value);
        return (b, $"marker FF{m:X2} length {old} -> {value}");
    }

    // Damage confined to the entropy-coded data after the first start-of-scan marker.
    private static (byte[], string) CorruptJpegEntropyData(byte[] b, Random rng)
    {
        int sos = b.AsSpan().IndexOf(new byte[] { 0xFF, 0xDA });
        int start = sos < 0 ? 2 : sos + 4;
        int writes = 1 + rng.Next(4);
        for (int k = 0; k < writes && start < b.Length - 2; k++) b[start + rng.Next(b.Length - 2 - start)] = (byte)rng.Next(256);
        return (b, $"{writes} bytes of scan data overwritten");
    }
}
