// ROC curves and score histograms of the experiments, drawn with OxyPlot (SkiaSharp renderer). Text shaping is off:
// it needs HarfBuzzSharp's native library, which the samples do not carry; plain Skia text renders the labels.
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using OxyPlot.SkiaSharp;

namespace PixelCnn.ML.Samples.Experiments;

internal static class Plots
{
    /// <summary>ROC curves (false-positive rate → true-positive rate), one line per named score; positives score higher.</summary>
    public static void Roc(string path, string title, IEnumerable<(string Name, double[] Normal, double[] Anomalous)> curves)
    {
        var model = new PlotModel { Title = title };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "false-positive rate", Minimum = 0, Maximum = 1 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "true-positive rate", Minimum = 0, Maximum = 1 });
        foreach (var (name, normal, anomalous) in curves)
        {
            var line = new LineSeries { Title = name };
            foreach (var (fpr, tpr) in RocPoints(normal, anomalous)) line.Points.Add(new DataPoint(fpr, tpr));
            model.Series.Add(line);
        }
        model.Series.Add(new LineSeries { Points = { new DataPoint(0, 0), new DataPoint(1, 1) }, Color = OxyColors.LightGray, LineStyle = LineStyle.Dash });
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightBottom, LegendPlacement = LegendPlacement.Inside });
        Save(model, path, 640, 480);
    }

    /// <summary>Overlaid histograms (as step lines of density) of several named score sets on one axis.</summary>
    public static void Histograms(string path, string title, string axisTitle, IEnumerable<(string Name, double[] Values)> sets, int bins = 60)
    {
        var all = sets.ToList();
        var finite = all.SelectMany(s => s.Values).Where(double.IsFinite).ToArray();
        double lo = Quantile(finite, 0.002), hi = Quantile(finite, 0.998);
        if (!(hi > lo)) hi = lo + 1;
        double width = (hi - lo) / bins;
        var model = new PlotModel { Title = title };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = axisTitle, Minimum = lo, Maximum = hi });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "density", Minimum = 0 });
        foreach (var (name, values) in all)
        {
            var counts = new double[bins];
            int n = 0;
            foreach (var v in values)
            {
                if (!double.IsFinite(v)) continue;
                counts[Math.Clamp((int)((v - lo) / width), 0, bins - 1)]++;
                n++;
            }
            var line = new StairStepSeries { Title = name };
            for (int b = 0; b < bins; b++) line.Points.Add(new DataPoint(lo + b * width, counts[b] / Math.Max(1, n) / width));
            line.Points.Add(new DataPoint(hi, 0));
            model.Series.Add(line);
        }
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Inside });
        Save(model, path, 640, 420);
    }

    /// <summary>Named lines of (x, y) points on linear axes, e.g. learning curves.</summary>
    public static void Lines(string path, string title, string xTitle, string yTitle, IEnumerable<(string Name, IReadOnlyList<(double X, double Y)> Points)> lines)
    {
        var model = new PlotModel { Title = title };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = xTitle });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = yTitle });
        foreach (var (name, points) in lines)
        {
            var line = new LineSeries { Title = name, MarkerType = MarkerType.Circle, MarkerSize = 2 };
            foreach (var (x, y) in points) line.Points.Add(new DataPoint(x, y));
            model.Series.Add(line);
        }
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Inside });
        Save(model, path, 720, 460);
    }

    private static void Save(PlotModel model, string path, int width, int height)
    {
        model.Background = OxyColors.White;
        var exporter = new PngExporter { Width = width, Height = height, UseTextShaping = false };
        var tmp = path + ".tmp";
        using (var f = File.Create(tmp)) exporter.Export(model, f);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The ROC curve's corners, threshold by threshold over the distinct scores (ties move both rates at once).</summary>
    internal static List<(double Fpr, double Tpr)> RocPoints(double[] normal, double[] anomalous)
    {
        var points = new List<(double, double)> { (0, 0) };
        var all = normal.Select(v => (v, false)).Concat(anomalous.Select(v => (v, true))).Where(p => double.IsFinite(p.v)).OrderByDescending(p => p.v).ToArray();
        int nNeg = all.Count(p => !p.Item2), nPos = all.Length - nNeg, fp = 0, tp = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j < all.Length && all[j].v == all[i].v)
            {
                if (all[j].Item2) tp++; else fp++;
                j++;
            }
            points.Add((nNeg == 0 ? 0 : fp / (double)nNeg, nPos == 0 ? 0 : tp / (double)nPos));
            i = j;
        }
        return points;
    }

    private static double Quantile(double[] values, double q)
    {
        if (values.Length == 0) return 0;
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)(q * (sorted.Length - 1)), 0, sorted.Length - 1)];
    }
}
