namespace PixelCnn.ML.Data;

/// <summary>
/// An image column; values are <see cref="MLImage"/>. Height and width 0 mean "any size" (as ML.NET's
/// ImageDataViewType). The channel count is a property of each image, not of the type.
/// </summary>
public sealed class ImageDataViewType : StructuredDataViewType
{
    /// <summary>An image type of unknown size.</summary>
    public ImageDataViewType() : base(typeof(MLImage)) { }

    /// <summary>An image type whose images are all <paramref name="height"/> x <paramref name="width"/>.</summary>
    public ImageDataViewType(int height, int width) : base(typeof(MLImage))
    {
        if (height < 0 || width < 0 || (height == 0) != (width == 0))
            throw new ArgumentOutOfRangeException(nameof(height), $"Image size must be both positive or both 0 (unknown), got {height} x {width}.");
        Height = height;
        Width = width;
    }

    /// <summary>Height in pixels, 0 if unknown.</summary>
    public int Height { get; }

    /// <summary>Width in pixels, 0 if unknown.</summary>
    public int Width { get; }

    /// <summary>Whether all images of this type share one size.</summary>
    public bool IsKnownSize => Height > 0;

    public override bool Equals(DataViewType? other) =>
        other is ImageDataViewType i && i.Height == Height && i.Width == Width;

    public override int GetHashCode() => HashCode.Combine(typeof(MLImage), Height, Width);

    /// <summary>"Image&lt;28, 28&gt;" (height, width) or "Image".</summary>
    public override string ToString() => IsKnownSize ? $"Image<{Height}, {Width}>" : "Image";
}
