using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>The event rate limiter's state, one per CPU (a per-CPU array), so that the program needs no atomics.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8, Size = 16)]
public record struct TokenBucket
{
    public ulong Tokens;
    public ulong LastRefill;
}
