using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Membrane.Policy.Inputs;

namespace Membrane.Policy.Tests.Inputs;

/// <summary>struct statx against include/uapi/linux/stat.h, and what statx(2) says about files of each type.</summary>
public sealed class FileStatusTests
{
    [Theory]
    [InlineData(nameof(StatxBuffer.Mask), 0)]          // __u32 stx_mask
    [InlineData(nameof(StatxBuffer.Mode), 28)]         // __u16 stx_mode, after blksize, attributes, nlink, uid, gid
    [InlineData(nameof(StatxBuffer.Inode), 32)]        // __u64 stx_ino, after __spare0[1]
    [InlineData(nameof(StatxBuffer.Size), 40)]         // __u64 stx_size
    [InlineData(nameof(StatxBuffer.DeviceMajor), 136)] // __u32 stx_dev_major, after four 16-byte timestamps and rdev
    [InlineData(nameof(StatxBuffer.DeviceMinor), 140)] // __u32 stx_dev_minor
    public void Statx_fields_sit_where_the_kernel_puts_them(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<StatxBuffer>(field));

    [Fact]
    public void Statx_is_256_bytes() => Assert.Equal(256, Unsafe.SizeOf<StatxBuffer>());

    [Theory]
    [InlineData("/dev/null", true, nameof(FileType.CharacterDevice))]
    [InlineData("/", true, nameof(FileType.Directory))]
    [InlineData("/proc/self", false, nameof(FileType.SymbolicLink))]
    [InlineData("/proc/self", true, nameof(FileType.Directory))]
    public void Tells_the_file_types_apart(string path, bool followLinks, string expected)
    {
        Assert.True(FileStatus.TryGet(path, followLinks, out var status, out _));
        Assert.Equal(expected, status.Type.ToString());
    }

    [Fact]
    public void Knows_a_file_by_device_and_inode_and_its_size()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "12345");
            Assert.True(FileStatus.TryGet(path, followLinks: true, out var status, out _));
            Assert.Equal((FileType.Regular, 5UL), (status.Type, status.Size));
            Assert.Equal(new FileInfo(path).Length, (long)status.Size);
            Assert.NotEqual(0UL, status.Inode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Reports_the_errno_of_a_missing_path()
    {
        Assert.False(FileStatus.TryGet("/nonexistent/membrane", followLinks: true, out _, out var errno));
        Assert.Equal(Libc.ENOENT, errno);
    }

    [Fact]
    public void A_descriptor_number_that_is_not_open_is_not_standard_input() => Assert.False(StandardInput.IsOpen(int.MaxValue));

    [Fact]
    public void A_descriptor_this_process_opened_close_on_exec_is_not_an_inherited_one()
    {
        // .NET opens every file O_CLOEXEC, as the runtime does the files it opens before Main.
        using var handle = File.OpenHandle("/dev/null");

        Assert.False(StandardInput.IsOpen((int)handle.DangerousGetHandle()));
    }
}
