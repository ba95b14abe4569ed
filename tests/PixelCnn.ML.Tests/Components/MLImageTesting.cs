using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace PixelCnn.ML.Tests.Components;

/// <summary>Helpers for ML.NET images and schema shapes in the component tests.</summary>
internal static class MLImageTesting
{
    public static bool PixelsEqual(this MLImage a, MLImage b) =>
        a.Width == b.Width && a.Height == b.Height && a.PixelFormat == b.PixelFormat && a.Pixels.SequenceEqual(b.Pixels);

    /// <summary>The grey values of an image whose R, G and B are equal (asserted), one byte per pixel.</summary>
    public static byte[] GreyBytes(this MLImage image)
    {
        var px = image.Pixels;
        var grey = new byte[image.Width * image.Height];
        for (int p = 0; p < grey.Length; p++)
        {
            Assert.IsTrue(px[p * 4] == px[p * 4 + 1] && px[p * 4] == px[p * 4 + 2], $"pixel {p} is not grey");
            grey[p] = px[p * 4];
        }
        return grey;
    }

    /// <summary>ML.NET's SchemaShape.Create(schema), which 5.0.1 keeps internal; estimators' GetOutputSchema takes a SchemaShape.</summary>
    public static SchemaShape ShapeOf(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!.Invoke(null, [schema])!;

    public static SchemaShape.Column Find(this SchemaShape shape, string name) => shape.Single(c => c.Name == name);
}
