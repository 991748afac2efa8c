using System.Security.Cryptography;
using MedHelm.Application.Models;

namespace MedHelm.Application.Tests.Models;

public sealed class ModelFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("medhelm-modelfiles-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1 << 20)]
    [InlineData((3 << 20) + 12_345)]
    public void The_sha256_read_in_blocks_equals_the_hash_of_the_whole_file(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        var path = Path.Combine(_folder, $"m{size}.gguf");
        File.WriteAllBytes(path, bytes);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), ModelFiles.Sha256(path));
    }
}
