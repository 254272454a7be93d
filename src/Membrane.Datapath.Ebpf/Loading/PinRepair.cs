namespace Membrane.Datapath.Ebpf.Loading;

/// <summary>
/// A pin that was found missing: pinned again (<see cref="Problem"/> null), or not, with why (the path holds another
/// object, or bpffs refused the pin).
/// </summary>
public sealed record PinRepair(string Path, string? Problem)
{
    public bool Repinned => Problem is null;

    /// <summary>
    /// Checks one pin: null when <paramref name="path"/> pins the object (<paramref name="isPinnedAt"/>); else pins it
    /// again when nothing is there, or reports what stops that. Another object at the path is never removed: that is
    /// someone's, and taking it away could detach what it holds.
    /// </summary>
    public static PinRepair? Check(string path, Func<string, bool> isPinnedAt, Action<string> pin)
    {
        if (isPinnedAt(path))
        {
            return null;
        }

        if (File.Exists(path))
        {
            return new PinRepair(path, "another object is pinned there");
        }

        try
        {
            pin(path);
            return new PinRepair(path, null);
        }
        catch (Exception e) when (e is Membrane.Bpf.BpfException or IOException or UnauthorizedAccessException)
        {
            return new PinRepair(path, e.Message);
        }
    }

    public override string ToString() => Problem is null ? $"{Path}: pinned again" : $"{Path}: not pinned ({Problem})";
}
