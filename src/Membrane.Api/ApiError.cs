namespace Membrane.Api;

/// <summary>Every failed call answers with this: what went wrong, in a sentence fit to show the user.</summary>
public sealed record ApiError(string Error);
