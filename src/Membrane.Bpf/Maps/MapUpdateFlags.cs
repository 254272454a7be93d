namespace Membrane.Bpf.Maps;

/// <summary>The <c>flags</c> of BPF_MAP_UPDATE_ELEM (uapi linux/bpf.h <c>BPF_ANY</c>, <c>BPF_NOEXIST</c>, <c>BPF_EXIST</c>).</summary>
public enum MapUpdateFlags : ulong
{
    /// <summary>Create the element or replace it.</summary>
    Any = 0,

    /// <summary>Create the element only if its key is absent (EEXIST otherwise).</summary>
    NoExist = 1,

    /// <summary>Replace the element only if its key is present (ENOENT otherwise).</summary>
    Exist = 2,
}
