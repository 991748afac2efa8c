using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Service.Tests.Support;

namespace MedHelm.Service.Tests;

/// <summary>
/// The REST contract changes only on purpose: the served OpenAPI document must equal Approved/openapi-v1.json. After an
/// intended change, run the tests once with MEDHELM_APPROVE_OPENAPI=1 (it rewrites the approved file in the source tree)
/// and commit the file with the change.
/// </summary>
public sealed class OpenApiDocumentTests
{
    private const string ApproveVariable = "MEDHELM_APPROVE_OPENAPI";

    [Fact]
    public async Task The_served_document_equals_the_approved_one()
    {
        await using var service = new TestService();
        var viewer = await service.ClientAsync(AccessRole.Viewer);
        using var served = JsonDocument.Parse(await viewer.GetStringAsync("/openapi/v1.json"));
        var text = JsonSerializer.Serialize(served.RootElement, new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";
        var approved = Path.Combine(RepositoryPaths.Root, "tests", "MedHelm.Service.Tests", "Approved", "openapi-v1.json");

        if (Environment.GetEnvironmentVariable(ApproveVariable) == "1")
        {
            await File.WriteAllTextAsync(approved, text);
        }

        Assert.True(File.Exists(approved), $"{approved} is missing; run the tests with {ApproveVariable}=1 to write it.");
        var expected = (await File.ReadAllTextAsync(approved)).ReplaceLineEndings("\n");
        Assert.True(
            expected == text,
            $"The OpenAPI document changed. If intended, run `{ApproveVariable}=1 dotnet test tests/MedHelm.Service.Tests` and commit {approved}. First difference at character {FirstDifference(expected, text)}.");
    }

    private static int FirstDifference(string a, string b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i;
    }
}
