//! From arguments to the core's objects: `Scheme`, `Policy`, `Credentials`.
//!
//! Options belong to schemes; one given with another scheme is refused
//! (exit 2) rather than silently ignored, so a typo in `--scheme` cannot make
//! `--region` vanish. Unset policy options keep the core's defaults (read from
//! the core, not repeated here).

use std::collections::HashMap;
use std::sync::Arc;

use hmacsig::defaults;
use hmacsig::{ContentDigest, Credentials, HeaderStyle, Policy, Scheme, SignatureType, Verifier};

use crate::args::{
    ContentDigestArg, HeaderNameArg, HeaderStyleArg, HttpVersionArg, KeyArgs, PolicyArgs, SchemeArgs, SchemeName, SignatureTypeArg,
};
use crate::error::{CliError, CliResult};
use crate::input::{env_text, read_secret};

use SchemeName::{ApiAuth, AwsSigv4, Hawk, KongHmac, PathBodyHex, Rfc9421, Timestamped};

/// Refuses options that do not belong to `scheme`.
fn check_applies(scheme: SchemeName, given: &[(&str, bool, &[SchemeName])]) -> CliResult<()> {
    for (flag, present, schemes) in given {
        if *present && !schemes.contains(&scheme) {
            let owners: Vec<&str> = schemes.iter().map(|s| s.as_str()).collect();
            return Err(CliError::usage(format!("{flag} applies to {} only, not {}", owners.join(" and "), scheme.as_str())));
        }
    }
    Ok(())
}

/// The scheme the arguments describe. An aws-sigv4 session token is read from
/// its environment variable here.
pub fn scheme(a: &SchemeArgs) -> CliResult<Arc<Scheme>> {
    check_applies(
        a.scheme,
        &[
            ("--digest", a.digest.is_some(), &[ApiAuth, PathBodyHex]),
            ("--sign-header", !a.sign_headers.is_empty(), &[ApiAuth]),
            ("--override-method", a.override_method.is_some(), &[ApiAuth]),
            ("--header-style", a.header_style.is_some(), &[Timestamped]),
            ("--lowercase-url", a.lowercase_url, &[Timestamped]),
            ("--region", a.region.is_some(), &[AwsSigv4]),
            ("--service", a.service.is_some(), &[AwsSigv4]),
            ("--session-token-env", a.session_token_env.is_some(), &[AwsSigv4]),
            ("--omit-session-token", a.omit_session_token, &[AwsSigv4]),
            ("--no-normalize", a.no_normalize, &[AwsSigv4]),
            ("--no-double-uri-encode", a.no_double_uri_encode, &[AwsSigv4]),
            ("--sign-body", a.sign_body, &[AwsSigv4]),
            ("--signature-type", a.signature_type.is_some(), &[AwsSigv4, Hawk]),
            ("--expires", a.expires.is_some(), &[AwsSigv4]),
            ("--component", !a.components.is_empty(), &[Rfc9421]),
            ("--label", a.label.is_some(), &[Rfc9421]),
            ("--expires-at", a.expires_at.is_some(), &[Rfc9421]),
            ("--nonce", a.nonce.is_some(), &[Rfc9421, Hawk]),
            ("--tag", a.tag.is_some(), &[Rfc9421]),
            ("--include-alg", a.include_alg, &[Rfc9421]),
            ("--content-digest", a.content_digest.is_some(), &[Rfc9421]),
            ("--algorithm", a.algorithm.is_some(), &[KongHmac, Hawk]),
            ("--cover", !a.cover.is_empty(), &[KongHmac]),
            ("--header-name", a.header_name.is_some(), &[KongHmac]),
            ("--http-version", a.http_version.is_some(), &[KongHmac]),
            ("--digest-header", a.digest_header, &[KongHmac]),
            ("--ext", a.ext.is_some(), &[Hawk]),
            ("--app", a.app.is_some(), &[Hawk]),
            ("--dlg", a.dlg.is_some(), &[Hawk]),
            ("--no-payload-hash", a.no_payload_hash, &[Hawk]),
            ("--ttl", a.ttl.is_some(), &[Hawk]),
        ],
    )?;
    if a.dlg.is_some() && a.app.is_none() {
        // hawk sends dlg only after app; the core would drop it silently.
        return Err(CliError::usage("--dlg needs --app (hawk sends dlg only with app)"));
    }
    let signature_type = a.signature_type.map(|t| match t {
        SignatureTypeArg::Header => SignatureType::Header,
        SignatureTypeArg::Query => SignatureType::Query,
    });
    let digest = || a.digest.clone().unwrap_or_else(|| "sha1".to_owned());
    let built = match a.scheme {
        ApiAuth => Scheme::api_auth(digest(), a.sign_headers.clone(), a.override_method.clone()),
        PathBodyHex => Scheme::path_body_hex(digest()),
        Timestamped => Ok(Scheme::timestamped(
            a.header_style.map(|s| match s {
                HeaderStyleArg::XRequest => HeaderStyle::XRequest,
                HeaderStyleArg::Authorization => HeaderStyle::Authorization,
            }),
            a.lowercase_url,
        )),
        AwsSigv4 => {
            let required =
                |value: &Option<String>, flag: &str| value.clone().ok_or_else(|| CliError::usage(format!("aws-sigv4 needs {flag}")));
            let (region, service) = (required(&a.region, "--region")?, required(&a.service, "--service")?);
            let session_token = a.session_token_env.as_deref().map(|var| env_text(var, "session token")).transpose()?;
            Scheme::aws_sigv4(
                region,
                service,
                session_token,
                a.omit_session_token,
                !a.no_normalize,
                !a.no_double_uri_encode,
                a.sign_body,
                signature_type,
                a.expires.unwrap_or(3600),
            )
        }
        Rfc9421 => Scheme::rfc9421(
            (!a.components.is_empty()).then(|| a.components.clone()),
            a.label.clone().unwrap_or_else(|| "sig1".to_owned()),
            None,
            a.expires_at,
            a.nonce.clone(),
            a.tag.clone(),
            a.include_alg,
            a.content_digest.map(|d| match d {
                ContentDigestArg::Sha256 => ContentDigest::Sha256,
                ContentDigestArg::Sha512 => ContentDigest::Sha512,
            }),
        ),
        // The core's defaults where these options are not given; `Scheme::kong_hmac`
        // and `Scheme::hawk` take every option, so the unset ones are spelled here as
        // their docs give them (hmacsig::defaults has the list of names and the ttl).
        KongHmac => Scheme::kong_hmac(
            a.algorithm.clone().unwrap_or_else(|| "hmac-sha256".to_owned()),
            (!a.cover.is_empty()).then(|| a.cover.clone()),
            a.header_name.map_or(HeaderNameArg::Authorization, |h| h).as_str().to_owned(),
            a.http_version.map_or(HttpVersionArg::V11, |v| v).as_str().to_owned(),
            a.digest_header,
        ),
        Hawk => Scheme::hawk(
            a.algorithm.clone().unwrap_or_else(|| "sha256".to_owned()),
            a.nonce.clone(),
            a.ext.clone(),
            a.app.clone(),
            a.dlg.clone(),
            !a.no_payload_hash,
            signature_type,
            a.ttl.unwrap_or(defaults::HAWK_TTL),
        ),
    };
    built.map_err(|e| CliError::usage_from(&e))
}

/// The verifying policy, `None` when no option changes the scheme's defaults.
/// rfc9421's `--label` and `--tag` select which signatures are verified.
pub fn policy(s: &SchemeArgs, p: &PolicyArgs) -> CliResult<Option<Arc<Policy>>> {
    check_applies(
        s.scheme,
        &[
            ("--clock-skew", p.clock_skew.is_some(), &[ApiAuth, AwsSigv4, Rfc9421, KongHmac, Hawk]),
            ("--accept-digest", p.accept_digest.is_some(), &[ApiAuth]),
            ("--trust-original-uri", p.trust_original_uri, &[ApiAuth]),
            ("--allow-unsigned-body", p.allow_unsigned_body, &[ApiAuth, Rfc9421]),
            ("--max-age", p.max_age.is_some(), &[Timestamped, Rfc9421]),
            ("--max-future", p.max_future.is_some(), &[Timestamped]),
            ("--public-base-url", p.public_base_url.is_some(), &[Timestamped]),
            ("--trust-forwarded", p.trust_forwarded, &[Timestamped]),
            ("--require-component", !p.required_components.is_empty(), &[Rfc9421]),
            ("--enforce-header", !p.enforce_headers.is_empty(), &[KongHmac]),
            ("--allow-algorithm", !p.allow_algorithms.is_empty(), &[KongHmac]),
            ("--validate-request-body", p.validate_request_body, &[KongHmac]),
            ("--require-payload-hash", p.require_payload_hash, &[Hawk]),
            ("--host", p.host.is_some(), &[Hawk]),
            ("--port", p.port.is_some(), &[Hawk]),
        ],
    )?;
    let any = p.clock_skew.is_some()
        || p.accept_digest.is_some()
        || p.trust_original_uri
        || p.allow_unsigned_body
        || p.max_age.is_some()
        || p.max_future.is_some()
        || p.public_base_url.is_some()
        || p.trust_forwarded
        || !p.required_components.is_empty()
        || !p.enforce_headers.is_empty()
        || !p.allow_algorithms.is_empty()
        || p.validate_request_body
        || p.require_payload_hash
        || p.host.is_some()
        || p.port.is_some()
        || (s.scheme == Rfc9421 && (s.label.is_some() || s.tag.is_some()));
    if !any {
        return Ok(None);
    }
    let built = match s.scheme {
        ApiAuth => Policy::api_auth(
            p.clock_skew.unwrap_or(defaults::API_AUTH_CLOCK_SKEW),
            p.accept_digest.clone(),
            p.trust_original_uri,
            p.allow_unsigned_body,
        ),
        AwsSigv4 => Ok(Policy::aws_sigv4(p.clock_skew.unwrap_or(defaults::AWS_SIGV4_MAX_SKEW))),
        Rfc9421 => Policy::rfc9421(
            p.max_age.unwrap_or(defaults::RFC9421_MAX_AGE),
            (!p.required_components.is_empty()).then(|| p.required_components.clone()),
            p.clock_skew.unwrap_or(defaults::RFC9421_CLOCK_SKEW),
            s.label.clone(),
            s.tag.clone(),
            p.allow_unsigned_body,
        ),
        Timestamped => Policy::timestamped(
            p.max_age.unwrap_or(defaults::TIMESTAMPED_MAX_AGE),
            p.max_future.unwrap_or(defaults::TIMESTAMPED_MAX_FUTURE),
            p.public_base_url.clone(),
            p.trust_forwarded,
        ),
        KongHmac => Policy::kong_hmac(
            p.clock_skew.unwrap_or(defaults::KONG_HMAC_CLOCK_SKEW),
            p.enforce_headers.clone(),
            (!p.allow_algorithms.is_empty()).then(|| p.allow_algorithms.clone()),
            p.validate_request_body,
        ),
        Hawk => Policy::hawk(p.clock_skew.unwrap_or(defaults::HAWK_TIMESTAMP_SKEW), p.require_payload_hash, p.host.clone(), p.port),
        PathBodyHex => unreachable!("check_applies refuses every policy option for path-body-hex"),
    };
    built.map(Some).map_err(|e| CliError::usage_from(&e))
}

/// The key id with its secret, read from where `--secret-env`/`--secret-file` say.
pub fn credentials(key: &KeyArgs) -> CliResult<(Arc<Credentials>, Vec<u8>)> {
    let secret = read_secret(&key.secret)?;
    Ok((Arc::new(Credentials::new(key.key_id.clone(), secret.clone())), secret))
}

/// A server's verifier holding the one key: a request claiming another key
/// id is `unknown_key`, as on a real server.
pub fn verifier(scheme: Arc<Scheme>, policy: Option<Arc<Policy>>, key_id: &str, secret: &[u8]) -> CliResult<Verifier> {
    let keys = HashMap::from([(key_id.to_owned(), secret.to_vec())]);
    Verifier::with_keys(scheme, keys, policy, None).map_err(|e| CliError::usage_from(&e))
}

/// Unix seconds: `--now` or the system clock.
pub fn now_or_clock(now: Option<i64>) -> i64 {
    now.unwrap_or_else(|| {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::args::Cli;

    /// The help text states the core's defaults: it cannot read them, so this checks it.
    #[test]
    fn the_help_states_the_cores_defaults() {
        let mut cli = Cli::command();
        let verify = cli.find_subcommand_mut("verify").unwrap();
        let help = |name: &str| verify.get_arguments().find(|a| a.get_id() == name).unwrap().get_help().unwrap().to_string();
        let skew = help("clock_skew");
        for (scheme, value) in [
            ("api-auth", defaults::API_AUTH_CLOCK_SKEW),
            ("aws-sigv4", defaults::AWS_SIGV4_MAX_SKEW),
            ("rfc9421", defaults::RFC9421_CLOCK_SKEW),
            ("kong-hmac", defaults::KONG_HMAC_CLOCK_SKEW),
            ("hawk", defaults::HAWK_TIMESTAMP_SKEW),
        ] {
            assert!(skew.contains(&format!("{scheme}: {value}")), "{skew}");
        }
        assert!(help("ttl").contains(&format!("(default {})", defaults::HAWK_TTL)));
        assert!(help("cover").contains(&format!("(default: {})", defaults::KONG_HMAC_HEADERS.join(", "))));
    }
}
