namespace Membrane.Policy.Values;

/// <summary>
/// What one <c>ports</c> entry means once read: the protocol, and either a named port or the
/// range <see cref="Low"/>-<see cref="High"/> (0-65535 for every port, as port 0 or no port means).
/// </summary>
public sealed record ResolvedPort(L4Protocol Protocol, int Low, int High, string? Name = null)
{
    public bool IsNamed => Name is not null;

    public bool IsAllPorts => Name is null && Low == 0 && High == ushort.MaxValue;

    public static ResolvedPort AllPorts(L4Protocol protocol) => new(protocol, 0, ushort.MaxValue);
}
