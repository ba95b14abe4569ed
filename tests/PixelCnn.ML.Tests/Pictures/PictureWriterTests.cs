using PixelCnn.ML.Data.Images;
using PixelCnn.ML.Pictures;

namespace PixelCnn.ML.Tests.Pictures;

[TestClass]
public class PictureWriterTests
{
    private static RasterImage Cell(byte value) => new(4, 3, 1, Enumerable.Repeat(value, 12).ToArray());

    [TestMethod]
    public void A_grid_places_upscaled_cells_row_by_row_with_padding_and_round_trips_through_png()
    {
        var cells = new[] { Cell(10), Cell(20), Cell(30), Cell(40), Cell(50) };
        using var grid = PictureWriter.Grid(cells, columns: 3, upscale: 2, padding: 1);
        Assert.AreEqual((3 * (8 + 1) + 1, 2 * (6 + 1) + 1), (grid.Width, grid.Height));
        Assert.AreEqual(40, grid.GetPixel(1, 1 + 7).Red, "cell 3 starts the second row");
        Assert.AreEqual(20, grid.GetPixel(1 + 9 + 7, 1 + 5).Green, "cell 1's last pixel, upscaled");
        Assert.AreEqual(0, grid.GetPixel(0, 0).Red, "padding is black");
        var path = Path.Combine(Path.GetTempPath(), $"pixelcnn-grid-{Guid.NewGuid():N}.png");
        try
        {
            PictureWriter.SavePng(grid, path);
            using var back = SafeImageReader.Read(path);
            Assert.AreEqual((grid.Width, grid.Height), (back.Width, back.Height));
            Assert.AreEqual(50, back.Pixels[((1 + 7) * grid.Width + 1 + 9) * 4]);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void Row_labels_a_title_and_a_colour_scale_are_drawn_around_the_cells()
    {
        var cells = new[] { Cell(0), Cell(0) };
        using var plain = PictureWriter.Grid(cells, columns: 1, upscale: 4, padding: 2);
        using var labelled = PictureWriter.Grid(cells, columns: 1, upscale: 4, padding: 2, rowLabels: ["Sneaker", "Bag"], title: "Samples",
                                                scale: new ColorScale(0, 16, "bits per pixel"));
        Assert.IsTrue(labelled.Width > plain.Width && labelled.Height > plain.Height);
        int labelWidth = labelled.Width - plain.Width;
        // The label column holds text: some light pixels left of the cells (the cells themselves are black).
        bool text = false;
        for (int x = 0; x < labelWidth && !text; x++)
            for (int y = 20; y < labelled.Height - 40 && !text; y++) text = labelled.GetPixel(x, y).Red > 100;
        Assert.IsTrue(text, "row labels were drawn (a font is needed: fonts-dejavu-core)");
        // The colour scale runs from black to white along its bar (padding + 4 to at most 256 pixels further).
        int barY = labelled.Height - 40 + 10, right = Math.Min(labelled.Width - 6, 6 + 256) - 2;
        Assert.IsTrue(labelled.GetPixel(7, barY).Red < 40, "the bar starts black");
        Assert.IsTrue(labelled.GetPixel(right, barY).Blue > 200, "the bar ends white");
    }

    [TestMethod]
    public void Cells_of_different_sizes_or_too_few_labels_are_refused()
    {
        StringAssert.Contains(Assert.ThrowsException<ArgumentException>(() => PictureWriter.Grid([Cell(1), new RasterImage(2, 2, 1, new byte[4])], 2)).Message,
                              "a grid needs one size");
        StringAssert.Contains(Assert.ThrowsException<ArgumentException>(() => PictureWriter.Grid([Cell(1), Cell(2)], 1, rowLabels: ["one"])).Message,
                              "2 rows but 1 row labels");
    }
}
