using PixelCnn.ML.Evaluation;

namespace PixelCnn.ML.Tests.Components;

[TestClass]
public class AnomalyMetricsTests
{
    [TestMethod]
    public void Perfect_separation_gives_auroc_and_aupr_of_one()
    {
        var m = DetectionMetrics.Compute([5, 4, 1, 0], [true, true, false, false], falsePositiveCount: 0);
        Assert.AreEqual(1.0, m.AreaUnderRocCurve);
        Assert.AreEqual(1.0, m.AreaUnderPrecisionRecallCurve);
        Assert.AreEqual(1.0, m.DetectionRateAtFalsePositiveCount);
        Assert.AreEqual(0.0, m.FalsePositiveRateAt95TruePositiveRate);
    }

    [TestMethod]
    public void Hand_computed_example()
    {
        // Ranked: 0.9 A, 0.8 N, 0.7 A, 0.6 N, 0.5 N, 0.4 A  (A = anomaly)
        double[] s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
        bool[] y = [true, false, true, false, false, true];
        var m = DetectionMetrics.Compute(s, y, falsePositiveCount: 1, falsePositiveRate: 1.0 / 3);
        // Pairs (A above N): A0.9 beats 3, A0.7 beats 2, A0.4 beats 0 → 5 of 9.
        Assert.AreEqual(5.0 / 9, m.AreaUnderRocCurve, 1e-12);
        // AP = (1/3)(1/1) + (1/3)(2/3) + (1/3)(3/6)
        Assert.AreEqual((1.0 + 2.0 / 3 + 0.5) / 3, m.AreaUnderPrecisionRecallCurve, 1e-12);
        Assert.AreEqual(2.0 / 3, m.DetectionRateAtFalsePositiveCount, 1e-12); // one N admitted: 0.9 A, 0.8 N, 0.7 A
        Assert.AreEqual(2.0 / 3, m.DetectionRateAtFalsePositiveRate, 1e-12);
        Assert.AreEqual(1.0, m.FalsePositiveRateAt95TruePositiveRate, 1e-12); // all anomalies only at the bottom
    }

    [TestMethod]
    public void Tied_scores_count_half_in_auroc()
    {
        var m = DetectionMetrics.Compute([1, 1], [true, false]);
        Assert.AreEqual(0.5, m.AreaUnderRocCurve);
    }

    [TestMethod]
    public void Precision_and_recall_of_the_predicted_label()
    {
        var m = DetectionMetrics.Compute([3, 2, 1, 0], [true, false, true, false], predicted: [true, true, false, false]);
        Assert.AreEqual(0.5, m.Precision);
        Assert.AreEqual(0.5, m.Recall);
    }

    [TestMethod]
    public void A_single_class_is_rejected_with_the_counts()
    {
        var e = Assert.ThrowsException<ArgumentException>(() => DetectionMetrics.Compute([1, 2], [false, false]));
        StringAssert.Contains(e.Message, "0 anomalies");
    }
}
