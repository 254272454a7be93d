namespace Membrane.Bpf.Maps;

/// <summary>A map operation failed: says which map (its spec's name) and which operation, then the command, errno
/// and hint.</summary>
public sealed class MapException(string mapName, string operation, BpfCommand command, int errno)
    : BpfException(command, errno, $"map '{mapName}': {operation}: ", detail: null, innerException: null)
{
    public string MapName { get; } = mapName;

    /// <summary>The operation, e.g. <c>create</c>, <c>update</c>, <c>lookup batch</c>.</summary>
    public string Operation { get; } = operation;
}
