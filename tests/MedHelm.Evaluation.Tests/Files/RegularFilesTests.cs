using System.Net.Sockets;
using MedHelm.Evaluation.Files;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Evaluation.Tests.Files;

public sealed class RegularFilesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_regular_file_a_link_to_one_and_a_missing_file_pass()
    {
        var file = _temp.Write("a.jsonl", "{}");
        File.CreateSymbolicLink(_temp.File("link.jsonl"), file);

        Assert.Null(RegularFiles.KindOf(file));
        Assert.Null(RegularFiles.KindOf(_temp.File("link.jsonl")));
        Assert.Null(RegularFiles.KindOf(_temp.File("missing.jsonl")));
    }

    [Fact]
    public void Special_files_are_told_by_their_type_without_being_opened()
    {
        NamedPipes.Create(_temp.File("pipe"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(_temp.File("sock")));

        Assert.Equal("a named pipe", RegularFiles.KindOf(_temp.File("pipe")));
        Assert.Equal("a socket", RegularFiles.KindOf(_temp.File("sock")));
        Assert.Equal("a character device", RegularFiles.KindOf("/dev/zero"));
        Assert.Equal("a folder", RegularFiles.KindOf(_temp.Path));
        var e = Assert.Throws<InvalidDataException>(() => RegularFiles.EnsureRegular(_temp.File("pipe"), "dataset file"));
        Assert.Contains(_temp.File("pipe"), e.Message, StringComparison.Ordinal);
        Assert.Contains("named pipe", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_csv_with_invalid_utf8_is_refused_like_a_jsonl_file()
    {
        var path = _temp.File("ratings.csv");
        File.WriteAllBytes(path, [.. "instance_id,benchmark,rouge_l,bertscore\na,b,0.5,"u8, 0xC3, 0x28, .. "\n"u8]);

        var e = Assert.Throws<InvalidDataException>(() => AgreementCsv.ReadMetricScores(path));

        Assert.Contains("ratings.csv", e.Message, StringComparison.Ordinal);
        Assert.Contains("UTF-8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_csv_that_is_a_character_device_is_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => AgreementCsv.ReadMetricScores("/dev/zero"));
        Assert.Contains("character device", e.Message, StringComparison.Ordinal);
    }
}
