namespace Membrane.Policy.Inputs;

/// <summary>The file types of <c>inode(7)</c> (<c>S_IFMT</c>), as the collector tells them apart.</summary>
internal enum FileType
{
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Unknown,
}
