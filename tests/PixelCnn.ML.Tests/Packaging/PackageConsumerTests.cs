// The NuGet package as a new user meets it: the library is packed into a folder feed, a fresh console
// app outside the repository (its own nuget.config, Directory.Build stop files, its own packages
// folder) adds the package with `dotnet add package`, and `dotnet run` trains, scores, saves and
// reloads a tiny density scorer. No network: the feed is a folder and the package's dependencies come
// from the machine's global packages folder, used as a second folder source. The app adds
// TorchSharp-cpu for libtorch, as the docs tell users to, and on Debian 12 applies the documented
// fix to TorchSharp's native library in its own packages folder (docs/engine.md).
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
    private const string NativeFile = "libpixelcnn_native.so";
    private const string TorchSharpFile = "libLibTorchSharp.so";
    private const int Rows = 16;

    private static readonly Lazy<string> WorkRoot = new(() => Directory.CreateTempSubdirectory("pixelcnn-package-test-").FullName);
    private static readonly Lazy<PackedFeed> Feed = new(PackIntoFeed);
    private static readonly Lazy<string> App = new(CreateConsumerApp);

    private sealed record PackedFeed(string Folder, string Version, string Package, string SymbolPackage);

    [ClassCleanup]
    public static void DeleteWorkFolder()
    {
        if (WorkRoot.IsValueCreated && Directory.Exists(WorkRoot.Value)) Directory.Delete(WorkRoot.Value, recursive: true);
    }

    [TestMethod]
    public void The_package_carries_the_assembly_its_docs_the_native_shim_and_the_readme_but_no_libtorch()
    {
        var feed = RequireFeed();
        using var zip = ZipFile.OpenRead(feed.Package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        var listing = string.Join("\n", entries);
        foreach (var expected in new[]
                 { "lib/net10.0/PixelCnn.ML.dll", "lib/net10.0/PixelCnn.ML.xml", $"runtimes/linux-x64/native/{NativeFile}", "README.md" })
            CollectionAssert.Contains(entries, expected, listing);
        var native = entries.Where(e => e.EndsWith(".so", StringComparison.Ordinal) || e.Contains(".so.", StringComparison.Ordinal)).ToList();
        CollectionAssert.AreEqual(new[] { $"runtimes/linux-x64/native/{NativeFile}" }, native, "libtorch must not be shipped:\n" + listing);

        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.AreEqual(feed.Version, metadata.Element(ns + "version")!.Value);
        var license = metadata.Element(ns + "license")!;
        Assert.AreEqual("expression", license.Attribute("type")!.Value);
        Assert.AreEqual("MIT", license.Value);
        Assert.AreEqual("README.md", metadata.Element(ns + "readme")!.Value);
    }

    [TestMethod]
    public void The_symbols_package_carries_the_portable_pdb()
    {
        var feed = RequireFeed();
        using var zip = ZipFile.OpenRead(feed.SymbolPackage);
        CollectionAssert.Contains(zip.Entries.Select(e => e.FullName).ToList(), "lib/net10.0/PixelCnn.ML.pdb");
    }

    [TestMethod]
    public void A_new_console_app_restores_the_package_and_dotnet_run_trains_scores_saves_and_reloads()
    {
        var app = RequireApp();
        var run = Dotnet(app, "run", "--disable-build-servers", "--", Path.Combine(app, "scorer.zip"));
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        AssertScoredAndReloaded(run);
        // RID-less build: NuGet copies runtimes/linux-x64/native/ into bin and the loader looks there.
        StringAssert.StartsWith(LoadedTorchSharp(run), Path.Combine(app, "bin") + Path.DirectorySeparatorChar, run.ToString());
        StringAssert.EndsWith(LoadedTorchSharp(run), Path.Combine("runtimes", "linux-x64", "native", TorchSharpFile), run.ToString());
    }

    [TestMethod]
    public void A_linux_x64_publish_puts_the_native_shim_next_to_the_app_and_runs_from_there()
    {
        var app = RequireApp();
        var output = Path.Combine(WorkRoot.Value, "publish");
        // UseAppHost=false: a framework-dependent publish then needs no runtime or apphost pack (no network).
        var publish = Dotnet(app, "publish", "--disable-build-servers", "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            "-p:UseAppHost=false", "-o", output);
        Assert.AreEqual(0, publish.ExitCode, publish.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(output, NativeFile)), publish.ToString());

        var run = Dotnet(WorkRoot.Value, Path.Combine(output, "App.dll"), Path.Combine(WorkRoot.Value, "published-scorer.zip"));
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        AssertScoredAndReloaded(run);
        Assert.AreEqual(Path.Combine(output, TorchSharpFile), LoadedTorchSharp(run), run.ToString());
    }

    private static void AssertScoredAndReloaded(CliResult run)
    {
        var scores = Lines(run, "score ").Select(l => float.Parse(l[(l.IndexOf(':') + 1)..], CultureInfo.InvariantCulture)).ToList();
        Assert.AreEqual(Rows, scores.Count, run.ToString());
        // Bits per dimension of 8-bit pixels: positive, and near 8 for a model trained two steps.
        Assert.IsTrue(scores.All(s => float.IsFinite(s) && s > 0 && s < 16), run.ToString());
        CollectionAssert.AreEqual(new[] { "reloaded scores equal: True" }, Lines(run, "reloaded ").ToArray(), run.ToString());
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
        var v = typeof(MLContext).Assembly.GetName().Version!;
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
        Directory.CreateDirectory(app);
        // Stop files: MSBuild looks for these in every parent folder; an empty one here ends the search.
        foreach (var stop in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(app, stop), "<Project />\n");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{SecurityElement.Escape(Path.Combine(WorkRoot.Value, "packages"))}" />
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
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
        var add = Dotnet(app, "add", "package", "PixelCnn.ML", "--version", feed.Version);
        Assert.AreEqual(0, add.ExitCode, add.ToString());
        var addTorch = Dotnet(app, "add", "package", "TorchSharp-cpu", "--version", "0.107.0");
        Assert.AreEqual(0, addTorch.ExitCode, addTorch.ToString());
        var native = Path.Combine(WorkRoot.Value, "packages", "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", TorchSharpFile);
        var fix = DotnetCli.Run("/usr/bin/python3", [RepoPaths.Get("scripts", "torchsharp-glibcxx-fix.py"), native], app);
        Assert.AreEqual(0, fix.ExitCode, fix.ToString());
        return app;
    }

    /// <summary>
    /// The consumer's Program.cs: what a new user writes after reading the package README. The last
    /// line reports where the process mapped TorchSharp's native library from (/proc/self/maps), so the
    /// test can tell the restored packages were the ones loaded.
    /// </summary>
    private const string ConsumerProgram = """
        using System.Globalization;
        using PixelCnn.ML;
        using PixelCnn.ML.Components;
        using PixelCnn.ML.Data;
        using PixelCnn.ML.Models;

        var random = new Random(1);
        var images = Enumerable.Range(0, 16).Select(_ => new Image
        {
            // Horizontal bars of a random brightness with a little noise.
            Pixels = Enumerable.Range(0, 64).Select(i => (float)((i / 8) % 2 == 0 ? 200 + random.Next(3) : random.Next(3))).ToArray(),
        }).ToList();

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(images);
        var trainer = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels",
            Model = new PixelCnnConfig { Layers = 2, HiddenChannels = 8, OutputHiddenChannels = 16 },
            Training = { BatchSize = 8, MaxSteps = 2 },
        });

        var path = args[0];
        float[] scores;
        using (var model = trainer.Fit(data))
        {
            scores = model.Transform(data).GetColumn<float>("Score").ToArray();
            ml.Model.Save(model, data.Schema, path);
        }
        var loaded = ml.Model.Load(path, out var schema);
        var reloaded = loaded.Transform(data).GetColumn<float>("Score").ToArray();
        (loaded as IDisposable)?.Dispose();

        for (int i = 0; i < scores.Length; i++)
            Console.WriteLine($"score {i}: {scores[i].ToString("R", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"reloaded scores equal: {scores.SequenceEqual(reloaded)}");
        var native = File.ReadLines("/proc/self/maps").Where(l => l.EndsWith("/libLibTorchSharp.so"))
            .Select(l => l[l.IndexOf('/')..]).Distinct();
        Console.WriteLine($"torchsharp library: {string.Join(", ", native)}");

        public sealed class Image
        {
            [VectorType(1, 8, 8)] public float[] Pixels = [];
        }
        """;
}
