// Metrics for anomaly scores (higher = more anomalous) against labels (true = anomaly, the
// positive class): AUROC with ties averaged, AUPR as step-wise average precision, detection rate
// at a false-positive count and at a false-positive rate, and the false-positive rate at 95%
// true-positive rate. Computed on whole score groups, so tied scores never split a threshold.
namespace PixelCnn.ML.Evaluation;

/// <summary>Anomaly-detection metrics; the positive class is "anomaly" (label true).</summary>
public sealed record DetectionMetrics
{
    /// <summary>Which label value is the positive class these metrics speak of.</summary>
    public string PositiveClass { get; init; } = "anomaly (label = true)";
    public int Anomalies { get; init; }
    public int Normals { get; init; }
    /// <summary>Area under the ROC curve: the probability an anomaly scores above a normal example (ties count ½).</summary>
    public double AreaUnderRocCurve { get; init; }
    /// <summary>Area under the precision-recall curve as step-wise average precision (no interpolation).</summary>
    public double AreaUnderPrecisionRecallCurve { get; init; }
    /// <summary>Fraction of anomalies ranked above the threshold that admits <see cref="FalsePositiveCount"/> normal examples.</summary>
    public double DetectionRateAtFalsePositiveCount { get; init; }
    public int FalsePositiveCount { get; init; }
    /// <summary>Fraction of anomalies detected at a false-positive rate of at most <see cref="FalsePositiveRate"/>.</summary>
    public double DetectionRateAtFalsePositiveRate { get; init; }
    public double FalsePositiveRate { get; init; }
    /// <summary>The lowest false-positive rate at which at least 95% of anomalies are detected.</summary>
    public double FalsePositiveRateAt95TruePositiveRate { get; init; }
    /// <summary>Of the rows flagged by PredictedLabel: precision and recall, when a predicted label column was given.</summary>
    public double? Precision { get; init; }
    public double? Recall { get; init; }
    /// <summary>Rows left out because their score was NaN (images that could not be read).</summary>
    public int SkippedRows { get; init; }

    /// <summary>Computes every metric from scores and labels.</summary>
    public static DetectionMetrics Compute(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, int falsePositiveCount = 10,
                                                  double falsePositiveRate = 0.05, IReadOnlyList<bool>? predicted = null)
    {
        if (scores.Count != labels.Count) throw new ArgumentException($"{scores.Count} scores but {labels.Count} labels");
        int pos = labels.Count(l => l), neg = labels.Count - pos;
        if (pos == 0 || neg == 0)
            throw new ArgumentException($"metrics need both anomalies (label true) and normal examples (label false); got {pos} anomalies and {neg} normal examples");
        for (int i = 0; i < scores.Count; i++)
            if (double.IsNaN(scores[i])) throw new ArgumentException($"score of row {i} is NaN");
        if (falsePositiveCount < 0) throw new ArgumentOutOfRangeException(nameof(falsePositiveCount));
        if (falsePositiveRate is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(falsePositiveRate));

        // Score groups from the highest score down: (true positives, false positives) in each group.
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var groups = new List<(int tp, int fp)>();
        for (int k = 0; k < order.Length;)
        {
            int tp = 0, fp = 0;
            double s = scores[order[k]];
            for (; k < order.Length && scores[order[k]] == s; k++)
                if (labels[order[k]]) tp++; else fp++;
            groups.Add((tp, fp));
        }

        double auc = 0, ap = 0;
        int cumTp = 0, cumFp = 0;
        double detAtCount = 0, detAtRate = 0, fprAt95 = 1;
        bool fprFound = false;
        foreach (var (tp, fp) in groups)
        {
            // ROC: trapezoid over the group (a tie contributes ½ of tp·fp).
            auc += fp * (cumTp + tp / 2.0);
            int prevTp = cumTp;
            cumTp += tp;
            cumFp += fp;
            if (tp > 0) ap += (cumTp - prevTp) / (double)pos * (cumTp / (double)(cumTp + cumFp));
            if (cumFp <= falsePositiveCount) detAtCount = cumTp / (double)pos;
            if (cumFp <= falsePositiveRate * neg) detAtRate = cumTp / (double)pos;
            if (!fprFound && cumTp >= 0.95 * pos)
            {
                fprAt95 = cumFp / (double)neg;
                fprFound = true;
            }
        }
        auc /= (double)pos * neg;

        double? precision = null, recall = null;
        if (predicted is not null)
        {
            if (predicted.Count != labels.Count) throw new ArgumentException($"{predicted.Count} predicted labels but {labels.Count} labels");
            int flagged = predicted.Count(p => p), hits = Enumerable.Range(0, labels.Count).Count(i => predicted[i] && labels[i]);
            precision = flagged == 0 ? 0 : hits / (double)flagged;
            recall = hits / (double)pos;
        }
        return new DetectionMetrics
        {
            Anomalies = pos, Normals = neg, AreaUnderRocCurve = auc, AreaUnderPrecisionRecallCurve = ap,
            DetectionRateAtFalsePositiveCount = detAtCount, FalsePositiveCount = falsePositiveCount,
            DetectionRateAtFalsePositiveRate = detAtRate, FalsePositiveRate = falsePositiveRate,
            FalsePositiveRateAt95TruePositiveRate = fprAt95, Precision = precision, Recall = recall,
        };
    }

    public override string ToString() =>
        $"AUROC {AreaUnderRocCurve:F4}, AUPR {AreaUnderPrecisionRecallCurve:F4}, detection rate at {FalsePositiveCount} false positives " +
        $"{DetectionRateAtFalsePositiveCount:P1}, at FPR {FalsePositiveRate:P0} {DetectionRateAtFalsePositiveRate:P1}, " +
        $"FPR at 95% TPR {FalsePositiveRateAt95TruePositiveRate:P1} ({Anomalies} anomalies, {Normals} normal; positive class: {PositiveClass})" +
        (SkippedRows > 0 ? $"; {SkippedRows} rows without a score left out" : "");
}
