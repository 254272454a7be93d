namespace Membrane.Policy.Diagnostics;

public enum Severity
{
    /// <summary>The policy is invalid: Membrane will not load it.</summary>
    Error,

    /// <summary>The policy loads, but probably does not do what its author meant, or not fully.</summary>
    Warning,

    /// <summary>Information, such as a skipped non-policy object.</summary>
    Note,
}
