package io.workerpool.rm.update;

/** Who asks: an authenticated user name and the address the call came from. */
public record Caller(String user, String remoteAddress) {
}
