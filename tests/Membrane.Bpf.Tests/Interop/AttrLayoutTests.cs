using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Membrane.Bpf.Interop;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;

namespace Membrane.Bpf.Tests.Interop;

/// <summary>
/// Checks every attr struct against the kernel's uapi header, as Tmds.LibC checks its structs, without a C compiler:
/// the expected offsets and sizes are transcribed from include/uapi/linux/bpf.h (Linux 6.18) field by field.
/// </summary>
public sealed class AttrLayoutTests
{
    // (struct, field, offset in the uapi struct). Sizes are checked separately.
    private static readonly (Type Type, string Field, int Offset)[] Fields =
    [
        // union bpf_attr, BPF_MAP_CREATE member
        (typeof(MapCreateAttr), "MapType", 0),                 // __u32 map_type
        (typeof(MapCreateAttr), "KeySize", 4),                 // __u32 key_size
        (typeof(MapCreateAttr), "ValueSize", 8),               // __u32 value_size
        (typeof(MapCreateAttr), "MaxEntries", 12),             // __u32 max_entries
        (typeof(MapCreateAttr), "MapFlags", 16),               // __u32 map_flags
        (typeof(MapCreateAttr), "InnerMapFd", 20),             // __u32 inner_map_fd
        (typeof(MapCreateAttr), "NumaNode", 24),               // __u32 numa_node
        (typeof(MapCreateAttr), "MapName", 28),                // char map_name[BPF_OBJ_NAME_LEN]
        (typeof(MapCreateAttr), "MapIfindex", 44),             // __u32 map_ifindex
        (typeof(MapCreateAttr), "BtfFd", 48),                  // __u32 btf_fd
        (typeof(MapCreateAttr), "BtfKeyTypeId", 52),           // __u32 btf_key_type_id
        (typeof(MapCreateAttr), "BtfValueTypeId", 56),         // __u32 btf_value_type_id
        (typeof(MapCreateAttr), "BtfVmlinuxValueTypeId", 60),  // __u32 btf_vmlinux_value_type_id
        (typeof(MapCreateAttr), "MapExtra", 64),               // __u64 map_extra
        (typeof(MapCreateAttr), "ValueTypeBtfObjFd", 72),      // __s32 value_type_btf_obj_fd
        (typeof(MapCreateAttr), "MapTokenFd", 76),             // __s32 map_token_fd

        // BPF_MAP_*_ELEM member
        (typeof(MapElemAttr), "MapFd", 0),                     // __u32 map_fd
        (typeof(MapElemAttr), "Key", 8),                       // __aligned_u64 key
        (typeof(MapElemAttr), "Value", 16),                    // union { __aligned_u64 value; ...
        (typeof(MapElemAttr), "NextKey", 16),                  //         __aligned_u64 next_key; }
        (typeof(MapElemAttr), "Flags", 24),                    // __u64 flags

        // batch member
        (typeof(MapBatchAttr), "InBatch", 0),                  // __aligned_u64 in_batch
        (typeof(MapBatchAttr), "OutBatch", 8),                 // __aligned_u64 out_batch
        (typeof(MapBatchAttr), "Keys", 16),                    // __aligned_u64 keys
        (typeof(MapBatchAttr), "Values", 24),                  // __aligned_u64 values
        (typeof(MapBatchAttr), "Count", 32),                   // __u32 count
        (typeof(MapBatchAttr), "MapFd", 36),                   // __u32 map_fd
        (typeof(MapBatchAttr), "ElemFlags", 40),               // __u64 elem_flags
        (typeof(MapBatchAttr), "Flags", 48),                   // __u64 flags

        // BPF_PROG_LOAD member
        (typeof(ProgLoadAttr), "ProgType", 0),                 // __u32 prog_type
        (typeof(ProgLoadAttr), "InsnCnt", 4),                  // __u32 insn_cnt
        (typeof(ProgLoadAttr), "Insns", 8),                    // __aligned_u64 insns
        (typeof(ProgLoadAttr), "License", 16),                 // __aligned_u64 license
        (typeof(ProgLoadAttr), "LogLevel", 24),                // __u32 log_level
        (typeof(ProgLoadAttr), "LogSize", 28),                 // __u32 log_size
        (typeof(ProgLoadAttr), "LogBuf", 32),                  // __aligned_u64 log_buf
        (typeof(ProgLoadAttr), "KernVersion", 40),             // __u32 kern_version
        (typeof(ProgLoadAttr), "ProgFlags", 44),               // __u32 prog_flags
        (typeof(ProgLoadAttr), "ProgName", 48),                // char prog_name[BPF_OBJ_NAME_LEN]
        (typeof(ProgLoadAttr), "ProgIfindex", 64),             // __u32 prog_ifindex
        (typeof(ProgLoadAttr), "ExpectedAttachType", 68),      // __u32 expected_attach_type
        (typeof(ProgLoadAttr), "ProgBtfFd", 72),               // __u32 prog_btf_fd
        (typeof(ProgLoadAttr), "FuncInfoRecSize", 76),         // __u32 func_info_rec_size
        (typeof(ProgLoadAttr), "FuncInfo", 80),                // __aligned_u64 func_info
        (typeof(ProgLoadAttr), "FuncInfoCnt", 88),             // __u32 func_info_cnt
        (typeof(ProgLoadAttr), "LineInfoRecSize", 92),         // __u32 line_info_rec_size
        (typeof(ProgLoadAttr), "LineInfo", 96),                // __aligned_u64 line_info
        (typeof(ProgLoadAttr), "LineInfoCnt", 104),            // __u32 line_info_cnt
        (typeof(ProgLoadAttr), "AttachBtfId", 108),            // __u32 attach_btf_id
        (typeof(ProgLoadAttr), "AttachProgFd", 112),           // union { __u32 attach_prog_fd; __u32 attach_btf_obj_fd; }
        (typeof(ProgLoadAttr), "CoreReloCnt", 116),            // __u32 core_relo_cnt
        (typeof(ProgLoadAttr), "FdArray", 120),                // __aligned_u64 fd_array
        (typeof(ProgLoadAttr), "CoreRelos", 128),              // __aligned_u64 core_relos
        (typeof(ProgLoadAttr), "CoreReloRecSize", 136),        // __u32 core_relo_rec_size
        (typeof(ProgLoadAttr), "LogTrueSize", 140),            // __u32 log_true_size
        (typeof(ProgLoadAttr), "ProgTokenFd", 144),            // __s32 prog_token_fd
        (typeof(ProgLoadAttr), "FdArrayCnt", 148),             // __u32 fd_array_cnt

        // BPF_OBJ_* member
        (typeof(ObjPinAttr), "Pathname", 0),                   // __aligned_u64 pathname
        (typeof(ObjPinAttr), "BpfFd", 8),                      // __u32 bpf_fd
        (typeof(ObjPinAttr), "FileFlags", 12),                 // __u32 file_flags
        (typeof(ObjPinAttr), "PathFd", 16),                    // __s32 path_fd

        // test member (BPF_PROG_TEST_RUN)
        (typeof(ProgTestRunAttr), "ProgFd", 0),                // __u32 prog_fd
        (typeof(ProgTestRunAttr), "Retval", 4),                // __u32 retval
        (typeof(ProgTestRunAttr), "DataSizeIn", 8),            // __u32 data_size_in
        (typeof(ProgTestRunAttr), "DataSizeOut", 12),          // __u32 data_size_out
        (typeof(ProgTestRunAttr), "DataIn", 16),               // __aligned_u64 data_in
        (typeof(ProgTestRunAttr), "DataOut", 24),              // __aligned_u64 data_out
        (typeof(ProgTestRunAttr), "Repeat", 32),               // __u32 repeat
        (typeof(ProgTestRunAttr), "Duration", 36),             // __u32 duration
        (typeof(ProgTestRunAttr), "CtxSizeIn", 40),            // __u32 ctx_size_in
        (typeof(ProgTestRunAttr), "CtxSizeOut", 44),           // __u32 ctx_size_out
        (typeof(ProgTestRunAttr), "CtxIn", 48),                // __aligned_u64 ctx_in
        (typeof(ProgTestRunAttr), "CtxOut", 56),               // __aligned_u64 ctx_out
        (typeof(ProgTestRunAttr), "Flags", 64),                // __u32 flags
        (typeof(ProgTestRunAttr), "Cpu", 68),                  // __u32 cpu
        (typeof(ProgTestRunAttr), "BatchSize", 72),            // __u32 batch_size

        // link_create member, tcx variant
        (typeof(LinkCreateTcxAttr), "ProgFd", 0),              // union { __u32 prog_fd; __u32 map_fd; }
        (typeof(LinkCreateTcxAttr), "TargetIfindex", 4),       // union { __u32 target_fd; __u32 target_ifindex; }
        (typeof(LinkCreateTcxAttr), "AttachType", 8),          // __u32 attach_type
        (typeof(LinkCreateTcxAttr), "Flags", 12),              // __u32 flags
        (typeof(LinkCreateTcxAttr), "RelativeFd", 16),         // tcx: union { __u32 relative_fd; __u32 relative_id; }
        (typeof(LinkCreateTcxAttr), "ExpectedRevision", 24),   // tcx: __u64 expected_revision

        (typeof(LinkDetachAttr), "LinkFd", 0),                 // link_detach: __u32 link_fd

        // info member (BPF_OBJ_GET_INFO_BY_FD)
        (typeof(ObjGetInfoAttr), "BpfFd", 0),                  // __u32 bpf_fd
        (typeof(ObjGetInfoAttr), "InfoLen", 4),                // __u32 info_len
        (typeof(ObjGetInfoAttr), "Info", 8),                   // __aligned_u64 info

        // struct bpf_map_info
        (typeof(MapInfo), "Type", 0),
        (typeof(MapInfo), "Id", 4),
        (typeof(MapInfo), "KeySize", 8),
        (typeof(MapInfo), "ValueSize", 12),
        (typeof(MapInfo), "MaxEntries", 16),
        (typeof(MapInfo), "MapFlags", 20),
        (typeof(MapInfo), "Name", 24),                         // char name[BPF_OBJ_NAME_LEN]
        (typeof(MapInfo), "Ifindex", 40),
        (typeof(MapInfo), "BtfVmlinuxValueTypeId", 44),
        (typeof(MapInfo), "NetnsDev", 48),
        (typeof(MapInfo), "NetnsIno", 56),
        (typeof(MapInfo), "BtfId", 64),
        (typeof(MapInfo), "BtfKeyTypeId", 68),
        (typeof(MapInfo), "BtfValueTypeId", 72),               // then __u32 :32 padding
        (typeof(MapInfo), "MapExtra", 80),

        // struct bpf_link_info, head, and the tcx member of its union
        (typeof(LinkInfo), "Type", 0),
        (typeof(LinkInfo), "Id", 4),
        (typeof(LinkInfo), "ProgramId", 8),
        (typeof(LinkInfo), "TcxIfindex", 16),
        (typeof(LinkInfo), "TcxAttachType", 20),

        // struct bpf_prog_info, head
        (typeof(ProgInfo), "Type", 0),
        (typeof(ProgInfo), "Id", 4),
        (typeof(ProgInfo), "Tag", 8),                          // __u8 tag[BPF_TAG_SIZE]
        (typeof(ProgInfo), "JitedProgLen", 16),
        (typeof(ProgInfo), "XlatedProgLen", 20),
        (typeof(ProgInfo), "JitedProgInsns", 24),
        (typeof(ProgInfo), "XlatedProgInsns", 32),
        (typeof(ProgInfo), "LoadTime", 40),
        (typeof(ProgInfo), "CreatedByUid", 48),
        (typeof(ProgInfo), "NrMapIds", 52),
        (typeof(ProgInfo), "MapIds", 56),
        (typeof(ProgInfo), "Name", 64),                        // char name[BPF_OBJ_NAME_LEN]

        // struct __sk_buff
        (typeof(SkBuff), "Len", 0),
        (typeof(SkBuff), "PktType", 4),
        (typeof(SkBuff), "Mark", 8),
        (typeof(SkBuff), "QueueMapping", 12),
        (typeof(SkBuff), "Protocol", 16),
        (typeof(SkBuff), "VlanPresent", 20),
        (typeof(SkBuff), "VlanTci", 24),
        (typeof(SkBuff), "VlanProto", 28),
        (typeof(SkBuff), "Priority", 32),
        (typeof(SkBuff), "IngressIfindex", 36),
        (typeof(SkBuff), "Ifindex", 40),
        (typeof(SkBuff), "TcIndex", 44),
        (typeof(SkBuff), "Cb", 48),                            // __u32 cb[5]
        (typeof(SkBuff), "Hash", 68),
        (typeof(SkBuff), "TcClassid", 72),
        (typeof(SkBuff), "Data", 76),
        (typeof(SkBuff), "DataEnd", 80),
        (typeof(SkBuff), "NapiId", 84),
        (typeof(SkBuff), "Family", 88),
        (typeof(SkBuff), "RemoteIp4", 92),
        (typeof(SkBuff), "LocalIp4", 96),
        (typeof(SkBuff), "RemoteIp6", 100),                    // __u32 remote_ip6[4]
        (typeof(SkBuff), "LocalIp6", 116),                     // __u32 local_ip6[4]
        (typeof(SkBuff), "RemotePort", 132),
        (typeof(SkBuff), "LocalPort", 136),
        (typeof(SkBuff), "DataMeta", 140),
        (typeof(SkBuff), "FlowKeys", 144),                     // __bpf_md_ptr: 8 bytes, 8-aligned
        (typeof(SkBuff), "Tstamp", 152),
        (typeof(SkBuff), "WireLen", 160),
        (typeof(SkBuff), "GsoSegs", 164),
        (typeof(SkBuff), "Sk", 168),                           // __bpf_md_ptr
        (typeof(SkBuff), "GsoSize", 176),
        (typeof(SkBuff), "TstampType", 180),                   // __u8, then __u32 :24 padding
        (typeof(SkBuff), "Hwtstamp", 184),
    ];

    // sizeof of each struct: the uapi struct, or the prefix of the bpf_attr member this toolkit passes (the kernel
    // zero-fills the rest of union bpf_attr, kernel/bpf/syscall.c bpf_check_uarg_tail_zero).
    private static readonly (Type Type, int Size)[] Sizes =
    [
        (typeof(MapCreateAttr), 80),      // through map_token_fd
        (typeof(MapElemAttr), 32),
        (typeof(MapBatchAttr), 56),
        (typeof(ProgLoadAttr), 152),      // through fd_array_cnt
        (typeof(ObjPinAttr), 24),         // 20 bytes of fields, 8-aligned
        (typeof(ProgTestRunAttr), 80),    // 76 bytes of fields, 8-aligned
        (typeof(LinkCreateTcxAttr), 32),  // through tcx.expected_revision
        (typeof(LinkDetachAttr), 4),
        (typeof(ObjGetInfoAttr), 16),
        (typeof(MapInfo), 88),            // __attribute__((aligned(8)))
        (typeof(ProgInfo), 80),           // through name
        (typeof(LinkInfo), 24),           // through the tcx member of the union
        (typeof(SkBuff), 192),
    ];

    public static TheoryData<string, string, int> FieldRows =>
        new(Fields.Select(row => (row.Type.Name, row.Field, row.Offset)));

    public static TheoryData<string, int> SizeRows => new(Sizes.Select(row => (row.Type.Name, row.Size)));

    [Theory]
    [MemberData(nameof(FieldRows))]
    public void Field_sits_at_the_uapi_offset(string type, string field, int offset)
    {
        Assert.Equal(offset, (int)Marshal.OffsetOf(Find(type), field));
    }

    [Theory]
    [MemberData(nameof(SizeRows))]
    public void Struct_has_the_uapi_size(string type, int size)
    {
        Assert.Equal(size, Marshal.SizeOf(Find(type)));
        var unsafeSize = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(Find(type)).Invoke(null, null)!;
        Assert.Equal(size, unsafeSize);
    }

    [Fact]
    public void Every_field_of_every_struct_is_in_the_table()
    {
        foreach (var (type, _) in Sizes)
        {
            var listed = Fields.Where(row => row.Type == type).Select(row => row.Field).ToHashSet();
            var declared = type.GetFields().Where(field => !field.IsStatic && !field.IsLiteral).Select(field => field.Name);
            Assert.All(declared, name => Assert.Contains(name, listed));
        }
    }

    [Fact]
    public void SkBuff_offset_constants_match_the_struct()
    {
        foreach (var constant in typeof(SkBuff).GetFields().Where(field => field.IsLiteral && field.Name.EndsWith("Offset", StringComparison.Ordinal)))
        {
            var field = constant.Name[..^"Offset".Length];
            Assert.Equal((int)Marshal.OffsetOf<SkBuff>(field), (short)constant.GetValue(null)!);
        }
    }

    [Fact]
    public void Lpm_trie_key_puts_data_right_after_the_prefix_length()
    {
        // struct bpf_lpm_trie_key_u8 { __u32 prefixlen; __u8 data[]; }: data at offset 4 whatever its type.
        var key = new LpmTrieKey<ulong>(24, 0);
        Assert.Equal(4, (int)Unsafe.ByteOffset(ref Unsafe.As<LpmTrieKey<ulong>, byte>(ref key), ref Unsafe.As<ulong, byte>(ref key.Data)));
        Assert.Equal(12, Unsafe.SizeOf<LpmTrieKey<ulong>>());
        Assert.Equal(8, Unsafe.SizeOf<LpmTrieKey<uint>>());
    }

    private static Type Find(string name) => Sizes.Single(row => row.Type.Name == name).Type;
}
