using Membrane.Bpf.Tests.Support;

namespace Membrane.Bpf.Tests.FileSystem;

[Collection(KernelCollection.Name)]
public sealed class BpfFileSystemTests
{
    [Fact]
    public void Missing_bpffs_is_mounted_once()
    {
        Root.Require();
        // A private mount point, so the test neither depends on nor disturbs the host's /sys/fs/bpf; nothing is pinned here.
        var mountPoint = Path.Combine("/tmp", TestNames.Unique("bpffs"));
        try
        {
            Assert.False(BpfFileSystem.IsMounted(mountPoint));
            BpfFileSystem.EnsureMounted(mountPoint);
            Assert.True(BpfFileSystem.IsMounted(mountPoint));
            BpfFileSystem.EnsureMounted(mountPoint);
            var mounts = File.ReadLines("/proc/self/mounts").Count(line => line.Split(' ')[1] == mountPoint);
            Assert.Equal(1, mounts);
        }
        finally
        {
            try
            {
                if (BpfFileSystem.IsMounted(mountPoint) && Command.Run("umount", mountPoint).ExitCode != 0)
                {
                    // Busy (something still has it open): detach it now; the kernel frees it when the last user goes.
                    Command.Check("umount", "-l", mountPoint);
                }
            }
            finally
            {
                if (Directory.Exists(mountPoint))
                {
                    Directory.Delete(mountPoint);
                }
            }
        }
    }

    [Fact]
    public void Unpinning_a_missing_path_says_so()
    {
        Assert.False(BpfFileSystem.Unpin(Path.Combine("/tmp", TestNames.Unique("none"))));
    }
}
