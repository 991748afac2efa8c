using MedHelm.Service.Runs;
using MedHelm.Service.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MedHelm.Service.Tests.Runs;

public sealed class RunQueueWorkerTests
{
    [Fact]
    public async Task A_stop_that_arrives_after_the_worker_was_disposed_returns_instead_of_throwing()
    {
        // Seen once in a full test run: the host stopped the queue worker after the test factory had disposed it
        // (ObjectDisposedException from CancellationTokenSource.CancelAfter), failing an unrelated test's dispose.
        await using var service = new TestService();
        var worker = service.Services.GetServices<IHostedService>().OfType<RunQueueWorker>().Single();

        worker.Dispose();
        worker.Dispose(); // idempotent

        var error = await Record.ExceptionAsync(() => worker.StopAsync(CancellationToken.None));
        Assert.Null(error);
    }
}
