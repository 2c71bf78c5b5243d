using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DuisPrioritiser.AspNetCore.Intake.Internal;

/// <summary>
/// Decides whether a TLS client certificate may post to the receive endpoint: pinned by SHA-256 thumbprint, or
/// chaining (with no other root) to a configured issuer. Written by hand because the certificate-authentication
/// handler of ASP.NET Core would make every integrator configure authentication schemes for one endpoint, and
/// cannot pin thumbprints; the chain itself is built by <see cref="X509Chain"/>.
/// </summary>
/// <remarks>The issuer certificates live as long as the endpoint (the application), so they are not disposed. Thread-safe: the configuration is copied at construction and never changes; each check builds its own chain.</remarks>
internal sealed class ClientCertificateValidator
{
    private static readonly Oid s_clientAuthentication = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    private readonly HashSet<string> _thumbprints;
    private readonly X509Certificate2Collection _issuers = [];
    private readonly X509RevocationMode _revocationMode;
    private readonly TimeProvider _timeProvider;

    /// <exception cref="InvalidOperationException">A configured issuer certificate cannot be read, a thumbprint is malformed, or nothing is trusted while a certificate is required.</exception>
    public ClientCertificateValidator(DuisClientCertificateOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        Required = options.Required;
        _revocationMode = options.RevocationMode;
        _thumbprints = new HashSet<string>(StringComparer.Ordinal);
        foreach (string thumbprint in options.AllowedThumbprints)
        {
            string normalised = NormaliseThumbprint(thumbprint);
            if (normalised.Length != 64 || !normalised.All(char.IsAsciiHexDigitUpper))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"DuisIntake:ClientCertificate:AllowedThumbprints holds '{thumbprint}', which is not a SHA-256 thumbprint (64 hexadecimal digits)."));
            }

            _thumbprints.Add(normalised);
        }

        foreach (string path in options.TrustedIssuerCertificatePaths)
        {
            try
            {
                _issuers.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            }
            catch (Exception exception) when (exception is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"DuisIntake:ClientCertificate:TrustedIssuerCertificatePaths: the issuer certificate '{path}' cannot be read ({exception.Message}).", exception);
            }
        }

        foreach (var issuer in options.TrustedIssuerCertificates)
        {
            _issuers.Add(X509CertificateLoader.LoadCertificate(issuer.RawData));
        }

        if (Required && _thumbprints.Count == 0 && _issuers.Count == 0)
        {
            throw new InvalidOperationException("DuisIntake:ClientCertificate:Required is true but no certificate is trusted: set AllowedThumbprints, TrustedIssuerCertificatePaths or TrustedIssuerCertificates.");
        }
    }

    public bool Required { get; }

    /// <summary>Checks <paramref name="certificate"/>; returns <see langword="null"/> when it is accepted, otherwise why not.</summary>
    public string? Validate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return "no client certificate was presented";
        }

        var now = _timeProvider.GetUtcNow().UtcDateTime;
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            return string.Create(CultureInfo.InvariantCulture, $"the client certificate is not valid now (valid {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})");
        }

        string thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        if (_thumbprints.Contains(thumbprint))
        {
            return null;
        }

        if (_issuers.Count == 0)
        {
            return $"the client certificate (SHA-256 {thumbprint}) is not in AllowedThumbprints";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_issuers);
        chain.ChainPolicy.ExtraStore.AddRange(_issuers);
        chain.ChainPolicy.RevocationMode = _revocationMode;
        chain.ChainPolicy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
        chain.ChainPolicy.VerificationTime = now;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any())
        {
            chain.ChainPolicy.ApplicationPolicy.Add(s_clientAuthentication);
        }

        try
        {
            if (chain.Build(certificate))
            {
                return null;
            }

            string status = string.Join(", ", chain.ChainStatus.Select(static s => s.Status.ToString()).Distinct());
            return $"the client certificate (SHA-256 {thumbprint}, issuer {certificate.Issuer}) does not chain to a trusted issuer ({status})";
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, certificate))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }

    private static string NormaliseThumbprint(string thumbprint)
        => new(thumbprint.Where(char.IsAsciiHexDigit).Select(char.ToUpperInvariant).ToArray());
}
