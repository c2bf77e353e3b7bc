//! The parsers on small sources of each language.

use super::kotlin::*;
use super::python::*;
use super::scan::*;
use super::swift::*;
use super::*;

const KOTLIN: &str = r#"@file:JvmName("X")

package dev.example

import java.nio.ByteBuffer

/** Doc { with a brace. */
typealias Header = dev.example.ffi.Header

data class Response @JvmOverloads constructor(val status: Int, val headers: List<Header>, val body: ByteArray = ByteArray(0)) {
init {
    require(status in 0..65535) { "status must be 0..${UShort.MAX_VALUE}, not $status }" }
}

override fun toString(): String = "Response(status=$status)"
}

internal class Owned<T : AutoCloseable>(internal val inner: T) {
fun close() {}
}

class Signer(scheme: Scheme, credentials: Credentials) : AutoCloseable {
private val id: Long = 1

val keyId: String = credentials.keyId

val isClosed: Boolean get() = owned.closed

@JvmOverloads
fun sign(
    method: String,
    target: String, // a comment, with (parens
    headers: List<Header>,
    body: ByteArray = ByteArray(0),
    now: Long? = null,
): SignedRequest {
    val local = object : Runnable { override fun run() {} }
    return TODO("'}'")
}

private inline fun <R> hidden(block: () -> R): R = block()

override fun close() = owned.close()

companion object {
    const val DEFAULT: Int = 1 shl 20
    @JvmStatic
    fun of(digest: String = "sha1"): Signer = TODO()
    private val EMPTY = 0
}
}

enum class ErrorKind(val code: String) {
/** doc */
INVALID_REQUEST("invalid_request"),

STALE("stale");

override fun toString(): String = code

internal companion object {
    fun hidden(): Int = 0
}
}

fun interface KeyLookup {
fun secretFor(keyId: String): ByteArray?
}

class Exc(
val kind: ErrorKind,
override val message: String,
private val secret: String? = null,
) : Exception(message, null) {
constructor(kind: ErrorKind) : this(kind, "")
}

class Hidden private constructor(inner: Int) {
internal val x = 1
protected open fun extend() {}
}

internal fun Exc.toPublic(): Int = 0

fun <T : Any> String.ext(vararg items: T): Int = items.size
"#;

#[test]
fn kotlin_public_declarations() {
    let got = kotlin_file(KOTLIN);
    let want = [
        "typealias dev.example.Header = dev.example.ffi.Header",
        "data class dev.example.Response",
        "constructor dev.example.Response(status: Int, headers: List<Header>, body: ByteArray = ByteArray(0))",
        "val dev.example.Response.status: Int",
        "val dev.example.Response.headers: List<Header>",
        "val dev.example.Response.body: ByteArray",
        "override fun dev.example.Response.toString(): String",
        "class dev.example.Signer : AutoCloseable",
        "constructor dev.example.Signer(scheme: Scheme, credentials: Credentials)",
        "val dev.example.Signer.keyId: String",
        "val dev.example.Signer.isClosed: Boolean",
        "fun dev.example.Signer.sign(method: String, target: String, headers: List<Header>, body: ByteArray = ByteArray(0), now: Long? = null): SignedRequest",
        "override fun dev.example.Signer.close()",
        "companion object dev.example.Signer.Companion",
        "const val dev.example.Signer.Companion.DEFAULT: Int = 1 shl 20",
        "fun dev.example.Signer.Companion.of(digest: String = \"sha1\"): Signer",
        "enum class dev.example.ErrorKind",
        "val dev.example.ErrorKind.code: String",
        "enum entry dev.example.ErrorKind.INVALID_REQUEST",
        "enum entry dev.example.ErrorKind.STALE",
        "override fun dev.example.ErrorKind.toString(): String",
        "fun interface dev.example.KeyLookup",
        "fun dev.example.KeyLookup.secretFor(keyId: String): ByteArray?",
        "class dev.example.Exc : Exception",
        "constructor dev.example.Exc(kind: ErrorKind, message: String, secret: String? = null)",
        "val dev.example.Exc.kind: ErrorKind",
        "override val dev.example.Exc.message: String",
        "constructor dev.example.Exc(kind: ErrorKind)",
        "class dev.example.Hidden",
        "protected open fun dev.example.Hidden.extend()",
        "fun <T : Any> dev.example.(String).ext(vararg items: T): Int",
    ];
    for w in want {
        assert!(got.iter().any(|g| g == w), "missing {w:?} in {got:#?}");
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
}

const SWIFT: &str = r#"import Foundation

extension BodyHasher {
/// Doc.
public static let defaultChunkSize = 1 << 20
static let maxSliceSize = 1 << 30

public func update<Chunks: Sequence>(contentsOf chunks: Chunks) throws where Chunks.Element: ContiguousBytes {
    let s = "a { \(chunks.count) }"
}
}

extension Credentials: CustomStringConvertible {
public var description: String { "Credentials(keyId: \(keyId()))" }
}

public protocol KeyLookup: AnyObject, Sendable {
func secretFor(keyId: String) throws -> Data?
var name: String { get }
}

final class LookupVerifier: Verifier {
public func hidden() {}
}

public struct Options {
public init(_ name: String, retries: Int = 3) {}
let secret: Data
public private(set) var count: Int = 0
@discardableResult
public mutating func sign(
    with signer: Signer,
    now: Int64? = nil
) throws -> SignedRequest {
    switch x { case .a: break }
}
}

public enum Mode { case fast, slow(Int) }

public enum Kind {
case a
case b(reason: String)
}

public func httpStatus(_ error: HmacSigError) -> Int { 0 }
func internalHelper() {}
"#;

#[test]
fn swift_public_declarations() {
    let got = swift_file(SWIFT);
    let want = [
        "static let BodyHasher.defaultChunkSize = 1 << 20",
        "func BodyHasher.update<Chunks: Sequence>(contentsOf: Chunks) throws where Chunks.Element: ContiguousBytes",
        "extension Credentials: CustomStringConvertible",
        "var Credentials.description: String",
        "protocol KeyLookup: AnyObject, Sendable",
        "func KeyLookup.secretFor(keyId: String) throws -> Data?",
        "var KeyLookup.name: String { get }",
        "struct Options",
        "Options.init(_: String, retries: Int = 3)",
        "private(set) var Options.count: Int",
        "mutating func Options.sign(with: Signer, now: Int64? = nil) throws -> SignedRequest",
        "enum Mode",
        "enum Kind",
        "case Kind.a",
        "case Kind.b(reason: String)",
        "func httpStatus(_: HmacSigError) -> Int",
    ];
    for w in want {
        assert!(got.iter().any(|g| g == w), "missing {w:?} in {got:#?}");
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
}

#[test]
fn python_resolves_all_through_imports() {
    let dir = std::env::temp_dir().join(format!("xtask-api-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = [
        (
            "__init__.py",
            "\"\"\"Doc\nclass NotAClass:\n\"\"\"\nfrom __future__ import annotations\nfrom ._signer import Signer, sign as sign_request\nfrom ._ffi import Scheme\n\n__all__ = [\n    \"Scheme\",\n    \"Signer\",\n    \"sign_request\",\n    \"LIMIT\",\n]\nLIMIT = 1 << 20\n",
        ),
        (
            "_objects.py",
            "class Closeable:\n    @property\n    def closed(self) -> bool:\n        return False\n\n    def close(self) -> None:\n        pass\n\n    def _live(self):\n        pass\n",
        ),
        (
            "_signer.py",
            "from ._objects import Closeable\n\n\nclass Signer(Closeable):\n    \"\"\"Doc.\n\ndef not_a_method(self):\n    \"\"\"\n\n    __slots__ = (\"_id\",)\n    kind: str = \"x\"\n\n    def __init__(self, scheme: Scheme) -> None:\n        self._id = 0\n\n    def sign(\n        self,\n        method: str,  # comment (\n        now: Optional[int] = None,\n    ) -> SignedRequest:\n        def inner():\n            pass\n\n    def close(self) -> None:\n        pass\n\n    def __repr__(self) -> str:\n        return ''\n\n\ndef sign(scheme: Scheme) -> str:\n    return \"\"\n",
        ),
        (
            "requests.py",
            "from . import Signer\n__all__ = [\"HmacSigAuth\"]\n\nclass HmacSigAuth(AuthBase):\n    def __call__(self, r): ...\n",
        ),
        ("httpx.py", "__all__ = []\n"),
        ("asgi.py", "__all__ = [\"KEY_ID\"]\nfrom ._http import KEY_ID\n"),
        ("wsgi.py", "__all__ = [\"Missing\"]\n"),
        ("_http.py", "KEY_ID = \"hmacsig.key_id\"\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let got = python_api(&dir).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let want = [
        "class hmacsig.requests.HmacSigAuth(AuthBase)",
        "class hmacsig.Signer(Closeable)",
        "const hmacsig.LIMIT = 1 << 20",
        "const hmacsig.asgi.KEY_ID = \"hmacsig.key_id\"",
        "attr hmacsig.Signer.kind: str",
        "def hmacsig.Signer.__init__(self, scheme: Scheme) -> None",
        "def hmacsig.Signer.close(self) -> None",
        "def hmacsig.Signer.sign(self, method: str, now: Optional[int] = None) -> SignedRequest",
        "@property def hmacsig.Signer.closed(self) -> bool",
        "def hmacsig.sign_request(scheme: Scheme) -> str",
        "generated hmacsig.Scheme",
        "module hmacsig.asgi: __all__ = [KEY_ID]",
        "module hmacsig.httpx: __all__ = []",
        "module hmacsig.requests: __all__ = [HmacSigAuth]",
        "module hmacsig.wsgi: __all__ = [Missing]",
        "module hmacsig: __all__ = [Scheme, Signer, sign_request, LIMIT]",
        "unresolved hmacsig.wsgi.Missing",
    ];
    for w in want {
        assert!(got.iter().any(|g| g == w), "missing {w:?} in {got:#?}");
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
}

#[test]
fn masking_keeps_positions_and_hides_literals() {
    let m = mask_source("val s = \"a{b${x + \"}\"}c\" // {\n'{'", Lang::Kotlin);
    let mask: String = m.mask.iter().collect();
    assert_eq!(mask.chars().count(), m.text.len());
    assert!(!mask.contains('{') && !mask.contains('}'), "{mask:?}");
}

#[test]
fn diff_lists_both_sides() {
    assert_eq!(diff("a\nb\n", "b\nc\n"), "- a\n+ c\n");
}
