package org.dure.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real TCP relay on loopback between site agents and the coordinator's agent port, which the test makes a bad
 * network: added latency (each chunk delivered that much later, in order), a bandwidth cap (per direction and
 * connection), connection resets (RST on both sides), refused connections, and half-open connections that stop
 * delivering bytes in both directions without closing anything (a NAT or firewall that forgot the connection). The
 * bytes it relays are the TLS records of the agent's mutual-TLS WebSocket: the proxy sees nothing else.
 *
 * <p>Faults can be armed to strike on the agent's next upload of at least a given size (a message, not a ping), which
 * places them mid-round deterministically: that upload is not delivered.
 */
final class FaultProxy implements AutoCloseable {
  enum Fault { RESET, HALF_OPEN }

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  /** The most bytes one direction of one connection has delivered. */
  private final java.util.concurrent.atomic.AtomicLong busiest = new java.util.concurrent.atomic.AtomicLong();
  private volatile long latencyMs;
  private volatile long bytesPerSecond; // 0: no cap
  private volatile boolean halfOpen; // new connections are black holes too
  private volatile boolean refuse; // new connections are reset at once
  private volatile boolean stopReading; // half-open links also stop reading: the sender's buffers fill up
  private final AtomicReference<Arm> armed = new AtomicReference<>();
  private volatile boolean closed;

  private record Arm(int minBytes, Fault fault, Runnable then) {}

  FaultProxy(int targetPort) throws IOException {
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "fault-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** The agents' URL through this proxy (the coordinator's certificate names 127.0.0.1, which the URL keeps). */
  URI agentUri() {
    return URI.create("wss://127.0.0.1:" + port() + "/agents");
  }

  /** The most bytes delivered in one direction of one connection so far. */
  long busiestDirectionBytes() {
    return busiest.get();
  }

  /** Connections accepted so far (each one an agent's connection attempt). */
  int accepted() {
    return accepted.get();
  }

  FaultProxy latency(Duration oneWay) {
    latencyMs = oneWay.toMillis();
    return this;
  }

  FaultProxy bandwidth(long bytesPerSecondEachWay) {
    bytesPerSecond = bytesPerSecondEachWay;
    return this;
  }

  /** Every connection, open and new, stops delivering in both directions; nothing is closed. */
  void halfOpen() {
    halfOpen = true;
    links.forEach(l -> l.dead = true);
  }

  /**
   * As {@link #halfOpen()}, and the proxy stops reading what the agent sends too, so that the agent's socket buffers
   * fill and its writes stop being taken (a path that accepts nothing more), instead of vanishing into the relay.
   */
  void halfOpenAndStopReading() {
    stopReading = true;
    halfOpen();
  }

  /** New connections relay again (connections already half-open stay so, as a forgotten NAT entry does). */
  void heal() {
    halfOpen = false;
    refuse = false;
    stopReading = false;
  }

  /** New connections are reset as soon as they are accepted (the coordinator unreachable). */
  void refuse() {
    refuse = true;
  }

  /** Resets every open connection (RST to both ends). */
  void resetAll() {
    links.forEach(Link::reset);
  }

  /** On the agent's next upload of at least {@code minBytes} in one read: that upload is dropped and {@code fault} strikes. */
  void armOnUpload(int minBytes, Fault fault, Runnable then) {
    armed.set(new Arm(minBytes, fault, then));
  }

  boolean armed() {
    return armed.get() != null;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      accepted.incrementAndGet();
      if (refuse) {
        abort(client);
        continue;
      }
      try {
        Socket upstream = new Socket();
        upstream.connect(target, 2000);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        Link l = new Link(client, upstream);
        l.dead = halfOpen;
        links.add(l);
        l.start();
      } catch (IOException e) {
        abort(client);
      }
    }
  }

  private static void abort(Socket s) {
    try {
      s.setSoLinger(true, 0);
      s.close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  @Override public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    links.forEach(l -> {
      abort(l.client);
      abort(l.upstream);
    });
  }

  /** One relayed connection: two pumps (agent → coordinator, coordinator → agent), each a reader and a writer. */
  private final class Link {
    final Socket client, upstream;
    volatile boolean dead;

    Link(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    void start() {
      new Pump(client, upstream, true).start();
      new Pump(upstream, client, false).start();
    }

    void reset() {
      abort(client);
      abort(upstream);
      links.remove(this);
    }

    private record Chunk(byte[] bytes, int length, long deliverAt) {}

    private final class Pump {
      final Socket from, to;
      final boolean uploading;
      final BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
      long delivered;

      Pump(Socket from, Socket to, boolean uploading) {
        this.from = from;
        this.to = to;
        this.uploading = uploading;
      }

      void start() {
        String name = "fault-proxy-" + (uploading ? "up" : "down");
        Thread r = new Thread(this::read, name + "-read");
        Thread w = new Thread(this::write, name + "-write");
        r.setDaemon(true);
        w.setDaemon(true);
        r.start();
        w.start();
      }

      private void read() {
        try (InputStream in = from.getInputStream()) {
          byte[] buf = new byte[16 * 1024];
          for (int n; (n = in.read(buf)) != -1; ) {
            if (dead) {
              while (stopReading && !closed) Thread.sleep(50); // take nothing more: the sender's buffers fill
              continue; // half-open: read and forget, close nothing
            }
            Arm arm = armed.get();
            if (uploading && arm != null && n >= arm.minBytes() && armed.compareAndSet(arm, null)) {
              if (arm.fault() == Fault.RESET) reset();
              else dead = true;
              if (arm.then() != null) arm.then().run();
              if (arm.fault() == Fault.RESET) return;
              continue;
            }
            queue.put(new Chunk(java.util.Arrays.copyOf(buf, n), n, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(latencyMs)));
          }
          if (!dead) queue.put(new Chunk(null, -1, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(latencyMs)));
        } catch (IOException | InterruptedException e) {
          if (!dead) queue.offer(new Chunk(null, -2, 0));
        }
      }

      private void write() {
        try {
          OutputStream out = to.getOutputStream();
          while (true) {
            Chunk c = queue.take();
            long wait = c.deliverAt() - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            if (dead) continue;
            if (c.length() == -1) { // orderly end: pass the FIN on
              to.shutdownOutput();
              return;
            }
            if (c.length() == -2) {
              reset();
              return;
            }
            long cap = bytesPerSecond;
            int slice = cap == 0 ? c.length() : (int) Math.max(1, Math.min(c.length(), cap / 20));
            for (int off = 0; off < c.length(); off += slice) {
              int len = Math.min(slice, c.length() - off);
              out.write(c.bytes(), off, len);
              out.flush();
              delivered += len;
              busiest.accumulateAndGet(delivered, Math::max);
              if (cap > 0) TimeUnit.NANOSECONDS.sleep(len * 1_000_000_000L / cap);
            }
          }
        } catch (IOException | InterruptedException e) {
          if (!dead) reset();
        }
      }
    }
  }
}
