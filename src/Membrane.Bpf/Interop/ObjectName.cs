using System.Text;

namespace Membrane.Bpf.Interop;

/// <summary>
/// Object names for maps and programs. The kernel keeps BPF_OBJ_NAME_LEN = 16 bytes including the terminating NUL, and
/// accepts only letters, digits, '_' and '.' (kernel/bpf/syscall.c <c>bpf_obj_name_cpy</c>).
/// </summary>
internal static class ObjectName
{
    public const int Capacity = 16;
    public const int MaxLength = Capacity - 1;

    /// <summary>Why the kernel would reject <paramref name="name"/>, or null when it is valid.</summary>
    public static string? Validate(string name)
    {
        if (name.Length > MaxLength)
        {
            return $"'{name}' has {name.Length} characters; the kernel keeps at most {MaxLength} (BPF_OBJ_NAME_LEN - 1)";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.'))
            {
                return $"'{name}' contains '{c}'; the kernel allows only ASCII letters, digits, '_' and '.'";
            }
        }

        return null;
    }

    public static unsafe void Write(string name, byte* destination)
    {
        var span = new Span<byte>(destination, Capacity);
        span.Clear();
        Encoding.ASCII.GetBytes(name, span[..MaxLength]);
    }

    public static unsafe string Read(byte* source)
    {
        var span = new ReadOnlySpan<byte>(source, Capacity);
        var end = span.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
    }
}
