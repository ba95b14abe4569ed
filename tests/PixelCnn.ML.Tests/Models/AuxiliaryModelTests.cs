// The auxiliary-variable architectures (Grayscale, Pyramid): exact deterministic views, causality of
// every stage in gradient form, the joint NLL as the exact sum of honest parts, and staged sampling
// that is deterministic given the seed with the wavefront and naive paths drawing the same images.
using PixelCnn.ML.Diagnostics;
using PixelCnn.ML.Models;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Models;

[TestClass]
public class AuxiliaryModelTests
{
    internal static PixelCnnConfig Small(PixelCnnArchitecture arch, int colours, int size = 8, ConditioningKind cond = ConditioningKind.None,
                                         SuperResolutionOrder order = SuperResolutionOrder.Raster) => new()
    {
        SuperResolutionOrder = order,
        Architecture = arch, Channels = colours, Height = size, Width = size, Layers = 2, HiddenChannels = 12, KernelSize = 3,
        OutputHiddenChannels = 24, SkipConnections = true, SpatialConditionChannels = 3, Conditioning = cond,
        ConditionSize = cond == ConditioningKind.None ? 0 : 4, AuxiliaryBits = 4, PyramidLevels = 2, SuperResolutionBlocks = 1,
        SuperResolutionKernelSize = 3,
    };

    private static Tensor Images(int n, int c, int size, ulong seed = 3)
    {
        using var g = new Generator(seed);
        using var u = rand([n, c, size, size], generator: g);
        using var s = u * 256;
        return s.floor();
    }

    [TestMethod]
    public void The_grey_view_is_the_integer_luma_shifted_to_its_bits_and_the_same_every_time()
    {
        using var x = Images(3, 3, 5);
        using var a = AuxiliaryViews.Grayscale(x, 4);
        using var b = AuxiliaryViews.Grayscale(x.clone(), 4);
        var px = x.data<float>().ToArray();
        var view = a.data<float>().ToArray();
        CollectionAssert.AreEqual(view, b.data<float>().ToArray());
        for (int n = 0; n < 3; n++)
            for (int p = 0; p < 25; p++)
            {
                int r = (int)px[(n * 3 + 0) * 25 + p], g = (int)px[(n * 3 + 1) * 25 + p], bl = (int)px[(n * 3 + 2) * 25 + p];
                int luma = (299 * r + 587 * g + 114 * bl + 500) / 1000;
                Assert.AreEqual(luma >> 4, (int)view[n * 25 + p], $"image {n} pixel {p}");
            }
        using var grey = Images(2, 1, 4);
        using var eight = AuxiliaryViews.Grayscale(grey, 8);
        CollectionAssert.AreEqual(grey.data<float>().ToArray(), eight.data<float>().ToArray(), "a grey image's 8-bit view is itself");
        using var white = full([1, 3, 1, 1], 255f);
        using var whiteView = AuxiliaryViews.Grayscale(white, 4);
        Assert.AreEqual(15f, whiteView.item<float>());
    }

    [TestMethod]
    public void Downsampling_is_the_rounded_mean_of_each_block_and_undoes_upsampling()
    {
        using var x = Images(2, 3, 6);
        using var d = AuxiliaryViews.Downsample(x);
        CollectionAssert.AreEqual(new long[] { 2, 3, 3, 3 }, d.shape);
        var px = x.data<float>().ToArray();
        var dv = d.data<float>().ToArray();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                    {
                        int at(int y, int xx) => (int)px[((n * 3 + c) * 6 + y) * 6 + xx];
                        int sum = at(2 * i, 2 * j) + at(2 * i, 2 * j + 1) + at(2 * i + 1, 2 * j) + at(2 * i + 1, 2 * j + 1);
                        Assert.AreEqual((sum + 2) / 4, (int)dv[((n * 3 + c) * 3 + i) * 3 + j]);
                    }
        using var again = AuxiliaryViews.Downsample(x);
        CollectionAssert.AreEqual(dv, again.data<float>().ToArray());
        using var up = AuxiliaryViews.Upsample(d);
        using var back = AuxiliaryViews.Downsample(up);
        CollectionAssert.AreEqual(dv, back.data<float>().ToArray());
        var pyramid = AuxiliaryViews.Pyramid(Images(1, 1, 8), 2);
        CollectionAssert.AreEqual(new long[] { 1, 1, 2, 2 }, pyramid[2].shape);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void Every_grayscale_stage_is_causal_and_x_given_the_view_sees_the_view_beyond_its_own_position(int colours)
    {
        using var g = new Generator(5);
        using var net = (GrayscalePixelCnn)PixelCnnNetwork.Create(Small(PixelCnnArchitecture.Grayscale, colours, 6), g);
        using var x = Images(2, colours, 6);
        using var view = net.View(x);
        Assert.AreEqual(0, CausalityCheck.Run(net.Prior, view).Count, "x̂'s model sees only earlier x̂");
        using var condition = net.ConditionOf(view);
        Assert.AreEqual(0, CausalityCheck.Run(net.Conditional, x, condition).Count, "x | x̂ sees only earlier sub-pixels of x");
        Assert.IsTrue(ConditionGradient(net.Conditional, x, condition, 2, 2, 3, 3) != 0f, "x | x̂ reads x̂ at a later position");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void Every_pyramid_level_is_causal_sees_the_whole_lower_level_and_its_own_level_only_inside_the_window(int colours)
    {
        using var g = new Generator(6);
        using var net = (PyramidPixelCnn)PixelCnnNetwork.Create(Small(PixelCnnArchitecture.Pyramid, colours, 8), g);
        var views = AuxiliaryViews.Pyramid(Images(2, colours, 8), 2);
        Assert.AreEqual(0, CausalityCheck.Run(net.BaseLevel, views[2]).Count, "the smallest level");
        for (int k = 0; k < 2; k++)
        {
            var level = net.Levels[k];
            var fine = views[1 - k];
            using var condition = PyramidPixelCnn.ConditionOf(views[2 - k]);
            Assert.AreEqual(0, CausalityCheck.Run(level, fine, condition).Count, $"level {k}: only earlier sub-pixels of its own level");
            int last = (int)fine.shape[2] - 1;
            Assert.IsTrue(ConditionGradient(level, fine, condition, 0, 0, last, last) != 0f || ConditionGradient(level, fine, condition, 0, 0, 1, 1) != 0f,
                $"level {k} reads the lower level beyond its own position");
            // The wavefront's premise: nothing outside rows i−r..i and columns j−r..j+1 of its own level.
            int r = ((SuperResolutionPixelCnn)level).Reach, size = (int)fine.shape[2];
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = fine.detach().clone().requires_grad_();
            int oi = size - 1, oj = size / 2;
            level.forward(input, condition).narrow(0, 0, 1).narrow(2, oi, 1).narrow(3, oj, 1).sum().backward();
            var gx = input.grad!.data<float>().ToArray();
            for (int c = 0; c < colours; c++)
                for (int i = 0; i < size; i++)
                    for (int j = 0; j < size; j++)
                        if (i < oi - r || j < oj - r || j > oj + 1)
                            Assert.AreEqual(0f, gx[(c * size + i) * size + j], $"level {k} sees ({i},{j}) outside its window");
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void Every_block_order_level_sees_the_whole_lower_level_and_only_the_sub_pixels_drawn_before_its_own(int colours)
    {
        using var g = new Generator(6);
        using var net = (PyramidPixelCnn)PixelCnnNetwork.Create(Small(PixelCnnArchitecture.Pyramid, colours, 8, order: SuperResolutionOrder.Blocks) with
        {
            SuperResolutionKernelSize = 5,
        }, g);
        var views = AuxiliaryViews.Pyramid(Images(2, colours, 8), 2);
        for (int k = 0; k < 2; k++)
        {
            var level = net.Levels[k];
            Assert.IsInstanceOfType<BlockSuperResolutionPixelCnn>(level);
            var fine = views[1 - k];
            using var condition = PyramidPixelCnn.ConditionOf(views[2 - k]);
            int size = (int)fine.shape[2];
            var order = AuxiliarySampling.Order(level.Config).ToList();
            Assert.AreEqual(colours * size * size, order.Count);
            Assert.AreEqual(order.Count, order.Distinct().Count(), "the order visits every sub-pixel once");
            var rank = new Dictionary<(int, int, int), int>();
            for (int t = 0; t < order.Count; t++) rank[order[t]] = t;
            int readsEarlier = 0;
            foreach (var (c, i, j) in order)
            {
                using var scope = NewDisposeScope();
                using var grad = enable_grad();
                var input = fine.detach().clone().requires_grad_();
                level.forward(input, condition).narrow(0, 0, 1).narrow(1, c * 256, 256).narrow(2, i, 1).narrow(3, j, 1).sum().backward();
                var gx = input.grad!.data<float>().ToArray();
                for (int c2 = 0; c2 < colours; c2++)
                    for (int i2 = 0; i2 < size; i2++)
                        for (int j2 = 0; j2 < size; j2++)
                        {
                            float v = gx[(c2 * size + i2) * size + j2];
                            if (rank[(c2, i2, j2)] >= rank[(c, i, j)])
                                Assert.AreEqual(0f, v, $"level {k}: sub-pixel ({c},{i},{j}) sees ({c2},{i2},{j2}), not drawn before it");
                            else if (v != 0f) readsEarlier++;
                        }
            }
            Assert.IsTrue(readsEarlier > 0, $"level {k} reads the sub-pixels drawn before");
            // The lower level is read as its upsampled condition's even positions: the last block's is (size − 2, size − 2).
            Assert.IsTrue(ConditionGradient(level, fine, condition, 0, 0, size - 2, size - 2) != 0f, $"level {k} reads the lower level beyond its own block");
        }
    }

    /// <summary>d(sum of the parameters of output (i, j) of image 0) / d(condition plane 0 at (ci, cj)).</summary>
    private static float ConditionGradient(PixelCnnNetwork net, Tensor x, Tensor condition, int i, int j, int ci, int cj)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var h = condition.detach().clone().requires_grad_();
        net.forward(x, h).narrow(0, 0, 1).narrow(2, i, 1).narrow(3, j, 1).sum().backward();
        int w = net.Config.Width;
        return h.grad!.data<float>()[ci * w + cj];
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.Grayscale, 1)]
    [DataRow(PixelCnnArchitecture.Grayscale, 3)]
    [DataRow(PixelCnnArchitecture.Pyramid, 1)]
    [DataRow(PixelCnnArchitecture.Pyramid, 3)]
    [DataRow(PixelCnnArchitecture.Pyramid, 1, SuperResolutionOrder.Blocks)]
    [DataRow(PixelCnnArchitecture.Pyramid, 3, SuperResolutionOrder.Blocks)]
    public void The_joint_nll_is_the_sum_of_the_parts_each_part_computed_on_its_own(PixelCnnArchitecture arch, int colours,
                                                                                     SuperResolutionOrder order = SuperResolutionOrder.Raster)
    {
        using var g = new Generator(8);
        using var net = (AuxiliaryPixelCnn)PixelCnnNetwork.Create(Small(arch, colours, 8, order: order), g);
        using var x = Images(3, colours, 8);
        using var _ = no_grad();
        using var map = net.NllNats(x);
        CollectionAssert.AreEqual(new long[] { 3, colours, 8, 8 }, map.shape);
        var total = map.to(ScalarType.Float64).flatten(1).sum(1).data<double>().ToArray();
        var parts = net.PartNats(x).to(ScalarType.Float64);
        Assert.AreEqual(net.PartNames.Count, (int)parts.shape[1]);
        var sums = parts.sum(1).data<double>().ToArray();
        // Each part again, straight from its own network and views.
        var expected = new double[3];
        if (net is GrayscalePixelCnn grey)
        {
            var view = AuxiliaryViews.Grayscale(x, 4);
            var a = grey.Prior.NllNats(view).to(ScalarType.Float64).flatten(1).sum(1);
            var b = grey.Conditional.NllNats(x, (view * 17).reshape(3, 64)).to(ScalarType.Float64).flatten(1).sum(1);
            expected = (a + b).data<double>().ToArray();
        }
        else
        {
            var pyramid = (PyramidPixelCnn)net;
            var x1 = AuxiliaryViews.Downsample(x);
            var x2 = AuxiliaryViews.Downsample(x1);
            var sum = pyramid.BaseLevel.NllNats(x2).to(ScalarType.Float64).flatten(1).sum(1)
                      + pyramid.Levels[0].NllNats(x1, x2.repeat_interleave(2, 2).repeat_interleave(2, 3).reshape(3, -1)).to(ScalarType.Float64).flatten(1).sum(1)
                      + pyramid.Levels[1].NllNats(x, x1.repeat_interleave(2, 2).repeat_interleave(2, 3).reshape(3, -1)).to(ScalarType.Float64).flatten(1).sum(1);
            expected = sum.data<double>().ToArray();
        }
        for (int n = 0; n < 3; n++)
        {
            Assert.AreEqual(expected[n], total[n], 1e-3 * expected[n] * 1e-3 + 1e-3, $"image {n}: the map's sum");
            Assert.AreEqual(expected[n], sums[n], 1e-3, $"image {n}: the parts' sum");
        }
    }

    [TestMethod]
    public void The_view_model_is_a_softmax_over_16_levels_and_both_parts_are_probabilities()
    {
        using var g = new Generator(9);
        using var net = (GrayscalePixelCnn)PixelCnnNetwork.Create(Small(PixelCnnArchitecture.Grayscale, 1, 6), g);
        Assert.AreEqual(16, net.Prior.Head.ParametersPerChannel);
        using var _ = no_grad();
        using var x = Images(1, 1, 6);
        using var view = net.View(x);
        // p(x̂) over the 16 values of its first sub-pixel (the rest fixed), and p(x | x̂) over the 256 values of x's first.
        double prior = 0, conditional = 0;
        for (int v = 0; v < 16; v++)
        {
            using var changed = view.clone();
            changed[0, 0, 0, 0] = v;
            prior += Math.Exp(-net.Prior.NllNats(changed)[0, 0, 0, 0].item<float>());
        }
        using var condition = net.ConditionOf(view);
        for (int v = 0; v < 256; v++)
        {
            using var changed = x.clone();
            changed[0, 0, 0, 0] = v;
            conditional += Math.Exp(-net.Conditional.NllNats(changed, condition)[0, 0, 0, 0].item<float>());
        }
        Assert.AreEqual(1.0, prior, 1e-5, "the 16 levels of x̂");
        Assert.AreEqual(1.0, conditional, 1e-4, "the 256 values of x given x̂");
        using var logProbs = net.Prior.Head.LogProbs(randn(4, 16));
        foreach (var s in logProbs.exp().sum(1).data<float>().ToArray()) Assert.AreEqual(1.0, s, 1e-5);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    [DataRow(1, SuperResolutionOrder.Blocks)]
    [DataRow(3, SuperResolutionOrder.Blocks)]
    public void A_pyramid_level_puts_its_mass_only_on_values_that_round_to_the_level_below_and_its_samples_do(int colours,
                                                                                                               SuperResolutionOrder order = SuperResolutionOrder.Raster)
    {
        using var g = new Generator(5);
        using var net = (PyramidPixelCnn)PixelCnnNetwork.Create(Small(PixelCnnArchitecture.Pyramid, colours, 8, order: order), g);
        var level = net.Levels[^1]; // 8x8 given 4x4
        using (no_grad())
        {
            using var x = Images(1, colours, 8);
            using var lower = AuxiliaryViews.Downsample(x);
            using var h = PyramidPixelCnn.ConditionOf(lower);
            // The last sub-pixel of block (0, 0), channel 0: every value that keeps the block's rounded mean has probability,
            // together 1, and no other has any; there are at most four.
            double total = 0;
            int possible = 0;
            for (int v = 0; v < 256; v++)
            {
                using var changed = x.clone();
                changed[0, 0, 1, 1] = v;
                double p = Math.Exp(-level.NllNats(changed, h)[0, 0, 1, 1].item<float>());
                using var again = AuxiliaryViews.Downsample(changed);
                if (again[0, 0, 0, 0].item<float>() == lower[0, 0, 0, 0].item<float>()) { total += p; possible++; }
                else Assert.AreEqual(0.0, p, $"value {v} does not round to the block's mean");
            }
            Assert.AreEqual(1.0, total, 1e-4);
            Assert.IsTrue(possible is >= 1 and <= 4, $"{possible} possible values");
        }
        // Drawn levels downsample exactly to the level they were drawn from, on both walks.
        var rng = new Random(6);
        var below = new byte[3 * colours * 16];
        rng.NextBytes(below);
        var uniforms = Enumerable.Range(0, 3 * colours * 64).Select(_ => rng.NextDouble()).ToArray();
        foreach (var kind in new[] { SamplerKind.Cached, SamplerKind.Naive })
        {
            var drawn = AuxiliarySampling.SuperResolve(level, CPU, 3, below, uniforms, colours * 64, new SamplingOptions { Kind = kind }, default);
            using var image = tensor(drawn, 3, colours, 8, 8).to(ScalarType.Float32);
            using var down = AuxiliaryViews.Downsample(image);
            using var bytes = down.to(ScalarType.Byte);
            CollectionAssert.AreEqual(below, bytes.data<byte>().ToArray(), $"{kind}: the drawn level rounds to the level below");
        }
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.Grayscale, 1)]
    [DataRow(PixelCnnArchitecture.Grayscale, 3)]
    [DataRow(PixelCnnArchitecture.Pyramid, 1)]
    [DataRow(PixelCnnArchitecture.Pyramid, 3)]
    [DataRow(PixelCnnArchitecture.Pyramid, 1, SuperResolutionOrder.Blocks)]
    [DataRow(PixelCnnArchitecture.Pyramid, 3, SuperResolutionOrder.Blocks)]
    public void Staged_sampling_is_deterministic_given_the_seed_and_the_fast_path_equals_the_naive_one(PixelCnnArchitecture arch, int colours,
                                                                                                       SuperResolutionOrder order = SuperResolutionOrder.Raster)
    {
        using var model = PixelCnnModel.Create(Small(arch, colours, 8, order: order) with { SuperResolutionKernelSize = 5 }, seed: 4);
        byte[] Draw(SamplerKind kind, ulong seed) => model.SampleBytes(3, options: new SamplingOptions { Seed = seed, Kind = kind });
        var cached = Draw(SamplerKind.Cached, 21);
        CollectionAssert.AreEqual(cached, Draw(SamplerKind.Cached, 21), "same seed, same images");
        CollectionAssert.AreEqual(cached, Draw(SamplerKind.Naive, 21), "the incremental path draws what the naive one does");
        CollectionAssert.AreNotEqual(cached, Draw(SamplerKind.Cached, 22), "another seed, other images");
        Assert.AreEqual(3 * colours * 64, cached.Length);
        if (arch == PixelCnnArchitecture.Grayscale)
        {
            var views = model.SampleBytes(3, options: new SamplingOptions { Seed = 21, Kind = SamplerKind.Cached }); // x̂ is never returned, x is
            CollectionAssert.AreEqual(cached, views);
        }
    }

    [TestMethod]
    public void Staged_sampling_with_shared_draws_gives_equal_images_and_a_class_condition_reaches_the_first_stage_only()
    {
        using var model = PixelCnnModel.Create(Small(PixelCnnArchitecture.Pyramid, 1, 8, ConditioningKind.Global), seed: 4);
        using var same = zeros(2, 4);
        var shared = model.SampleBytes(2, same, new SamplingOptions { Seed = 3, SharedDraws = true });
        CollectionAssert.AreEqual(shared.AsSpan(0, 64).ToArray(), shared.AsSpan(64, 64).ToArray());
        // The condition changes the smallest level's likelihood and nothing above it.
        using var x = Images(1, 1, 8).expand(2, 1, 8, 8).contiguous();
        using var different = tensor(new float[] { 0, 0, 0, 0, 3, -3, 3, -3 }, 2, 4);
        using var _ = no_grad();
        var parts = ((AuxiliaryPixelCnn)model.Network).PartNats(x, different).data<float>().ToArray();
        Assert.AreNotEqual(parts[0], parts[3], "the smallest level reads h");
        Assert.AreEqual(parts[1], parts[4], "the first doubling does not");
        Assert.AreEqual(parts[2], parts[5], "the last doubling does not");
    }

    [TestMethod]
    public void Completion_and_purification_of_a_staged_model_say_why_they_cannot_run()
    {
        using var model = PixelCnnModel.Create(Small(PixelCnnArchitecture.Grayscale, 1, 6), seed: 4);
        using var x = Images(1, 1, 6);
        var e = Assert.ThrowsException<NotSupportedException>(() => model.Complete(x, 3));
        StringAssert.Contains(e.Message, "Grayscale");
        Assert.ThrowsException<NotSupportedException>(() => model.Purify(x, 8));
        Assert.ThrowsException<NotSupportedException>(() => model.Network.forward(x));
    }

    [TestMethod]
    [DataRow(PixelCnnArchitecture.Grayscale)]
    [DataRow(PixelCnnArchitecture.Pyramid)]
    [DataRow(PixelCnnArchitecture.Pyramid, SuperResolutionOrder.Blocks, 4)]
    [DataRow(PixelCnnArchitecture.Pyramid, SuperResolutionOrder.Blocks, 5, 1)]
    public void A_staged_model_saves_as_format_3_and_loads_with_the_same_likelihoods_while_flat_models_stay_format_2(PixelCnnArchitecture arch,
        SuperResolutionOrder order = SuperResolutionOrder.Raster, int version = 3, int baseLayers = 0)
    {
        var cfg = Small(arch, 3, 8, order: order) with { PyramidBaseLayers = baseLayers == 0 ? null : baseLayers };
        using var model = PixelCnnModel.Create(cfg, seed: 6);
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        using var loaded = PixelCnnModel.Load(stream);
        Assert.AreEqual(arch, loaded.Config.Architecture);
        Assert.AreEqual(order, loaded.Config.SuperResolutionOrder);
        Assert.AreEqual(cfg.PyramidBaseLayers, loaded.Config.PyramidBaseLayers);
        if (loaded.Network is PyramidPixelCnn pyramid) Assert.AreEqual(baseLayers == 0 ? cfg.Layers : baseLayers, pyramid.BaseLevel.Blocks.Count);
        using var x = Images(2, 3, 8);
        using var _ = no_grad();
        CollectionAssert.AreEqual(model.Network.NllNats(x).data<float>().ToArray(), loaded.Network.NllNats(x).data<float>().ToArray());
        stream.Position = 0;
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Read, leaveOpen: true))
        using (var config = zip.GetEntry(PixelCnnModel.ConfigEntry)!.Open())
            Assert.AreEqual(version, System.Text.Json.JsonDocument.Parse(config).RootElement.GetProperty("version").GetInt32());
        Assert.AreEqual(2, PixelCnnModel.RequiredVersion(PixelCnnConfig.PresetS));
        Assert.AreEqual(3, PixelCnnModel.RequiredVersion(PixelCnnConfig.PresetS with { Conditioning = ConditioningKind.Image, ConditionSize = 784 }));
        Assert.AreEqual(4, PixelCnnModel.RequiredVersion(Small(PixelCnnArchitecture.Pyramid, 1, 8, order: SuperResolutionOrder.Blocks) with { PyramidBaseLayers = 2 }),
            "a base of the model's own layers needs nothing newer");
    }

    [TestMethod]
    public void The_pyramid_preset_halves_the_smallest_levels_blocks_and_a_model_file_without_them_reads_with_the_models_layers()
    {
        var preset = PixelCnnConfig.Preset("S", PixelCnnArchitecture.Pyramid);
        Assert.AreEqual(4, preset.PyramidBaseLayers);
        Assert.AreEqual(4, PyramidPixelCnn.BaseConfig(preset).Layers);
        Assert.AreEqual(8, PyramidPixelCnn.LevelConfig(preset, 0).Layers);
        Assert.IsNull(PyramidPixelCnn.LevelConfig(preset, 0).PyramidBaseLayers, "a level is no pyramid of its own");
        Assert.AreEqual(6, PixelCnnConfig.Preset("M", PixelCnnArchitecture.Pyramid).PyramidBaseLayers);
        // A version-4 file names no base layers: its smallest level keeps the model's Layers.
        var cfg = Small(PixelCnnArchitecture.Pyramid, 1, 8, order: SuperResolutionOrder.Blocks);
        using var model = PixelCnnModel.Create(cfg, seed: 6);
        using var stream = new MemoryStream();
        model.Save(stream);
        using var rewritten = new MemoryStream();
        stream.Position = 0;
        using (var source = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Read, leaveOpen: true))
        using (var target = new System.IO.Compression.ZipArchive(rewritten, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
            foreach (var entry in source.Entries)
            {
                using var input = entry.Open();
                using var output = target.CreateEntry(entry.FullName).Open();
                if (entry.FullName != PixelCnnModel.ConfigEntry) { input.CopyTo(output); continue; }
                var json = System.Text.Json.Nodes.JsonNode.Parse(input)!;
                json["config"]!.AsObject().Remove("pyramidBaseLayers");
                Assert.AreEqual(4, json["version"]!.GetValue<int>());
                using var writer = new System.Text.Json.Utf8JsonWriter(output);
                json.WriteTo(writer);
            }
        rewritten.Position = 0;
        using var loaded = PixelCnnModel.Load(rewritten);
        Assert.IsNull(loaded.Config.PyramidBaseLayers);
        Assert.AreEqual(cfg.Layers, ((PyramidPixelCnn)loaded.Network).BaseLevel.Blocks.Count);
    }

    [TestMethod]
    public void The_models_part_nats_over_a_dataset_add_up_to_its_scores_in_batches_of_any_size()
    {
        using var model = PixelCnnModel.Create(Small(PixelCnnArchitecture.Pyramid, 1, 8), seed: 2);
        using var x = Images(5, 1, 8);
        var data = new PixelCnn.ML.Data.ImageDataset(1, 8, 8, x.to(ScalarType.Byte).data<byte>().ToArray());
        var parts = model.PartNats(data, batchSize: 2);
        Assert.AreEqual(5 * 3, parts.Length);
        var nats = model.Score(data).Nats;
        for (int n = 0; n < 5; n++) Assert.AreEqual(nats[n], parts[3 * n] + parts[3 * n + 1] + parts[3 * n + 2], 1e-3, $"image {n}");
        using var flat = PixelCnnModel.Create(PixelCnnConfig.PresetS with { Height = 8, Width = 8 }, seed: 2);
        Assert.ThrowsException<InvalidOperationException>(() => flat.PartNats(data));
    }

    [TestMethod]
    public void Bad_auxiliary_settings_name_the_option()
    {
        var e = Assert.ThrowsException<ArgumentException>(() => Small(PixelCnnArchitecture.Pyramid, 1, 6).Validate()); // 6 is not divisible by 4
        Assert.AreEqual("PyramidLevels", e.ParamName);
        e = Assert.ThrowsException<ArgumentException>(() => (Small(PixelCnnArchitecture.Grayscale, 1) with { AuxiliaryBits = 9 }).Validate());
        Assert.AreEqual("AuxiliaryBits", e.ParamName);
        e = Assert.ThrowsException<ArgumentException>(() => (Small(PixelCnnArchitecture.Grayscale, 1) with { EmbeddingSize = 3, Conditioning = ConditioningKind.Global, ConditionSize = 3 }).Validate());
        Assert.AreEqual("Architecture", e.ParamName);
        e = Assert.ThrowsException<ArgumentException>(() => (Small(PixelCnnArchitecture.GatedPixelCnn, 1) with { Conditioning = ConditioningKind.Image, ConditionSize = 10 }).Validate());
        Assert.AreEqual("ConditionSize", e.ParamName);
        e = Assert.ThrowsException<ArgumentException>(() => (Small(PixelCnnArchitecture.Pyramid, 1) with { PyramidBaseLayers = 0 }).Validate());
        Assert.AreEqual("PyramidBaseLayers", e.ParamName);
        e = Assert.ThrowsException<ArgumentException>(() => (Small(PixelCnnArchitecture.GatedPixelCnn, 1) with { PyramidBaseLayers = 2 }).Validate());
        Assert.AreEqual("PyramidBaseLayers", e.ParamName);
        Assert.AreEqual(PixelCnnArchitecture.Pyramid, PixelCnnConfig.ParseArchitecture("pyramid"));
        Assert.AreEqual(PixelCnnArchitecture.Grayscale, PixelCnnConfig.ParseArchitecture("grayscale"));
    }
}

[TestClass]
public class AuxiliaryTrainingTests
{
    [TestMethod]
    [DataRow(PixelCnnArchitecture.Grayscale)]
    [DataRow(PixelCnnArchitecture.Pyramid)]
    [DataRow(PixelCnnArchitecture.Pyramid, SuperResolutionOrder.Blocks)]
    public void A_staged_model_trains_and_its_bits_fall(PixelCnnArchitecture arch, SuperResolutionOrder order = SuperResolutionOrder.Raster)
    {
        var config = AuxiliaryModelTests.Small(arch, 1, 8, order: order);
        var rng = new Random(2);
        var pixels = new byte[64 * 64];
        for (int n = 0; n < 64; n++)
            for (int p = 0; p < 64; p++) pixels[n * 64 + p] = (byte)((p / 8) % 2 == 0 ? 200 + rng.Next(8) : 30 + rng.Next(8));
        var data = new PixelCnn.ML.Data.ImageDataset(1, 8, 8, pixels);
        using var before = PixelCnnModel.Create(config, 3);
        double start = before.MeanBitsPerDim(data);
        var trainer = new PixelCnn.ML.Training.PixelCnnTrainer(config, new PixelCnn.ML.Training.TrainingOptions { Epochs = 20, BatchSize = 16, LearningRate = 3e-3, Seed = 3 });
        using var model = trainer.Fit(data).Model;
        double end = model.MeanBitsPerDim(data);
        Assert.IsTrue(end < start - 1.0, $"bits/dim {start:F3} → {end:F3}");
    }
}
