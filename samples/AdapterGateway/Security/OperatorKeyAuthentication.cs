using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AdapterGateway.Security;

/// <summary>
/// The sample's operator sign-in for the admin API: a shared key in the <c>X-Operator-Key</c> header, compared in
/// fixed time with <c>AdapterGateway:OperatorKey</c>. No key configured means nobody gets in. A real adapter uses its
/// own identity provider (OpenID Connect, client certificates) and names its policy in <c>MapDuisPrioritiserAdmin</c>.
/// </summary>
internal sealed class OperatorKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IConfiguration configuration)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OperatorKey";
    public const string HeaderName = "X-Operator-Key";
    public const string Policy = "DuisOperators";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? expected = configuration["AdapterGateway:OperatorKey"];
        string? presented = Request.Headers[HeaderName];
        if (string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(presented))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected)))
        {
            return Task.FromResult(AuthenticateResult.Fail("Wrong operator key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator"), new Claim(ClaimTypes.Role, "duis-operator")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
