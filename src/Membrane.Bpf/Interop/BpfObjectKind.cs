namespace Membrane.Bpf.Interop;

/// <summary>
/// The kinds of BPF object a pin can hold, spelled as the kernel names their anonymous inodes in kernel/bpf/syscall.c
/// (<c>bpf-map</c>, <c>bpf-prog</c>, and <c>bpf-link</c>, which older kernels spell <c>bpf_link</c>), which is what
/// readlink(2) of <c>/proc/self/fd/N</c> shows after <c>anon_inode:</c>. BPF_OBJ_GET opens whatever is pinned, and
/// BPF_OBJ_GET_INFO_BY_FD answers for any kind (filling the caller's struct with the wrong one's info), so only the
/// inode says for sure what a descriptor is.
/// </summary>
internal static class BpfObjectKind
{
    public const string Map = "bpf-map";
    public const string Program = "bpf-prog";
    public const string Link = "bpf-link";

    private const string OlderLink = "bpf_link";

    private const string AnonymousInodePrefix = "anon_inode:";

    /// <summary>The anonymous inode name of <paramref name="fd"/> (e.g. <c>bpf-map</c>; a link always as
    /// <see cref="Link"/>), the whole link target when it is not an anonymous inode (e.g. <c>/dev/null</c>), or null
    /// when /proc cannot say.</summary>
    public static string? Of(int fd)
    {
        string? target;
        try
        {
            target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (target is null || !target.StartsWith(AnonymousInodePrefix, StringComparison.Ordinal))
        {
            return target;
        }

        var kind = target[AnonymousInodePrefix.Length..];
        return kind == OlderLink ? Link : kind;
    }

    /// <summary>The kind for messages: "a map", "a link", "a program", or what the descriptor is instead.</summary>
    public static string Describe(string? kind) => kind switch
    {
        Map => "a map",
        Program => "a program",
        Link => "a link",
        null => "an object of unknown kind (/proc/self/fd could not be read)",
        _ => $"'{kind}', not a BPF map, program or link",
    };
}
