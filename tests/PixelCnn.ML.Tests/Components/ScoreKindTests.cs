// The density scorer's score kinds through ML.NET: each Score column is what its formula says, the likelihood ratio's
// background model behaves as Ren et al. describe, and a scorer with a background model round-trips through
// mlContext.Model.Save/Load.
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Components;
using PixelCnn.ML.Data;
using PixelCnn.ML.Scoring;

namespace PixelCnn.ML.Tests.Components;

[TestClass]
public class ScoreKindTests
{
    private static PixelCnnDensityTrainer Trainer(MLContext ml, DensityScoreKind kind, double perturbation = 0.2, int epochs = 1,
                                                  LikelihoodRatioBackground background = LikelihoodRatioBackground.Perturbed) =>
        ml.AnomalyDetection.Trainers.PixelCnn(new PixelCnnDensityTrainer.Options
        {
            FeatureColumnName = "Pixels", Model = DensityScorerTests.Tiny, ScoreKind = kind, BackgroundPerturbation = perturbation,
            Background = background, LocalBackgroundLayers = 1,
            Training = { BatchSize = 8, LearningRate = 5e-3, Epochs = epochs }, ValidationFraction = 0.25,
        });

    private static ImageDataset Dataset(List<DensityScorerTests.Row> rows) =>
        new(1, 8, 8, rows.SelectMany(r => r.Pixels.Select(v => (byte)v)).ToArray());

    [TestMethod]
    [DataRow(LikelihoodRatioBackground.Perturbed)]
    [DataRow(LikelihoodRatioBackground.Local)]
    public void The_likelihood_ratio_is_the_model_bits_minus_the_background_bits(LikelihoodRatioBackground kind)
    {
        var ml = new MLContext(seed: 1);
        var rows = DensityScorerTests.Rows(16, false);
        using var scorer = Trainer(ml, DensityScoreKind.LikelihoodRatio, background: kind).Fit(ml.Data.LoadFromEnumerable(rows));
        Assert.IsNotNull(scorer.Background);
        var scored = scorer.WithBitsMap().Transform(ml.Data.LoadFromEnumerable(rows));
        var score = scored.GetColumn<float>("Score").ToArray();
        var bpd = scored.GetColumn<float>("BitsPerDim").ToArray();
        var map = scored.GetColumn<VBuffer<float>>("BitsMap").Select(v => v.DenseValues().Sum()).ToArray();
        var model = scorer.Model.Score(Dataset(rows));
        var background = scorer.Background.Score(Dataset(rows));
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.AreEqual(model.BitsPerDim[i], bpd[i], 1e-4);
            Assert.AreEqual(model.BitsPerDim[i] - background.BitsPerDim[i], score[i], 1e-4);
            Assert.AreEqual(score[i] * 64, map[i], 1e-2, "the map is the per-sub-pixel difference");
        }
    }

    [TestMethod]
    public void A_background_model_trained_on_noise_gives_noise_the_higher_likelihood_ratio()
    {
        var ml = new MLContext(seed: 2);
        var bars = DensityScorerTests.Rows(32, false);
        // Perturbation 1: every training sub-pixel of the background model is uniform noise.
        using var scorer = Trainer(ml, DensityScoreKind.LikelihoodRatio, perturbation: 1.0, epochs: 8).Fit(ml.Data.LoadFromEnumerable(bars));
        var rng = new Random(9);
        var noise = Enumerable.Range(0, 8).Select(_ => new DensityScorerTests.Row
            { Pixels = Enumerable.Range(0, 64).Select(_ => (float)rng.Next(256)).ToArray(), Embedding = [0, 0] }).ToList();
        float Mean(List<DensityScorerTests.Row> r) => scorer.Transform(ml.Data.LoadFromEnumerable(r)).GetColumn<float>("Score").Average();
        Assert.IsTrue(Mean(noise) > Mean(bars.Take(8).ToList()) + 1,
                      $"noise {Mean(noise)} vs bars {Mean(bars.Take(8).ToList())}: log p_background − log p_model is higher for noise");
    }

    [TestMethod]
    public void The_local_background_is_a_small_gated_pixelcnn_that_sees_only_nearby_pixels()
    {
        var ml = new MLContext(seed: 5);
        var rows = DensityScorerTests.Rows(16, false);
        using var scorer = Trainer(ml, DensityScoreKind.LikelihoodRatio, background: LikelihoodRatioBackground.Local).Fit(ml.Data.LoadFromEnumerable(rows));
        var bg = scorer.Background!;
        Assert.AreEqual(PixelCnnDensityTrainer.LocalBackground(scorer.Model.Config, 1), bg.Config);
        Assert.AreEqual(1, bg.Config.Layers);
        Assert.AreEqual(scorer.Model.Config.Layers, DensityScorerTests.Tiny.Layers, "the model keeps its own layers");

        // One block of kernel 3 sees rows i−2..i: changing pixel (0, 0) changes bits of rows 0..2 only.
        var a = Dataset(rows.Take(1).ToList());
        var changed = (byte[])a.Pixels.Clone();
        changed[0] = (byte)(255 - changed[0]);
        var before = bg.Score(a, bitsMap: true).BitsMap!;
        var after = bg.Score(new ImageDataset(1, 8, 8, changed), bitsMap: true).BitsMap!;
        Assert.AreNotEqual(before[1], after[1], "pixel (0, 1) sees (0, 0)");
        for (int i = 3 * 8; i < 64; i++) Assert.AreEqual(before[i], after[i], $"sub-pixel {i} is beyond the local receptive field");
    }

    [TestMethod]
    public void The_input_complexity_score_subtracts_the_png_size_and_p_values_follow_the_reference()
    {
        var ml = new MLContext(seed: 3);
        var rows = DensityScorerTests.Rows(16, false);
        using var scorer = Trainer(ml, DensityScoreKind.InputComplexity).Fit(ml.Data.LoadFromEnumerable(rows));
        var scored = scorer.Transform(ml.Data.LoadFromEnumerable(rows));
        var score = scored.GetColumn<float>("Score").ToArray();
        var bpd = scored.GetColumn<float>("BitsPerDim").ToArray();
        var p = scored.GetColumn<float>("PValue").ToArray();
        var data = Dataset(rows);
        var exact = DensityScores.Compute(scorer.Model, null, DensityScoreKind.InputComplexity, ComplexityCompressor.Png, data).Score;
        for (int i = 0; i < rows.Count; i++)
        {
            double l = InputComplexity.BitsPerDim(data.Pixels.AsSpan(i * 64, 64), 1, 8, 8);
            Assert.AreEqual(bpd[i] - l, score[i], 1e-4);
            // Held-out rows are in the reference too: compare with the p-value of the unrounded score.
            Assert.AreEqual(DensityScores.PValue(exact[i], scorer.ReferenceScores), p[i], 1e-6);
        }
        Assert.AreEqual(4, scorer.ReferenceScores.Count, "the held-out quarter of 16 rows");
    }

    [TestMethod]
    [DataRow(LikelihoodRatioBackground.Perturbed)]
    [DataRow(LikelihoodRatioBackground.Local)]
    public void A_likelihood_ratio_scorer_round_trips_through_mlnet_save_and_load_with_its_background_model(LikelihoodRatioBackground kind)
    {
        var ml = new MLContext(seed: 4);
        var data = ml.Data.LoadFromEnumerable(DensityScorerTests.Rows(12, false));
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-lr-{Guid.NewGuid():N}.zip");
        try
        {
            float[] before, pBefore;
            using (var scorer = Trainer(ml, DensityScoreKind.LikelihoodRatio, background: kind).Fit(data))
            {
                var scored = scorer.Transform(data);
                (before, pBefore) = (scored.GetColumn<float>("Score").ToArray(), scored.GetColumn<float>("PValue").ToArray());
                ml.Model.Save(scorer, data.Schema, path);
            }
            using var loaded = (PixelCnnDensityTransformer)new MLContext().Model.Load(path, out _);
            Assert.AreEqual(DensityScoreKind.LikelihoodRatio, loaded.ScoreKind);
            Assert.IsNotNull(loaded.Background);
            Assert.AreEqual(kind == LikelihoodRatioBackground.Local ? 1 : DensityScorerTests.Tiny.Layers, loaded.Background.Config.Layers);
            var after = loaded.Transform(data);
            CollectionAssert.AreEqual(before, after.GetColumn<float>("Score").ToArray());
            CollectionAssert.AreEqual(pBefore, after.GetColumn<float>("PValue").ToArray());
        }
        finally { File.Delete(path); }
    }
}
