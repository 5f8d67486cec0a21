//! The bearer token every call carries, on both sides: the host's registry
//! service checks the plugins' calls, a plugin's service the host's.

use subtle::ConstantTimeEq;
use tonic::metadata::MetadataMap;

use super::error::RemoteError;

/// The token of the one `authorization: Bearer <token>` a call must carry
/// (the scheme matched case-insensitively, RFC 7235).
pub(crate) fn bearer(metadata: &MetadataMap) -> Result<&str, RemoteError> {
    let mut values = metadata.get_all(crate::proto::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(RemoteError::MissingToken);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim_matches(' '))
        .filter(|token| !token.is_empty())
        .ok_or(RemoteError::MissingToken)
}

/// Whether `token` is `expected`: compared in constant time for tokens of
/// the expected length (one of another length is refused at once, which
/// reveals only the length).
pub(crate) fn check_token(token: &str, expected: &str) -> bool {
    let (token, expected) = (token.as_bytes(), expected.as_bytes());
    token.len() == expected.len() && bool::from(token.ct_eq(expected))
}
