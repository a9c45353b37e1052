//! Federation: credentials for users of an identity provider registered in IAM, on a statement
//! the provider signed. [`oidc`] checks an OpenID Connect token against the issuer's keys
//! (AssumeRoleWithWebIdentity); [`saml`] checks a SAML response against the signing certificates
//! of the provider's metadata (AssumeRoleWithSAML). Both are called unsigned: the statement is the
//! credential.

pub(crate) mod oidc;
pub(crate) mod outbound;
pub(crate) mod saml;

use crate::error::ApiError;

/// The clock skew AWS allows a token's or an assertion's times.
pub(crate) const SKEW_SECONDS: u64 = 300;

/// Why a token or an assertion was refused, in the terms STS answers with.
#[derive(Debug)]
pub(crate) enum TokenError {
    /// `InvalidIdentityToken`: the signature or the statement does not hold.
    Invalid(String),
    /// `ExpiredTokenException`.
    Expired(String),
    /// `IDPRejectedClaim`: the provider's own answer was a failure.
    Rejected(String),
    /// `IDPCommunicationError`: the keys could not be fetched.
    Unreachable(String),
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> ApiError {
        match e {
            TokenError::Invalid(m) => ApiError::invalid_identity_token(m),
            TokenError::Expired(m) => ApiError::expired_token_exception(m),
            TokenError::Rejected(m) => ApiError::idp_rejected_claim(m),
            TokenError::Unreachable(m) => ApiError::idp_communication_error(m),
        }
    }
}
