//! Bearer-token check of the admin route (SPEC H3, S3).

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

/// Whether `headers` carry exactly one `Authorization: Bearer <token>` whose
/// token equals `expected`.
///
/// The scheme is matched case-insensitively (RFC 7235); the token is
/// compared in constant time for tokens of the expected length (a token of
/// another length is rejected at once, which reveals only the length). A
/// missing, repeated or non-ASCII header, another scheme, an empty token or
/// a token in any other header is refused.
pub(super) fn authorized(headers: &HeaderMap, expected: &str) -> bool {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    let token = token.trim_matches(' ');
    let (token, expected) = (token.as_bytes(), expected.as_bytes());
    if token.is_empty() || token.len() != expected.len() {
        return false;
    }
    bool::from(token.ct_eq(expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(AUTHORIZATION, HeaderValue::from_static(v));
        }
        headers
    }

    #[test]
    fn http_auth_accepts_the_right_bearer_token_any_scheme_case() {
        for h in [
            "Bearer s3cret",
            "bearer s3cret",
            "BEARER s3cret",
            "Bearer   s3cret",
            "Bearer s3cret ",
        ] {
            assert!(authorized(&with(&[h]), "s3cret"), "{h}");
        }
    }

    #[test]
    fn http_auth_refuses_everything_else() {
        for h in [
            "Bearer s3cre",
            "Bearer s3crett",
            "Bearer S3CRET",
            "Bearer",
            "Bearer ",
            "Bearers3cret",
            "Basic s3cret",
            "Basic czNjcmV0",
            "Token s3cret",
            "s3cret",
            "",
            " Bearer s3cret",
        ] {
            assert!(!authorized(&with(&[h]), "s3cret"), "{h:?}");
        }
        assert!(!authorized(&HeaderMap::new(), "s3cret"));
        // Two Authorization headers: ambiguous, refused.
        assert!(!authorized(
            &with(&["Bearer s3cret", "Bearer s3cret"]),
            "s3cret"
        ));
        // The token in another header does not count.
        let mut headers = HeaderMap::new();
        headers.insert("x-admin-token", HeaderValue::from_static("s3cret"));
        assert!(!authorized(&headers, "s3cret"));
        // Non-visible-ASCII header bytes.
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer s3cr\xe9t").unwrap(),
        );
        assert!(!authorized(&headers, "s3cr\u{e9}t"));
    }
}
