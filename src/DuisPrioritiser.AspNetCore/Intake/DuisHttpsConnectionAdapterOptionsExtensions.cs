using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace DuisPrioritiser;

/// <summary>Makes Kestrel ask for the TLS client certificate that the receive endpoint checks.</summary>
public static class DuisHttpsConnectionAdapterOptionsExtensions
{
    /// <summary>
    /// Asks every client of this HTTPS listener for a certificate (<paramref name="mode"/>) and lets the TLS handshake
    /// accept any, so that <c>MapDuisIntake</c> decides by <see cref="AspNetCore.DuisClientCertificateOptions"/> and
    /// answers a refused client with 403 and a reason. Other endpoints on the same listener see
    /// <c>HttpContext.Connection.ClientCertificate</c> unchecked: check it there too, or use a listener of their own.
    /// </summary>
    /// <param name="https">The HTTPS options of a Kestrel listener.</param>
    /// <param name="mode">
    /// <see cref="Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate"/> (the default) refuses
    /// the TLS handshake of a client without a certificate; <see cref="Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate"/>
    /// lets it in (for health checks on the same port) and the endpoint answers it 403.
    /// </param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="https"/> is <see langword="null"/>.</exception>
    public static HttpsConnectionAdapterOptions UseDuisClientCertificates(this HttpsConnectionAdapterOptions https, ClientCertificateMode mode = ClientCertificateMode.RequireCertificate)
    {
        ArgumentNullException.ThrowIfNull(https);
        https.ClientCertificateMode = mode;
        https.AllowAnyClientCertificate();
        return https;
    }
}
