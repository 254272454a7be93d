namespace Membrane.Policy.Diagnostics;

/// <summary>
/// The type of a finding, after Kubernetes' field error types, plus the kinds a policy linter needs.
/// </summary>
public enum FieldErrorKind
{
    /// <summary>The value is malformed or out of range.</summary>
    Invalid,

    /// <summary>A field that must be set is missing or empty.</summary>
    Required,

    /// <summary>The value is not one of those allowed.</summary>
    NotSupported,

    /// <summary>A key or value appears twice where it must be unique.</summary>
    Duplicate,

    /// <summary>The field cannot be combined with another, or cannot appear here.</summary>
    Forbidden,

    /// <summary>A list has more entries than allowed.</summary>
    TooMany,

    /// <summary>A key that is not a field of this object.</summary>
    UnknownField,

    /// <summary>The file is not well-formed YAML or JSON.</summary>
    Syntax,

    /// <summary>Valid, but Membrane does not enforce it yet; the detail says what happens instead.</summary>
    NotEnforced,

    /// <summary>Valid, but it has no effect (an empty section, a pruned field).</summary>
    Ineffective,

    /// <summary>Valid, but written in a non-standard form (a key in the wrong case).</summary>
    NonStandard,

    /// <summary>A lint finding: valid, but likely not what the author meant.</summary>
    Lint,

    /// <summary>An object that is not a network policy, skipped.</summary>
    Skipped,

    /// <summary>A Kubernetes API server with Cilium's CRD refuses this, though Membrane can read it.</summary>
    CrdRejects,

    /// <summary>A Membrane extension that Cilium does not have (reported under --compat cilium).</summary>
    Extension,
}
