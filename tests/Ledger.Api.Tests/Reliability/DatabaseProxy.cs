using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// A TCP proxy between the API and PostgreSQL that a test controls: it can refuse and cut
/// every connection (the server is down), hold every byte (the server is stalled), or let a
/// COMMIT through and then lose the server's answer or cut the connection (the crash came
/// after the commit). The real server is untouched, so other tests on it carry on.
/// </summary>
public sealed class DatabaseProxy : IAsyncDisposable
{
    private const int BufferBytes = 16 * 1024;
    private static readonly byte[] CommitText = Encoding.ASCII.GetBytes("COMMIT");

    private readonly IPEndPoint _target;
    private readonly Lock _gate = new();
    private readonly List<Link> _links = [];
    private readonly CancellationTokenSource _closing = new();
    private TcpListener? _listener;
    private TaskCompletionSource _flowing = Flowing();
    private AfterCommit _afterCommit;

    public DatabaseProxy(IPEndPoint target)
    {
        _target = target;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Listen();
    }

    /// <summary>What befalls the next connection to send a COMMIT, once it is answered.</summary>
    public enum AfterCommit
    {
        Nothing,

        /// <summary>The server's answers on that connection are dropped from now on.</summary>
        LoseAnswers,

        /// <summary>The connection is reset at once.</summary>
        Reset,
    }

    public int Port { get; }

    /// <summary>The server is down: connections are refused and open ones are cut.</summary>
    public void Down()
    {
        lock (_gate)
        {
            _listener?.Stop();
            _listener = null;
            foreach (Link link in _links)
            {
                link.Cut();
            }
            _links.Clear();
        }
    }

    /// <summary>The server is back on the same port.</summary>
    public void Up()
    {
        lock (_gate)
        {
            if (_listener is null)
            {
                Listen();
            }
        }
    }

    /// <summary>Everything stops moving, both ways, on open and new connections alike.</summary>
    public void Stall()
    {
        lock (_gate)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = new TaskCompletionSource(
                    TaskCreationOptions.RunContinuationsAsynchronously
                );
            }
        }
    }

    public void Resume()
    {
        lock (_gate)
        {
            _flowing.TrySetResult();
        }
    }

    /// <summary>Arms a one-shot fault for the next COMMIT that passes.</summary>
    public void OnNextCommit(AfterCommit fault)
    {
        lock (_gate)
        {
            _afterCommit = fault;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        Resume();
        Down();
        _closing.Dispose();
    }

    private static TaskCompletionSource Flowing()
    {
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        flowing.SetResult();
        return flowing;
    }

    private void Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(
            SocketOptionLevel.Socket,
            SocketOptionName.ReuseAddress,
            true
        );
        listener.Start();
        _listener = listener;
        _ = AcceptAsync(listener);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_closing.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_closing.Token);
            }
            catch (Exception e)
                when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_target, _closing.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            var link = new Link(client, server);
            lock (_gate)
            {
                _links.Add(link);
            }
            _ = RelayAsync(link, link.Client, link.Server, towardServer: true);
            _ = RelayAsync(link, link.Server, link.Client, towardServer: false);
        }
    }

    private async Task RelayAsync(Link link, TcpClient from, TcpClient to, bool towardServer)
    {
        byte[] buffer = new byte[BufferBytes];
        try
        {
            NetworkStream source = from.GetStream();
            NetworkStream target = to.GetStream();
            while (true)
            {
                int read = await source.ReadAsync(buffer, _closing.Token);
                if (read == 0)
                {
                    break;
                }
                Task flowing;
                lock (_gate)
                {
                    flowing = _flowing.Task;
                }
                await flowing.WaitAsync(_closing.Token);
                if (!towardServer && link.Answered() is { } fault)
                {
                    // The server answered the COMMIT, so it is durable; the API never learns.
                    if (fault == AfterCommit.Reset)
                    {
                        break;
                    }
                    continue;
                }
                await target.WriteAsync(buffer.AsMemory(0, read), _closing.Token);
                if (towardServer && buffer.AsSpan(0, read).IndexOf(CommitText) >= 0)
                {
                    ArmCommitFault(link);
                }
            }
        }
        catch (Exception e)
            when (e
                    is IOException
                        or SocketException
                        or ObjectDisposedException
                        or OperationCanceledException
            )
        {
            // The other side or the test cut the link.
        }
        link.Cut();
    }

    private void ArmCommitFault(Link link)
    {
        lock (_gate)
        {
            if (_afterCommit != AfterCommit.Nothing)
            {
                link.Arm(_afterCommit);
                _afterCommit = AfterCommit.Nothing;
            }
        }
    }

    private sealed class Link(TcpClient client, TcpClient server)
    {
        public TcpClient Client => client;

        public TcpClient Server => server;

        private readonly Lock _gate = new();
        private AfterCommit _armed;
        private AfterCommit? _fired;

        public void Arm(AfterCommit fault)
        {
            lock (_gate)
            {
                _armed = fault;
            }
        }

        /// <summary>The fault in force once an armed COMMIT is answered, or null.</summary>
        public AfterCommit? Answered()
        {
            lock (_gate)
            {
                if (_fired is null && _armed != AfterCommit.Nothing)
                {
                    _fired = _armed;
                }
                return _fired;
            }
        }

        /// <summary>A reset, not a graceful close: the API must see a broken connection.</summary>
        public void Cut()
        {
            foreach (TcpClient side in new[] { client, server })
            {
                try
                {
                    // Null once disposed: a link is cut from both relays and by Down.
                    if (side.Client is { } socket)
                    {
                        socket.LingerState = new LingerOption(true, 0);
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already closed.
                }
                side.Dispose();
            }
        }
    }
}
