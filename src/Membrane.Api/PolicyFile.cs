namespace Membrane.Api;

/// <summary>One policy file of an import: its name as the user gave it, and its text.</summary>
public sealed record PolicyFile(string File, string Text);
