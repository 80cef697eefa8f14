package dev.keygate.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on a loopback port of its own to a loopback target, which the fault suite can cut (the port then refuses
 * connections and open ones are reset, as a network partition or a stopped server would) and restore on the same port.
 * Services that reach a shared server only through the relay see it go away while the rest of the JVM does not.
 */
final class LoopbackRelay implements AutoCloseable {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final int targetPort;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket listener;

    private LoopbackRelay(int port, int targetPort) {
        this.port = port;
        this.targetPort = targetPort;
    }

    static LoopbackRelay to(int targetPort) {
        LoopbackRelay relay = new LoopbackRelay(RunningStack.freePorts(1)[0], targetPort);
        relay.restore();
        return relay;
    }

    int port() {
        return port;
    }

    /** New connections are refused and every open one is closed. */
    synchronized void cut() {
        closeQuietly(listener);
        listener = null;
        open.forEach(LoopbackRelay::closeQuietly);
        open.clear();
    }

    /** Listens again on the same port. */
    synchronized void restore() {
        if (listener != null) {
            return;
        }
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(LOOPBACK, port));
            listener = socket;
            Thread accepting = new Thread(() -> accept(socket), "relay-accept-" + port);
            accepting.setDaemon(true);
            accepting.start();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not listen on 127.0.0.1:" + port, ex);
        }
    }

    private void accept(ServerSocket socket) {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Socket target;
                try {
                    target = new Socket(LOOPBACK, targetPort);
                }
                catch (IOException ex) {
                    closeQuietly(client);
                    continue;
                }
                open.add(client);
                open.add(target);
                pump(client, target);
                pump(target, client);
            }
            catch (IOException ex) {
                // Cut: the listener was closed.
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                    out.write(buffer, 0, read);
                    out.flush();
                }
            }
            catch (IOException ex) {
                // Either side closed or was cut.
            }
            finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, "relay-" + port);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        cut();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        }
        catch (Exception ignored) {
            // Closing is best effort.
        }
    }
}
