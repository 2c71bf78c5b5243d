using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace DuisPrioritiser.AspNetCore.Tests.Intake;

/// <summary>Every answer of <c>MapDuisIntake</c>, over HTTP against a real Kestrel.</summary>
[TestFixture]
public sealed class MapDuisIntakeTests
{
    [Test]
    public async Task Post_ReadableResponse_204WithPriorityAndHeldOnce()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();

        using var response = await PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(response.Headers.GetValues(DuisIntakeHeaders.Priority), Is.EqualTo(new[] { "Critical" }));
        Assert.That(response.Headers.Contains(DuisIntakeHeaders.Duplicate), Is.False);
        var snapshot = app.Services.GetRequiredService<IResponseReleaseScheduler>().GetSnapshot();
        Assert.That(snapshot.Levels.Single(l => l.Level == PriorityLevel.Critical).Count, Is.EqualTo(1));
    }

    [Test]
    public async Task Post_Redelivery_204MarkedDuplicateAndNotHeldAgain()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        string xml = DuisXml.Response("4.1.1");

        using var first = await PostAsync(client, xml);
        using var again = await PostAsync(client, xml);

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(again.Headers.GetValues(DuisIntakeHeaders.Duplicate), Is.EqualTo(new[] { "true" }));
        Assert.That(again.Headers.GetValues(DuisIntakeHeaders.Priority), Is.EqualTo(first.Headers.GetValues(DuisIntakeHeaders.Priority)));
        Assert.That(app.Services.GetRequiredService<IResponseReleaseScheduler>().GetSnapshot().TotalCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Post_Unreadable_400ProblemWithReaderCodeAndPosition()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        const string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x \"y\">]><sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\"/>";
        Assert.That(Duis.DuisMessage.TryParse(Encoding.UTF8.GetBytes(xml), out _, out var expected), Is.False);

        using var response = await PostAsync(client, xml);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = problem.RootElement;
        Assert.That(root.GetProperty("status").GetInt32(), Is.EqualTo(400));
        Assert.That(root.GetProperty("code").GetString(), Is.EqualTo(expected.Code.ToString()));
        Assert.That(root.GetProperty("line").GetInt32(), Is.EqualTo(expected.Line).And.EqualTo(2));
        Assert.That(root.GetProperty("column").GetInt32(), Is.EqualTo(expected.Column));
        Assert.That(root.GetProperty("offset").GetInt32(), Is.EqualTo(expected.Offset));
        Assert.That(root.GetProperty("detail").GetString(), Is.EqualTo(expected.Message));
        Assert.That(app.Services.GetRequiredService<IResponseReleaseScheduler>().GetSnapshot().TotalCount, Is.Zero);
    }

    [TestCase("text/plain")]
    [TestCase("application/json")]
    [TestCase(null)]
    public async Task Post_NotXml_415(string? contentType)
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(DuisXml.Response("8.1.1")));
        if (contentType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await client.PostAsync(new Uri("/duis", UriKind.Relative), content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [TestCase("text/xml; charset=utf-8")]
    [TestCase("application/soap+xml")]
    public async Task Post_XmlMediaTypes_Accepted(string contentType)
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var content = new StringContent(DuisXml.Response("8.1.1"), Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        using var response = await client.PostAsync(new Uri("/duis", UriKind.Relative), content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Post_DeclaredLengthOverLimit_413BeforeReadingTheBody()
    {
        await using var app = await StartAsync(options => options.Reader.MaxMessageBytes = 2048);
        using var client = app.CreateClient();
        using var content = new CountingContent(totalBytes: 64 * 1024 * 1024, chunked: false);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/duis", UriKind.Relative)) { Content = content };
        request.Headers.ExpectContinue = true;

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(content.Written, Is.Zero, "the endpoint answered from the declared length, before asking for the 64 MB body");
    }

    [Test]
    public async Task Post_ChunkedOverLimit_413WithoutBufferingTheBody()
    {
        await using var app = await StartAsync(options => options.Reader.MaxMessageBytes = 2048);
        using var client = app.CreateClient();
        using var content = new CountingContent(totalBytes: 64 * 1024 * 1024, chunked: true);

        HttpStatusCode? status = null;
        try
        {
            using var response = await client.PostAsync(new Uri("/duis", UriKind.Relative), content);
            status = response.StatusCode;
        }
        catch (HttpRequestException)
        {
            // Kestrel may close the connection while the client is still sending; the status was then not read.
        }

        Assert.That(content.Written, Is.LessThan(content.TotalBytes / 4), "the server stopped reading near the limit");
        if (status is not null)
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        }

        Assert.That(app.Services.GetRequiredService<IResponseReleaseScheduler>().GetSnapshot().TotalCount, Is.Zero);
    }

    [Test]
    public async Task Post_ChunkedJustOverLimit_413()
    {
        await using var app = await StartAsync(options => options.Reader.MaxMessageBytes = 2048);
        using var client = app.CreateClient();
        byte[] body = Encoding.UTF8.GetBytes(DuisXml.Response("4.1.1", payloadBytes: 3000));
        using var content = new StreamContent(new NonSeekableStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");

        using var response = await client.PostAsync(new Uri("/duis", UriKind.Relative), content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(problem.RootElement.GetProperty("detail").GetString(), Does.Contain("2048"));
    }

    [Test]
    public async Task Post_ChunkedUnderLimit_Accepted()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(DuisXml.Response("8.1.1"))));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");

        using var response = await client.PostAsync(new Uri("/duis", UriKind.Relative), content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Post_AtCapacity_503WithRetryAfterAndPriority()
    {
        await using var app = await StartAsync(options => options.Capacity = 1, intake => intake.RetryAfterFull = TimeSpan.FromSeconds(7));
        using var client = app.CreateClient();
        using var first = await PostAsync(client, DuisXml.Response("4.1.1"));

        using var full = await PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(full.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(full.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That(full.Headers.GetValues(DuisIntakeHeaders.Priority), Is.EqualTo(new[] { "Critical" }));
        Assert.That(full.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task Post_AfterComplete_503WithCompletedRetryAfter()
    {
        await using var app = await StartAsync(intake: intake => intake.RetryAfterCompleted = TimeSpan.FromSeconds(42));
        using var client = app.CreateClient();
        app.Services.GetRequiredService<IResponseReleaseScheduler>().Complete();

        using var response = await PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(42)));
    }

    private static readonly Exception[] s_storeFailures = [new JournalWriteException("disk full"), new Storage.BacklogStoreUnavailableException("database down")];

    [TestCaseSource(nameof(s_storeFailures))]
    public async Task Post_StoreCannotMakeItDurable_503WithUnavailableRetryAfter(Exception failure)
    {
        var scheduler = new Mock<IResponseReleaseScheduler>();
        scheduler.Setup(s => s.EnqueueAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(failure);
        await using var app = await StartAsync(intake: intake => intake.RetryAfterUnavailable = TimeSpan.FromSeconds(11), scheduler: scheduler.Object);
        using var client = app.CreateClient();

        using var response = await PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(11)));
    }

    [Test]
    public async Task Post_BacklogStoreUnavailable_503WithUnavailableRetryAfter_AndTheLevel()
    {
        var scheduler = new Mock<IResponseReleaseScheduler>();
        scheduler.Setup(s => s.EnqueueAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(IntakeResult.Read(IntakeStatus.Unavailable, PriorityLevel.High, new Duis.DuisMessage(Duis.DuisMessageKind.Response)));
        await using var app = await StartAsync(intake: intake => intake.RetryAfterUnavailable = TimeSpan.FromSeconds(13), scheduler: scheduler.Object);
        using var client = app.CreateClient();

        using var response = await PostAsync(client, DuisXml.Response("8.1.1"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(13)));
            Assert.That(response.Headers.GetValues("Duis-Priority").Single(), Is.EqualTo("High"));
            Assert.That(body, Does.Contain("Store unavailable"));
        });
    }

    [Test]
    public async Task Post_OutcomeThisVersionDoesNotKnow_503NotAcknowledged()
    {
        var scheduler = new Mock<IResponseReleaseScheduler>();
        scheduler.Setup(s => s.EnqueueAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(IntakeResult.Read((IntakeStatus)42, PriorityLevel.Normal, new Duis.DuisMessage(Duis.DuisMessageKind.Response)));
        await using var app = await StartAsync(intake: intake => intake.RetryAfterUnavailable = TimeSpan.FromSeconds(12), scheduler: scheduler.Object);
        using var client = app.CreateClient();

        using var response = await PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(12)));
    }

    [Test]
    public void MapDuisIntake_WithoutAddResponsePrioritisation_SaysWhatToDo()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        Assert.That(() => app.MapDuisIntake("/duis"), Throws.InvalidOperationException.With.Message.Contains("AddResponsePrioritisation"));
    }

    [Test]
    public void AddDuisIntake_MistypedKey_ReportedAtStart()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection([new KeyValuePair<string, string?>("DuisIntake:RetryAfterFul", "00:00:05")]);
        builder.Services.AddResponsePrioritisation().AddDuisIntake(builder.Configuration.GetSection(DuisIntakeOptions.SectionName));
        var app = builder.Build();

        Assert.That(() => app.MapDuisIntake("/duis"), Throws.InvalidOperationException.With.Message.Contains("RetryAfterFul"));
    }

    [Test]
    public void AddDuisIntake_RetryAfterOutOfRange_ReportedAtStart()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddResponsePrioritisation().AddDuisIntake(intake => intake.RetryAfterFull = TimeSpan.Zero);
        var app = builder.Build();

        Assert.That(() => app.MapDuisIntake("/duis"), Throws.InstanceOf<Microsoft.Extensions.Options.OptionsValidationException>().With.Message.Contains("RetryAfterFull"));
    }

    internal static Task<HttpResponseMessage> PostAsync(HttpClient client, string xml)
        => client.PostAsync(new Uri("/duis", UriKind.Relative), new StringContent(xml, Encoding.UTF8, "application/xml"));

    private static Task<TestApp> StartAsync(Action<ResponsePrioritisationOptions>? options = null, Action<DuisIntakeOptions>? intake = null, IResponseReleaseScheduler? scheduler = null)
        => TestApp.StartAsync(
            builder =>
            {
                var duis = builder.Services.AddResponsePrioritisation(o => options?.Invoke(o));
                duis.AddDuisIntake(o => intake?.Invoke(o));
                if (scheduler is not null)
                {
                    builder.Services.AddSingleton(scheduler);
                }
            },
            app => app.MapDuisIntake("/duis"));

    /// <summary>A stream whose length is unknown, so that <see cref="HttpClient"/> sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    /// <summary>A large body written in 16 KB pieces, counting what the server took.</summary>
    private sealed class CountingContent : HttpContent
    {
        private readonly bool _chunked;
        private long _written;

        public CountingContent(long totalBytes, bool chunked)
        {
            TotalBytes = totalBytes;
            _chunked = chunked;
            Headers.ContentType = new MediaTypeHeaderValue("application/xml");
        }

        public long TotalBytes { get; }

        public long Written => Interlocked.Read(ref _written);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var piece = new byte[16 * 1024];
            Array.Fill(piece, (byte)' ');
            "<?xml version=\"1.0\"?>"u8.CopyTo(piece);
            while (Written < TotalBytes)
            {
                await stream.WriteAsync(piece);
                Interlocked.Add(ref _written, piece.Length);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = TotalBytes;
            return !_chunked;
        }
    }
}
