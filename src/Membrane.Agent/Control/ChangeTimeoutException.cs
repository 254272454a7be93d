namespace Membrane.Agent.Control;

/// <summary>
/// A change was not done within the time its caller waits (<see cref="Regenerator"/>). <see cref="Started"/> says which
/// of the two it is: not started (it waited behind other changes, and was dropped: nothing of it is made), or started
/// and still being made (it completes, or is taken back whole, after this is reported).
/// </summary>
public sealed class ChangeTimeoutException(string what, TimeSpan waited, bool started)
    : Exception(started
        ? $"{what} was still being made after {waited.TotalSeconds:0.#} s; it completes, or is taken back whole, on its own: look again in a moment"
        : $"{what} waited {waited.TotalSeconds:0.#} s behind other changes and was dropped: nothing of it was made; try again")
{
    public bool Started { get; } = started;
}
