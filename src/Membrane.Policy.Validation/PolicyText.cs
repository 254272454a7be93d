namespace Membrane.Policy.Validation;

/// <summary>A policy file's name (as the user gave it, or <c>&lt;stdin&gt;</c>) and its text.</summary>
public sealed record PolicyText(string File, string Text);
