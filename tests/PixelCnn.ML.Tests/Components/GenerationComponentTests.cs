using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using TorchSharp;

namespace PixelCnn.ML.Tests.Components;

[TestClass]
public class ConditionalSamplerComponentTests
{
    public sealed class Wanted
    {
        [KeyType(3)] public uint Class;
    }

    private static PixelCnnConditionalSamplerTransformer Fit(MLContext ml, string condition = "Class") =>
        ml.Transforms.PixelCnnConditionalSampler(new PixelCnnConditionalSamplerEstimator.Options
        {
            FeatureColumnName = "Pixels", ConditionColumnName = condition, Model = DensityScorerTests.Tiny, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 3 }, SamplingSeed = 5,
        }).Fit(ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(16, false)));

    // Keys 1..K are given; ML.NET reads a POCO key field as 0-based (key value = field + 1).
    private static IDataView Wants(MLContext ml, params uint[] classes) =>
        ml.Data.LoadFromEnumerable(classes.Select(c => new Wanted { Class = c - 1 }).ToList());

    [TestMethod]
    public void Generates_one_image_per_condition_row_as_image_and_pixel_columns()
    {
        var ml = new MLContext(seed: 1);
        using var sampler = Fit(ml);
        var generated = sampler.Transform(Wants(ml, 1, 2, 3, 1));
        Assert.AreEqual(new ImageDataViewType(8, 8), generated.Schema["GeneratedImage"].Type);
        var images = generated.GetColumn<MLImage>("GeneratedImage").ToList();
        var pixels = generated.GetColumn<VBuffer<float>>("GeneratedPixels").Select(v => v.DenseValues().ToArray()).ToList();
        Assert.AreEqual(4, images.Count);
        for (int i = 0; i < 4; i++)
        {
            CollectionAssert.AreEqual(images[i].GreyBytes().Select(b => (float)b).ToArray(), pixels[i]);
        }
    }

    [TestMethod]
    public void The_same_rows_and_seed_give_the_same_images_and_another_seed_others()
    {
        var ml = new MLContext(seed: 1);
        using var sampler = Fit(ml);
        var a = sampler.Transform(Wants(ml, 1, 2, 3)).GetColumn<MLImage>("GeneratedImage").ToList();
        var b = sampler.Transform(Wants(ml, 1, 2, 3)).GetColumn<MLImage>("GeneratedImage").ToList();
        var c = sampler.WithSampling(1.0, seed: 99).Transform(Wants(ml, 1, 2, 3)).GetColumn<MLImage>("GeneratedImage").ToList();
        for (int i = 0; i < 3; i++) Assert.IsTrue(a[i].PixelsEqual(b[i]));
        Assert.IsFalse(a.Zip(c).All(p => p.First.PixelsEqual(p.Second)));
    }

    [TestMethod]
    public void An_embedding_column_conditions_the_sampler_and_the_seed_fixes_its_images()
    {
        var ml = new MLContext(seed: 1);
        using var sampler = Fit(ml, "Embedding");
        Assert.AreEqual(ConditionKind.Vector, sampler.Condition.Kind);
        var rows = ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(4, false, seed: 3));
        var a = sampler.Transform(rows).GetColumn<MLImage>("GeneratedImage").ToList();
        var b = sampler.Transform(rows).GetColumn<MLImage>("GeneratedImage").ToList();
        var c = sampler.WithSampling(1.0, seed: 99).Transform(rows).GetColumn<MLImage>("GeneratedImage").ToList();
        Assert.AreEqual(4, a.Count);
        for (int i = 0; i < 4; i++) Assert.IsTrue(a[i].PixelsEqual(b[i]), $"row {i}: same rows and seed, other image");
        Assert.IsFalse(a.Zip(c).All(p => p.First.PixelsEqual(p.Second)), "another seed should give other images");
    }

    [TestMethod]
    public void Shared_draws_give_one_image_per_embedding_in_every_batch_and_interpolate_between_embeddings()
    {
        var ml = new MLContext(seed: 1);
        using var trained = Fit(ml, "Embedding");
        var shared = trained.WithSampling(1.0, seed: 4, sharedDraws: true);
        Assert.IsTrue(shared.SharedDraws);
        Assert.IsFalse(trained.SharedDraws);
        // Five rows of one embedding over batches of 64: every row gets the same image; the per-row default does not.
        var same = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 5).Select(_ => new DensityScorerTests.Row { Pixels = new float[64], Embedding = [1, 0] }).ToList());
        var images = shared.Transform(same).GetColumn<MLImage>("GeneratedImage").ToList();
        Assert.IsTrue(images.All(i => i.PixelsEqual(images[0])));
        var own = trained.WithSampling(1.0, seed: 4).Transform(same).GetColumn<MLImage>("GeneratedImage").ToList();
        Assert.IsFalse(own.All(i => i.PixelsEqual(own[0])), "without shared draws the rows are different samples");
        // Interpolate: the path's first image is the shared-draws image of the start embedding.
        var path = trained.Interpolate([1, 0], [0, 1], 3, seed: 4);
        Assert.AreEqual(3, path.Count);
        Assert.IsTrue(path[0].PixelsEqual(images[0]));
        Assert.ThrowsException<ArgumentException>(() => trained.Interpolate([1, 0, 0], [0, 1], 3));
    }

    [TestMethod]
    public void Interpolation_needs_an_embedding_conditioned_sampler()
    {
        var ml = new MLContext(seed: 1);
        using var sampler = Fit(ml);
        var e = Assert.ThrowsException<InvalidOperationException>(() => sampler.Interpolate([1, 0, 0], [0, 1, 0], 3));
        StringAssert.Contains(e.Message, "embedding");
    }

    [TestMethod]
    public void Generate_makes_images_for_a_class_and_checks_the_class_range()
    {
        var ml = new MLContext(seed: 1);
        using var sampler = Fit(ml);
        var images = sampler.Generate(5, classIndex: 2);
        Assert.AreEqual(5, images.Count);
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => sampler.Generate(1, classIndex: 3));
    }

    [TestMethod]
    public void A_condition_column_of_the_wrong_type_is_rejected_naming_it()
    {
        var ml = new MLContext(seed: 1);
        using var sampler = Fit(ml);
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() =>
            sampler.Transform(ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(2, false)).Let(d => ml.Transforms.CopyColumns("Class", "Embedding").Fit(d).Transform(d))));
        StringAssert.Contains(e.Message, "'Class'");
    }

    [TestMethod]
    public void The_sampler_round_trips_through_a_model_file_with_identical_images()
    {
        var ml = new MLContext(seed: 1);
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-sampler-{Guid.NewGuid():N}.zip");
        try
        {
            List<MLImage> before;
            using (var trained = Fit(ml))
            {
                var sampler = trained.WithSampling(0.8, seed: 6, sharedDraws: true);
                before = sampler.Transform(Wants(ml, 3, 1, 3)).GetColumn<MLImage>("GeneratedImage").ToList();
                Assert.IsTrue(before[0].PixelsEqual(before[2]), "shared draws: equal classes, equal images");
                ml.Model.Save(sampler, Wants(ml).Schema, path);
            }
            var loaded = ml.Model.Load(path, out _);
            try
            {
                var sampler = (PixelCnnConditionalSamplerTransformer)loaded;
                Assert.IsTrue(sampler.SharedDraws);
                Assert.AreEqual(0.8, sampler.Temperature);
                Assert.AreEqual(6UL, sampler.SamplingSeed);
                var after = loaded.Transform(Wants(ml, 3, 1, 3)).GetColumn<MLImage>("GeneratedImage").ToList();
                Assert.IsTrue(before.Zip(after).All(p => p.First.PixelsEqual(p.Second)));
            }
            finally { (loaded as IDisposable)?.Dispose(); }
        }
        finally { File.Delete(path); }
    }
}

[TestClass]
public class AutoencoderComponentTests
{
    private static PixelCnnAutoencoderTransformer Fit(MLContext ml, int m = 3) =>
        ml.Transforms.PixelCnnAutoencoder(new PixelCnnAutoencoderEstimator.Options
        {
            FeatureColumnName = "Pixels", EmbeddingSize = m, Model = DensityScorerTests.Tiny with { EncoderChannels = 4 }, Training = { BatchSize = 8, LearningRate = 5e-3, MaxSteps = 3 },
        }).Fit(ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(16, false)));

    [TestMethod]
    public void Outputs_embeddings_and_bits_per_dim_given_the_embedding()
    {
        var ml = new MLContext(seed: 2);
        using var ae = Fit(ml);
        var data = ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(5, false));
        var outData = ae.Transform(data);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3), outData.Schema["Embedding"].Type);
        var h = outData.GetColumn<VBuffer<float>>("Embedding").Select(v => v.DenseValues().ToArray()).ToList(); // copied: the VBuffers share a buffer
        Assert.AreEqual(5, h.Count);
        Assert.IsTrue(h.All(v => v.Length == 3 && v.All(float.IsFinite)));
        Assert.IsTrue(outData.GetColumn<float>("BitsPerDim").All(b => b is > 0 and < 16));
        Assert.IsNull(outData.Schema.GetColumnOrNull("Reconstruction"));
    }

    [TestMethod]
    public void Reconstructions_are_sampled_images_on_request_and_decoding_embeddings_works()
    {
        var ml = new MLContext(seed: 2);
        using var ae = Fit(ml);
        using var view = ae.WithReconstruction(seed: 4);
        var data = ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(3, false));
        var recon = view.Transform(data).GetColumn<MLImage>("Reconstruction").ToList();
        Assert.AreEqual(3, recon.Count);
        Assert.IsTrue(recon.All(r => r.Width == 8 && r.Height == 8 && r.GreyBytes().Length == 64));
        var h = ae.Transform(data).GetColumn<VBuffer<float>>("Embedding").SelectMany(v => v.DenseValues()).ToArray();
        var decoded = ae.Decode(h, seed: PixelCnnTransformerBase.BatchSeed(4, 0));
        Assert.AreEqual(3, decoded.Count);
        // Same codes, same seed, same batch: the decoded images are the reconstructions.
        Assert.IsTrue(decoded.Zip(recon).All(p => p.First.PixelsEqual(p.Second)));
    }

    public sealed class Encoded
    {
        public float[] Embedding = [];
        public float BitsPerDim;
    }

    [TestMethod]
    public void A_prediction_engine_encodes_single_images_as_the_batched_transform_does()
    {
        var ml = new MLContext(seed: 2);
        using var ae = Fit(ml);
        var rows = DensityScorerTests.Rows(4, false);
        var batch = ae.Transform(ml.Data.LoadFromEnumerable(rows));
        var h = batch.GetColumn<VBuffer<float>>("Embedding").Select(v => v.DenseValues().ToArray()).ToList();
        var bits = batch.GetColumn<float>("BitsPerDim").ToArray();
        var engine = ml.Model.CreatePredictionEngine<DensityScorerTests.Row, Encoded>(ae);
        for (int i = 0; i < rows.Count; i++)
        {
            var e = engine.Predict(rows[i]);
            Assert.AreEqual(h[i].Length, e.Embedding.Length);
            // A batch of one and a batch of four may round differently in the last bit.
            for (int k = 0; k < h[i].Length; k++) Assert.AreEqual(h[i][k], e.Embedding[k], 1e-5, $"row {i}, value {k}");
            Assert.AreEqual(bits[i], e.BitsPerDim, 1e-5);
        }
    }

    [TestMethod]
    public void The_autoencoder_round_trips_through_a_model_file()
    {
        var ml = new MLContext(seed: 2);
        var data = ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(4, false));
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-ae-{Guid.NewGuid():N}.zip");
        try
        {
            float[] before;
            using (var ae = Fit(ml))
            {
                before = ae.Transform(data).GetColumn<VBuffer<float>>("Embedding").SelectMany(v => v.DenseValues()).ToArray();
                ml.Model.Save(ae, data.Schema, path);
            }
            var loaded = ml.Model.Load(path, out _);
            try
            {
                var after = loaded.Transform(data).GetColumn<VBuffer<float>>("Embedding").SelectMany(v => v.DenseValues()).ToArray();
                CollectionAssert.AreEqual(before, after);
            }
            finally { (loaded as IDisposable)?.Dispose(); }
        }
        finally { File.Delete(path); }
    }
}

internal static class Fluent
{
    public static TOut Let<TIn, TOut>(this TIn value, Func<TIn, TOut> f) => f(value);
}
