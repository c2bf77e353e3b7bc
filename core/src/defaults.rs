//! The defaults the core applies when an option is not given: a scheme's
//! default policy (a `None` policy), and what [`Scheme::rfc9421`](crate::Scheme::rfc9421)
//! covers without `components`. For Rust callers, whose [`Policy`](crate::Policy)
//! constructors take every option, and for tools that fill in unset options
//! as the core would (such as the command line). The foreign bindings'
//! constructors default to the same values.

use crate::schemes::{api_auth, aws_sigv4, hawk, kong_hmac, rfc9421, timestamped};

/// api-auth: seconds either side of `Date` a request is fresh for (900).
pub const API_AUTH_CLOCK_SKEW: u32 = api_auth::DEFAULT_CLOCK_SKEW;

/// aws-sigv4: most seconds between `X-Amz-Date` and now, either way (900, as AWS).
pub const AWS_SIGV4_MAX_SKEW: u32 = aws_sigv4::DEFAULT_MAX_SKEW;

/// rfc9421: oldest accepted `created`, in seconds before now (300).
pub const RFC9421_MAX_AGE: u32 = rfc9421::DEFAULT_MAX_AGE;

/// rfc9421: tolerance, in seconds, on `created`, `expires` and the maximum age (5).
pub const RFC9421_CLOCK_SKEW: u32 = rfc9421::DEFAULT_CLOCK_SKEW;

/// rfc9421: the components signed when none are given, in order:
/// `@method`, `@authority`, `@target-uri` (as http-message-signatures signs).
pub const RFC9421_COMPONENTS: [&str; 3] = rfc9421::DEFAULT_COMPONENTS;

/// timestamped: oldest accepted timestamp, in seconds before now (300).
pub const TIMESTAMPED_MAX_AGE: u32 = timestamped::DEFAULT_MAX_AGE;

/// timestamped: latest accepted timestamp, in seconds after now (5).
pub const TIMESTAMPED_MAX_FUTURE: u32 = timestamped::DEFAULT_MAX_FUTURE;

/// kong-hmac: the names signed when none are given, `date`, `@request-target` (as Kong's docs).
pub const KONG_HMAC_HEADERS: [&str; 2] = kong_hmac::DEFAULT_HEADERS;

/// kong-hmac: most seconds between the signed date and now, either way (300, as Kong).
pub const KONG_HMAC_CLOCK_SKEW: u32 = kong_hmac::DEFAULT_CLOCK_SKEW;

/// hawk: most seconds between `ts` and now, either way (60, as hawk).
pub const HAWK_TIMESTAMP_SKEW: u32 = hawk::DEFAULT_TIMESTAMP_SKEW;

/// hawk: a bewit's lifetime when `ttl` is not given, in seconds (60).
pub const HAWK_TTL: u32 = hawk::DEFAULT_TTL;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scheme;
    use crate::scheme::PolicyKind;

    /// What a `None` policy means is what these constants say.
    #[test]
    fn the_constants_are_the_default_policies() {
        let policy = |scheme: std::sync::Arc<Scheme>| scheme.default_policy().unwrap();
        let PolicyKind::ApiAuth(p) = policy(Scheme::api_auth("sha1".into(), vec![], None).unwrap()) else { panic!() };
        assert_eq!(p.clock_skew, API_AUTH_CLOCK_SKEW);
        let PolicyKind::AwsSigV4(p) =
            policy(Scheme::aws_sigv4("r".into(), "s".into(), None, false, true, true, false, None, 3600).unwrap())
        else {
            panic!()
        };
        assert_eq!(p.max_skew, AWS_SIGV4_MAX_SKEW);
        let PolicyKind::Rfc9421(p) = policy(Scheme::rfc9421(None, "sig1".into(), None, None, None, None, false, None).unwrap()) else {
            panic!()
        };
        assert_eq!((p.max_age, p.clock_skew), (RFC9421_MAX_AGE, RFC9421_CLOCK_SKEW));
        let PolicyKind::Timestamped(p) = policy(Scheme::timestamped(None, false)) else { panic!() };
        assert_eq!((p.max_age, p.max_future), (TIMESTAMPED_MAX_AGE, TIMESTAMPED_MAX_FUTURE));
        let kong = Scheme::kong_hmac("hmac-sha256".into(), None, "authorization".into(), "1.1".into(), false).unwrap();
        let crate::scheme::SchemeKind::KongHmac(options) = &kong.kind else { panic!() };
        assert_eq!(options.headers, KONG_HMAC_HEADERS.map(str::to_owned));
        let PolicyKind::KongHmac(p) = policy(kong) else { panic!() };
        assert_eq!((p.clock_skew, p.algorithms.len()), (KONG_HMAC_CLOCK_SKEW, 4));
        let PolicyKind::Hawk(p) = policy(Scheme::hawk("sha256".into(), None, None, None, None, true, None, HAWK_TTL).unwrap()) else {
            panic!()
        };
        assert_eq!(p.timestamp_skew, HAWK_TIMESTAMP_SKEW);
    }
}
