//! SigV4 authentication against stored keys: the credential scope routes the request, the
//! access key names the caller, the signature proves it.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use monban_sigv4::{CredentialScope, ScopedKey};

use monban_store::{AccessKey, Principal, PrincipalKind, Session, SessionKind};

use crate::error::ApiError;
use crate::operation::{Service, StsOperation};
use crate::{util, State};

use super::*;

/// What authentication reads for one access key: the key's owner and its still-sealed secret.
pub(super) enum KeyRecord {
    /// A long-term key: root's, or an IAM user's (`None` if the user is gone).
    LongTerm { key: Box<AccessKey>, user: Option<Arc<Principal>> },
    /// Temporary credentials and the role (or, for a user's own session, the user) they belong to
    /// (`None` if it is gone, and for root's own session).
    Session { session: Arc<Session>, principal: Option<Arc<Principal>> },
}

/// A key's records as cached, with the signing key its last request's scope derived: requests of
/// the same day, region and service are verified without opening the sealed secret again or
/// repeating the four derivation HMACs. It goes with the record, when a write changes the key or
/// its owner (`PolicyCache::invalidate`).
pub(super) struct CachedKey {
    record: KeyRecord,
    signing: Mutex<Option<Arc<ScopedKey>>>,
}

impl CachedKey {
    /// The signing key for `scope` of the secret sealed in `sealed`, derived once per scope.
    fn signing_key(&self, state: &State, sealed: &[u8], scope: &CredentialScope) -> Result<Arc<ScopedKey>, ApiError> {
        let kept = self.signing.lock().ok().and_then(|kept| kept.clone());
        if let Some(key) = kept.filter(|key| key.scope() == scope) {
            return Ok(key);
        }
        let secret = state.secrets.open(sealed)?;
        let key = ScopedKey::derive(&secret, scope).ok_or_else(|| ApiError::internal("no signing key"))?;
        let key = Arc::new(key);
        if let Ok(mut kept) = self.signing.lock() {
            *kept = Some(key.clone());
        }
        Ok(key)
    }
}

impl KeyRecord {
    /// What the record was read from: the key's own row (a session's never changes), and the
    /// user's or role's.
    fn read_from(&self, key_id: &str) -> Vec<Subject> {
        let (key, principal) = match self {
            KeyRecord::LongTerm { key, user } => {
                (Some(Subject::access_key(key_id)), user.as_deref().map(|u| (&key.account_id, u)))
            }
            KeyRecord::Session { session, principal } => (None, principal.as_deref().map(|p| (&session.account_id, p))),
        };
        key.into_iter().chain(principal.map(|(account, p)| Subject::principal(account, p.kind, &p.name))).collect()
    }
}

/// Reads the records behind an access key id; `None` when there is no such key.
pub(super) async fn key_record(state: &State, key_id: &str) -> Result<Option<KeyRecord>, ApiError> {
    if key_id.starts_with("ASIA") {
        let Some(session) = state.store.session(key_id).await? else { return Ok(None) };
        // The session belongs to the principal it was issued for, by unique id: a role or user
        // created later under the same name is another.
        let kind = match session.kind {
            SessionKind::Role => Some(PrincipalKind::Role),
            SessionKind::User => Some(PrincipalKind::User),
            // Root made it when the id is the account's.
            SessionKind::FederatedUser if session.role_id != session.account_id => Some(PrincipalKind::User),
            SessionKind::Root | SessionKind::RootTask | SessionKind::FederatedUser => None,
        };
        let principal = match kind {
            Some(kind) => state.store.principal_by_id(&session.role_id).await?.filter(|p| p.kind == kind),
            None => None,
        };
        return Ok(Some(KeyRecord::Session { session: Arc::new(session), principal: principal.map(Arc::new) }));
    }
    let Some(key) = state.store.access_key(key_id).await? else { return Ok(None) };
    let user = match &key.user_name {
        None => None,
        Some(name) => state.store.principal(&key.account_id, PrincipalKind::User, name).await?.map(Arc::new),
    };
    Ok(Some(KeyRecord::LongTerm { key: Box::new(key), user }))
}

/// The service a request is for, from its credential scope: IAM and STS are the services this
/// endpoint serves, and the scope must name a region of the partition. A request signed for
/// another service or a region that does not exist is refused with AWS's words before its key is
/// looked up.
pub(super) fn scoped_service(
    scope: &monban_sigv4::CredentialScope,
    action: &str,
    partition: monban_policy::arn::Partition,
) -> Result<Service, ApiError> {
    let service = match Service::from_signing_name(&scope.service) {
        Some(service) => service,
        None => {
            let other = scope.service.as_str();
            let expected = if StsOperation::from_wire(action).is_some() { "sts" } else { "iam" };
            return Err(monban_sigv4::Sigv4Error::Scope(monban_sigv4::ScopeMismatch::Service {
                expected: expected.into(),
                found: other.chars().take(64).collect(),
            })
            .into());
        }
    };
    if !crate::protocol::model::is_region(partition, &scope.region) {
        return Err(monban_sigv4::Sigv4Error::Scope(monban_sigv4::ScopeMismatch::Region(
            scope.region.chars().take(64).collect(),
        ))
        .into());
    }
    Ok(service)
}

/// A JSON request's operation is its `X-Amz-Target` header: a signature that does not cover it
/// would let whoever saw the request send it again as another operation.
fn target_signed(request: &monban_sigv4::Request<'_>, signed: &[String]) -> Result<(), ApiError> {
    let has_target = request.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("x-amz-target"));
    if has_target && !signed.iter().any(|h| h == "x-amz-target") {
        return Err(ApiError::signature_mismatch("The request's X-Amz-Target header must be signed."));
    }
    Ok(())
}

/// Looks the access key up, checks the signature, and returns the caller.
///
/// A Query request's body is the request itself, so the signature must cover it:
/// `UNSIGNED-PAYLOAD` is refused.
pub async fn authenticate(
    state: &State,
    request: &monban_sigv4::Request<'_>,
    action: &str,
    now: SystemTime,
) -> Result<(Identity, monban_sigv4::CredentialScope, Service), ApiError> {
    let options = monban_sigv4::Options::new().allow_unsigned_payload(false);
    let claim = monban_sigv4::parse(request, now, &options)?;
    let service = scoped_service(claim.scope(), action, state.config.partition)?;
    let key_id = claim.access_key_id().to_string();
    let invalid = || ApiError::invalid_client_token("The security token included in the request is invalid.");
    let at = state.policies.read_at();
    let record = match state.policies.keys.get(at, &key_id) {
        Some(record) => record,
        None => {
            let record = key_record(state, &key_id).await?.ok_or_else(invalid)?;
            let record = Arc::new(CachedKey { record, signing: Mutex::new(None) });
            // A record whose user or role is gone is not kept: creating one of that name does not
            // invalidate the cache.
            if matches!(
                &record.record,
                KeyRecord::LongTerm { user: Some(_), .. } | KeyRecord::Session { principal: Some(_), .. }
            ) || matches!(&record.record, KeyRecord::LongTerm { key, .. } if key.user_name.is_none())
                || matches!(&record.record, KeyRecord::Session { session, .. } if session.role_id == session.account_id)
            {
                let subjects = record.record.read_from(&key_id);
                state.policies.keep(&state.policies.keys, at, key_id.clone(), record.clone(), &subjects);
            }
            record
        }
    };
    match &record.record {
        KeyRecord::Session { session, principal } => {
            if claim.session_token().map(util::sha256_hex).as_deref() != Some(session.session_token_sha256.as_str()) {
                return Err(invalid());
            }
            if session.expires.as_str() <= util::iso8601(now).as_str() {
                return Err(ApiError::expired_token("The security token included in the request is expired"));
            }
            // Only root's own sessions, and federated users root made, belong to no principal.
            if principal.is_none() && session.role_id != session.account_id {
                return Err(invalid());
            }
            let signing = record.signing_key(state, &session.secret, claim.scope())?;
            let verified = claim.verify_scoped(&signing, ())?;
            target_signed(request, &verified.signed_headers)?;
            let account = session.account_id.clone();
            let shared = session.clone();
            let identity = match (session.kind, principal.clone()) {
                (SessionKind::Role, Some(role)) => Identity::Session { account, role, session: shared },
                (SessionKind::User, Some(user)) => {
                    Identity::User { account, user, access_key_id: key_id.clone(), session: Some(shared) }
                }
                (SessionKind::Root | SessionKind::RootTask, _) => Identity::Root {
                    account,
                    partition: state.config.partition,
                    access_key_id: key_id.clone(),
                    session: Some(shared),
                },
                (SessionKind::FederatedUser, user) => {
                    Identity::Federated { account, partition: state.config.partition, user, session: shared }
                }
                _ => return Err(invalid()),
            };
            Ok((identity, verified.scope, service))
        }
        KeyRecord::LongTerm { key, user } => {
            if key.status != "Active" {
                return Err(invalid());
            }
            let signing = record.signing_key(state, &key.secret, claim.scope())?;
            let verified = claim.verify_scoped(&signing, ())?;
            target_signed(request, &verified.signed_headers)?;
            let account = key.account_id.clone();
            let identity = match (&key.user_name, user) {
                (None, _) => Identity::Root {
                    account,
                    partition: state.config.partition,
                    access_key_id: key_id.clone(),
                    session: None,
                },
                (Some(_), Some(user)) => {
                    Identity::User { account, user: user.clone(), access_key_id: key_id.clone(), session: None }
                }
                (Some(_), None) => return Err(invalid()),
            };
            state.note_key_use(&key_id, now, &verified.scope);
            Ok((identity, verified.scope, service))
        }
    }
}
