using System.Runtime.CompilerServices;
using System.Text;
using Membrane.Bpf.Asm;
using Membrane.Bpf.Interop;
using Membrane.Bpf.Maps;

namespace Membrane.Bpf.Programs;

/// <summary>
/// A program the verifier accepted, owning its descriptor. <see cref="Load"/> links the spec's labels, fills in map
/// descriptors, and loads it; <see cref="TestRun(ReadOnlySpan{byte}, Span{byte}, int)"/> runs it on a packet in the
/// kernel without attaching it anywhere.
/// </summary>
public sealed class BpfProgram : IDisposable
{
    /// <summary>ETH_HLEN: the kernel refuses a traffic-control or XDP test run on less than an Ethernet header
    /// (net/bpf/test_run.c <c>bpf_prog_test_run_skb</c>).</summary>
    public const int MinimumPacketLength = 14;

    private BpfProgram(ProgramSpec spec, BpfFileDescriptor handle, VerifierStatistics? statistics, string verifierLog, string? pinnedPath = null)
    {
        Spec = spec;
        Handle = handle;
        Statistics = statistics;
        VerifierLog = verifierLog;
        PinnedPath = pinnedPath;
    }

    /// <summary>Where this program is pinned, if this object pinned or opened it.</summary>
    public string? PinnedPath { get; private set; }

    public ProgramSpec Spec { get; }

    public string Name => Spec.Name;

    public ProgramType Type => Spec.Type;

    public BpfFileDescriptor Handle { get; }

    /// <summary>The verifier's statistics; null only when the load asked for no log.</summary>
    public VerifierStatistics? Statistics { get; }

    /// <summary>The verifier's log of the successful load, at the level asked for.</summary>
    public string VerifierLog { get; }

    /// <summary>
    /// Loads <paramref name="spec"/>. Map references by name are looked up in <paramref name="maps"/>. A rejected
    /// program throws a <see cref="VerifierException"/> with the whole log; other failures throw a
    /// <see cref="BpfException"/>; an unresolved label throws a <see cref="LinkerException"/>.
    /// </summary>
    public static unsafe BpfProgram Load(ProgramSpec spec, IReadOnlyDictionary<string, BpfMap>? maps = null, ProgramLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= ProgramLoadOptions.Default;
        if (ObjectName.Validate(spec.Name) is { } problem)
        {
            throw new ArgumentException($"program name {problem}", nameof(spec));
        }

        var linked = Linker.Link(spec.Instructions);
        var referenced = new List<BpfMap>();
        for (var i = 0; i < linked.Length; i++)
        {
            if (linked[i].IsMapLoad && linked[i].Reference is { } mapName)
            {
                if (maps is null || !maps.TryGetValue(mapName, out var map))
                {
                    throw new LinkerException($"map '{mapName}' is referenced but not among the maps given to Load", i);
                }

                referenced.Add(map);
                linked[i] = linked[i] with { Constant = map.Handle.Value };
            }
        }

        var slots = linked.Sum(instruction => instruction.SlotCount);
        var code = new byte[slots * Instruction.SlotSize];
        for (int i = 0, position = 0; i < linked.Length; position += linked[i].SlotCount * Instruction.SlotSize, i++)
        {
            linked[i].WriteTo(code.AsSpan(position));
        }

        var license = Encoding.ASCII.GetBytes(spec.License + "\0");

        // Hold every referenced map's descriptor open until the kernel has taken its own references.
        var held = new List<BpfMap>();
        try
        {
            foreach (var map in referenced)
            {
                var added = false;
                map.Handle.DangerousAddRef(ref added);
                held.Add(map);
            }

            return LoadWithLog(spec, code, license, slots, options);
        }
        finally
        {
            foreach (var map in held)
            {
                map.Handle.DangerousRelease();
            }
        }
    }

    private static unsafe BpfProgram LoadWithLog(ProgramSpec spec, byte[] code, byte[] license, int slots, ProgramLoadOptions options)
    {
        var level = options.LogLevel;
        var logSize = level == VerifierLogLevel.None ? 0 : Math.Max(options.LogSize, 1024);
        while (true)
        {
            var log = logSize == 0 ? [] : new byte[logSize];
            int result;
            uint trueSize;
            fixed (byte* codePointer = code)
            fixed (byte* licensePointer = license)
            fixed (byte* logPointer = log)
            {
                var attr = new ProgLoadAttr
                {
                    ProgType = (uint)spec.Type,
                    InsnCnt = (uint)slots,
                    Insns = (ulong)codePointer,
                    License = (ulong)licensePointer,
                    LogLevel = (uint)level,
                    LogSize = (uint)log.Length,
                    LogBuf = log.Length == 0 ? 0 : (ulong)logPointer,
                };
                ObjectName.Write(spec.Name, attr.ProgName);
                result = BpfSyscall.Invoke(BpfCommand.ProgLoad, ref attr);
                trueSize = attr.LogTrueSize;
            }

            var text = LogText(log);
            if (result >= 0)
            {
                return new BpfProgram(spec, new BpfFileDescriptor(result), VerifierStatistics.Parse(slots, text), text);
            }

            var errno = -result;
            if (errno == Errno.ENOSPC && logSize > 0)
            {
                // The log did not fit. Since Linux 6.4 the kernel says how much it needed; before, grow by 4.
                if (logSize >= options.MaxLogSize)
                {
                    throw new VerifierException(spec.Name, errno, text, logTruncated: true);
                }

                logSize = (int)Math.Min(options.MaxLogSize, Math.Max((long)trueSize + 1, (long)logSize * 4));
                continue;
            }

            if (errno is Errno.EACCES or Errno.EINVAL or Errno.E2BIG && (level & VerifierLogLevel.Branch) == 0)
            {
                // Rejected without the walk in the log: load again asking for it, so the exception carries the reason.
                level |= VerifierLogLevel.Branch | VerifierLogLevel.Statistics;
                logSize = Math.Min(options.MaxLogSize, Math.Max(logSize, 1024 * 1024));
                continue;
            }

            if (text.Length > 0)
            {
                throw new VerifierException(spec.Name, errno, text, logTruncated: false);
            }

            throw new BpfException(BpfCommand.ProgLoad, errno);
        }
    }

    private static string LogText(byte[] log)
    {
        var end = Array.IndexOf(log, (byte)0);
        return Encoding.UTF8.GetString(log, 0, end < 0 ? log.Length : end);
    }

    /// <summary>Runs the program once per <paramref name="repeat"/> on a copy of <paramref name="data"/>.</summary>
    public TestRunResult TestRun(ReadOnlySpan<byte> data, int repeat = 1) => TestRun(data, Span<byte>.Empty, repeat);

    /// <summary>
    /// Runs the program <paramref name="repeat"/> times on a copy of <paramref name="data"/> (BPF_PROG_TEST_RUN) and
    /// copies the packet as the last run left it into <paramref name="dataOut"/>, when that is not empty.
    /// </summary>
    public unsafe TestRunResult TestRun(ReadOnlySpan<byte> data, Span<byte> dataOut, int repeat = 1)
    {
        var attr = PrepareTestRun(data, dataOut, repeat);
        fixed (byte* inPointer = data)
        fixed (byte* outPointer = dataOut)
        {
            attr.DataIn = (ulong)inPointer;
            attr.DataOut = dataOut.IsEmpty ? 0 : (ulong)outPointer;
            return InvokeTestRun(ref attr);
        }
    }

    /// <summary>
    /// Like <see cref="TestRun(ReadOnlySpan{byte}, Span{byte}, int)"/>, passing <paramref name="context"/> in (for
    /// traffic-control programs an <see cref="SkBuff"/>, of which the kernel takes mark, priority, ifindex, cb and
    /// the timestamps and wants the rest zero) and reading it back after the run.
    /// </summary>
    public unsafe TestRunResult TestRun<TContext>(ReadOnlySpan<byte> data, Span<byte> dataOut, ref TContext context, int repeat = 1)
        where TContext : unmanaged
    {
        var attr = PrepareTestRun(data, dataOut, repeat);
        fixed (byte* inPointer = data)
        fixed (byte* outPointer = dataOut)
        fixed (TContext* contextPointer = &context)
        {
            attr.DataIn = (ulong)inPointer;
            attr.DataOut = dataOut.IsEmpty ? 0 : (ulong)outPointer;
            attr.CtxIn = (ulong)contextPointer;
            attr.CtxOut = (ulong)contextPointer;
            attr.CtxSizeIn = (uint)Unsafe.SizeOf<TContext>();
            attr.CtxSizeOut = (uint)Unsafe.SizeOf<TContext>();
            return InvokeTestRun(ref attr);
        }
    }

    private ProgTestRunAttr PrepareTestRun(ReadOnlySpan<byte> data, Span<byte> dataOut, int repeat)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repeat);
        if (Type is ProgramType.SchedCls or ProgramType.SchedAct or ProgramType.Xdp && data.Length < MinimumPacketLength)
        {
            throw new ArgumentException(
                $"program '{Name}': a {Type} test run needs at least {MinimumPacketLength} bytes (an Ethernet header), not {data.Length}",
                nameof(data));
        }

        return new ProgTestRunAttr
        {
            DataSizeIn = (uint)data.Length,
            DataSizeOut = (uint)dataOut.Length,
            Repeat = (uint)repeat,
        };
    }

    private TestRunResult InvokeTestRun(ref ProgTestRunAttr attr)
    {
        using var lease = Handle.Acquire();
        attr.ProgFd = lease.Fd;
        var result = BpfSyscall.Invoke(BpfCommand.ProgTestRun, ref attr);
        if (result < 0)
        {
            throw new ProgramException(Name, "test run", BpfCommand.ProgTestRun, -result);
        }

        return new TestRunResult(attr.Retval, (int)attr.DataSizeOut, attr.Duration);
    }

    /// <summary>
    /// Pins the program at <paramref name="path"/> on bpffs (BPF_OBJ_PIN on its descriptor), so that it outlives this
    /// handle and this process. Mounts bpffs at /sys/fs/bpf first when the path is under it and nothing is mounted there.
    /// </summary>
    public void Pin(string path)
    {
        var result = BpfFileSystem.Pin(Handle, path);
        if (result < 0)
        {
            throw new ProgramException(Name, $"pin at {path}", BpfCommand.ObjPin, -result);
        }

        PinnedPath = path;
    }

    /// <summary>Whether <paramref name="path"/> pins this very program (the same kernel object, not one that replaced it).</summary>
    public bool IsPinnedAt(string path) => BpfFileSystem.Holds(path, Handle, BpfObjectKind.Program);

    /// <summary>Removes this program's pin; the program itself lives while a descriptor, pin or attachment holds it.</summary>
    public void Unpin()
    {
        if (PinnedPath is { } path)
        {
            BpfFileSystem.Unpin(path);
            PinnedPath = null;
        }
    }

    /// <summary>
    /// Opens the program pinned at <paramref name="path"/>. Its <see cref="Spec"/> is what the kernel tells of it
    /// (name and type; no instructions, and the license is not kept by the kernel), and it has no verifier log. Throws
    /// <see cref="ArgumentException"/> when a map or link is pinned there instead.
    /// </summary>
    public static unsafe BpfProgram OpenPinned(string path)
    {
        var fd = BpfFileSystem.OpenPinned(path, BpfObjectKind.Program);
        if (fd < 0)
        {
            throw new ProgramException(path, "open pinned", BpfCommand.ObjGet, -fd);
        }

        var handle = new BpfFileDescriptor(fd);
        try
        {
            var info = default(ProgInfo);
            var attr = new ObjGetInfoAttr { BpfFd = (uint)fd, InfoLen = (uint)sizeof(ProgInfo), Info = (ulong)&info };
            var result = BpfSyscall.Invoke(BpfCommand.ObjGetInfoByFd, ref attr);
            if (result < 0)
            {
                throw new ProgramException(path, "get info", BpfCommand.ObjGetInfoByFd, -result);
            }

            var spec = new ProgramSpec(ObjectName.Read(info.Name), (ProgramType)info.Type, [], License: string.Empty);
            return new BpfProgram(spec, handle, statistics: null, verifierLog: string.Empty, pinnedPath: path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The kernel's id for this program, as <c>bpftool prog show</c> lists it.</summary>
    public unsafe uint Id
    {
        get
        {
            var info = default(ProgInfo);
            GetInfo(ref info);
            return info.Id;
        }
    }

    /// <summary>The kernel's ids of the maps this program uses, as <c>bpftool prog show</c> lists them.</summary>
    public unsafe IReadOnlyList<uint> MapIds
    {
        get
        {
            var info = default(ProgInfo);
            GetInfo(ref info);
            var ids = new uint[info.NrMapIds];
            fixed (uint* pointer = ids)
            {
                info = new ProgInfo { NrMapIds = (uint)ids.Length, MapIds = (ulong)pointer };
                GetInfo(ref info);
            }

            return ids.AsSpan(0, (int)Math.Min(info.NrMapIds, (uint)ids.Length)).ToArray();
        }
    }

    /// <summary>The program as the verifier rewrote it (what <c>bpftool prog dump xlated</c> prints): context
    /// accesses rewritten, map loads holding kernel addresses or ids.</summary>
    public unsafe Instruction[] GetTranslatedInstructions()
    {
        var info = default(ProgInfo);
        GetInfo(ref info);
        var buffer = new byte[info.XlatedProgLen];
        fixed (byte* pointer = buffer)
        {
            info = new ProgInfo { XlatedProgLen = (uint)buffer.Length, XlatedProgInsns = (ulong)pointer };
            GetInfo(ref info);
        }

        return Instruction.Decode(buffer.AsSpan(0, (int)Math.Min(info.XlatedProgLen, (uint)buffer.Length)));
    }

    private unsafe void GetInfo(ref ProgInfo info)
    {
        using var lease = Handle.Acquire();
        fixed (ProgInfo* pointer = &info)
        {
            var attr = new ObjGetInfoAttr { BpfFd = lease.Fd, InfoLen = (uint)sizeof(ProgInfo), Info = (ulong)pointer };
            var result = BpfSyscall.Invoke(BpfCommand.ObjGetInfoByFd, ref attr);
            if (result < 0)
            {
                throw new ProgramException(Name, "get info", BpfCommand.ObjGetInfoByFd, -result);
            }
        }
    }

    public void Dispose() => Handle.Dispose();

    public override string ToString() => $"{Type} program '{Name}' (fd {Handle.Value})";
}
