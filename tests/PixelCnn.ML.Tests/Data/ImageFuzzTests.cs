// Mutation fuzzing of the hardened loading route in a real ML.NET pipeline (LoadImagesSafely → ResizeImages →
// ExtractPixels): 6,000 damaged PNG and JPEG files must each either decode to a well-formed pixel vector or be
// flagged with a reason naming the file; none may crash the process, and memory stays bounded. Deterministic.
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
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
