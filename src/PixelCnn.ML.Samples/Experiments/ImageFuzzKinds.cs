// The kinds of image damage an outside probe found decoding silently, each written on purpose rather than by random
// mutation, and the verdict of both loaders per kind: rejected, decoded to the original's pixels, or decoded to other
// pixels (the silent failure). JPEG: cut inside the scan data with an end marker appended, cut and zero-padded, cut
// with nothing appended, scan bytes overwritten, frame header (SOF) sizes edited (to another count of MCUs, or within
// the same count). PNG: data changed with the chunk CRC
// recomputed, image height reduced with the CRC recomputed, an IDAT chunk duplicated. Special files: a link to
// /dev/zero, a named pipe, a folder, an empty file. `pixelcnn experiment image-fuzz` adds the table to its JSON.
using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Data.Images;
using SkiaSharp;

namespace PixelCnn.ML.Samples.Experiments;

/// <summary>A file of one kind of damage, and the undamaged file it came from.</summary>
public sealed record DamagedImage(string Kind, string Path, string OriginalPath);

/// <summary>Per kind of damage: files, and how many each loader rejected, decoded to the original's pixels, or decoded to other pixels.</summary>
public sealed record DamageVerdicts(string Kind, int Files, int Rejected, int DecodedEqual, int DecodedDifferent,
                                    int MlNetThrew, int MlNetDecodedEqual, int MlNetDecodedDifferent);

public static class ImageFuzzKinds
{
    /// <summary>Writes the originals (the JPEG and PNG seeds, and a 256x192 JPEG of smooth gradients and edges) and their damaged variants.</summary>
    public static List<DamagedImage> Write(string folder, int seed, int perKind)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(seed);
        var originals = ImageFuzz.SeedFiles().Where(s => s.Name != "tiny.png" && s.Name != "tiny.jpg").Select(s => (s.Name, s.Bytes)).ToList();
        originals.Add(("photo.jpg", PhotoLikeJpeg()));
        var files = new List<DamagedImage>();
        foreach (var (name, bytes) in originals)
        {
            var original = Path.Combine(folder, "original-" + name);
            File.WriteAllBytes(original, bytes);
            void Add(string kind, byte[] damaged)
            {
                var path = Path.Combine(folder, $"{kind}-{files.Count:D5}{Path.GetExtension(name)}");
                File.WriteAllBytes(path, damaged);
                files.Add(new DamagedImage(kind, path, original));
            }
            if (name.EndsWith(".jpg", StringComparison.Ordinal))
            {
                var (scanStart, scanEnd) = ScanData(bytes);
                for (int i = 0; i < perKind; i++)
                {
                    int cut = scanStart + 1 + rng.Next(scanEnd - scanStart - 1);
                    Add("jpeg-cut-with-end-marker", [.. bytes[..cut], 0xFF, 0xD9]);
                    Add("jpeg-cut-zero-padded", [.. bytes[..cut], .. new byte[scanEnd - cut], 0xFF, 0xD9]);
                    Add("jpeg-cut", bytes[..cut]);
                    var overwritten = (byte[])bytes.Clone();
                    for (int k = 1 + rng.Next(4); k > 0; k--) overwritten[scanStart + rng.Next(scanEnd - scanStart)] = (byte)rng.Next(256);
                    Add("jpeg-scan-data-overwritten", overwritten);
                }
                int sof = Sof(bytes);
                int height = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(sof + 5)), width = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(sof + 7));
                var (mcuWidth, mcuHeight) = McuSize(bytes, sof);
                foreach (var (h, w) in new[] { (height - 1, width), (height + 1, width), (height - 8, width), (height + 8, width), (height / 2, width), (height * 2, width),
                                               (height, width - 1), (height, width + 1), (height, width - 8), (height, width + 8), (height, width / 2), (height, width * 2) })
                {
                    var edited = (byte[])bytes.Clone();
                    BinaryPrimitives.WriteUInt16BigEndian(edited.AsSpan(sof + 5), (ushort)Math.Max(1, h));
                    BinaryPrimitives.WriteUInt16BigEndian(edited.AsSpan(sof + 7), (ushort)Math.Max(1, w));
                    // A size that keeps the count of MCUs (blocks of 8 or 16 pixels) crops the image or uncovers the encoder's
                    // padding: every coded block is still decoded, and nothing in the file disagrees.
                    bool sameBlocks = (Math.Max(1, h) + mcuHeight - 1) / mcuHeight == (height + mcuHeight - 1) / mcuHeight
                                      && (Math.Max(1, w) + mcuWidth - 1) / mcuWidth == (width + mcuWidth - 1) / mcuWidth;
                    Add(sameBlocks ? "jpeg-sof-size-edited-same-blocks" : "jpeg-sof-size-edited-other-blocks", edited);
                }
            }
            else
            {
                var idat = ImageFuzz.Chunks(bytes).First(c => c.Type == "IDAT");
                for (int i = 0; i < perKind; i++)
                {
                    var edited = (byte[])bytes.Clone();
                    for (int k = 1 + rng.Next(3); k > 0; k--) edited[idat.Offset + 8 + 2 + rng.Next(idat.Length - 6)] = (byte)rng.Next(256);
                    ImageFuzz.FixCrc(edited, idat.Offset, idat.Length);
                    Add("png-data-edited-crc-fixed", edited);
                }
                int rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
                foreach (var fewer in new[] { 1, 2, rows / 2 })
                {
                    var edited = (byte[])bytes.Clone();
                    BinaryPrimitives.WriteInt32BigEndian(edited.AsSpan(20), rows - fewer);
                    ImageFuzz.FixCrc(edited, 8, 13);
                    Add("png-height-reduced-crc-fixed", edited);
                }
                int end = idat.Offset + 12 + idat.Length;
                Add("png-idat-duplicated", [.. bytes[..end], .. bytes[idat.Offset..end], .. bytes[end..]]);
            }
        }
        return files;
    }

    /// <summary>Special files named like images (Linux): a link to /dev/zero, a named pipe, a folder, an empty file.</summary>
    public static List<DamagedImage> WriteSpecialFiles(string folder)
    {
        var zero = Path.Combine(folder, "special-zero.png");
        File.CreateSymbolicLink(zero, "/dev/zero");
        var fifo = Path.Combine(folder, "special-pipe.png");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!) mkfifo.WaitForExit();
        var dir = Path.Combine(folder, "special-folder.png");
        Directory.CreateDirectory(dir);
        var empty = Path.Combine(folder, "special-empty.png");
        File.WriteAllBytes(empty, []);
        return [.. new[] { zero, fifo, dir, empty }.Select(p => new DamagedImage("special-file", p, ""))];
    }

    /// <summary>Both loaders on every file, one at a time; pixels compared with the undamaged file's through the same loader.</summary>
    public static List<DamageVerdicts> Run(IReadOnlyList<DamagedImage> files, bool includeMlNet)
    {
        var ml = new MLContext();
        var loader = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(ml.Data.LoadFromEnumerable(new List<ImageDataCatalog.ImageFile>()));
        byte[]? Hardened(string path)
        {
            try
            {
                using var image = SafeImageReader.Read(path);
                return [.. image.Pixels];
            }
            catch (InvalidImageException)
            {
                return null;
            }
        }
        byte[]? Plain(string path)
        {
            // ML.NET's loader would block forever on a named pipe and read a link to /dev/zero until memory runs out.
            if (!includeMlNet || path.Contains("special-", StringComparison.Ordinal)) return null;
            try
            {
                var one = ml.Data.LoadFromEnumerable(new List<ImageDataCatalog.ImageFile> { new() { ImagePath = path } });
                var view = loader.Transform(one);
                using var cursor = view.GetRowCursor([view.Schema["Image"]]);
                var get = cursor.GetGetter<MLImage>(view.Schema["Image"]);
                MLImage? image = null;
                if (!cursor.MoveNext()) return null;
                get(ref image);
                return [.. image!.Pixels]; // the cursor owns the image: copied before it moves on
            }
            catch (Exception e)
            {
                if (Environment.GetEnvironmentVariable("PIXELCNN_TRACE") is "1") Console.Error.WriteLine($"{path}: {e}");
                return null;
            }
        }
        var originals = new Dictionary<string, (byte[]? Ours, byte[]? Theirs)>();
        var table = new List<DamageVerdicts>();
        foreach (var kind in files.GroupBy(f => f.Kind))
        {
            int rejected = 0, equal = 0, different = 0, threw = 0, plainEqual = 0, plainDifferent = 0;
            foreach (var f in kind)
            {
                if (f.OriginalPath.Length > 0 && !originals.ContainsKey(f.OriginalPath)) originals[f.OriginalPath] = (Hardened(f.OriginalPath), Plain(f.OriginalPath));
                var (ours, theirs) = f.OriginalPath.Length > 0 ? originals[f.OriginalPath] : (null, null);
                var a = Hardened(f.Path);
                if (a is null) rejected++;
                else if (ours is not null && a.AsSpan().SequenceEqual(ours)) equal++;
                else different++;
                if (!includeMlNet) continue;
                var b = Plain(f.Path);
                if (b is null) threw++;
                else if (theirs is not null && b.AsSpan().SequenceEqual(theirs)) plainEqual++;
                else plainDifferent++;
            }
            table.Add(new DamageVerdicts(kind.Key, kind.Count(), rejected, equal, different, threw, plainEqual, plainDifferent));
        }
        return table;
    }

    /// <summary>
    /// <paramref name="copies"/> copies of a valid 4096x4096 PNG (64 MiB decoded each, every file inside every limit)
    /// through each loader in an ML.NET pipeline (load, resize to 28x28, extract pixels): peak working-set growth in bytes.
    /// </summary>
    public static (long Hardened, long MlNet, int Rows) BatchWithinLimits(string folder, int copies)
    {
        var batch = Path.Combine(folder, "batch");
        Directory.CreateDirectory(batch);
        using (var bitmap = new SKBitmap(4096, 4096))
        {
            bitmap.Erase(new SKColor(90, 140, 200));
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            var bytes = data.ToArray();
            for (int i = 0; i < copies; i++) File.WriteAllBytes(Path.Combine(batch, $"large-{i:D3}.png"), bytes);
        }
        var ml = new MLContext();
        var files = ml.Data.LoadImagesFromFolder(batch);
        long Measure(IEstimator<ITransformer> load)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long start = Environment.WorkingSet, peak = start;
            var view = load.Append(ml.Transforms.ResizeImages("Image", 28, 28)).Append(ml.Transforms.ExtractPixels("Pixels", "Image")).Fit(files).Transform(files);
            using var cursor = view.GetRowCursor([view.Schema["Pixels"]]);
            var pixels = cursor.GetGetter<VBuffer<float>>(view.Schema["Pixels"]);
            VBuffer<float> px = default;
            while (cursor.MoveNext())
            {
                pixels(ref px);
                peak = Math.Max(peak, Environment.WorkingSet);
            }
            return peak - start;
        }
        long hardened = Measure(ml.Transforms.LoadImagesSafely("Image", null, "ImagePath"));
        long plain = Measure(ml.Transforms.LoadImages("Image", null, "ImagePath"));
        return (hardened, plain, copies);
    }

    /// <summary>A 256x192 JPEG (quality 90) of gradients, a disc and sharp edges: more scan data than the seeds, like a small photo.</summary>
    private static byte[] PhotoLikeJpeg()
    {
        using var bitmap = new SKBitmap(256, 192);
        for (int y = 0; y < 192; y++)
            for (int x = 0; x < 256; x++)
            {
                bool disc = (x - 150) * (x - 150) + (y - 90) * (y - 90) < 50 * 50;
                bitmap.SetPixel(x, y, disc ? new SKColor(230, (byte)(80 + y / 3), 40) : new SKColor((byte)x, (byte)(y * 4 / 3), (byte)((x + y) % 64 < 32 ? 200 : 60)));
            }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <summary>The entropy-coded data of a JPEG's first scan: after its SOS header, up to the end marker.</summary>
    private static (int Start, int End) ScanData(byte[] jpeg)
    {
        int sos = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xDA });
        int start = sos + 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(sos + 2));
        int end = jpeg.AsSpan().LastIndexOf(new byte[] { 0xFF, 0xD9 });
        return (start, end);
    }

    /// <summary>The MCU's width and height in pixels: 8 times the largest sampling factors of the frame's components.</summary>
    private static (int Width, int Height) McuSize(byte[] jpeg, int sof)
    {
        int components = jpeg[sof + 9], h = 1, v = 1;
        for (int c = 0; c < components; c++)
        {
            byte sampling = jpeg[sof + 11 + 3 * c];
            h = Math.Max(h, sampling >> 4);
            v = Math.Max(v, sampling & 15);
        }
        return (8 * h, 8 * v);
    }

    /// <summary>The offset of the frame header marker (SOF0..SOF2).</summary>
    private static int Sof(byte[] jpeg)
    {
        for (int pos = 2; pos + 4 <= jpeg.Length && jpeg[pos] == 0xFF;)
        {
            if (jpeg[pos + 1] is 0xC0 or 0xC1 or 0xC2) return pos;
            pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(pos + 2));
        }
        throw new InvalidDataException("no frame header");
    }
}
