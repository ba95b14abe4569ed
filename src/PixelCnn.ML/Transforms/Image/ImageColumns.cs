// The checks every image transform makes on its image input columns, in one wording: at the schema-shape level
// (estimators, before any data) and at the schema level (transformers), plus the per-row check that a value really is
// an image of the column's declared size.
using PixelCnn.ML.Data;

namespace PixelCnn.ML.Transforms.Image;

internal static class ImageColumns
{
    private const string KnownSizeHint = "an Image of known size (use ResizeImages first)";

    /// <summary>The image type of input column <paramref name="column"/>; a mismatch error unless it is an image
    /// column (of known size when <paramref name="needKnownSize"/>).</summary>
    internal static ImageDataViewType Check(DataViewSchema.Column column, bool needKnownSize = false) =>
        column.Type switch
        {
            ImageDataViewType { IsKnownSize: false } when needKnownSize => throw SchemaErrors.Mismatch("input", column.Name, KnownSizeHint, column.Type.ToString()!),
            ImageDataViewType t => t,
            _ => throw SchemaErrors.Mismatch("input", column.Name, needKnownSize ? KnownSizeHint : "Image", column.Type.ToString()!),
        };

    /// <summary>The shape of image input column <paramref name="name"/>; a not-found or mismatch error otherwise.</summary>
    internal static ImageDataViewType Check(SchemaShape inputSchema, string name, bool needKnownSize = false)
    {
        var c = inputSchema.Find("input", name);
        return c.Kind == SchemaShape.VectorKind.Scalar && c.ItemType is ImageDataViewType t && (t.IsKnownSize || !needKnownSize)
            ? t
            : throw SchemaErrors.Mismatch("input", name, needKnownSize ? KnownSizeHint : "Image", c.GetTypeString());
    }

    /// <summary>Reads the current image of <paramref name="column"/> (whose type is <paramref name="type"/>), failing
    /// with the column and row when it is missing or not of the declared size.</summary>
    internal static Func<MLImage> Reader(DataViewRow row, DataViewSchema.Column column, ImageDataViewType type)
    {
        var getter = row.GetGetter<MLImage>(column);
        MLImage image = null!;
        return () =>
        {
            getter(ref image);
            if (image == null) throw OneToOneTransformerBase.RowError(column, row, "the image is missing (null).");
            if (type.IsKnownSize && (image.Height != type.Height || image.Width != type.Width))
                throw OneToOneTransformerBase.RowError(column, row, $"the image is {image.Height} x {image.Width} (height x width) but the column type is {type}.");
            return image;
        };
    }
}
