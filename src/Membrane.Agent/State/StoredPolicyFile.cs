namespace Membrane.Agent.State;

/// <summary>A policy file as it was imported: the name it was given and its whole text.</summary>
public sealed record StoredPolicyFile(string File, string Text);
