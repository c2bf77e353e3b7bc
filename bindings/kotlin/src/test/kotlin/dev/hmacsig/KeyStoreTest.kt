package dev.hmacsig

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.util.Base64

// KeyStore and Verifier.withStore (docs/server.md): secrets encrypted at rest, rotation with a
// grace period, revocation, a wrong master key refused with the file left as it was.

private val MASTER = Base64.getEncoder().encodeToString(ByteArray(32) { it.toByte() })
private val OTHER = Base64.getEncoder().encodeToString(ByteArray(32) { (it + 1).toByte() })
private const val NOW = 1_700_000_000L
private val BODY = """{"id":7}""".toByteArray()

class KeyStoreTest {
    @TempDir
    lateinit var dir: Path

    private val url get() = "sqlite:${dir.resolve("keys.db")}"

    /** The headers of `POST /orders` as a server receives it, signed (api-auth sha256) with [secret] at [now]. */
    private fun signed(scheme: Scheme, keyId: String, secret: String, now: Long = NOW): List<Header> =
        Credentials(keyId, secret).use { credentials ->
            Signer(scheme, credentials).use { signer ->
                val host = headersOf("Host" to "api.example.com")
                host + signer.sign("POST", "/orders", host, BODY, now).headers
            }
        }

    private fun Verifier.verifyAt(headers: List<Header>, now: Long): String = verify("POST", "/orders", headers, BODY, now)

    @Test
    fun `create, verify, rotate with a grace period, list`() {
        Scheme.apiAuth(digest = "sha256").use { scheme ->
            KeyStore.open(url, masterKey = MASTER).use { store ->
                assertEquals("KeyStore(<secrets sealed>)", store.toString())
                val first = store.create("client-1")
                assertEquals(88, first.length)
                Verifier.withStore(scheme, store).use { verifier ->
                    assertTrue(verifier.toString().contains("key store"), verifier.toString())
                    assertEquals("client-1", verifier.verifyAt(signed(scheme, "client-1", first), NOW))

                    val second = store.rotate("client-1", graceSeconds = 600, now = NOW)
                    assertFalse(first == second)
                    for (secret in listOf(first, second)) {
                        assertEquals("client-1", verifier.verifyAt(signed(scheme, "client-1", secret, NOW + 5), NOW + 5))
                    }
                    val late = NOW + 601
                    val refused = assertThrows<HmacSigException> { verifier.verifyAt(signed(scheme, "client-1", first, late), late) }
                    assertEquals(ErrorKind.BAD_SIGNATURE, refused.kind)
                    assertEquals("client-1", verifier.verifyAt(signed(scheme, "client-1", second, late), late))

                    val listed = store.list(now = NOW + 5)
                    assertEquals(
                        listOf(Triple("client-1", 2L, KeyState.ACTIVE), Triple("client-1", 1L, KeyState.EXPIRING)),
                        listed.map { Triple(it.keyId, it.version, it.state) },
                    )
                    val old = listed.single { it.version == 1L }
                    assertEquals(NOW + 600, old.expiresAt)
                    assertEquals(null, old.revokedAt)
                    assertEquals(KeyState.EXPIRED, store.list(now = NOW + 601).single { it.version == 1L }.state)
                    assertFalse(listed.toString().contains(first) || listed.toString().contains(second), "list shows no secret")

                    val exists = assertThrows<KeyStoreException> { store.create("client-1") }
                    assertEquals(KeyStoreErrorKind.ALREADY_EXISTS, exists.kind)
                }
            }
        }
    }

    @Test
    fun `revoke makes the key id unknown`() {
        Scheme.apiAuth(digest = "sha256").use { scheme ->
            KeyStore.open(url, masterKey = MASTER).use { store ->
                val secret = store.create("client-1")
                Verifier.withStore(scheme, store).use { verifier ->
                    assertEquals("client-1", verifier.verifyAt(signed(scheme, "client-1", secret), NOW))
                    store.revoke("client-1")
                    val refused = assertThrows<HmacSigException> { verifier.verifyAt(signed(scheme, "client-1", secret), NOW) }
                    assertEquals(ErrorKind.UNKNOWN_KEY, refused.kind)
                    assertEquals(KeyState.REVOKED, store.list().single().state)
                }
                val missing = assertThrows<KeyStoreException> { store.revoke("nobody") }
                assertEquals(KeyStoreErrorKind.NOT_FOUND, missing.kind)
                assertTrue(missing.message.startsWith("no live secret of key id"), missing.message)
                assertThrows<IllegalArgumentException> { store.revoke("client-1", version = -1) }
            }
        }
    }

    @Test
    fun `a verifier outlives its closed store`() {
        Scheme.apiAuth(digest = "sha256").use { scheme ->
            val store = KeyStore.open(url, masterKey = MASTER)
            val secret = store.create("client-1")
            Verifier.withStore(scheme, store).use { verifier ->
                store.close()
                assertTrue(store.isClosed)
                assertEquals("KeyStore(closed)", store.toString())
                assertThrows<IllegalStateException> { store.list() }
                assertEquals("client-1", verifier.verifyAt(signed(scheme, "client-1", secret), NOW))
            }
        }
    }

    @Test
    fun `a wrong master key changes nothing`() {
        KeyStore.open(url, masterKey = MASTER).use { it.create("client-1") }
        val file = dir.resolve("keys.db")
        val before = Files.readAllBytes(file)
        val wrong = assertThrows<KeyStoreException> { KeyStore.open(url, masterKey = OTHER) }
        assertEquals(KeyStoreErrorKind.MASTER_KEY, wrong.kind)
        assertTrue(wrong.message.contains("does not open"), wrong.message)
        assertArrayEquals(before, Files.readAllBytes(file))

        val malformed = assertThrows<KeyStoreException> { KeyStore.open(url, masterKey = "not base64!") }
        assertEquals(KeyStoreErrorKind.MASTER_KEY, malformed.kind)
        val badUrl = assertThrows<KeyStoreException> { KeyStore.open("mysql://localhost/keys", masterKey = MASTER) }
        assertEquals(KeyStoreErrorKind.INVALID_INPUT, badUrl.kind)
    }

    @Test
    fun `without a master key nor HMACSIG_MASTER_KEY the store does not open`() {
        // Only meaningful when the environment does not set it (the JVM cannot unset it).
        if (System.getenv("HMACSIG_MASTER_KEY") == null) {
            val missing = assertThrows<KeyStoreException> { KeyStore.open(url) }
            assertEquals(KeyStoreErrorKind.MASTER_KEY, missing.kind)
            assertTrue(missing.message.contains("HMACSIG_MASTER_KEY"), missing.message)
            assertFalse(Files.exists(dir.resolve("keys.db")), "nothing was created")
        }
    }

    @Test
    fun `rekey re-encrypts under the new master key`() {
        Scheme.apiAuth(digest = "sha256").use { scheme ->
            val secret = KeyStore.open(url, masterKey = MASTER).use { store ->
                store.create("client-1").also { store.rekey(OTHER) }
            }
            assertEquals(KeyStoreErrorKind.MASTER_KEY, assertThrows<KeyStoreException> { KeyStore.open(url, masterKey = MASTER) }.kind)
            KeyStore.open(url, masterKey = OTHER).use { store ->
                Verifier.withStore(scheme, store).use { verifier ->
                    assertEquals("client-1", verifier.verifyAt(signed(scheme, "client-1", secret), NOW))
                }
            }
        }
    }
}
