// The NuGet package as a new user meets it: the library is packed into a folder feed, a fresh console
// app outside the repository (its own nuget.config, Directory.Build stop files, its own packages
// folder) adds the package with `dotnet add package`, and runs the README snippet verbatim (taken from
// README.md): a folder of PNG photos → ML.NET's LoadImages → ResizeImages → ExtractPixels → the PixelCNN
// scorer, ML.NET's Evaluate, mlContext.Model.Save; then a second process loads the zip with
// mlContext.Model.Load and must give the same scores. No network: the feed is a folder and the
// package's dependencies come from the machine's global packages folder, used as a second folder
// source, and the app restores into an empty packages folder of its own. The app is made as the README
// says: `dotnet add package Microsoft.ML` with no version (the newest ML.NET), then PixelCnn.ML and
// TorchSharp-cpu, with NuGet's version-conflict warnings (NU1605, NU1608) as errors. There is no manual
// step: the package's build step makes TorchSharp's native library loadable on Debian 12 in the app's
// output (docs/engine.md), and the test checks it did so there and left the packages folder alone.
//
// Slow (pack + restore + build + run, about a minute), so the category lets a local run leave it out
// (--filter TestCategory!=Packaging); CI runs it. The pack and the app are made once per class run.
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security;
using System.Xml.Linq;

namespace PixelCnn.ML.Tests.Packaging;

[TestClass]
[TestCategory("Packaging")]
public class PackageConsumerTests
{
    private const string TorchSharpFile = "libLibTorchSharp.so";
    private const int TestRows = 20;

    private static readonly Lazy<string> WorkRoot = new(() => Directory.CreateTempSubdirectory("pixelcnn-package-test-").FullName);
    private static readonly Lazy<PackedFeed> Feed = new(PackIntoFeed);
    private static readonly Lazy<string> App = new(CreateConsumerApp);
    private static readonly Lazy<string> Photos = new(WritePhotos);

    /// <summary>photos/ok (training: horizontal bars) and photos/test/{ok,anomaly} (bars and unseen vertical bars), 8x8 grey PNGs.</summary>
    private static string WritePhotos()
    {
        var root = Path.Combine(WorkRoot.Value, "photos-root");
        var random = new Random(1);
        void Write(string folder, int count, bool vertical)
        {
            for (int i = 0; i < count; i++)
            {
                var px = new byte[64];
                int level = 120 + random.Next(3) * 40;
                for (int p = 0; p < 64; p++) px[p] = (byte)(((vertical ? p % 8 : p / 8) % 2 == 0 ? level : 0) + random.Next(3));
                PixelCnn.ML.Pictures.PictureWriter.SavePng(new PixelCnn.ML.Pictures.RasterImage(8, 8, 1, px), Path.Combine(root, folder, $"{i:D3}.png"));
            }
        }
        Write(Path.Combine("photos", "ok"), 24, false);
        Write(Path.Combine("photos", "test", "ok"), TestRows / 2, false);
        Write(Path.Combine("photos", "test", "anomaly"), TestRows / 2, true);
        return root;
    }

    /// <summary>The README's snippet: the code between its snippet markers.</summary>
    internal static string ReadmeSnippet()
    {
        var readme = File.ReadAllText(RepoPaths.Get("README.md"));
        int start = readme.IndexOf("<!-- snippet:start", StringComparison.Ordinal), end = readme.IndexOf("<!-- snippet:end -->", StringComparison.Ordinal);
        Assert.IsTrue(start >= 0 && end > start, "README.md has no snippet markers");
        var block = readme[start..end];
        int code = block.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        return block[code..block.LastIndexOf("```", StringComparison.Ordinal)];
    }

    private sealed record PackedFeed(string Folder, string Version, string Package, string SymbolPackage);

    [ClassCleanup]
    public static void DeleteWorkFolder()
    {
        if (WorkRoot.IsValueCreated && Directory.Exists(WorkRoot.Value)) Directory.Delete(WorkRoot.Value, recursive: true);
    }

    [TestMethod]
    public void The_package_carries_the_assembly_its_docs_the_readme_and_the_build_step_no_native_code_and_states_the_mlnet_range()
    {
        var feed = RequireFeed();
        using var zip = ZipFile.OpenRead(feed.Package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        var listing = string.Join("\n", entries);
        foreach (var expected in new[] { "lib/net10.0/PixelCnn.ML.dll", "lib/net10.0/PixelCnn.ML.xml", "README.md",
                                         "buildTransitive/PixelCnn.ML.targets", "buildTransitive/TorchSharpGlibcxxFix.cs" })
            CollectionAssert.Contains(entries, expected, listing);
        Assert.IsFalse(entries.Any(e => e.StartsWith("runtimes/", StringComparison.Ordinal) || e.Contains(".so", StringComparison.Ordinal)),
                       "the package ships no native code (libtorch comes from TorchSharp-cpu/-cuda, codecs from SkiaSharp):\n" + listing);
        Assert.IsFalse(entries.Any(e => e.Contains("Publicizer", StringComparison.Ordinal) || e.Contains("publicized", StringComparison.Ordinal)), listing);

        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.AreEqual(feed.Version, metadata.Element(ns + "version")!.Value);
        var license = metadata.Element(ns + "license")!;
        Assert.AreEqual("expression", license.Attribute("type")!.Value);
        Assert.AreEqual("MIT", license.Value);
        Assert.AreEqual("README.md", metadata.Element(ns + "readme")!.Value);
        var dependencies = metadata.Descendants(ns + "dependency").ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value);
        Assert.AreEqual("[6.0.0, 7.0.0)", dependencies["Microsoft.ML"], "the package states the ML.NET range its start-up check names");
        Assert.AreEqual("[6.0.0, 7.0.0)", dependencies["Microsoft.ML.ImageAnalytics"]);
        Assert.AreEqual(PixelCnn.ML.Components.MlNetAccess.SupportedRange, dependencies["Microsoft.ML"]);
        Assert.IsTrue(dependencies["SkiaSharp"].StartsWith("3.", StringComparison.Ordinal), dependencies["SkiaSharp"]);
        Assert.IsTrue(dependencies.ContainsKey("TorchSharp"), string.Join(", ", dependencies.Keys));
        Assert.IsFalse(dependencies.ContainsKey("Publicizer"), string.Join(", ", dependencies.Keys));
    }

    [TestMethod]
    public void The_symbols_package_carries_the_portable_pdb()
    {
        var feed = RequireFeed();
        using var zip = ZipFile.OpenRead(feed.SymbolPackage);
        CollectionAssert.Contains(zip.Entries.Select(e => e.FullName).ToList(), "lib/net10.0/PixelCnn.ML.pdb");
    }

    [TestMethod]
    public void A_new_console_app_runs_the_readme_snippet_and_a_second_process_loads_the_same_scores()
    {
        var app = RequireApp();
        var run = Dotnet(app, "run", "--disable-build-servers", "--", "train", Photos.Value);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var scores = Scores(run);
        var auc = double.Parse(Lines(run, "auc: ").Single()["auc: ".Length..], CultureInfo.InvariantCulture);
        Assert.IsTrue(auc is >= 0 and <= 1, run.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(Photos.Value, "scorer.zip")), run.ToString());
        // RID-less build: NuGet copies runtimes/linux-x64/native/ into bin and the loader looks there.
        StringAssert.StartsWith(LoadedTorchSharp(run), Path.Combine(app, "bin") + Path.DirectorySeparatorChar, run.ToString());
        // The package's build step fixed that copy; the one in the app's packages folder is as NuGet shipped it.
        StringAssert.Contains(Engine.GlibcxxFixTests.VersionNeed(LoadedTorchSharp(run)), "Flags: WEAK");
        StringAssert.Contains(Engine.GlibcxxFixTests.VersionNeed(
            Path.Combine(WorkRoot.Value, "packages", "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", TorchSharpFile)), "Flags: none");

        var load = Dotnet(app, "run", "--no-build", "--disable-build-servers", "--", "load", Photos.Value);
        Assert.AreEqual(0, load.ExitCode, load.ToString());
        CollectionAssert.AreEqual(scores, Scores(load), "a fresh process loading scorer.zip gives the same scores:\n" + load);
        CollectionAssert.AreEqual(new[] { "loaded: PixelCnnDensityTransformer" }, Lines(load, "loaded: ").ToArray(), load.ToString());
    }

    [TestMethod]
    public void A_linux_x64_publish_runs_from_its_folder()
    {
        var app = RequireApp();
        var output = Path.Combine(WorkRoot.Value, "publish");
        // UseAppHost=false: a framework-dependent publish then needs no runtime or apphost pack (no network).
        var publish = Dotnet(app, "publish", "--disable-build-servers", "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            "-p:UseAppHost=false", "-o", output);
        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(output, "libSkiaSharp.so")), publish.ToString());

        var photos = Path.Combine(WorkRoot.Value, "published-photos");
        CopyFolder(Photos.Value, photos);
        var run = Dotnet(WorkRoot.Value, Path.Combine(output, "App.dll"), "train", photos);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.AreEqual(TestRows, Scores(run).Length, run.ToString());
        Assert.AreEqual(Path.Combine(output, TorchSharpFile), LoadedTorchSharp(run), run.ToString());
        StringAssert.Contains(Engine.GlibcxxFixTests.VersionNeed(LoadedTorchSharp(run)), "Flags: WEAK", "the build step fixed the published copy");
    }

    [TestMethod]
    public void Beside_mlnet_torchsharp_onnx_and_data_analysis_the_app_restores_without_conflicts_and_runs_the_hardened_loader_and_pictures()
    {
        // Microsoft.ML.TorchSharp, Microsoft.ML.OnnxTransformer and Microsoft.Data.Analysis in the same app as the package,
        // with libtorch for Linux only, restored into a packages folder of its own:
        // no NU1605/NU1608 (errors here), and a DataFrame of paths through LoadImagesSafely into the scorer, ML.NET's
        // RandomizedPca on the same pixels, and a picture of the images drawn with the package's PictureWriter, all in one
        // process. (ML.NET's own TorchSharp trainers do not run on TorchSharp 0.107: docs/packaging.md.)
        var feed = RequireFeed();
        var app = Path.Combine(WorkRoot.Value, "coexist");
        WriteAppFolder(app, CoexistProgram, Path.Combine(WorkRoot.Value, "coexist-packages"));
        // libtorch for Linux only (598 MB) instead of TorchSharp-cpu (three operating systems, 1.5 GB): docs/packaging.md.
        AddPackages(app, ["NU1605", "NU1608"], ["Microsoft.ML"], ["Microsoft.ML.TorchSharp"], ["Microsoft.ML.OnnxTransformer"], ["Microsoft.Data.Analysis"],
                    ["PixelCnn.ML", "--version", feed.Version], ["libtorch-cpu-linux-x64", "--version", "2.10.0"]);
        var photos = Path.Combine(WorkRoot.Value, "coexist-photos");
        CopyFolder(Photos.Value, photos);
        var truncated = Path.Combine(photos, "photos", "test", "anomaly", "000.png");
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..40]);
        var run = Dotnet(app, "run", "--disable-build-servers", "--", photos);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var rows = Lines(run, "row ").ToList();
        Assert.AreEqual(TestRows, rows.Count, run.ToString());
        var flagged = rows.Where(r => r.Contains("error=", StringComparison.Ordinal) && !r.EndsWith("error=", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(1, flagged.Count, run.ToString());
        StringAssert.Contains(flagged[0], truncated, "the hardened loader names the file");
        StringAssert.Contains(flagged[0], "bits=NaN", "a bad file scores NaN, never a zero-filled image");
        Assert.AreEqual(1, Lines(run, "pca auc: ").Count(), run.ToString());
        Assert.IsFalse(Directory.Exists(Path.Combine(WorkRoot.Value, "coexist-packages", "libtorch-cpu-win-x64")), "a Linux-only app restores libtorch for Linux only");
        using var picture = SkiaSharp.SKBitmap.Decode(Path.Combine(photos, "scores.png"));
        Assert.IsNotNull(picture, run.ToString());
        Assert.IsTrue(picture.Width > 8 * 4 && picture.Height > 8 * 4, $"{picture.Width}x{picture.Height}");
    }

    private static float[] Scores(CliResult run)
    {
        var scores = Lines(run, "score ").Select(l => float.Parse(l[(l.IndexOf(':') + 1)..], CultureInfo.InvariantCulture)).ToArray();
        Assert.AreEqual(TestRows, scores.Length, run.ToString());
        // Bits per dimension of 8-bit pixels: positive, and below 8 for any trained model.
        Assert.IsTrue(scores.All(s => float.IsFinite(s) && s > 0 && s < 16), run.ToString());
        return scores;
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var f in Directory.EnumerateFiles(from, "*.png", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
    }

    private static string LoadedTorchSharp(CliResult run) =>
        Lines(run, "torchsharp library: ").Single()["torchsharp library: ".Length..];

    private static IEnumerable<string> Lines(CliResult run, string prefix) =>
        run.StdOut.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(prefix, StringComparison.Ordinal));

    private static PackedFeed RequireFeed()
    {
        if (SkipReason() is { } reason) Assert.Inconclusive(reason);
        return Feed.Value;
    }

    private static string RequireApp()
    {
        RequireFeed();
        return App.Value;
    }

    private static string? SkipReason()
    {
        if (DotnetCli.FindOnPath() is null) return "dotnet is not on PATH: the packaging test needs the .NET SDK to pack and build a consumer app";
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return $"the package carries a linux-x64 native library only; this process is {RuntimeInformation.RuntimeIdentifier}";
        return null;
    }

    private static CliResult Dotnet(string workingDirectory, params string[] args) =>
        DotnetCli.Run(DotnetCli.FindOnPath()!, args, workingDirectory);

    /// <summary>
    /// Packs the library as already built for this test run (same configuration, --no-build), with a
    /// pre-release version of its own so that no package of the same version elsewhere can be picked.
    /// </summary>
    private static PackedFeed PackIntoFeed()
    {
        var configuration = typeof(PackageConsumerTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var v = typeof(PixelCnn.ML.Components.PixelCnnTransformerBase).Assembly.GetName().Version!;
        var version = $"{v.Major}.{v.Minor}.{v.Build}-packagetest";
        var folder = Path.Combine(WorkRoot.Value, "feed");
        var pack = Dotnet(RepoPaths.Root, "pack", RepoPaths.Get("src", "PixelCnn.ML", "PixelCnn.ML.csproj"), "--no-build",
            "-c", configuration, "-o", folder, $"-p:PackageVersion={version}",
            // The generated .nuspec goes to the work folder, not into the repository's obj/.
            $"-p:NuspecOutputPath={Path.Combine(WorkRoot.Value, "nuspec")}{Path.DirectorySeparatorChar}");
        Assert.AreEqual(0, pack.ExitCode, pack.ToString());
        var package = Path.Combine(folder, $"PixelCnn.ML.{version}.nupkg");
        var symbols = Path.Combine(folder, $"PixelCnn.ML.{version}.snupkg");
        Assert.IsTrue(File.Exists(package) && File.Exists(symbols), pack.ToString());
        return new PackedFeed(folder, version, package, symbols);
    }

    /// <summary>The global packages folder this machine restores into (where the repository's own build put its dependencies).</summary>
    internal static string MachinePackagesFolder()
    {
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env)) return env;
        var list = Dotnet(RepoPaths.Root, "nuget", "locals", "global-packages", "--list");
        Assert.AreEqual(0, list.ExitCode, list.ToString());
        var line = Lines(list, "global-packages:").SingleOrDefault();
        Assert.IsNotNull(line, list.ToString());
        return line["global-packages:".Length..].Trim();
    }

    private static string CreateConsumerApp()
    {
        var feed = Feed.Value;
        var app = Path.Combine(WorkRoot.Value, "app");
        WriteAppFolder(app, ConsumerProgram.Replace("//SNIPPET\n", ReadmeSnippet()));
        // As the README says: the newest ML.NET, then the package and libtorch. A prerelease needs its version named.
        // The README's app restores with no warning at all.
        AddPackages(app, ["warn :"], ["Microsoft.ML"], ["PixelCnn.ML", "--version", feed.Version], ["TorchSharp-cpu"]);
        var project = File.ReadAllText(Path.Combine(app, "App.csproj"));
        StringAssert.Contains(project, "Include=\"Microsoft.ML\" Version=\"6.", "dotnet add package Microsoft.ML gives ML.NET 6");
        return app;
    }

    /// <summary>`dotnet add package` each of <paramref name="packages"/> in order; none may fail or print any of <paramref name="forbidden"/>.</summary>
    private static void AddPackages(string app, string[] forbidden, params string[][] packages)
    {
        foreach (var package in packages)
        {
            var add = Dotnet(app, ["add", "package", .. package]);
            Assert.AreEqual(0, add.ExitCode, add.ToString());
            Assert.IsFalse(forbidden.Any(f => add.ToString().Contains(f, StringComparison.Ordinal)), add.ToString());
        }
    }

    /// <summary>
    /// A console app folder outside the repository: stop files for MSBuild's search of parent folders, a nuget.config with
    /// the feed and the machine's packages folder as the only sources and an empty packages folder of its own, a project
    /// that treats NU1605/NU1608 as errors, and <paramref name="program"/> as Program.cs.
    /// </summary>
    private static void WriteAppFolder(string app, string program, string? packages = null)
    {
        var feed = Feed.Value;
        Directory.CreateDirectory(app);
        // Stop files: MSBuild looks for these in every parent folder; an empty one here ends the search.
        foreach (var stop in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(app, stop), "<Project />\n");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{SecurityElement.Escape(packages ?? Path.Combine(WorkRoot.Value, "packages"))}" />
              </config>
              <packageSources>
                <clear />
                <add key="pixelcnn-feed" value="{SecurityElement.Escape(feed.Folder)}" />
                <add key="machine-packages" value="{SecurityElement.Escape(MachinePackagesFolder())}" />
              </packageSources>
              <auditSources>
                <clear />
              </auditSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "App.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <WarningsAsErrors>$(WarningsAsErrors);NU1605;NU1608</WarningsAsErrors>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);
    }

    /// <summary>
    /// The coexistence app's Program.cs: a DataFrame of test image paths (Microsoft.Data.Analysis) through the hardened
    /// loader into a PixelCNN scorer trained on photos/ok, ML.NET's RandomizedPca on the same pixels, and a picture of the
    /// readable test images titled with their scores (scores.png), in one process beside Microsoft.ML.TorchSharp and
    /// Microsoft.ML.OnnxTransformer.
    /// </summary>
    private const string CoexistProgram = """
        using System.Globalization;
        using Microsoft.Data.Analysis;
        using Microsoft.ML;
        using Microsoft.ML.Data;
        using Microsoft.ML.Transforms.Image;
        using PixelCnn.ML;
        using PixelCnn.ML.Components;
        using PixelCnn.ML.Models;
        using PixelCnn.ML.Pictures;

        var root = args[0];
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(ImageDataCatalog.ListImageFiles(Path.Combine(root, "photos", "ok")));
        var tests = ImageDataCatalog.ListImageFiles(Path.Combine(root, "photos", "test"));
        var frame = new DataFrame(new StringDataFrameColumn("ImagePath", tests.Select(f => f.ImagePath)),
                                  new SingleDataFrameColumn("Label", tests.Select(f => f.Label == "anomaly" ? 1f : 0f)));
        var pixels = ml.Transforms.LoadImagesSafely("Image", null, "ImagePath", new SafeImageLoadingOptions { OnError = ImageErrorPolicy.FlagRow })
            .Append(ml.Transforms.ResizeImages("Image", 8, 8))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red));
        using var scorer = pixels.Append(ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
            { FeatureColumnName = "Pixels", Model = PixelCnnConfig.PresetS with { Layers = 2 }, Training = { Epochs = 2, BatchSize = 8 } })).Fit(train);
        var scored = ml.Data.Cache(scorer.Transform(frame));
        var paths = scored.GetColumn<string>("ImagePath").ToArray();
        var errors = scored.GetColumn<string>("ImageError").ToArray();
        var bits = scored.GetColumn<float>("BitsPerDim").ToArray();
        for (int i = 0; i < paths.Length; i++)
            Console.WriteLine($"row {i}: path={paths[i]} bits={bits[i].ToString("F3", CultureInfo.InvariantCulture)} error={errors[i]}");

        var pca = pixels.Append(ml.AnomalyDetection.Trainers.RandomizedPca("Pixels", rank: 4)).Fit(train);
        var readable = ml.Data.CreateEnumerable<Row>(scored, reuseRowObject: false).Where(r => r.ImageError.Length == 0).ToList();
        var pcaScored = pca.Transform(ml.Data.LoadFromEnumerable(readable.Select(r => new Input { ImagePath = r.ImagePath, Label = r.Label })));
        Console.WriteLine($"pca auc: {ml.AnomalyDetection.Evaluate(pcaScored).AreaUnderRocCurve.ToString("R", CultureInfo.InvariantCulture)}");

        var cells = readable.Select(r => new RasterImage(8, 8, 1, r.Pixels.Select(v => (byte)Math.Clamp(v, 0, 255)).ToArray())).ToList();
        PictureWriter.SaveGrid(Path.Combine(root, "scores.png"), cells, columns: 10, upscale: 4, title: "test images, readable ones");

        public sealed class Row
        {
            public string ImagePath = "";
            public string ImageError = "";
            public float Label;
            [VectorType(1, 8, 8)] public float[] Pixels = [];
        }

        public sealed class Input
        {
            public string ImagePath = "";
            public float Label;
        }
        """;

    /// <summary>
    /// The consumer's Program.cs: the README snippet (inserted at //SNIPPET) with what it needs around it, in the
    /// folder given. "train" runs the snippet and prints the scores; "load", in a second process, loads the saved zip
    /// with ML.NET's Model.Load and prints its scores. The last line reports where the process mapped TorchSharp's
    /// native library from (/proc/self/maps), so the test can tell the restored packages were the ones loaded.
    /// </summary>
    private const string ConsumerProgram = """
        using System.Globalization;
        using Microsoft.ML;
        using Microsoft.ML.Data;
        using PixelCnn.ML;
        using PixelCnn.ML.Components;

        Directory.SetCurrentDirectory(args[1]);
        int epochs = 1;
        var test = new MLContext().Data.LoadFromEnumerable(
            Directory.GetFiles("photos/test/ok").Order().Select(f => new TestImage { ImagePath = Path.GetFullPath(f), Label = 0 })
                .Concat(Directory.GetFiles("photos/test/anomaly").Order().Select(f => new TestImage { ImagePath = Path.GetFullPath(f), Label = 1 })).ToList());
        if (args[0] == "load")
        {
            var context = new MLContext();
            var loaded = context.Model.Load("scorer.zip", out _);
            Print(loaded.Transform(test));
            Console.WriteLine($"loaded: {((IEnumerable<ITransformer>)loaded).Last().GetType().Name}");
            (loaded as IDisposable)?.Dispose();
        }
        else
        {
        //SNIPPET
            Print(scored);
            Console.WriteLine($"auc: {metrics.AreaUnderRocCurve.ToString("R", CultureInfo.InvariantCulture)}");
        }
        var native = File.ReadLines("/proc/self/maps").Where(l => l.EndsWith("/libLibTorchSharp.so"))
            .Select(l => l[l.IndexOf('/')..]).Distinct();
        Console.WriteLine($"torchsharp library: {string.Join(", ", native)}");

        static void Print(IDataView scored)
        {
            var scores = scored.GetColumn<float>("Score").ToArray();
            for (int i = 0; i < scores.Length; i++) Console.WriteLine($"score {i}: {scores[i].ToString("R", CultureInfo.InvariantCulture)}");
        }

        public sealed class TestImage
        {
            public string ImagePath = "";
            public float Label;
        }
        """;
}
