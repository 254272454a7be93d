using Membrane.Bpf.Interop;

namespace Membrane.Bpf.Maps;

/// <summary>
/// A live kernel map that owns its descriptor. Made from a <see cref="MapSpec"/> by <see cref="Create"/> or opened from
/// a pin by <see cref="OpenPinned"/>. The raw operations take spans of bytes; the typed ones (in BpfMap.Typed.cs)
/// take unmanaged structs whose sizes must equal the map's key and value sizes. A failed operation throws a
/// <see cref="MapException"/> naming the map and the operation; a missing key is not a failure.
/// </summary>
public sealed partial class BpfMap : IDisposable
{
    private BpfMap(MapSpec spec, BpfFileDescriptor handle, string? pinnedPath)
    {
        Spec = spec;
        Handle = handle;
        PinnedPath = pinnedPath;
    }

    public MapSpec Spec { get; }

    public string Name => Spec.Name;

    /// <summary>The descriptor; <c>Handle.Value</c> can go into <see cref="Asm.Instruction.LoadMapPtr(Asm.Register, int)"/>.</summary>
    public BpfFileDescriptor Handle { get; }

    /// <summary>The kernel's id for this map, as <c>bpftool map show</c> lists it.</summary>
    public unsafe uint Id
    {
        get
        {
            using var lease = Handle.Acquire();
            var info = default(MapInfo);
            var attr = new ObjGetInfoAttr { BpfFd = (uint)lease.Fd, InfoLen = (uint)sizeof(MapInfo), Info = (ulong)&info };
            var result = BpfSyscall.Invoke(BpfCommand.ObjGetInfoByFd, ref attr);
            return result < 0 ? throw new MapException(Name, "get info", BpfCommand.ObjGetInfoByFd, -result) : info.Id;
        }
    }

    /// <summary>Where this map is pinned, if this object pinned or opened it.</summary>
    public string? PinnedPath { get; private set; }

    /// <summary>The number of values a per-CPU lookup returns.</summary>
    public static int PossibleCpuCount => PossibleCpus.Count;

    /// <summary>Creates the map in the kernel.</summary>
    public static unsafe BpfMap Create(MapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (ObjectName.Validate(spec.Name) is { } problem)
        {
            throw new ArgumentException($"map name {problem}", nameof(spec));
        }

        var attr = new MapCreateAttr
        {
            MapType = (uint)spec.Type,
            KeySize = (uint)spec.KeySize,
            ValueSize = (uint)spec.ValueSize,
            MaxEntries = (uint)spec.MaxEntries,
            MapFlags = (uint)spec.Flags,
        };
        ObjectName.Write(spec.Name, attr.MapName);
        var fd = BpfSyscall.Invoke(BpfCommand.MapCreate, ref attr);
        return fd >= 0
            ? new BpfMap(spec, new BpfFileDescriptor(fd), pinnedPath: null)
            : throw new MapException(spec.Name, "create", BpfCommand.MapCreate, -fd);
    }

    /// <summary>Opens the map pinned at <paramref name="path"/>, reading its spec back from the kernel. Throws
    /// <see cref="ArgumentException"/> when a program or link is pinned there instead.</summary>
    public static unsafe BpfMap OpenPinned(string path)
    {
        var fd = BpfFileSystem.OpenPinned(path, BpfObjectKind.Map);
        if (fd < 0)
        {
            throw new MapException(path, "open pinned", BpfCommand.ObjGet, -fd);
        }

        var handle = new BpfFileDescriptor(fd);
        try
        {
            var info = default(MapInfo);
            var attr = new ObjGetInfoAttr { BpfFd = (uint)fd, InfoLen = (uint)sizeof(MapInfo), Info = (ulong)&info };
            var result = BpfSyscall.Invoke(BpfCommand.ObjGetInfoByFd, ref attr);
            if (result < 0)
            {
                throw new MapException(path, "get info", BpfCommand.ObjGetInfoByFd, -result);
            }

            var spec = new MapSpec(
                ObjectName.Read(info.Name),
                (MapType)info.Type,
                (int)info.KeySize,
                (int)info.ValueSize,
                (int)info.MaxEntries,
                (MapFlags)info.MapFlags);
            return new BpfMap(spec, handle, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Pins the map at <paramref name="path"/> on bpffs, so that it outlives this handle and this process. Mounts
    /// bpffs at /sys/fs/bpf first when the path is under it and nothing is mounted there.
    /// </summary>
    public void Pin(string path)
    {
        var result = BpfFileSystem.Pin(Handle, path);
        if (result < 0)
        {
            throw new MapException(Name, $"pin at {path}", BpfCommand.ObjPin, -result);
        }

        PinnedPath = path;
    }

    /// <summary>Whether <paramref name="path"/> pins this very map (the same kernel object, not one that replaced it).</summary>
    public bool IsPinnedAt(string path) => BpfFileSystem.Holds(path, Handle, BpfObjectKind.Map);

    /// <summary>Removes this map's pin; the map itself lives while any descriptor or program still holds it.</summary>
    public void Unpin()
    {
        if (PinnedPath is { } path)
        {
            BpfFileSystem.Unpin(path);
            PinnedPath = null;
        }
    }

    /// <summary>Copies the value of <paramref name="key"/> into <paramref name="value"/>; false when the key is absent.</summary>
    public unsafe bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckKey(key.Length);
        CheckValueBuffer(value.Length);
        using var lease = Handle.Acquire();
        fixed (byte* keyPointer = key)
        fixed (byte* valuePointer = value)
        {
            var attr = new MapElemAttr { MapFd = lease.Fd, Key = (ulong)keyPointer, Value = (ulong)valuePointer };
            var result = BpfSyscall.Invoke(BpfCommand.MapLookupElem, ref attr);
            return result >= 0 || (result == -Errno.ENOENT ? false : throw Failure("lookup", BpfCommand.MapLookupElem, result));
        }
    }

    /// <summary>Sets the value of <paramref name="key"/>, subject to <paramref name="flags"/>.</summary>
    public unsafe void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        CheckKey(key.Length);
        CheckValueBuffer(value.Length);
        using var lease = Handle.Acquire();
        fixed (byte* keyPointer = key)
        fixed (byte* valuePointer = value)
        {
            var attr = new MapElemAttr { MapFd = lease.Fd, Key = (ulong)keyPointer, Value = (ulong)valuePointer, Flags = (ulong)flags };
            var result = BpfSyscall.Invoke(BpfCommand.MapUpdateElem, ref attr);
            if (result < 0)
            {
                throw Failure("update", BpfCommand.MapUpdateElem, result);
            }
        }
    }

    /// <summary>Deletes <paramref name="key"/>; false when it was absent. Arrays cannot delete (EINVAL).</summary>
    public unsafe bool Delete(ReadOnlySpan<byte> key)
    {
        CheckKey(key.Length);
        using var lease = Handle.Acquire();
        fixed (byte* keyPointer = key)
        {
            var attr = new MapElemAttr { MapFd = lease.Fd, Key = (ulong)keyPointer };
            var result = BpfSyscall.Invoke(BpfCommand.MapDeleteElem, ref attr);
            return result >= 0 || (result == -Errno.ENOENT ? false : throw Failure("delete", BpfCommand.MapDeleteElem, result));
        }
    }

    /// <summary>
    /// Writes the key after <paramref name="key"/> into <paramref name="nextKey"/>, or the first key when
    /// <paramref name="key"/> is empty; false at the end. For hash maps the order is the kernel's bucket order.
    /// </summary>
    public unsafe bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (!key.IsEmpty)
        {
            CheckKey(key.Length);
        }

        CheckKey(nextKey.Length);
        using var lease = Handle.Acquire();
        fixed (byte* keyPointer = key)
        fixed (byte* nextPointer = nextKey)
        {
            // A null key asks for the first key (kernel/bpf/syscall.c map_get_next_key).
            var attr = new MapElemAttr { MapFd = lease.Fd, Key = key.IsEmpty ? 0 : (ulong)keyPointer, NextKey = (ulong)nextPointer };
            var result = BpfSyscall.Invoke(BpfCommand.MapGetNextKey, ref attr);
            return result >= 0 || (result == -Errno.ENOENT ? false : throw Failure("next key", BpfCommand.MapGetNextKey, result));
        }
    }

    public void Dispose() => Handle.Dispose();

    public override string ToString() => $"{Spec.Type} map '{Name}' (fd {Handle.Value})";

    private MapException Failure(string operation, BpfCommand command, int negatedErrno) =>
        new(Name, operation, command, -negatedErrno);

    private void CheckKey(int length)
    {
        if (length != Spec.KeySize)
        {
            throw new ArgumentException($"map '{Name}' has {Spec.KeySize}-byte keys, not {length}");
        }
    }

    /// <summary>The bytes one lookup writes: the value size, or for per-CPU maps one 8-byte-aligned value per possible
    /// CPU (kernel/bpf/syscall.c <c>bpf_map_value_size</c>).</summary>
    public int ValueBufferSize => Spec.IsPerCpu ? PerCpuStride * PossibleCpus.Count : Spec.ValueSize;

    private int PerCpuStride => (Spec.ValueSize + 7) & ~7;

    private void CheckValueBuffer(int length)
    {
        if (length != ValueBufferSize)
        {
            throw new ArgumentException(
                $"map '{Name}' needs a {ValueBufferSize}-byte value buffer, not {length}" +
                (Spec.IsPerCpu ? $" ({PossibleCpus.Count} possible CPUs × {PerCpuStride} bytes)" : string.Empty));
        }
    }
}
