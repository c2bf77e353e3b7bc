//! The command line, declared with clap's derive. Turning these arguments into
//! the core's `Scheme` and `Policy` is `options.rs`'s job.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod keys;

pub use keys::{CreateArgs, KeysArgs, KeysCommand, ListArgs, OutArgs, RekeyArgs, RevokeArgs, RotateArgs, StoreArgs};

#[derive(Debug, Parser)]
#[command(
    name = "hmacsig",
    version,
    about = "Sign, verify and explain HMAC-signed HTTP requests (api-auth, path-body-hex, timestamped, aws-sigv4, rfc9421, kong-hmac, hawk).",
    after_help = "Exit codes: 0 ok; 1 verification failed or the signature differs (keys: the store refused the change); \
                  2 usage; 3 input (missing secret or master key, unreadable file or store, malformed request).\nSecrets are \
                  read from an environment variable (--secret-env) or a file (--secret-file), never from the command line, \
                  and never printed; only the new secrets of keygen, keys create and keys rotate are shown, once. The key \
                  store's master key comes from HMACSIG_MASTER_KEY only."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign a request; print the headers it must carry, one per line, for `curl -H @-`.
    #[command(long_about = "Sign a request and print every header it must carry (yours from -H and the signature's), one \
                            `Name: value` per line, ready for `curl -H @- --data-binary @FILE --path-as-is URL`.\n\n\
                            When a body is sent without a Content-Type, a `Content-Type:` line is printed too: it stops \
                            curl from adding `application/x-www-form-urlencoded`, which was not signed. An empty value is \
                            printed `Name;`, as curl wants it. Give curl the body with --data-binary (curl's -d strips \
                            newlines from files) and --path-as-is (curl would resolve `../`); or use --curl, which prints \
                            a whole command that sends exactly what was signed.\n\n\
                            aws-sigv4 and hawk with --signature-type query print the presigned URL (hawk: the bewit URL) \
                            instead.")]
    Sign(SignArgs),
    /// Verify a raw HTTP/1.1 request read on stdin; print `ok: key id …` or `<kind>: <reason>`.
    #[command(long_about = "Verify a raw HTTP/1.1 request read on stdin: the request line, the headers, a blank line, \
                            then the body (Content-Length bytes, or everything that follows). CRLF or LF line ends.\n\n\
                            Prints `ok: key id <id>` and exits 0, or `<kind>: <reason>` (the conformance error kind, as \
                            servers answer) and exits 1. The request's key id must be --key-id.")]
    Verify(VerifyArgs),
    /// Print a new random secret: 88 characters of base64, used as text (its UTF-8 bytes are the key).
    Keygen,
    /// Print the string to sign and, given a received signature, what differs.
    #[command(long_about = "Print the string to sign as this library computes it (invisible characters escaped), the \
                            signature headers and the expected signature. Given a received signature (--signature, \
                            --authorization, the signature headers with -H, or a signed raw request with --raw), say \
                            whether it matches and what differs: the body against its hash, the clock, the key id, the \
                            algorithm, the content type, and the single changes (content type, method, path, body, secret \
                            encoding) that would make it match. With --their-string-to-sign FILE, a line-by-line diff \
                            against the client's string to sign.\n\n\
                            Exits 0 when there is nothing to compare or everything matches, 1 otherwise.")]
    Explain(ExplainArgs),
    /// Manage an encrypted key store: create, rotate, revoke, list, rekey (master key from HMACSIG_MASTER_KEY).
    Keys(KeysArgs),
}

/// Where the key comes from.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// The key id (access id) the request is signed with.
    #[arg(long, value_name = "ID")]
    pub key_id: String,
    #[command(flatten)]
    pub secret: SecretArgs,
}

/// The secret: from an environment variable or a file, exactly one.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct SecretArgs {
    /// Read the secret from this environment variable (its text is the key).
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// Read the secret from this file (one trailing line break is dropped).
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemeName {
    /// The Ruby gem api-auth 2.5's scheme.
    ApiAuth,
    /// Path, query and body, hex HMAC (the Sinatra post).
    PathBodyHex,
    /// Method, URL, timestamp and body (the C#/Node post).
    Timestamped,
    /// AWS Signature Version 4.
    AwsSigv4,
    /// HTTP Message Signatures, hmac-sha256.
    Rfc9421,
    /// Kong Gateway's hmac-auth plugin.
    KongHmac,
    /// Hawk (npm hawk 9): the Authorization header or a bewit URL.
    Hawk,
}

impl SchemeName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiAuth => "api-auth",
            Self::PathBodyHex => "path-body-hex",
            Self::Timestamped => "timestamped",
            Self::AwsSigv4 => "aws-sigv4",
            Self::Rfc9421 => "rfc9421",
            Self::KongHmac => "kong-hmac",
            Self::Hawk => "hawk",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HeaderStyleArg {
    /// X-Request-Timestamp, X-Request-Signature, X-Request-Key-Id.
    XRequest,
    /// X-Request-Timestamp and Authorization: HMAC-SHA256 <key id>:<signature>.
    Authorization,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignatureTypeArg {
    /// An Authorization header.
    Header,
    /// A presigned URL (hawk: a bewit).
    Query,
}

/// Which header carries a kong-hmac signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HeaderNameArg {
    Authorization,
    ProxyAuthorization,
}

impl HeaderNameArg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authorization => "authorization",
            Self::ProxyAuthorization => "proxy-authorization",
        }
    }
}

/// The HTTP version kong-hmac's `request-line` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HttpVersionArg {
    #[value(name = "1.0")]
    V10,
    #[value(name = "1.1")]
    V11,
    #[value(name = "2.0")]
    V20,
}

impl HttpVersionArg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V10 => "1.0",
            Self::V11 => "1.1",
            Self::V20 => "2.0",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContentDigestArg {
    #[value(name = "sha-256")]
    Sha256,
    #[value(name = "sha-512")]
    Sha512,
}

/// The scheme and its signing options. Each option belongs to the schemes
/// named in its help heading; giving it with another scheme is a usage error.
#[derive(Debug, Clone, Args)]
pub struct SchemeArgs {
    /// The signing scheme.
    #[arg(long, value_enum)]
    pub scheme: SchemeName,

    /// The digest: sha1 (default), sha224, sha256, sha384, sha512 (path-body-hex: sha1, sha256).
    #[arg(long, value_name = "DIGEST", help_heading = "api-auth and path-body-hex")]
    pub digest: Option<String>,
    /// A header whose value is appended to the string to sign (repeatable, in order).
    #[arg(long = "sign-header", value_name = "NAME", help_heading = "api-auth")]
    pub sign_headers: Vec<String>,
    /// Sign this method instead of the request's.
    #[arg(long, value_name = "METHOD", help_heading = "api-auth")]
    pub override_method: Option<String>,

    /// Where the signature travels.
    #[arg(long, value_enum, value_name = "STYLE", help_heading = "timestamped")]
    pub header_style: Option<HeaderStyleArg>,
    /// Lower-case scheme, host and path before signing.
    #[arg(long, help_heading = "timestamped")]
    pub lowercase_url: bool,

    /// The region, e.g. us-east-1 (required).
    #[arg(long, value_name = "REGION", help_heading = "aws-sigv4")]
    pub region: Option<String>,
    /// The service, e.g. s3 (required).
    #[arg(long, value_name = "SERVICE", help_heading = "aws-sigv4")]
    pub service: Option<String>,
    /// Read a session token (temporary credentials) from this environment variable.
    #[arg(long, value_name = "VAR", help_heading = "aws-sigv4")]
    pub session_token_env: Option<String>,
    /// Send the session token unsigned.
    #[arg(long, help_heading = "aws-sigv4")]
    pub omit_session_token: bool,
    /// Do not remove `.`/`..` segments or collapse `//` (S3).
    #[arg(long, help_heading = "aws-sigv4")]
    pub no_normalize: bool,
    /// Do not encode the path a second time (S3).
    #[arg(long, help_heading = "aws-sigv4")]
    pub no_double_uri_encode: bool,
    /// Add and sign x-amz-content-sha256.
    #[arg(long, help_heading = "aws-sigv4")]
    pub sign_body: bool,
    /// An Authorization header (default) or a presigned URL (hawk: a bewit URL; verify: only a bewit).
    #[arg(long, value_enum, value_name = "TYPE", help_heading = "aws-sigv4 and hawk")]
    pub signature_type: Option<SignatureTypeArg>,
    /// Seconds a presigned URL is valid (default 3600).
    #[arg(long, value_name = "SECONDS", help_heading = "aws-sigv4")]
    pub expires: Option<u32>,

    /// A component to cover, in order (repeatable): @method, @target-uri, content-type, "@query-param;name=\"id\""…
    #[arg(long = "component", value_name = "COMPONENT", help_heading = "rfc9421")]
    pub components: Vec<String>,
    /// The signature's label (sign: default sig1; verify: only this signature).
    #[arg(long, value_name = "LABEL", help_heading = "rfc9421")]
    pub label: Option<String>,
    /// The signature's expires parameter, Unix seconds.
    #[arg(long, value_name = "UNIX", help_heading = "rfc9421")]
    pub expires_at: Option<i64>,
    /// The signature's nonce parameter (hawk: the nonce to send; default a random one per request).
    #[arg(long, value_name = "NONCE", help_heading = "rfc9421 and hawk")]
    pub nonce: Option<String>,
    /// The signature's tag parameter (verify: only signatures with this tag).
    #[arg(long, value_name = "TAG", help_heading = "rfc9421")]
    pub tag: Option<String>,
    /// Add alg="hmac-sha256".
    #[arg(long, help_heading = "rfc9421")]
    pub include_alg: bool,
    /// Add a Content-Digest of the body and cover it.
    #[arg(long, value_enum, value_name = "ALG", help_heading = "rfc9421")]
    pub content_digest: Option<ContentDigestArg>,

    /// kong-hmac: hmac-sha1, hmac-sha256 (default), hmac-sha384, hmac-sha512. hawk: the credential's, sha256 (default) or sha1.
    #[arg(long, value_name = "ALG", help_heading = "kong-hmac and hawk")]
    pub algorithm: Option<String>,

    /// A name to sign, in order (repeatable): a header name, @request-target or request-line (default: date, @request-target).
    #[arg(long = "cover", value_name = "NAME", help_heading = "kong-hmac")]
    pub cover: Vec<String>,
    /// The header that carries the signature (default authorization).
    #[arg(long, value_enum, value_name = "NAME", help_heading = "kong-hmac")]
    pub header_name: Option<HeaderNameArg>,
    /// The HTTP version request-line writes (default 1.1); verify: the version the request arrived with.
    #[arg(long, value_enum, value_name = "VERSION", help_heading = "kong-hmac")]
    pub http_version: Option<HttpVersionArg>,
    /// Add `Digest: SHA-256=<base64>` of the body (signed when --cover names digest).
    #[arg(long, help_heading = "kong-hmac")]
    pub digest_header: bool,

    /// Application data sent in ext (no `"` or `\`).
    #[arg(long, value_name = "TEXT", help_heading = "hawk")]
    pub ext: Option<String>,
    /// The Oz application id sent in app.
    #[arg(long, value_name = "ID", help_heading = "hawk")]
    pub app: Option<String>,
    /// The Oz delegating application sent in dlg (with --app).
    #[arg(long, value_name = "ID", help_heading = "hawk")]
    pub dlg: Option<String>,
    /// Send no payload hash (hash=) of the body and Content-Type.
    #[arg(long, help_heading = "hawk")]
    pub no_payload_hash: bool,
    /// Seconds a bewit URL is valid (default 60).
    #[arg(long, value_name = "SECONDS", help_heading = "hawk")]
    pub ttl: Option<u32>,
}

/// How strictly to verify; unset options keep the scheme's defaults.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Seconds of clock difference accepted (api-auth: 900, strict; aws-sigv4: 900; rfc9421: 5; kong-hmac: 300; hawk: 60).
    #[arg(long, visible_aliases = ["max-skew", "timestamp-skew"], value_name = "SECONDS", help_heading = "Verifying")]
    pub clock_skew: Option<u32>,
    /// api-auth: accept only this digest.
    #[arg(long, value_name = "DIGEST", help_heading = "Verifying")]
    pub accept_digest: Option<String>,
    /// api-auth: honour X-Original-URI (set by a trusted reverse proxy).
    #[arg(long, help_heading = "Verifying")]
    pub trust_original_uri: bool,
    /// api-auth, rfc9421: accept a body no signed hash or digest covers.
    #[arg(long, help_heading = "Verifying")]
    pub allow_unsigned_body: bool,
    /// timestamped, rfc9421: oldest accepted timestamp, seconds (default 300).
    #[arg(long, value_name = "SECONDS", help_heading = "Verifying")]
    pub max_age: Option<u32>,
    /// timestamped: latest accepted timestamp, seconds ahead (default 5).
    #[arg(long, value_name = "SECONDS", help_heading = "Verifying")]
    pub max_future: Option<u32>,
    /// timestamped: the URL clients see, e.g. https://api.example.com/v1.
    #[arg(long, value_name = "URL", help_heading = "Verifying")]
    pub public_base_url: Option<String>,
    /// timestamped: take scheme and host from X-Forwarded-* (behind a proxy that sets them).
    #[arg(long, help_heading = "Verifying")]
    pub trust_forwarded: bool,
    /// rfc9421: a component every signature must cover (repeatable; default @method, @target-uri).
    #[arg(long = "require-component", value_name = "COMPONENT", help_heading = "Verifying")]
    pub required_components: Vec<String>,
    /// kong-hmac: a name the signature must list (repeatable).
    #[arg(long = "enforce-header", value_name = "NAME", help_heading = "Verifying")]
    pub enforce_headers: Vec<String>,
    /// kong-hmac: an algorithm accepted (repeatable; default all four).
    #[arg(long = "allow-algorithm", value_name = "ALG", help_heading = "Verifying")]
    pub allow_algorithms: Vec<String>,
    /// kong-hmac: check Digest against the body, and refuse a body without one.
    #[arg(long, help_heading = "Verifying")]
    pub validate_request_body: bool,
    /// hawk: refuse a request without a payload hash (hash=).
    #[arg(long, help_heading = "Verifying")]
    pub require_payload_hash: bool,
    /// hawk: the host the client signed, behind a proxy or TLS terminator (instead of Host's).
    #[arg(long, value_name = "HOST", help_heading = "Verifying")]
    pub host: Option<String>,
    /// hawk: the port the client signed, behind a proxy or TLS terminator (instead of Host's, or 80).
    #[arg(long, value_name = "PORT", help_heading = "Verifying")]
    pub port: Option<u16>,
}

/// A request described the way curl takes it.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    /// The method (default: GET, or POST with a body).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// A header, `Name: value` (repeatable). As in curl: `Name;` sends an empty value, `Name:` sends none.
    #[arg(short = 'H', long = "header", value_name = "HEADER", allow_hyphen_values = true)]
    pub headers: Vec<String>,
    /// The body: DATA, @FILE or @- (stdin), byte for byte (unlike curl's -d, newlines are kept).
    #[arg(short = 'd', long = "data", visible_alias = "data-binary", value_name = "DATA", allow_hyphen_values = true)]
    pub data: Option<String>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    #[command(flatten)]
    pub scheme: SchemeArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    #[command(flatten)]
    pub request: RequestArgs,
    /// Print a whole curl command that sends exactly what was signed.
    #[arg(long)]
    pub curl: bool,
    /// Also write the exact bytes signed to this file (for `explain --their-string-to-sign`).
    #[arg(long, value_name = "FILE")]
    pub save_string_to_sign: Option<PathBuf>,
    /// The clock, Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    pub now: Option<i64>,
    /// The URL: http(s)://host[:port]/path?query, or /path?query (with -H Host where the scheme signs the host).
    #[arg(value_name = "URL")]
    pub url: String,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub scheme: SchemeArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// The clock, Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    pub now: Option<i64>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub scheme: SchemeArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    #[command(flatten)]
    pub request: RequestArgs,
    /// Read a raw HTTP/1.1 request on stdin instead of URL, -X, -H and -d.
    #[arg(long, conflicts_with_all = ["url", "method", "headers", "data"])]
    pub raw: bool,
    /// The received signature value alone (base64 or hex, as the scheme writes it).
    #[arg(long, value_name = "SIGNATURE")]
    pub signature: Option<String>,
    /// The received Authorization header value (replaces the request's).
    #[arg(long, value_name = "VALUE", conflicts_with = "signature")]
    pub authorization: Option<String>,
    /// The client's string to sign (its exact bytes), to diff line by line against this library's.
    #[arg(long, value_name = "FILE")]
    pub their_string_to_sign: Option<PathBuf>,
    /// The clock, Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    pub now: Option<i64>,
    /// The URL, as for sign (not with --raw).
    #[arg(value_name = "URL", required_unless_present = "raw")]
    pub url: Option<String>,
}
