using System.Security.Cryptography.X509Certificates;

namespace DuisPrioritiser.AspNetCore;

/// <summary>
/// Who may post DUIS traffic to the receive endpoint: when <see cref="Required"/>, only a client presenting a TLS
/// client certificate that is pinned by <see cref="AllowedThumbprints"/> or chains to one of the trusted issuers
/// (<see cref="TrustedIssuerCertificatePaths"/>, <see cref="TrustedIssuerCertificates"/>). Anyone else gets 403, so
/// nobody but the DCC can inject traffic at Critical priority.
/// </summary>
/// <remarks>
/// <para>Kestrel must ask for the certificate: call <c>UseDuisClientCertificates()</c> on the HTTPS options
/// (<c>ListenOptions.UseHttps(https =&gt; https.UseDuisClientCertificates())</c>). It leaves the TLS layer to
/// accept any certificate and this endpoint to decide, because the DCC's issuing CA is not in the machine's trust
/// store.</para>
/// <para>An issuer is trusted by its certificate, never by its name: anyone can create a certificate with a given
/// issuer name. The chain is built with the trusted issuers as the only roots, and the certificate must be valid now
/// (by the application's <see cref="TimeProvider"/>) and, when it has an extended key usage, allow client
/// authentication.</para>
/// </remarks>
public sealed class DuisClientCertificateOptions
{
    /// <summary>Gets or sets a value indicating whether a client certificate is required.</summary>
    /// <value>The default value is <see langword="false"/>: the endpoint accepts any client (put it behind your own network controls).</value>
    public bool Required { get; set; }

    /// <summary>
    /// Gets the SHA-256 thumbprints (hexadecimal, case and separators ignored) of client certificates accepted
    /// directly, whatever their issuer, while within their validity period.
    /// </summary>
    public IList<string> AllowedThumbprints { get; } = [];

    /// <summary>Gets the paths of issuer (CA) certificates, PEM or DER, that a client certificate may chain to. Read at start.</summary>
    public IList<string> TrustedIssuerCertificatePaths { get; } = [];

    /// <summary>Gets issuer (CA) certificates, set in code, that a client certificate may chain to.</summary>
    public X509Certificate2Collection TrustedIssuerCertificates { get; } = [];

    /// <summary>Gets or sets how revocation of a chained client certificate is checked.</summary>
    /// <value>
    /// The default value is <see cref="X509RevocationMode.NoCheck"/>: an online check needs the issuer's revocation
    /// list to be reachable from the adapter; set <see cref="X509RevocationMode.Online"/> or
    /// <see cref="X509RevocationMode.Offline"/> where it is.
    /// </value>
    public X509RevocationMode RevocationMode { get; set; } = X509RevocationMode.NoCheck;
}
