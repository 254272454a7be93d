namespace Membrane.Datapath;

public enum EventKind : byte
{
    /// <summary>A dropped packet.</summary>
    Drop = 1,

    /// <summary>A new flow that passed, sent only when the configuration enables it.</summary>
    PolicyVerdict = 2,
}
