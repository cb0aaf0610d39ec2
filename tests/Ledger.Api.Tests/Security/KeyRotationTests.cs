using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Ledger.Api.Tests.Support;
using Ledger.BitGoAuth;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// The ledger mid-rotation: BitGo's old key (the test key) and its new key are both configured,
/// as BitGo:PublicKeys:0 and :1.
/// </summary>
public sealed class RotationHost : SecurityHost
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [
            .. LedgerHosts.WithBitGoKeys(
                TestCredentials.BitGoPublicKeyPem,
                ForgedTokens.PublicPem(ForgedTokens.NewBitGoKey)
            ),
            new(
                "Auth:FailuresPerWindowMax",
                AuthHost.FailuresPerWindowMax.ToString(CultureInfo.InvariantCulture)
            ),
        ];
}

/// <summary>
/// Key rotation without downtime (BitGoAuth README, "Keys"): configure the new key beside the
/// old, let BitGo switch, then drop the old; and a kid in the header selects exactly one key.
/// </summary>
public sealed class KeyRotationTests(RotationHost host) : IClassFixture<RotationHost>
{
    private static RSA OldKey => TestCredentials.BitGoPrivateKey;

    private static RSA NewKey => ForgedTokens.NewBitGoKey;

    [Fact]
    public async Task Token_signed_with_the_old_key_verifies_while_old_and_new_keys_are_configured()
    {
        byte[] body = ConnectionBody();
        long before = await host.CountEventsAsync();

        Answer answer = await SendAsync(host.Factory, body, ForgedTokens.Mint(body, OldKey));

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before + 1, await host.CountEventsAsync());
    }

    [Fact]
    public async Task Token_signed_with_the_new_key_verifies_while_old_and_new_keys_are_configured()
    {
        byte[] body = ConnectionBody();
        long before = await host.CountEventsAsync();

        Answer answer = await SendAsync(host.Factory, body, ForgedTokens.Mint(body, NewKey));

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before + 1, await host.CountEventsAsync());
    }

    /// <summary>
    /// A second host on the same database, configured with only the new key: the state after
    /// the old key is dropped.
    /// </summary>
    [Fact]
    public async Task Token_signed_with_the_old_key_is_401_once_the_old_key_is_removed()
    {
        await using WebApplicationFactory<Program> rotated = LedgerHosts.Create(
            host.ConnectionString,
            "Testing",
            LedgerHosts.WithBitGoKeys(ForgedTokens.PublicPem(NewKey))
        );
        byte[] newBody = ConnectionBody();
        (await SendAsync(rotated, newBody, ForgedTokens.Mint(newBody, NewKey))).AssertStatus(
            HttpStatusCode.OK
        );
        byte[] body = ConnectionBody();
        string token = ForgedTokens.Mint(body, OldKey);
        long before = await host.CountEventsAsync();

        Answer answer = await SendAsync(rotated, body, token);

        answer.AssertSignatureRefused("signature does not verify", token);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    [Fact]
    public async Task Token_whose_kid_is_a_configured_keys_thumbprint_verifies()
    {
        byte[] body = ConnectionBody();
        long before = await host.CountEventsAsync();

        Answer answer = await SendAsync(
            host.Factory,
            body,
            ForgedTokens.Mint(body, NewKey, keyId: JwkThumbprint.Compute(NewKey))
        );

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before + 1, await host.CountEventsAsync());
    }

    [Fact]
    public async Task Token_whose_kid_names_no_configured_key_is_401_unknown_key_id()
    {
        byte[] body = ConnectionBody();
        string unknownKeyId = JwkThumbprint.Compute(ForgedTokens.AttackerKey);
        string token = ForgedTokens.Mint(body, OldKey, unknownKeyId);
        long before = await host.CountEventsAsync();

        Answer answer = await SendAsync(host.Factory, body, token);

        answer.AssertSignatureRefused("unknown key id", token);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    /// <summary>A kid selects one key; the other configured keys are no fallback.</summary>
    [Fact]
    public async Task Token_whose_kid_names_another_configured_key_is_401_bad_signature()
    {
        byte[] body = ConnectionBody();
        string token = ForgedTokens.Mint(body, OldKey, keyId: JwkThumbprint.Compute(NewKey));
        long before = await host.CountEventsAsync();

        Answer answer = await SendAsync(host.Factory, body, token);

        answer.AssertSignatureRefused("signature does not verify", token);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    private static Task<Answer> SendAsync(
        WebApplicationFactory<Program> factory,
        byte[] body,
        string token
    ) =>
        factory
            .CreateClient()
            .SendAsync(new RawRequest(HttpMethod.Post, "/bitgo/v1/connections", body), token);

    private static byte[] ConnectionBody() =>
        Encoding.UTF8.GetBytes(HostileCorpus.Write(HostileCorpus.ConnectionBody()));
}
