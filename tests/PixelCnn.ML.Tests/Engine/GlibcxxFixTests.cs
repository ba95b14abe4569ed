// The TorchSharp GLIBCXX fix (src/PixelCnn.ML/build/TorchSharpGlibcxxFix.cs: the package's build step and the engine's
// start-up check), run on TorchSharp 0.107's native library as NuGet ships it, taken from the package file itself.
using System.IO.Compression;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Tests.Packaging;

namespace PixelCnn.ML.Tests.Engine;

[TestClass]
public class GlibcxxFixTests
{
    private static string OriginalLibrary(string folder)
    {
        var nupkg = Path.Combine(PackageConsumerTests.MachinePackagesFolder(), "torchsharp", "0.107.0", "torchsharp.0.107.0.nupkg");
        if (!File.Exists(nupkg)) Assert.Inconclusive($"{nupkg} is not in the global packages folder");
        using var zip = ZipFile.OpenRead(nupkg);
        var path = Path.Combine(folder, "libLibTorchSharp.so");
        zip.GetEntry("runtimes/linux-x64/native/libLibTorchSharp.so")!.ExtractToFile(path);
        return path;
    }

    /// <summary>readelf's line for the GLIBCXX_3.4.32 need of <paramref name="library"/>.</summary>
    internal static string VersionNeed(string library)
    {
        var readelf = DotnetCli.Run("readelf", ["-V", library], Path.GetDirectoryName(library)!);
        Assert.AreEqual(0, readelf.ExitCode, readelf.ToString());
        return readelf.StdOut.Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32")).Trim();
    }

    [TestMethod]
    public void The_fix_marks_only_the_unused_glibcxx_3_4_32_need_weak_and_is_idempotent()
    {
        var folder = Directory.CreateTempSubdirectory("pixelcnn-glibcxx-").FullName;
        try
        {
            var library = OriginalLibrary(folder);
            StringAssert.Contains(VersionNeed(library), "Flags: none", "the shipped library needs the version strongly");
            Assert.IsTrue(TorchSharpGlibcxxFix.IsNeeded(library));
            var before = File.ReadAllBytes(library);

            Assert.AreEqual(TorchSharpGlibcxxFix.Outcome.Fixed, TorchSharpGlibcxxFix.Apply(library));
            StringAssert.Contains(VersionNeed(library), "Flags: WEAK");
            var after = File.ReadAllBytes(library);
            Assert.AreEqual(before.Length, after.Length, "only a flag changes");
            Assert.AreEqual(1, before.Zip(after).Count(p => p.First != p.Second), "one byte: the flags of one version-needed entry");
            Assert.IsFalse(TorchSharpGlibcxxFix.IsNeeded(library));
            Assert.AreEqual(TorchSharpGlibcxxFix.Outcome.AlreadyLoadable, TorchSharpGlibcxxFix.Apply(library));
            CollectionAssert.AreEqual(new[] { "libLibTorchSharp.so" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray(), "no temporary file left");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [TestMethod]
    public void A_file_that_is_not_an_elf_library_is_refused_and_left_alone()
    {
        var folder = Directory.CreateTempSubdirectory("pixelcnn-glibcxx-").FullName;
        try
        {
            var path = Path.Combine(folder, "not-a-library.so");
            File.WriteAllText(path, "hello");
            var e = Assert.ThrowsException<InvalidDataException>(() => TorchSharpGlibcxxFix.Apply(path));
            StringAssert.Contains(e.Message, "not a 64-bit little-endian ELF file");
            Assert.AreEqual("hello", File.ReadAllText(path));
            // A truncated library: its tables point past the end.
            var truncated = Path.Combine(folder, "truncated.so");
            File.WriteAllBytes(truncated, File.ReadAllBytes(OriginalLibrary(folder))[..4096]);
            StringAssert.Contains(Assert.ThrowsException<InvalidDataException>(() => TorchSharpGlibcxxFix.Apply(truncated)).Message, "outside the file");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [TestMethod]
    public void The_build_step_fixed_the_copy_in_this_test_run_s_output()
    {
        var library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(library)) Assert.Inconclusive($"{library} is not in the output (not linux-x64)");
        StringAssert.Contains(VersionNeed(library), "Flags: WEAK");
    }
}
