namespace Membrane.Policy.Engine.MapState;

/// <summary>Splits an inclusive range of 16-bit values into the fewest aligned prefixes that cover it exactly.</summary>
public static class PrefixRanges
{
    public static IEnumerable<(ushort Value, byte PrefixLength)> Split(int low, int high)
    {
        while (low <= high)
        {
            // The largest aligned block starting at low that does not pass high.
            var size = low == 0 ? 1 << 16 : low & -low;
            while (low + size - 1 > high)
            {
                size >>= 1;
            }

            yield return ((ushort)low, (byte)(16 - Log2(size)));
            low += size;
        }
    }

    private static int Log2(int value) => 31 - int.LeadingZeroCount(value);
}
