using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using DuisPrioritiser.AspNetCore.Intake.Internal;
using DuisPrioritiser.Release;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.AspNetCore.Tests.Intake;

/// <summary>
/// Mutual TLS on a real Kestrel with HTTPS: certificates created by the tests (a "DCC" CA, a stranger CA, pinned
/// self-signed ones); only a trusted client gets its message accepted.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ClientCertificateTests
{
    private X509Certificate2 _server = null!;
    private X509Certificate2 _dccAuthority = null!;
    private X509Certificate2 _strangerAuthority = null!;
    private X509Certificate2 _dccClient = null!;
    private X509Certificate2 _strangerClient = null!;
    private X509Certificate2 _pinned = null!;
    private X509Certificate2 _expired = null!;
    private X509Certificate2 _serverUsageOnly = null!;

    [OneTimeSetUp]
    public void CreateCertificates()
    {
        _server = TestCertificates.CreateServer();
        _dccAuthority = TestCertificates.CreateAuthority("Test DCC Issuing CA");
        _strangerAuthority = TestCertificates.CreateAuthority("Test DCC Issuing CA");
        _dccClient = TestCertificates.IssueClient(_dccAuthority, "dcc-gateway");
        _strangerClient = TestCertificates.IssueClient(_strangerAuthority, "dcc-gateway");
        _pinned = TestCertificates.CreateSelfSignedClient("pinned-client");
        _expired = TestCertificates.IssueClient(_dccAuthority, "old-gateway", DateTimeOffset.UtcNow.AddDays(-60), TimeSpan.FromDays(30));
        _serverUsageOnly = TestCertificates.IssueClient(_dccAuthority, "wrong-usage", usage: "1.3.6.1.5.5.7.3.1");
    }

    [OneTimeTearDown]
    public void DisposeCertificates()
    {
        _server.Dispose();
        _dccAuthority.Dispose();
        _strangerAuthority.Dispose();
        _dccClient.Dispose();
        _strangerClient.Dispose();
        _pinned.Dispose();
        _expired.Dispose();
        _serverUsageOnly.Dispose();
    }

    [Test]
    public async Task Post_ClientIssuedByTrustedIssuer_Accepted()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient(_dccClient, _server);

        using var response = await MapDuisIntakeTests.PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(app.Services.GetRequiredService<IResponseReleaseScheduler>().GetSnapshot().TotalCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Post_ClientFromAnotherIssuerWithTheSameName_403AndNothingHeld()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient(_strangerClient, _server);

        using var response = await MapDuisIntakeTests.PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(problem.RootElement.GetProperty("detail").GetString(), Does.Contain("does not chain to a trusted issuer"));
        Assert.That(app.Services.GetRequiredService<IResponseReleaseScheduler>().GetSnapshot().TotalCount, Is.Zero);
    }

    [Test]
    public async Task Post_ExpiredClientFromTrustedIssuer_403()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient(_expired, _server);

        using var response = await MapDuisIntakeTests.PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Post_ClientCertificateWithoutClientAuthenticationUsage_403()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient(_serverUsageOnly, _server);

        using var response = await MapDuisIntakeTests.PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Post_PinnedSelfSignedClient_Accepted()
    {
        await using var app = await StartAsync(pin: _pinned);
        using var client = app.CreateClient(_pinned, _server);

        using var response = await MapDuisIntakeTests.PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Post_UnpinnedSelfSignedClient_403()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient(_pinned, _server);

        using var response = await MapDuisIntakeTests.PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Post_NoClientCertificateWhenKestrelAllowsIt_403()
    {
        await using var app = await StartAsync(mode: ClientCertificateMode.AllowCertificate);
        using var client = app.CreateClient(clientCertificate: null, _server);

        using var response = await MapDuisIntakeTests.PostAsync(client, DuisXml.Response("8.1.1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(problem.RootElement.GetProperty("detail").GetString(), Does.Contain("no client certificate"));
    }

    [Test]
    public async Task Post_NoClientCertificateWhenKestrelRequiresIt_HandshakeRefused()
    {
        await using var app = await StartAsync(mode: ClientCertificateMode.RequireCertificate);
        using var client = app.CreateClient(clientCertificate: null, _server);

        Assert.That(async () => await MapDuisIntakeTests.PostAsync(client, DuisXml.Response("8.1.1")), Throws.InstanceOf<HttpRequestException>());
        Assert.That(app.Services.GetRequiredService<IResponseReleaseScheduler>().GetSnapshot().TotalCount, Is.Zero);
    }

    [Test]
    public async Task Post_IssuerReadFromPemFile_Accepted()
    {
        string path = Path.Combine(Path.GetTempPath(), $"duis-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(path, _dccAuthority.ExportCertificatePem());
        try
        {
            await using var app = await StartAsync(trustInCode: false, issuerPath: path);
            using var client = app.CreateClient(_dccClient, _server);

            using var response = await MapDuisIntakeTests.PostAsync(client, DuisXml.Response("8.1.1"));

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Validator_RequiredWithNothingTrusted_SaysWhatToSet()
    {
        var options = new DuisClientCertificateOptions { Required = true };

        Assert.That(() => new ClientCertificateValidator(options, TimeProvider.System), Throws.InvalidOperationException.With.Message.Contains("AllowedThumbprints"));
    }

    [Test]
    public void Validator_MalformedThumbprint_NamesIt()
    {
        var options = new DuisClientCertificateOptions { Required = true };
        options.AllowedThumbprints.Add("12:34");

        Assert.That(() => new ClientCertificateValidator(options, TimeProvider.System), Throws.InvalidOperationException.With.Message.Contains("12:34"));
    }

    [Test]
    public void Validator_MissingIssuerFile_NamesIt()
    {
        var options = new DuisClientCertificateOptions { Required = true };
        options.TrustedIssuerCertificatePaths.Add("/nonexistent/dcc-ca.pem");

        Assert.That(() => new ClientCertificateValidator(options, TimeProvider.System), Throws.InvalidOperationException.With.Message.Contains("/nonexistent/dcc-ca.pem"));
    }

    [Test]
    public void Validator_PinnedThumbprintWithSeparatorsAndLowerCase_AcceptedUntilItExpires()
    {
        var options = new DuisClientCertificateOptions { Required = true };
        string thumbprint = TestCertificates.Sha256(_pinned);
        options.AllowedThumbprints.Add(string.Join(":", thumbprint.Chunk(2).Select(c => new string(c))).ToLowerInvariant());
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var validator = new ClientCertificateValidator(options, time);

        Assert.That(validator.Validate(_pinned), Is.Null);
        time.Advance(TimeSpan.FromDays(31));
        Assert.That(validator.Validate(_pinned), Does.Contain("not valid now"));
    }

    private Task<TestApp> StartAsync(X509Certificate2? pin = null, ClientCertificateMode mode = ClientCertificateMode.AllowCertificate, bool trustInCode = true, string? issuerPath = null)
        => TestApp.StartAsync(
            builder => builder.Services.AddResponsePrioritisation().AddDuisIntake(intake =>
            {
                intake.ClientCertificate.Required = true;
                if (trustInCode)
                {
                    intake.ClientCertificate.TrustedIssuerCertificates.Add(X509CertificateLoader.LoadCertificate(_dccAuthority.RawData));
                }

                if (issuerPath is not null)
                {
                    intake.ClientCertificate.TrustedIssuerCertificatePaths.Add(issuerPath);
                }

                if (pin is not null)
                {
                    intake.ClientCertificate.AllowedThumbprints.Add(TestCertificates.Sha256(pin));
                }
            }),
            app => app.MapDuisIntake("/duis"),
            _server,
            mode);
}
