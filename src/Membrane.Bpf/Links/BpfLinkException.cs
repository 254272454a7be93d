namespace Membrane.Bpf.Links;

/// <summary>A link operation failed: names the link (its program and target) and the operation.</summary>
public sealed class BpfLinkException(string linkDescription, string operation, BpfCommand command, int errno)
    : BpfException(command, errno, $"link {linkDescription}: {operation}: ", detail: null, innerException: null)
{
    public string LinkDescription { get; } = linkDescription;

    public string Operation { get; } = operation;
}
