// Mutation fuzzing of the hardened loading route in a real ML.NET pipeline (LoadImagesSafely → ResizeImages →
// ExtractPixels): 6,000 damaged PNG and JPEG files must each either decode to a well-formed pixel vector or be
// flagged with a reason naming the file; none may crash the process, and memory stays bounded. Deterministic. The
// corpus is the same bytes in every build (fixed seed files), and each file's verdict must be the one recorded on
// SkiaSharp 2.88.9 (Fixtures/image-fuzz): a decoder upgrade may not start decoding, or stop decoding, any of them. The
// one intended change since the recording: JPEGs whose scans libjpeg reports damaged are rejected now.
using System.IO.Compression;
using PixelCnn.ML.Samples.Experiments;

namespace PixelCnn.ML.Tests.Data;

[TestClass]
public class ImageFuzzTests
{
    [TestMethod]
    public void Six_thousand_mutated_png_and_jpeg_files_decode_or_are_flagged_naming_the_file()
    {
        var folder = Directory.CreateTempSubdirectory("pixelcnn-fuzz-").FullName;
        try
        {
            var paths = ImageFuzz.WriteMutations(folder, casesPerSeed: 1000, seed: 20261201);
            Assert.AreEqual(6000, paths.Count);
            var r = ImageFuzz.RunHardened(folder);
            Console.WriteLine($"{r.Files} files: {r.Decoded} decoded, {r.Rejected} rejected, peak working set +{r.PeakWorkingSetGrowthBytes >> 20} MiB, {r.Seconds:F1} s; " +
                              string.Join(", ", r.RejectionReasons.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value}")));
            Assert.AreEqual(6000, r.Files, "every file gives a row");
            Assert.AreEqual(r.Files, r.Decoded + r.Rejected);
            Assert.AreEqual(r.Rejected, r.RejectionsNamingTheFile, "every rejection names its file");
            Assert.IsTrue(r.Decoded > 100 && r.Rejected > 100, "the mutations reach both outcomes");
            Assert.IsTrue(r.RejectionReasons.Keys.Any(k => k.Contains("truncated")) && r.RejectionReasons.Keys.Any(k => k.Contains("declares")),
                          string.Join(", ", r.RejectionReasons.Keys));
            Assert.IsTrue(r.PeakWorkingSetGrowthBytes < 512L << 20, $"working set grew {r.PeakWorkingSetGrowthBytes >> 20} MiB");

            var recorded = RecordedVerdicts();
            Assert.AreEqual(6000, recorded.Count);
            // One change is intended: JPEGs whose scans libjpeg reports damaged (JpegScanCheck, added after the recording)
            // decoded silently before and are rejected now. Any other change is a decoder upgrade changing verdicts.
            string Now(string f) => r.Reasons.TryGetValue(Path.Combine(folder, f), out var why) ? why : "decoded";
            var files = paths.Select(p => Path.GetFileName(p)!).ToList();
            var nowDamaged = files.Where(f => recorded[f] == "decoded" && Now(f) == JpegDamage).ToList();
            var changed = files.Where(f => (recorded[f] == "decoded") != (Now(f) == "decoded") && !nowDamaged.Contains(f))
                .Select(f => $"{f}: {recorded[f]} before, {Now(f)} now").ToList();
            Console.WriteLine($"{nowDamaged.Count} JPEGs that decoded before are now rejected as damaged");
            Assert.AreEqual(0, changed.Count, $"{changed.Count} files changed verdict: " + string.Join("; ", changed.Take(20)));
            Assert.IsTrue(nowDamaged.All(f => f.EndsWith(".jpg")) && nowDamaged.Count > 0, "the scan check rejects damaged JPEGs only");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    private const string JpegDamage = "the JPEG data is damaged";

    /// <summary>File name → "decoded" or the kind of rejection, as the hardened loader gave them on SkiaSharp 2.88.9.</summary>
    private static Dictionary<string, string> RecordedVerdicts()
    {
        using var gz = new GZipStream(File.OpenRead(RepoPaths.Get("tests", "PixelCnn.ML.Tests", "Fixtures", "image-fuzz", "verdicts-skiasharp-2.88.9.csv.gz")),
                                      CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(','))
            .ToDictionary(c => c[0], c => c[1], StringComparer.Ordinal);
    }
}
