package dev.ringlab.runtime;

import dev.ringlab.node.MessageCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mutual-authentication handshake every connection runs before any {@link dev.ringlab.node.Message}
 * is accepted. Transport-level frames, framed like messages ({@code [length:4][version:1][type:1][body]})
 * with type bytes that {@link MessageCodec} does not use:
 *
 * <pre>
 * dialer   -> acceptor  HELLO     clientId:4 nonceC:16
 * acceptor -> dialer    CHALLENGE serverId:4 nonceS:16 HMAC(secret, "ringlab-server" nonceC nonceS clientId serverId)
 * dialer   -> acceptor  RESPONSE  HMAC(secret, "ringlab-client" nonceC nonceS clientId serverId)
 * </pre>
 *
 * HMAC-SHA256 keyed with the cluster secret; nonces are 16 fresh bytes from {@link SecureRandom}. The
 * acceptor proves it holds the secret over the dialer's fresh nonce and the dialer over both, with both
 * ids bound in, so a recorded exchange cannot be replayed and a MAC for one pair of ids does not
 * authenticate another. The dialer may send messages right after RESPONSE: they are only read after the
 * acceptor has checked it. {@code clientId} is {@link dev.ringlab.node.Env#CLIENT} for an engine's control
 * connection.
 */
public final class Handshake {
    public static final byte TYPE_HELLO = 0x10;
    public static final byte TYPE_CHALLENGE = 0x11;
    public static final byte TYPE_RESPONSE = 0x12;
    public static final int NONCE_BYTES = 16;
    public static final int MAC_BYTES = 32;
    public static final int HELLO_BYTES = 2 + 4 + NONCE_BYTES;
    public static final int CHALLENGE_BYTES = 2 + 4 + NONCE_BYTES + MAC_BYTES;
    public static final int RESPONSE_BYTES = 2 + MAC_BYTES;
    /**
     * The frame cap before a connection has authenticated ({@link FrameDecoder#beforeHandshake()}): the
     * largest handshake frame ({@link #CHALLENGE_BYTES}, 54) plus a margin of 10 bytes, so an unauthenticated
     * peer makes the node buffer at most this much (plus the length prefix), not a 1 MiB message frame.
     */
    public static final int MAX_FRAME_BYTES = 64;

    private static final byte[] SERVER_LABEL = "ringlab-server".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLIENT_LABEL = "ringlab-client".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom NONCES = new SecureRandom();

    private final SecretKeySpec key;

    /** @param secret the cluster secret, at least 16 bytes */
    public Handshake(byte[] secret) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("cluster secret must be at least 16 bytes, got " + secret.length);
        }
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    }

    public static byte[] newNonce() {
        byte[] n = new byte[NONCE_BYTES];
        NONCES.nextBytes(n);
        return n;
    }

    /** The acceptor's proof. */
    public byte[] serverMac(byte[] nonceC, byte[] nonceS, int clientId, int serverId) {
        return mac(SERVER_LABEL, nonceC, nonceS, clientId, serverId);
    }

    /** The dialer's proof. */
    public byte[] clientMac(byte[] nonceC, byte[] nonceS, int clientId, int serverId) {
        return mac(CLIENT_LABEL, nonceC, nonceS, clientId, serverId);
    }

    /** Constant-time comparison. */
    public static boolean same(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    private byte[] mac(byte[] label, byte[] nonceC, byte[] nonceS, int clientId, int serverId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(label);
            mac.update(nonceC);
            mac.update(nonceS);
            mac.update(ByteBuffer.allocate(8).putInt(clientId).putInt(serverId).array());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** HELLO with its length prefix, ready for the wire. */
    public static byte[] hello(int clientId, byte[] nonceC) {
        return ByteBuffer.allocate(4 + HELLO_BYTES).putInt(HELLO_BYTES).put(MessageCodec.VERSION).put(TYPE_HELLO)
                .putInt(clientId).put(nonceC).array();
    }

    /** CHALLENGE with its length prefix. */
    public static byte[] challenge(int serverId, byte[] nonceS, byte[] mac) {
        return ByteBuffer.allocate(4 + CHALLENGE_BYTES).putInt(CHALLENGE_BYTES).put(MessageCodec.VERSION)
                .put(TYPE_CHALLENGE).putInt(serverId).put(nonceS).put(mac).array();
    }

    /** RESPONSE with its length prefix. */
    public static byte[] response(byte[] mac) {
        return ByteBuffer.allocate(4 + RESPONSE_BYTES).putInt(RESPONSE_BYTES).put(MessageCodec.VERSION)
                .put(TYPE_RESPONSE).put(mac).array();
    }
}
