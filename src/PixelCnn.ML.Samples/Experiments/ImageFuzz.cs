// Mutation fuzzing of image loading: damaged PNG and JPEG files (bit flips, overwritten bytes, truncation, chunk and
// segment lengths set to boundary values, damage inside chunks with the CRC recomputed, odd IHDR fields, damaged scan
// data) written to a folder, then loaded (a) by the hardened route, ml.Transforms.LoadImagesSafely in an ML.NET
// pipeline, and (b) for comparison by ML.NET's plain LoadImages, one file at a time.
// Deterministic for a seed. `pixelcnn experiment image-fuzz` writes the figures as JSON (docs/imaging.md); the test
// suite runs the hardened route on 6,000 files.
using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.IO.Hashing;
using System.Text.Json;
using System.Text.Json.Nodes;
using PixelCnn.ML.Components;
using PixelCnn.ML.Samples.Commands;

namespace PixelCnn.ML.Samples.Experiments;

/// <summary>What one fuzz campaign found.</summary>
public sealed record ImageFuzzResult(int Files, int Decoded, int Rejected, int RejectionsNamingTheFile, long PeakWorkingSetGrowthBytes, double Seconds,
                                     Dictionary<string, int> RejectionReasons, Dictionary<string, string> Reasons);

public static class ImageFuzz
{
    /// <summary>The seed file names, in the order the mutations walk them.</summary>
    private static readonly string[] SeedNames = ["rgb.png", "grey.png", "rgb.jpg", "grey.jpg", "tiny.png", "tiny.jpg"];

    /// <summary>
    /// The seed files: RGB (32x32) and grey (28x28) PNGs and JPEGs of a gradient with a bright spot, and 1x1 images.
    /// They were encoded once by SkiaSharp 2.88.9 and are kept as files (Experiments/FuzzSeeds), so the corpus is the
    /// same bytes whatever encoder a later SkiaSharp brings and verdicts can be compared across versions.
    /// </summary>
    public static List<(string Name, byte[] Bytes, bool IsPng)> SeedFiles()
    {
        var assembly = typeof(ImageFuzz).Assembly;
        return SeedNames.Select(name =>
        {
            using var stream = assembly.GetManifestResourceStream($"FuzzSeeds/{name}")
                               ?? throw new InvalidOperationException($"the fuzz seed {name} is not embedded in {assembly.GetName().Name}");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return (name, copy.ToArray(), name.EndsWith(".png", StringComparison.Ordinal));
        }).ToList();
    }

    /// <summary>Writes <paramref name="casesPerSeed"/> mutations of every seed file into <paramref name="folder"/>; returns the paths.</summary>
    public static List<string> WriteMutations(string folder, int casesPerSeed, int seed)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(seed);
        var paths = new List<string>();
        foreach (var (name, bytes, isPng) in SeedFiles())
            for (int i = 0; i < casesPerSeed; i++)
            {
                var path = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(name)}-{i:D5}{Path.GetExtension(name)}");
                File.WriteAllBytes(path, Mutate(bytes, isPng, rng));
                paths.Add(path);
            }
        return paths;
    }

    /// <summary>Loads every image file of <paramref name="folder"/> through LoadImagesSafely (FlagRow), ResizeImages and ExtractPixels.</summary>
    public static ImageFuzzResult RunHardened(string folder)
    {
        var sw = Stopwatch.StartNew();
        long start = Environment.WorkingSet, peak = start;
        var ml = new MLContext(seed: 1);
        var files = ml.Data.LoadImagesFromFolder(folder);
        var loaded = ml.Transforms.LoadImagesSafely("Image", null, "ImagePath", new SafeImageLoadingOptions { OnError = ImageErrorPolicy.FlagRow })
            .Append(ml.Transforms.ResizeImages("Image", 16, 16))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Fit(files).Transform(files);
        var schema = loaded.Schema;
        using var cursor = loaded.GetRowCursor([schema["ImagePath"], schema["ImageError"], schema["Pixels"]]);
        var path = cursor.GetGetter<ReadOnlyMemory<char>>(schema["ImagePath"]);
        var error = cursor.GetGetter<ReadOnlyMemory<char>>(schema["ImageError"]);
        var pixels = cursor.GetGetter<VBuffer<float>>(schema["Pixels"]);
        ReadOnlyMemory<char> p = default, e = default;
        VBuffer<float> px = default;
        int n = 0, decoded = 0, rejected = 0, naming = 0;
        var reasons = new Dictionary<string, int>();
        var rejectedPaths = new Dictionary<string, string>(StringComparer.Ordinal);
        while (cursor.MoveNext())
        {
            path(ref p);
            error(ref e);
            pixels(ref px);
            n++;
            if (e.IsEmpty)
            {
                if (px.Length != 3 * 16 * 16 || px.DenseValues().Any(v => !float.IsFinite(v) || v < 0 || v > 255))
                    throw new InvalidDataException($"{p}: decoded to a malformed pixel vector");
                decoded++;
            }
            else
            {
                rejected++;
                var message = e.ToString();
                if (message.Contains(p.ToString(), StringComparison.Ordinal)) naming++;
                var key = Reason(message);
                rejectedPaths[p.ToString()] = key;
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
            }
            if ((n & 255) == 0) peak = Math.Max(peak, Environment.WorkingSet);
        }
        peak = Math.Max(peak, Environment.WorkingSet);
        return new ImageFuzzResult(n, decoded, rejected, naming, peak - start, sw.Elapsed.TotalSeconds, reasons, rejectedPaths);
    }

    /// <summary>
    /// The same files through ML.NET's plain <c>LoadImages</c>, one file per data view (in one view, a bad row also
    /// takes the rows read ahead with it): how many give an image, how many throw.
    /// </summary>
    public static (HashSet<string> Decoded, int Threw, long PeakWorkingSetGrowthBytes) RunPlainMlNet(IEnumerable<string> paths)
    {
        long start = Environment.WorkingSet, peak = start;
        var decoded = new HashSet<string>(StringComparer.Ordinal);
        int threw = 0;
        var ml = new MLContext();
        var loader = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(ml.Data.LoadFromEnumerable(new List<ImageDataCatalog.ImageFile>()));
        foreach (var path in paths)
        {
            try
            {
                var one = ml.Data.LoadFromEnumerable(new List<ImageDataCatalog.ImageFile> { new() { ImagePath = path } });
                using var image = loader.Transform(one).GetColumn<MLImage>("Image").Single();
                decoded.Add(path);
            }
            catch (Exception)
            {
                threw++;
            }
            peak = Math.Max(peak, Environment.WorkingSet);
        }
        return (decoded, threw, peak - start);
    }

    /// <summary>A PNG whose IHDR declares <paramref name="width"/> x <paramref name="height"/> (CRC fixed), data unchanged.</summary>
    public static byte[] DeclareSize(byte[] png, uint width, uint height)
    {
        var b = (byte[])png.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(20), height);
        FixCrc(b, 8, 13);
        return b;
    }

    /// <summary>A rejection message reduced to its kind ("truncated PNG", "corrupt JPEG", ...), for counting.</summary>
    private static string Reason(string message)
    {
        var reason = message[(message.IndexOf("': ", StringComparison.Ordinal) + 3)..];
        int cut = reason.IndexOfAny([':', '(', ',']);
        return System.Text.RegularExpressions.Regex.Replace((cut > 0 ? reason[..cut] : reason).Trim(), @"\d+", "N");
    }

    public static byte[] Mutate(byte[] original, bool isPng, Random rng)
    {
        var b = (byte[])original.Clone();
        switch (rng.Next(isPng ? 6 : 5))
        {
            case 0:
                for (int k = 1 + rng.Next(8); k > 0; k--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 1:
                for (int k = 1 + rng.Next(4); k > 0; k--) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                return b;
            case 2:
                return b[..rng.Next(b.Length)];
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

    /// <summary>The chunks of a PNG: offset of the length field, data length, type.</summary>
    internal static List<(int Offset, int Length, string Type)> Chunks(byte[] png)
    {
        var list = new List<(int, int, string)>();
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            list.Add((pos, length, System.Text.Encoding.ASCII.GetString(png, pos + 4, 4)));
            pos += 12 + length;
        }
        return list;
    }

    internal static void FixCrc(byte[] png, int offset, int length) =>
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(offset + 8 + length), Crc32.HashToUInt32(png.AsSpan(offset + 4, 4 + length)));

    private static byte[] CorruptPngLength(byte[] b, Random rng)
    {
        var (offset, _, _) = Chunks(b)[rng.Next(Chunks(b).Count)];
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(offset), InterestingValue(rng, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(offset))));
        return b;
    }

    private static byte[] CorruptPngChunkWithValidCrc(byte[] b, Random rng)
    {
        var chunks = Chunks(b).Where(c => c.Length > 0).ToList();
        var (offset, length, _) = chunks[rng.Next(chunks.Count)];
        for (int k = 1 + rng.Next(3); k > 0; k--) b[offset + 8 + rng.Next(length)] = (byte)rng.Next(256);
        FixCrc(b, offset, length);
        return b;
    }

    private static byte[] CorruptPngHeaderWithValidCrc(byte[] b, Random rng)
    {
        int field = rng.Next(4);
        if (field < 2)
        {
            int at = 16 + 4 * field;
            uint value = rng.Next(3) == 0 ? (uint)rng.Next(1, 4097) : InterestingValue(rng, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at)));
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), value);
        }
        else b[24 + rng.Next(5)] = (byte)(rng.Next(2) == 0 ? rng.Next(256) : new[] { 0, 1, 2, 3, 4, 6, 8, 16 }[rng.Next(8)]);
        FixCrc(b, 8, 13);
        return b;
    }

    private static byte[] CorruptJpegSegmentLength(byte[] b, Random rng)
    {
        var segments = new List<int>();
        for (int pos = 2; pos + 4 <= b.Length && b[pos] == 0xFF;)
        {
            segments.Add(pos + 2);
            if (b[pos + 1] == 0xDA) break;
            pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(pos + 2));
        }
        int at = segments[rng.Next(segments.Count)];
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
        return b;
    }

    private static byte[] CorruptJpegEntropyData(byte[] b, Random rng)
    {
        int sos = b.AsSpan().IndexOf(new byte[] { 0xFF, 0xDA });
        int start = sos < 0 ? 2 : sos + 4;
        for (int k = 1 + rng.Next(4); k > 0 && start < b.Length - 2; k--) b[start + rng.Next(b.Length - 2 - start)] = (byte)rng.Next(256);
        return b;
    }

    /// <summary>pixelcnn experiment image-fuzz: both routes on the same mutated files, figures to JSON.</summary>
    public static Command CreateCommand()
    {
        var cases = new Option<int>("--cases-per-seed") { Description = "Mutations of each of the 6 seed files.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the mutations.", DefaultValueFactory = _ => 20261201 };
        var outFile = new Option<FileInfo>("--out") { Description = "JSON file to write.", DefaultValueFactory = _ => new FileInfo("image-fuzz.json") };
        var corpus = new Option<DirectoryInfo?>("--corpus")
        {
            Description = "Keep the mutated files in this folder; a folder that already holds them is reused as it is, so two builds can be compared on the same bytes.",
        };
        var verdicts = new Option<FileInfo?>("--verdicts") { Description = "Also write each file's verdict by both routes as CSV (file, hardened, ML.NET)." };
        var cmd = new Command("image-fuzz", "Mutated PNG/JPEG files through the hardened loader and through ML.NET's plain LoadImages; figures to JSON.")
        {
            cases, seed, outFile, corpus, verdicts,
        };
        cmd.SetAction(p =>
        {
            var kept = p.GetValue(corpus);
            var folder = kept?.FullName ?? Directory.CreateTempSubdirectory("pixelcnn-image-fuzz-").FullName;
            try
            {
                var existing = Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any()
                    ? ImageDataCatalog.ListImageFiles(folder).Select(f => f.ImagePath).ToList() : [];
                var paths = existing.Count > 0 ? existing : WriteMutations(folder, p.GetValue(cases), p.GetValue(seed));
                Console.Error.WriteLine($"{paths.Count} mutated files in {folder}" + (existing.Count > 0 ? " (reused)" : ""));
                var ours = RunHardened(folder);
                var plain = RunPlainMlNet(paths);
                int silentlyDecoded = plain.Decoded.Count(ours.Reasons.ContainsKey);
                if (p.GetValue(verdicts) is { } csv)
                    File.WriteAllLines(csv.FullName, ["file,hardened,mlnet", .. paths.Order(StringComparer.Ordinal).Select(f =>
                        $"{Path.GetFileName(f)},{(ours.Reasons.TryGetValue(f, out var r) ? r : "decoded")},{(plain.Decoded.Contains(f) ? "decoded" : "threw")}")]);
                var giant = Path.Combine(folder, "giant-20000x20000.png");
                File.WriteAllBytes(giant, DeclareSize(SeedFiles()[1].Bytes, 20000, 20000));
                long before = Environment.WorkingSet;
                string giantOurs;
                try
                {
                    Data.Images.SafeImageReader.Read(giant).Dispose();
                    giantOurs = "decoded";
                }
                catch (Data.Images.InvalidImageException e)
                {
                    giantOurs = e.Reason;
                }
                long oursGrowth = Environment.WorkingSet - before;
                var giantPlain = RunPlainMlNet([giant]);
                // The probe's kinds of damage, written on purpose, and a batch of large files inside every limit.
                var kindsFolder = Directory.CreateTempSubdirectory("pixelcnn-image-kinds-").FullName;
                List<DamageVerdicts> kinds;
                (long Hardened, long MlNet, int Rows) batch;
                try
                {
                    var damaged = ImageFuzzKinds.Write(kindsFolder, p.GetValue(seed), perKind: 40);
                    damaged.AddRange(ImageFuzzKinds.WriteSpecialFiles(kindsFolder));
                    kinds = ImageFuzzKinds.Run(damaged, includeMlNet: true);
                    batch = ImageFuzzKinds.BatchWithinLimits(kindsFolder, 64);
                }
                finally
                {
                    Directory.Delete(kindsFolder, recursive: true);
                }
                foreach (var k in kinds)
                    Console.WriteLine($"{k.Kind}: {k.Files} files; hardened {k.Rejected} rejected, {k.DecodedEqual} decoded equal, {k.DecodedDifferent} decoded different; " +
                                      $"ML.NET {k.MlNetThrew} threw, {k.MlNetDecodedEqual} equal, {k.MlNetDecodedDifferent} different");
                var json = new JsonObject
                {
                    ["files"] = paths.Count, ["seed"] = p.GetValue(seed),
                    ["kinds"] = new JsonArray(kinds.Select(k => (JsonNode?)new JsonObject
                    {
                        ["kind"] = k.Kind, ["files"] = k.Files,
                        ["hardened"] = new JsonObject { ["rejected"] = k.Rejected, ["decoded_equal"] = k.DecodedEqual, ["decoded_different"] = k.DecodedDifferent },
                        ["mlnet_plain"] = new JsonObject { ["threw_or_skipped"] = k.MlNetThrew, ["decoded_equal"] = k.MlNetDecodedEqual, ["decoded_different"] = k.MlNetDecodedDifferent },
                    }).ToArray()),
                    ["batch_of_4096x4096_pngs_within_limits"] = new JsonObject
                    {
                        ["files"] = batch.Rows, ["hardened_peak_working_set_growth_mib"] = batch.Hardened / 1048576.0,
                        ["mlnet_plain_peak_working_set_growth_mib"] = batch.MlNet / 1048576.0,
                    },
                    ["hardened"] = new JsonObject
                    {
                        ["decoded"] = ours.Decoded, ["rejected"] = ours.Rejected, ["rejections_naming_the_file"] = ours.RejectionsNamingTheFile,
                        ["peak_working_set_growth_mib"] = ours.PeakWorkingSetGrowthBytes / 1048576.0, ["seconds"] = ours.Seconds,
                        ["reasons"] = new JsonObject(ours.RejectionReasons.OrderByDescending(kv => kv.Value).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                    },
                    ["mlnet_plain"] = new JsonObject
                    {
                        ["decoded"] = plain.Decoded.Count, ["threw"] = plain.Threw, ["peak_working_set_growth_mib"] = plain.PeakWorkingSetGrowthBytes / 1048576.0,
                        ["decoded_but_rejected_by_the_hardened_loader"] = silentlyDecoded,
                    },
                    ["giant_png_declaring_20000x20000"] = new JsonObject
                    {
                        ["bytes"] = new FileInfo(giant).Length, ["hardened"] = giantOurs, ["hardened_working_set_growth_mib"] = oursGrowth / 1048576.0,
                        ["mlnet_plain"] = giantPlain.Decoded.Count == 1 ? "decoded" : "threw",
                        ["mlnet_plain_peak_working_set_growth_mib"] = giantPlain.PeakWorkingSetGrowthBytes / 1048576.0,
                    },
                };
                File.WriteAllText(p.GetValue(outFile)!.FullName, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
                Console.WriteLine($"{paths.Count} files. Hardened: {ours.Decoded} decoded, {ours.Rejected} rejected ({ours.RejectionsNamingTheFile} naming the file), " +
                                  $"peak working set +{ours.PeakWorkingSetGrowthBytes / 1048576.0:F0} MiB, {ours.Seconds:F1} s. " +
                                  $"ML.NET LoadImages: {plain.Decoded.Count} decoded ({silentlyDecoded} of them rejected by the hardened loader), {plain.Threw} threw. " +
                                  $"A {new FileInfo(giant).Length}-byte PNG declaring 20000x20000: hardened \"{giantOurs}\"; ML.NET {(giantPlain.Decoded.Count == 1 ? "decoded it" : "threw")}, " +
                                  $"working set +{giantPlain.PeakWorkingSetGrowthBytes / 1048576.0:F0} MiB. Wrote {p.GetValue(outFile)!.FullName}");
                return Cli.Ok;
            }
            finally
            {
                if (kept is null) Directory.Delete(folder, recursive: true);
                else File.Delete(Path.Combine(folder, "giant-20000x20000.png"));
            }
        });
        return cmd;
    }
}
