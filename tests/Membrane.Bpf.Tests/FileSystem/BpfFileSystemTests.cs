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

    [Fact]
    public void A_pin_is_known_as_the_objects_own_until_it_is_removed_or_replaced()
    {
        Root.Require();
        using var pins = new TestPins();
        using var map = Membrane.Bpf.Maps.BpfMap.Create(Membrane.Bpf.Maps.MapSpec.For<uint, ulong>("mbr_pinned", Membrane.Bpf.Maps.MapType.Array, 1));
        using var other = Membrane.Bpf.Maps.BpfMap.Create(Membrane.Bpf.Maps.MapSpec.For<uint, ulong>("mbr_other", Membrane.Bpf.Maps.MapType.Array, 1));
        var path = pins.PathOf("m");
        Assert.False(map.IsPinnedAt(path));
        map.Pin(path);
        Assert.True(map.IsPinnedAt(path));
        Assert.False(other.IsPinnedAt(path));

        // Removed from outside (rm): no longer pinned, and pinning again restores it.
        File.Delete(path);
        Assert.False(map.IsPinnedAt(path));
        map.Pin(path);
        Assert.True(map.IsPinnedAt(path));

        // Replaced by another object at the same path: not this map's pin.
        File.Delete(path);
        other.Pin(path);
        Assert.False(map.IsPinnedAt(path));
        Assert.True(other.IsPinnedAt(path));
    }
}
