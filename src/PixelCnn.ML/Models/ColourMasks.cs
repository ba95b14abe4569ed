// Masks for autoregressive convolutions over sub-pixels in raster order with R→G→B ordering.
//
// Feature maps are split in C colour groups (C = 1 or 3). A connection from input channel of group
// gi to output channel of group go through the kernel's centre tap is allowed when gi < go (mask A,
// the first layer: a sub-pixel never sees itself) or gi <= go (mask B, later layers). Taps before
// the centre in raster order are always allowed, taps after it never.
namespace PixelCnn.ML.Models;

public enum MaskType { A, B }

internal static class ColourMasks
{
    /// <summary>Group of each of <paramref name="count"/> channels split into <paramref name="colours"/> contiguous groups.</summary>
    internal static int[] Groups(int count, int colours)
    {
        var g = new int[count];
        for (int i = 0; i < count; i++) g[i] = colours == 1 ? 0 : (int)((long)i * colours / count);
        return g;
    }

    /// <summary>Groups of a gated pre-activation (2p channels: tanh half then sigmoid half, each laid out like p).</summary>
    internal static int[] GatedGroups(int p, int colours)
    {
        var half = Groups(p, colours);
        return [.. half, .. half];
    }

    /// <summary>Groups of an output layer: <paramref name="perChannel"/> consecutive channels per colour.</summary>
    internal static int[] BlockGroups(int colours, int perChannel)
    {
        var g = new int[colours * perChannel];
        for (int i = 0; i < g.Length; i++) g[i] = i / perChannel;
        return g;
    }

    internal static bool CentreAllowed(MaskType type, int inGroup, int outGroup) =>
        type == MaskType.A ? inGroup < outGroup : inGroup <= outGroup;

    /// <summary>
    /// The mask [out, in, kh, kw] for a kernel whose centre tap is at (<paramref name="cy"/>, <paramref name="cx"/>):
    /// taps before it in raster order are on, the centre follows the colour rule, taps after are off.
    /// </summary>
    internal static float[] Build(int[] outGroups, int[] inGroups, int kh, int kw, int cy, int cx, MaskType type)
    {
        int o = outGroups.Length, n = inGroups.Length;
        var m = new float[o * n * kh * kw];
        for (int a = 0; a < o; a++)
            for (int b = 0; b < n; b++)
                for (int y = 0; y < kh; y++)
                    for (int x = 0; x < kw; x++)
                    {
                        bool on = y < cy || (y == cy && x < cx) || (y == cy && x == cx && CentreAllowed(type, inGroups[b], outGroups[a]));
                        m[((a * n + b) * kh + y) * kw + x] = on ? 1f : 0f;
                    }
        return m;
    }
}
