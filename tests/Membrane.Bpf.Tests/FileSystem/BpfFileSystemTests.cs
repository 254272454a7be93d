using System.Security.Cryptography;
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
        var mountPoint = $"/tmp/mbr-bpffs-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
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
            if (BpfFileSystem.IsMounted(mountPoint))
            {
                Command.Check("umount", mountPoint);
            }

            if (Directory.Exists(mountPoint))
            {
                Directory.Delete(mountPoint);
            }
        }
    }

    [Fact]
    public void Unpinning_a_missing_path_says_so()
    {
        Assert.False(BpfFileSystem.Unpin($"/tmp/mbr-nothing-{Guid.NewGuid():N}"));
    }
}
