package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/** A peer on a plain blocking socket that can play by the rules or not. */
final class RawPeer implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final OutputStream out;

    RawPeer(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(5000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Runs the dialer's side of the handshake as {@code myId}; returns the server's id. */
    int handshake(byte[] secret, int myId) throws IOException {
        return handshake(secret, myId, null);
    }

    /**
     * Runs the dialer's side of the handshake as {@code myId}, with {@code first} (if not null) written in
     * the same socket write as the RESPONSE frame, so both reach the node together; returns the server's id.
     */
    int handshake(byte[] secret, int myId, Message first) throws IOException {
        Handshake hs = new Handshake(secret);
        byte[] nonceC = Handshake.newNonce();
        out.write(Handshake.hello(myId, nonceC));
        int len = in.readInt();
        assertEquals(Handshake.CHALLENGE_BYTES, len);
        byte[] frame = in.readNBytes(len);
        ByteBuffer b = ByteBuffer.wrap(frame, 2, len - 2);
        int serverId = b.getInt();
        byte[] nonceS = new byte[Handshake.NONCE_BYTES];
        b.get(nonceS);
        byte[] response = Handshake.response(hs.clientMac(nonceC, nonceS, myId, serverId));
        if (first == null) {
            out.write(response);
        } else {
            byte[] message = frame(first);
            out.write(ByteBuffer.allocate(response.length + message.length).put(response).put(message).array());
        }
        out.flush();
        return serverId;
    }

    void send(Message m) throws IOException {
        out.write(frame(m));
        out.flush();
    }

    /** {@code m} with its length prefix. */
    static byte[] frame(Message m) {
        ByteBuffer f = MessageCodec.encode(m);
        return ByteBuffer.allocate(4 + f.remaining()).putInt(f.remaining()).put(f).array();
    }

    /** True once the other side has closed the connection (EOF or reset), false if it is still open after the socket timeout. */
    boolean closedByPeer() throws IOException {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
