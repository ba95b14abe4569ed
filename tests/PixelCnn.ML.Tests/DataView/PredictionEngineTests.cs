namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class PredictionEngineTests
{
    public sealed class Scored
    {
        public float Score;
        public float[] Features = [];
    }

    private static PredictionEngine<FeatureRow, Scored> Engine(MLContext ml, float factor = 2) =>
        ml.Model.CreatePredictionEngine<FeatureRow, Scored>(new SumScoreTransformer("Features", factor));

    [TestMethod]
    public void Predict_runs_the_model_on_one_example()
    {
        var ml = new MLContext(1);
        var result = Engine(ml).Predict(new FeatureRow { Features = [1, 2, 3] });
        Assert.AreEqual(12f, result.Score);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3 }, result.Features);
    }

    [TestMethod]
    public void Parallel_predictions_on_one_engine_are_all_correct()
    {
        var ml = new MLContext(1);
        using var engine = Engine(ml, factor: 0.5f);
        var results = new float[2000];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            results[i] = engine.Predict(new FeatureRow { Features = [i, i, 2 * i] }).Score);
        for (int i = 0; i < results.Length; i++) Assert.AreEqual(2f * i, results[i], $"example {i}");
    }

    public sealed class WrongOutput
    {
        public string Score = "";
    }

    [TestMethod]
    public void Creating_an_engine_with_an_output_class_of_the_wrong_type_names_the_column()
    {
        var ml = new MLContext(1);
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() =>
            ml.Model.CreatePredictionEngine<FeatureRow, WrongOutput>(new SumScoreTransformer("Features", 1)));
        StringAssert.Contains(e.Message, "Column 'Score': expected Text");
        StringAssert.Contains(e.Message, "got Single");
    }

    public sealed class WrongInput
    {
        public string Features = "";
    }

    [TestMethod]
    public void Creating_an_engine_with_an_input_the_model_cannot_take_fails_at_creation()
    {
        var ml = new MLContext(1);
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() =>
            ml.Model.CreatePredictionEngine<WrongInput, Scored>(new SumScoreTransformer("Features", 1)));
        StringAssert.Contains(e.Message, "'Features'");
    }
}
