using PixelCnn.ML.Data;
using PixelCnn.ML.Imaging;

namespace PixelCnn.ML.Tests.Imaging;

[TestClass]
public class ImageGridTests
{
    private static MLImage Flat(int w, int h, byte value) => new(w, h, 1, Enumerable.Repeat(value, w * h).ToArray());

    [TestMethod]
    public void Tile_fills_rows_first_with_padding_between_and_around_cells()
    {
        var grid = ImageGrid.Tile(new[] { Flat(2, 2, 10), Flat(2, 2, 20), Flat(2, 2, 30) }, columns: 2, padding: 1, background: 5);
        Assert.AreEqual((7, 7, 1), (grid.Width, grid.Height, grid.Channels));
        Assert.AreEqual(5, grid[0, 0, 0]);   // border
        Assert.AreEqual(10, grid[1, 1, 0]);  // cell (0, 0)
        Assert.AreEqual(10, grid[2, 2, 0]);
        Assert.AreEqual(5, grid[1, 3, 0]);   // gap between columns
        Assert.AreEqual(20, grid[1, 4, 0]);  // cell (0, 1)
        Assert.AreEqual(30, grid[4, 1, 0]);  // cell (1, 0)
        Assert.AreEqual(5, grid[4, 4, 0]);   // empty cell
        Assert.AreEqual(5, grid[6, 6, 0]);
    }

    [TestMethod]
    public void Tile_without_a_column_count_makes_a_near_square_grid()
    {
        var grid = ImageGrid.Tile(Enumerable.Range(0, 5).Select(i => Flat(3, 2, (byte)i)).ToList(), padding: 0);
        Assert.AreEqual((9, 4), (grid.Width, grid.Height)); // 3 columns, 2 rows
    }

    [TestMethod]
    public void Tile_shows_gray_images_as_rgb_next_to_rgb_ones()
    {
        var rgb = new MLImage(1, 1, 3, new byte[] { 1, 2, 3 });
        var grid = ImageGrid.Tile(new[] { Flat(1, 1, 9), rgb }, padding: 0);
        CollectionAssert.AreEqual(new byte[] { 9, 9, 9, 1, 2, 3 }, grid.ToArray());
    }

    [TestMethod]
    public void Tile_rejects_images_of_different_sizes_naming_the_odd_one()
    {
        var e = Assert.ThrowsException<ArgumentException>(() => ImageGrid.Tile(new[] { Flat(2, 2, 0), Flat(2, 2, 0), Flat(3, 2, 0) }));
        StringAssert.Contains(e.Message, "images[2] is 3x2 but images[0] is 2x2");
    }

    [TestMethod]
    public void Upscale_turns_each_pixel_into_a_block()
    {
        var image = new MLImage(2, 1, 3, new byte[] { 1, 2, 3, 4, 5, 6 });
        var big = ImageGrid.Upscale(image, 3);
        Assert.AreEqual((6, 3), (big.Width, big.Height));
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 6; x++)
                for (int c = 0; c < 3; c++)
                    Assert.AreEqual(image[0, x / 3, c], big[y, x, c], $"({x},{y},{c})");
    }
}
