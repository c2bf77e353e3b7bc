package dev.hmacsig

import java.net.ServerSocket
import java.net.Socket

/**
 * Runs [block] with the URL of a real redis-server started on a free loopback port (Debian's;
 * cargo xtask test installs it), without persistence, and kills the server afterwards.
 */
internal fun <T> withRedisServer(block: (String) -> T): T {
    val port = ServerSocket(0).use { it.localPort }
    val server = ProcessBuilder("redis-server", "--port", "$port", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start()
    try {
        val deadline = System.nanoTime() + 10_000_000_000L
        while (runCatching { Socket("127.0.0.1", port).close() }.isFailure) {
            check(System.nanoTime() < deadline) { "redis-server did not start" }
            Thread.sleep(20)
        }
        return block("redis://127.0.0.1:$port/")
    } finally {
        server.destroyForcibly().waitFor()
    }
}
