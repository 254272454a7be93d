namespace Membrane.Datapath.Ebpf.Loading;

/// <summary>
/// A pinned datapath that cannot be taken back: pins are missing (<see cref="OtherVersion"/> false: it is incomplete,
/// and nothing can run it as it is), or its maps are laid out for another Membrane version (true: its programs would
/// misread what this version writes, and what to do with its endpoints is for a person to decide).
/// </summary>
public sealed class PinnedDatapathException(string message, bool otherVersion) : InvalidOperationException(message)
{
    public bool OtherVersion { get; } = otherVersion;
}
