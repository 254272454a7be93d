using Membrane.Agent.Endpoints;
using Membrane.Agent.State;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Bpf.Programs;
using Membrane.Policy.Engine.Service;

namespace Membrane.Agent.Node;

/// <summary>The agent's pins and state files: where they are, and how each change is made durable.</summary>
public sealed partial class NodeAgent
{
    private static string LinkDirectory(string pinRoot) => Path.Combine(pinRoot, "links");

    private static string DatapathDirectory(string pinRoot) => Path.Combine(pinRoot, "datapath");

    /// <summary>Where an endpoint's link of one program is pinned (tcx), under the pin root.</summary>
    private string? LinkPin(string endpoint, string program) =>
        _options.PinRoot is { } root ? Path.Combine(LinkDirectory(root), $"{endpoint}_{program}") : null;

    /// <summary>
    /// The datapath pinned under the pin root, taken back; or a new one, loaded and pinned there. A pinned datapath
    /// whose pins were replaced (its programs do not use the maps pinned beside them) is not taken back: its pins are
    /// removed and a new one is loaded, whose programs then replace the old ones on every endpoint as a restore does
    /// (<paramref name="replaced"/> says why).
    /// </summary>
    private static LoadedDatapath OpenDatapath(NodeAgentOptions options, out bool reopened, out string? replaced)
    {
        reopened = false;
        replaced = null;
        if (options.PinRoot is not { } root)
        {
            return DatapathLoader.Load(options.Datapath);
        }

        var directory = DatapathDirectory(root);
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            string problem;
            try
            {
                var pinned = LoadedDatapath.OpenPinned(directory, options.Datapath);
                if (pinned.Inconsistency() is not { } inconsistency)
                {
                    reopened = true;
                    return pinned;
                }

                pinned.Dispose();
                problem = $"{inconsistency}; a pin was replaced";
            }
            catch (PinnedDatapathException e) when (e.OtherVersion)
            {
                throw new AgentStateException($"{e.Message}. The agent does not start, so the kernel keeps enforcing what it had", e);
            }
            catch (Exception e) when (e is PinnedDatapathException or Membrane.Bpf.BpfException or ArgumentException)
            {
                // Incomplete (a pin removed while no agent could pin it again), or a pin of the wrong kind.
                problem = e.Message;
            }

            replaced = $"the datapath pinned in {directory} was not taken back: {problem}. A new datapath was loaded, and every " +
                "endpoint's programs were replaced with its own (their connection tracking starts afresh)";
            foreach (var pin in Directory.EnumerateFiles(directory).ToList())
            {
                File.Delete(pin);
            }
        }

        var datapath = DatapathLoader.Load(options.Datapath);
        try
        {
            Directory.CreateDirectory(directory);
            datapath.Pin(directory);
            return datapath;
        }
        catch
        {
            datapath.Dispose();
            throw;
        }
    }

    /// <summary>Attaches a program to an endpoint's host-side veth, and pins the link.</summary>
    private ProgramAttachment Attach(BpfProgram program, AttachTarget target, AttachDirection direction, string endpoint)
    {
        var attachment = ProgramAttachment.Attach(program, target, direction);
        try
        {
            if (LinkPin(endpoint, program.Name) is { } pin)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(pin)!);
                attachment.Pin(pin);
            }

            return attachment;
        }
        catch
        {
            attachment.Dispose();
            throw;
        }
    }

    private static EndpointState StateOf(EndpointRecord record, EndpointLifecycle lifecycle, AttachMode mode, ulong? namespaceInode) => new(
        record.Name, record.KubernetesNamespace, record.Labels, record.EndpointId, record.Identity, lifecycle,
        record.Network.AdoptedNamespace ? record.Network.NetworkNamespace : null, StoredNetwork.Of(record.Network), mode.ToString())
    {
        NamespaceInode = namespaceInode,
        Ports = EndpointPorts.Format(record.NamedPorts),
    };

    private void SaveEndpoint(EndpointState state) => _state?.Write(EndpointsKind, state.Name, state, AgentStateJsonContext.Default.EndpointState);

    // The magic number of a bpf file system (uapi linux/magic.h BPF_FS_MAGIC).
    private const long BpfFileSystemMagic = 0xcafe4a11;

    /// <summary>
    /// Takes the pin root for this agent: made if missing (bpffs mounted at /sys/fs/bpf first when it lies there), it
    /// must be a directory on a bpf file system, with <c>datapath</c> and <c>links</c> directories or nothing in their
    /// place, and no other agent may hold it. Two agents on one pin root would share one endpoints map keyed by
    /// interface index, and each would overwrite the other's endpoints. The lock is an flock on the directory, released
    /// by the kernel when the process ends, even by SIGKILL.
    /// </summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle? LockPinRoot(string? root)
    {
        if (root is null)
        {
            return null;
        }

        if (Path.GetFullPath(root).StartsWith(Membrane.Bpf.BpfFileSystem.DefaultMountPoint + "/", StringComparison.Ordinal))
        {
            Membrane.Bpf.BpfFileSystem.EnsureMounted();
        }

        try
        {
            Directory.CreateDirectory(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentStateException($"the bpffs root {root} cannot be made: {e.Message}. Hint: --bpffs-root names a directory on a bpf file system", e);
        }

        if (Libc.FileSystemType(root) != BpfFileSystemMagic)
        {
            throw new AgentStateException($"the bpffs root {root} is not on a bpf file system, so nothing can be pinned there. " +
                "Hint: give --bpffs-root a directory under /sys/fs/bpf, or mount one (mount -t bpf bpf DIR)");
        }

        foreach (var part in new[] { DatapathDirectory(root), LinkDirectory(root) })
        {
            if (File.Exists(part))
            {
                throw new AgentStateException($"{part} is not a directory (something is pinned in its place). Hint: look at it, and remove it " +
                    "once you know it is not needed; the agent keeps its maps and links there");
            }
        }

        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(Libc.Open(root), ownsHandle: true);
        if (handle.IsInvalid || !Libc.TryLockExclusive(handle))
        {
            handle.Dispose();
            throw new AgentStateException($"the bpffs root {root} is in use by another agent. Hint: give each agent its own --bpffs-root");
        }

        if (NestedAgentRoot(root) is { } nested)
        {
            handle.Dispose();
            throw new AgentStateException($"the bpffs root {root} {nested}: the two agents' pins would mix. Hint: give each agent a " +
                "--bpffs-root of its own, neither inside the other");
        }

        return handle;
    }

    /// <summary>
    /// Another agent's root above this one (up to the bpf file system's top) or below it, found by its lock: each
    /// directory is tried with flock(LOCK_EX | LOCK_NB) and let go at once. Below, only a few levels are searched, as
    /// far as this agent's own pins go. Null when there is none.
    /// </summary>
    private static string? NestedAgentRoot(string root)
    {
        var full = Path.GetFullPath(root).TrimEnd('/');
        for (var parent = Path.GetDirectoryName(full); parent is not null && Libc.FileSystemType(parent) == BpfFileSystemMagic; parent = Path.GetDirectoryName(parent))
        {
            if (HeldByAnother(parent))
            {
                return $"lies inside {parent}, another agent's bpffs root";
            }
        }

        var below = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3, IgnoreInaccessible = true, AttributesToSkip = 0 };
        return Directory.EnumerateDirectories(full, "*", below).Take(10_000).FirstOrDefault(HeldByAnother) is { } inner
            ? $"holds {inner}, another agent's bpffs root"
            : null;
    }

    private static bool HeldByAnother(string directory)
    {
        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(Libc.Open(directory), ownsHandle: true);
        return !handle.IsInvalid && !Libc.TryLockExclusive(handle);
    }

    /// <summary>The state directory, opened; one that cannot even be made is a reason not to start.</summary>
    private static StateStore OpenState(string directory)
    {
        try
        {
            return new StateStore(directory);
        }
        catch (StateStoreException e)
        {
            var hint = File.Exists(directory)
                ? $"--state-dir names a directory, and {directory} is a file"
                : "make the directory writable to root again";
            throw new AgentStateException($"state directory {directory} cannot be used: {e.Message.TrimEnd('.')}. Hint: {hint}", e);
        }
    }

    /// <summary>
    /// The policies file as it will be after a change (and the imports kept): an import is kept while it is the last to
    /// supply a policy still held, so replaying the kept ones in order gives every held policy its latest text.
    /// </summary>
    private (PolicyState State, List<StoredImport> Imports) NextPolicyState(IReadOnlyList<StoredImport> added)
    {
        List<StoredImport> imports = [.. _imports, .. added];
        var live = Policies.Repository.Resources.Select(r => r.Key).ToHashSet();
        var lastSource = new Dictionary<ResourceKey, int>();
        for (var i = 0; i < imports.Count; i++)
        {
            foreach (var key in imports[i].Keys)
            {
                lastSource[key.ToKey()] = i;
            }
        }

        var kept = lastSource.Where(kv => live.Contains(kv.Key)).Select(kv => kv.Value).ToHashSet();
        var named = Membrane.Policy.Engine.Rules.RuleCompiler.Prefixes(Policies.Rules).ToHashSet();
        var pruned = imports.Where((_, i) => kept.Contains(i)).ToList();
        var state = new PolicyState(Policies.Revision, pruned,
            [.. live.Select(StoredPolicyKey.Of).OrderBy(k => k.ToString(), StringComparer.Ordinal)],
            [.. Policies.Identities.All.Where(i => i.IsCidr && i.Prefix is { } prefix && named.Contains(prefix)).OrderBy(i => i.Id)
                .Select(i => new StoredCidr(i.Id, i.Prefix!.Value.ToString()))]);
        return (state, pruned);
    }

    /// <summary>Writes the policies file (or removes it, for null: no policies were ever saved); a failure is a <see cref="StateStoreException"/>.</summary>
    private void WritePolicies(PolicyState? state)
    {
        if (_state is null)
        {
            return;
        }

        if (state is null)
        {
            _state.Delete(PoliciesKind, RepositoryName);
            return;
        }

        _state.Write(PoliciesKind, RepositoryName, state, AgentStateJsonContext.Default.PolicyState);
    }
}
