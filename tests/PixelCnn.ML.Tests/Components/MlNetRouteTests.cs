// The saving route (docs/mlnet-saving.md) checked the way it can break: the ML.NET version it was built against, the
// internal members it calls, and whole chains saved with mlContext.Model.Save and loaded by a fresh process
// (`pixelcnn apply`, a separate `dotnet` process) that must give the same outputs: ML.NET's image chain → the scorer,
// the conditional sampler, the autoencoder. If an ML.NET upgrade moves the internals, these fail with a message
// saying so.
using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using PixelCnn.ML.Components;
using PixelCnn.ML.Models;
using PixelCnn.ML.Pictures;
using PixelCnn.ML.Tests.Data;
using PixelCnn.ML.Tests.Packaging;

namespace PixelCnn.ML.Tests.Components;

[TestClass]
public class MlNetRouteTests
{
    private const string RouteDoc = "docs/mlnet-saving.md";

    [TestMethod]
    public void The_loaded_mlnet_is_in_the_supported_range_the_package_states_and_has_every_member_the_route_calls()
    {
        var version = Version.Parse(MlNetAccess.LoadedVersion);
        Assert.IsTrue(version >= new Version(6, 0, 0) && version < new Version(7, 0, 0), $"Microsoft.ML {version} is outside {MlNetAccess.SupportedRange}");
        var project = File.ReadAllText(RepoPaths.Get("src", "PixelCnn.ML", "PixelCnn.ML.csproj"));
        StringAssert.Contains(project, "<MlNetVersion>6.0.0</MlNetVersion>");
        StringAssert.Contains(project, "<MlNetRange>[$(MlNetVersion),7.0.0)</MlNetRange>", "the package states the range the start-up check names");
        Assert.AreEqual(0, MlNetAccess.Missing().Count, $"ML.NET {version} lacks what the saving route calls ({RouteDoc}): " + string.Join(", ", MlNetAccess.Missing()));
        MlNetAccess.EnsureSupported();
    }

    [TestMethod]
    public void An_mlnet_that_lacks_a_member_is_one_error_naming_the_version_found_and_the_range_supported()
    {
        var missing = MlNetAccess.Missing([.. MlNetAccess.Required, ("Microsoft.ML.Core", "Microsoft.ML.ModelSaveContext", ["SaveEverything"]),
                                          ("Microsoft.ML.Data", "Microsoft.ML.Data.NoSuchCatalog", [])]);
        CollectionAssert.AreEqual(new[] { "Microsoft.ML.ModelSaveContext.SaveEverything", "Microsoft.ML.Data.NoSuchCatalog" }, missing);
        var message = MlNetAccess.Describe("7.1.0", missing)!;
        StringAssert.Contains(message, "loaded Microsoft.ML 7.1.0");
        StringAssert.Contains(message, "supports Microsoft.ML [6.0.0, 7.0.0)");
        StringAssert.Contains(message, "Microsoft.ML.ModelSaveContext.SaveEverything");
        StringAssert.Contains(message, "PixelCnn.ML 0.1.x");
        Assert.IsNull(MlNetAccess.Describe("6.0.0", []));
    }

    [TestMethod]
    public void The_start_up_check_lists_every_non_public_mlnet_member_the_library_references()
    {
        // Every reference of the compiled library into Microsoft.ML.Core/Data (method bodies, signatures, fields,
        // attributes) is resolved against the real ML.NET assemblies; those that are not public must be in
        // MlNetAccess.Required, or the start-up check would miss them, and non-public members may be called only from
        // MlNetAccess and ComponentSaving, the never-inlined code behind the check.
        var resolver = new Mono.Cecil.DefaultAssemblyResolver();
        resolver.AddSearchDirectory(AppContext.BaseDirectory);
        using var library = Mono.Cecil.AssemblyDefinition.ReadAssembly(typeof(MlNetAccess).Assembly.Location, new Mono.Cecil.ReaderParameters { AssemblyResolver = resolver });
        var used = new SortedSet<string>(StringComparer.Ordinal);
        var misplaced = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (reference, owner) in MlNetReferences(library))
        {
            var definition = reference switch
            {
                Mono.Cecil.MethodReference m => (Mono.Cecil.IMemberDefinition?)m.Resolve(),
                Mono.Cecil.FieldReference f => f.Resolve(),
                Mono.Cecil.TypeReference t => t.Resolve(),
                _ => null,
            };
            Assert.IsNotNull(definition, $"{reference.FullName} does not resolve in the ML.NET this test runs on");
            if (definition is Mono.Cecil.TypeDefinition type)
            {
                if (!Visible(type)) used.Add(ReflectionName(type));
                continue;
            }
            bool memberPublic = definition switch
            {
                Mono.Cecil.MethodDefinition m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
                Mono.Cecil.FieldDefinition f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
                _ => true,
            };
            if (!memberPublic || !Visible(definition.DeclaringType))
            {
                var name = definition.Name.StartsWith("get_", StringComparison.Ordinal) || definition.Name.StartsWith("set_", StringComparison.Ordinal)
                    ? definition.Name[4..] : definition.Name;
                used.Add($"{ReflectionName(definition.DeclaringType)}.{name}");
                if (owner is not (null or nameof(MlNetAccess) or nameof(ComponentSaving))) misplaced.Add($"{owner} calls {ReflectionName(definition.DeclaringType)}.{name}");
            }
        }
        var listed = MlNetAccess.Required.SelectMany(r => r.Members.Select(m => $"{r.Type}.{m}").Prepend(r.Type)).ToHashSet(StringComparer.Ordinal);
        var unlisted = used.Where(u => !listed.Contains(u)).ToList();
        Assert.IsTrue(used.Count >= 10, $"only {used.Count} non-public references found: {string.Join(", ", used)}");
        Assert.AreEqual(0, unlisted.Count, "non-public ML.NET members the library calls but MlNetAccess.Required does not list: " + string.Join(", ", unlisted));
        Assert.AreEqual(0, misplaced.Count, "non-public ML.NET members called outside MlNetAccess and ComponentSaving: " + string.Join("; ", misplaced));
    }

    private static bool Visible(Mono.Cecil.TypeDefinition type) =>
        type.IsNested ? (type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly) && Visible(type.DeclaringType) : type.IsPublic;

    private static string ReflectionName(Mono.Cecil.TypeReference type) => type.FullName.Replace('/', '+');

    /// <summary>
    /// Every type, method and field reference of <paramref name="library"/> whose scope is Microsoft.ML.Core or
    /// Microsoft.ML.Data, with the name of the outermost type whose code makes it (null for assembly attributes).
    /// </summary>
    private static IEnumerable<(Mono.Cecil.MemberReference Reference, string? Owner)> MlNetReferences(Mono.Cecil.AssemblyDefinition library)
    {
        static bool FromMlNet(Mono.Cecil.TypeReference? t) =>
            t?.GetElementType().Scope is Mono.Cecil.AssemblyNameReference { Name: "Microsoft.ML.Core" or "Microsoft.ML.Data" };
        IEnumerable<Mono.Cecil.MemberReference> FromAttribute(Mono.Cecil.CustomAttribute a) =>
            a.ConstructorArguments.Select(arg => arg.Value).OfType<Mono.Cecil.TypeReference>().Where(FromMlNet).Append<Mono.Cecil.MemberReference>(a.Constructor);
        var found = new List<(Mono.Cecil.MemberReference, string?)>();
        found.AddRange(library.CustomAttributes.SelectMany(FromAttribute)
            .Where(r => FromMlNet(r.DeclaringType) || FromMlNet(r as Mono.Cecil.TypeReference)).Select(r => (r, (string?)null)));
        foreach (var type in library.MainModule.GetTypes())
        {
            var owner = type;
            while (owner.DeclaringType is not null) owner = owner.DeclaringType;
            void Add(Mono.Cecil.MemberReference r) => found.Add((r, owner.Name));
            foreach (var i in type.Interfaces.Select(i => i.InterfaceType).Where(FromMlNet)) Add(i);
            if (FromMlNet(type.BaseType)) Add(type.BaseType);
            foreach (var field in type.Fields.Where(f => FromMlNet(f.FieldType))) Add(field.FieldType);
            foreach (var method in type.Methods)
            {
                foreach (var t in method.Parameters.Select(p => p.ParameterType).Append(method.ReturnType).Where(FromMlNet)) Add(t);
                if (!method.HasBody) continue;
                foreach (var instruction in method.Body.Instructions)
                    if (instruction.Operand is Mono.Cecil.MemberReference m && (FromMlNet(m.DeclaringType) || FromMlNet(m as Mono.Cecil.TypeReference)))
                        Add(m);
            }
        }
        return found.Select(f => (f.Item1 is Mono.Cecil.TypeReference t ? t.GetElementType() : f.Item1, f.Item2));
    }

    [TestMethod]
    public void A_plain_mlnet_load_returns_our_batched_transformer()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(8, false));
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-route-{Guid.NewGuid():N}.zip");
        try
        {
            using (var model = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
                   { FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, Training = { BatchSize = 8, MaxSteps = 1 } }).Fit(data))
                ml.Model.Save(model, data.Schema, path);
            using var loaded = (IDisposable)new MLContext().Model.Load(path, out _);
            var scorer = loaded as PixelCnnDensityTransformer;
            Assert.IsNotNull(scorer, $"ML.NET did not load a {nameof(PixelCnnDensityTransformer)} ({RouteDoc})");
            Assert.IsTrue(scorer.IsRowToRowMapper);
            Assert.AreEqual("BatchedDataView", scorer.Transform(data).GetType().Name, "the loaded transformer maps rows in batches");
            if (!TorchSharp.torch.cuda.is_available())
            {
                // The loading context chooses the device: a GPU it cannot have is an error naming it, not a silent CPU.
                // ML.NET calls loaders by reflection, so the error arrives wrapped in a TargetInvocationException.
                var gpu = new MLContext { GpuDeviceId = 0, FallbackToCpu = false };
                var e = Assert.ThrowsException<TargetInvocationException>(() => gpu.Model.Load(path, out _));
                Assert.IsInstanceOfType<InvalidOperationException>(e.InnerException);
                StringAssert.Contains(e.InnerException!.Message, "GpuDeviceId = 0");
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn)]
    [DataRow(PixelCnnArchitecture.RowLstm)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm)]
    [DataRow(PixelCnnArchitecture.Grayscale)]
    [DataRow(PixelCnnArchitecture.Pyramid)]
    public void The_image_chain_and_scorer_load_in_a_fresh_process_with_the_same_scores(PixelCnnArchitecture architecture)
    {
        using var dir = new TempDirectory();
        var ok = Path.Combine(dir.Path, "ok");
        TestImages.WriteStripes(ok, 12, side: 10, seed: 3);
        var ml = new MLContext(seed: 1);
        var files = ml.Data.LoadImagesFromFolder(ok);
        var path = Path.Combine(dir.Path, "scorer.zip");
        float[] inProcess;
        using (var model = ml.Transforms.LoadImages("Image", null, "ImagePath")
                   .Append(ml.Transforms.ResizeImages("Image", 8, 8))
                   .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
                   .Append(ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
                   { FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny with { Architecture = architecture }, Training = { BatchSize = 4, MaxSteps = 2 } }))
                   .Fit(files))
        {
            inProcess = model.Transform(files).GetColumn<float>("Score").ToArray();
            ml.Model.Save(model, files.Schema, path);
        }
        var applied = ApplyInFreshProcess(path, ok, dir.Path, "Score");
        CollectionAssert.AreEqual(inProcess, applied.Select(r => float.Parse(r[0], CultureInfo.InvariantCulture)).ToArray());
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.GatedPixelCnn)]
    [DataRow(PixelCnnArchitecture.RowLstm)]
    [DataRow(PixelCnnArchitecture.DiagonalBiLstm)]
    public void The_sampler_and_the_autoencoder_load_in_a_fresh_process_with_the_same_outputs(PixelCnnArchitecture architecture)
    {
        var tiny = DensityScorerTests.Tiny with { Architecture = architecture };
        using var dir = new TempDirectory();
        var (images, labels) = RandomIdx(dir.Path, 16, seed: 5);
        var ml = new MLContext(seed: 2);
        var data = ml.Data.LoadFromIdx(images, labels);
        var spec = $"idx:{images},{labels}";

        var samplerPath = Path.Combine(dir.Path, "sampler.zip");
        string[] generated;
        using (var sampler = ml.Transforms.PixelCnnConditionalSampler(new PixelCnnConditionalSamplerEstimator.Options
               { FeatureColumnName = "Pixels", ConditionColumnName = "Label", Model = tiny, Training = { BatchSize = 8, MaxSteps = 1 }, SamplingBatchSize = 5 })
               .Fit(data))
        {
            generated = Rows(sampler.Transform(data), "GeneratedPixels");
            ml.Model.Save(sampler, data.Schema, samplerPath);
        }
        CollectionAssert.AreEqual(generated, ApplyInFreshProcess(samplerPath, spec, dir.Path, "GeneratedPixels").Select(r => r[0]).ToArray());

        var aePath = Path.Combine(dir.Path, "ae.zip");
        string[] embeddings, bits;
        using (var ae = ml.Transforms.PixelCnnAutoencoder(new PixelCnnAutoencoderEstimator.Options
               { FeatureColumnName = "Pixels", EmbeddingSize = 3, Model = tiny, Training = { BatchSize = 8, MaxSteps = 1 } }).Fit(data))
        {
            var output = ae.Transform(data);
            (embeddings, bits) = (Rows(output, "Embedding"), Rows(output, "BitsPerDim"));
            ml.Model.Save(ae, data.Schema, aePath);
        }
        var applied = ApplyInFreshProcess(aePath, spec, dir.Path, "Embedding,BitsPerDim");
        CollectionAssert.AreEqual(embeddings, applied.Select(r => r[0]).ToArray());
        CollectionAssert.AreEqual(bits, applied.Select(r => r[1]).ToArray());
    }

    [TestMethod]
    public void A_colorizer_chain_from_colour_images_to_grey_conditions_to_n_colourings_loads_in_a_fresh_process_with_the_same_images()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "photos");
        var random = new Random(4);
        for (int i = 0; i < 6; i++)
        {
            var px = new byte[10 * 10 * 3];
            for (int p = 0; p < px.Length; p++) px[p] = (byte)(p % 3 == 0 ? 200 - 10 * i : random.Next(256));
            PictureWriter.SavePng(new RasterImage(10, 10, 3, px), Path.Combine(folder, $"{i:D2}.png"));
        }
        var ml = new MLContext(seed: 3);
        var files = ml.Data.LoadImagesFromFolder(folder);
        var path = Path.Combine(dir.Path, "colorizer.zip");
        string[] generated;
        using (var model = ml.Transforms.LoadImages("Image", null, "ImagePath")
                   .Append(ml.Transforms.ResizeImages("Image", 8, 8))
                   .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
                   .Append(ml.Transforms.ConvertToGrayscale("GreyImage", "Image"))
                   .Append(ml.Transforms.ExtractPixels("Grey", "GreyImage", colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red))
                   .Append(ml.Transforms.PixelCnnConditionalSampler(new PixelCnnConditionalSamplerEstimator.Options
                   {
                       FeatureColumnName = "Pixels", ConditionColumnName = "Grey", SamplesPerRow = 3, SamplingBatchSize = 4,
                       Model = DensityScorerTests.Tiny with { Conditioning = ConditioningKind.Image }, Training = { BatchSize = 4, MaxSteps = 2 },
                   }))
                   .Fit(files))
        {
            var output = model.Transform(files);
            var pixels = output.Schema["GeneratedPixels"].Type as VectorDataViewType;
            CollectionAssert.AreEqual(new[] { 3, 3, 8, 8 }, pixels!.Dimensions.ToArray(), "three colourings of 3x8x8 per row");
            var image = (ImageDataViewType)output.Schema["GeneratedImage"].Type;
            Assert.AreEqual((8, 24), (image.Height, image.Width), "the colourings side by side");
            generated = Rows(output, "GeneratedPixels");
            Assert.AreEqual(6, generated.Length);
            var first = generated[0].Split(' ');
            Assert.AreNotEqual(string.Join(' ', first.Take(192)), string.Join(' ', first.Skip(192).Take(192)), "each colouring has its own draws");
            ml.Model.Save(model, files.Schema, path);
        }
        CollectionAssert.AreEqual(generated, ApplyInFreshProcess(path, folder, dir.Path, "GeneratedPixels").Select(r => r[0]).ToArray());
    }

    [TestMethod]
    public void An_autoencoder_feeding_an_embedding_conditioned_sampler_loads_in_a_fresh_process_with_the_same_images()
    {
        // The embedding route of the product: one pipeline encodes each image to h and samples new images given h.
        using var dir = new TempDirectory();
        var (images, labels) = RandomIdx(dir.Path, 12, seed: 6);
        var ml = new MLContext(seed: 2);
        var data = ml.Data.LoadFromIdx(images, labels);
        var path = Path.Combine(dir.Path, "embedding-sampler.zip");
        string[] generated;
        using (var ae = ml.Transforms.PixelCnnAutoencoder(new PixelCnnAutoencoderEstimator.Options
               { FeatureColumnName = "Pixels", EmbeddingSize = 3, Model = DensityScorerTests.Tiny, Training = { BatchSize = 8, MaxSteps = 2 } }).Fit(data))
        using (var sampler = ml.Transforms.PixelCnnConditionalSampler(new PixelCnnConditionalSamplerEstimator.Options
               {
                   FeatureColumnName = "Pixels", ConditionColumnName = "Embedding", Model = DensityScorerTests.Tiny, Training = { BatchSize = 8, MaxSteps = 2 },
                   SamplingBatchSize = 5, SharedDraws = true, SamplingSeed = 3,
               }).Fit(ae.Transform(data)))
        {
            Assert.AreEqual(ConditionKind.Vector, sampler.Condition.Kind);
            var chain = new TransformerChain<ITransformer>(ae, sampler);
            generated = Rows(chain.Transform(data), "GeneratedPixels");
            ml.Model.Save(chain, data.Schema, path);
        }
        Assert.AreEqual(12, generated.Length);
        CollectionAssert.AreEqual(generated, ApplyInFreshProcess(path, $"idx:{images},{labels}", dir.Path, "GeneratedPixels").Select(r => r[0]).ToArray());
    }

    [TestMethod]
    public void A_likelihood_ratio_scorer_and_its_background_model_load_in_a_fresh_process_with_the_same_scores()
    {
        using var dir = new TempDirectory();
        var images = Path.Combine(dir.Path, "images.idx");
        var labels = Path.Combine(dir.Path, "labels.idx");
        var px = new byte[16 * 8 * 8];
        new Random(6).NextBytes(px);
        File.WriteAllBytes(images, IdxTestFiles.Images(16, 8, 8, px));
        File.WriteAllBytes(labels, IdxTestFiles.Labels(new byte[16]));
        var ml = new MLContext(seed: 3);
        var data = ml.Data.LoadFromIdx(images, labels);
        var path = Path.Combine(dir.Path, "lr.zip");
        string[] scores, pValues;
        using (var scorer = ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
               {
                   FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, ScoreKind = PixelCnn.ML.Scoring.DensityScoreKind.LikelihoodRatio,
                   Training = { BatchSize = 8, MaxSteps = 1 },
               }).Fit(data))
        {
            var output = scorer.Transform(data);
            (scores, pValues) = (Rows(output, "Score"), Rows(output, "PValue"));
            ml.Model.Save(scorer, data.Schema, path);
        }
        var applied = ApplyInFreshProcess(path, $"idx:{images},{labels}", dir.Path, "Score,PValue");
        CollectionAssert.AreEqual(scores, applied.Select(r => r[0]).ToArray());
        CollectionAssert.AreEqual(pValues, applied.Select(r => r[1]).ToArray());
    }

    [TestMethod]
    public void The_hardened_loader_and_a_purifier_load_in_a_fresh_process_with_the_same_outputs()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "untrusted");
        TestImages.WriteStripes(folder, 8, side: 8, seed: 8, noise: 9);
        var whole = File.ReadAllBytes(Path.Combine(folder, "00.png"));
        File.WriteAllBytes(Path.Combine(folder, "99-truncated.png"), whole[..(whole.Length / 2)]);
        var ml = new MLContext(seed: 4);
        var files = ml.Data.LoadImagesFromFolder(folder);
        var path = Path.Combine(dir.Path, "purifier.zip");
        string[] errors, purified;
        using (var model = ml.Transforms.LoadImagesSafely("Image", null, "ImagePath", new SafeImageLoadingOptions { OnError = ImageErrorPolicy.FlagRow })
                   .Append(ml.Transforms.ResizeImages("Image", 8, 8))
                   .Append(ml.Transforms.ExtractPixels("Pixels", "Image", colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red))
                   .Append(ml.Transforms.PixelCnnPurify(new PixelCnnPurifierEstimator.Options
                   { FeatureColumnName = "Pixels", OutputColumnName = "Purified", Epsilon = 8, Model = DensityScorerTests.Tiny, Training = { BatchSize = 4, MaxSteps = 2 } }))
                   .Fit(files))
        {
            var output = model.Transform(files);
            errors = output.GetColumn<string>("ImageError").ToArray();
            purified = Rows(output, "Purified");
            ml.Model.Save(model, files.Schema, path);
        }
        Assert.AreEqual(9, errors.Length);
        Assert.AreEqual(1, errors.Count(e => e.Length > 0), "the truncated file is flagged");
        var applied = ApplyInFreshProcess(path, folder, dir.Path, "Purified");
        CollectionAssert.AreEqual(purified, applied.Select(r => r[0]).ToArray());
        var appliedErrors = ApplyInFreshProcess(path, folder, dir.Path, "ImageError");
        CollectionAssert.AreEqual(errors.Select(e => e.Length > 0).ToArray(), appliedErrors.Select(r => r[0].Length > 0).ToArray(), "the same rows flagged");
    }

    /// <summary>IDX files of <paramref name="count"/> random 8x8 grey images labelled 0, 1, 2, 0, ... in <paramref name="dir"/>.</summary>
    private static (string Images, string Labels) RandomIdx(string dir, int count, int seed)
    {
        var images = Path.Combine(dir, "images.idx");
        var labels = Path.Combine(dir, "labels.idx");
        var px = new byte[count * 8 * 8];
        new Random(seed).NextBytes(px);
        File.WriteAllBytes(images, IdxTestFiles.Images(count, 8, 8, px));
        File.WriteAllBytes(labels, IdxTestFiles.Labels(Enumerable.Range(0, count).Select(i => (byte)(i % 3)).ToArray()));
        return (images, labels);
    }

    /// <summary>The values of a column as `pixelcnn apply` writes them (R format, vectors space-separated).</summary>
    private static string[] Rows(IDataView data, string column) => SavedModelFixtures.Rows(data, column, folder: "");

    /// <summary>Runs `pixelcnn apply` in a new dotnet process and returns the CSV's data rows split into cells.</summary>
    private static List<string[]> ApplyInFreshProcess(string model, string data, string workDir, string columns)
    {
        var cli = RepoPaths.Cli;
        Assert.IsTrue(File.Exists(cli), $"{cli} is not built");
        var csv = Path.Combine(workDir, $"applied-{Guid.NewGuid():N}.csv");
        var run = DotnetCli.Run(DotnetCli.FindOnPath() ?? "dotnet", [cli, "apply", "--model", model, "--data", data, "--columns", columns, "--out", csv], workDir);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var lines = File.ReadAllLines(csv);
        Assert.AreEqual(columns, lines[0]);
        return lines.Skip(1).Select(l => l.Split(',')).ToList();
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("pixelcnn-route-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
