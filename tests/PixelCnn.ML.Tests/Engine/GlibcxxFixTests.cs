// scripts/torchsharp-glibcxx-fix.py, the Debian 12 set-up step: run on TorchSharp 0.107's native library
// as NuGet ships it (taken from the package file itself, not from the already fixed copy the build uses).
using System.IO.Compression;
using PixelCnn.ML.Tests.Packaging;

namespace PixelCnn.ML.Tests.Engine;

[TestClass]
public class GlibcxxFixTests
{
    private const string Python = "/usr/bin/python3";
    private static string Script => RepoPaths.Get("scripts", "torchsharp-glibcxx-fix.py");

    private static string OriginalLibrary(string folder)
    {
        var nupkg = Path.Combine(PackageConsumerTests.MachinePackagesFolder(), "torchsharp", "0.107.0", "torchsharp.0.107.0.nupkg");
        if (!File.Exists(nupkg)) Assert.Inconclusive($"{nupkg} is not in the global packages folder");
        using var zip = ZipFile.OpenRead(nupkg);
        var path = Path.Combine(folder, "libLibTorchSharp.so");
        zip.GetEntry("runtimes/linux-x64/native/libLibTorchSharp.so")!.ExtractToFile(path);
        return path;
    }

    private static string VersionNeed(string library)
    {
        var readelf = DotnetCli.Run("readelf", ["-V", library], Path.GetDirectoryName(library)!);
        Assert.AreEqual(0, readelf.ExitCode, readelf.ToString());
        return readelf.StdOut.Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32")).Trim();
    }

    [TestMethod]
    public void The_fix_marks_only_the_unused_glibcxx_3_4_32_need_weak_and_is_idempotent()
    {
        if (!File.Exists(Python)) Assert.Inconclusive($"{Python} is not installed");
        var folder = Directory.CreateTempSubdirectory("pixelcnn-glibcxx-").FullName;
        try
        {
            var library = OriginalLibrary(folder);
            StringAssert.Contains(VersionNeed(library), "Flags: none", "the shipped library should need the version strongly");
            long size = new FileInfo(library).Length;

            var first = DotnetCli.Run(Python, [Script, library], folder);
            Assert.AreEqual(0, first.ExitCode, first.ToString());
            StringAssert.Contains(first.StdOut, "marked weak: GLIBCXX_3.4.32");
            StringAssert.Contains(VersionNeed(library), "Flags: WEAK");
            Assert.AreEqual(size, new FileInfo(library).Length, "only a flag changes");

            var second = DotnetCli.Run(Python, [Script, library], folder);
            Assert.AreEqual(0, second.ExitCode, second.ToString());
            StringAssert.Contains(second.StdOut, "already loadable");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [TestMethod]
    public void A_file_that_is_not_an_elf_library_is_refused_and_left_alone()
    {
        if (!File.Exists(Python)) Assert.Inconclusive($"{Python} is not installed");
        var folder = Directory.CreateTempSubdirectory("pixelcnn-glibcxx-").FullName;
        try
        {
            var path = Path.Combine(folder, "not-a-library.so");
            File.WriteAllText(path, "hello");
            var run = DotnetCli.Run(Python, [Script, path], folder);
            Assert.AreEqual(1, run.ExitCode, run.ToString());
            StringAssert.Contains(run.StdErr, "cannot fix: not a 64-bit little-endian ELF file");
            Assert.AreEqual("hello", File.ReadAllText(path));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
