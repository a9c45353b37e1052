//! The authenticated caller: root, an IAM user, or a role session.

use std::sync::Arc;

use monban_policy::arn::{Arn, Partition};
use monban_policy::Caller;
use monban_store::{Principal, Session, SessionKind};

use crate::error::ApiError;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub enum Identity {
    /// The account root user.
    Root {
        /// The account.
        account: String,
        /// The account's partition.
        partition: Partition,
        /// The key used.
        access_key_id: String,
        /// Its own temporary credentials (GetSessionToken), when it signed with them.
        session: Option<Arc<Session>>,
    },
    /// An IAM user, with a long-term key or its own temporary credentials.
    User {
        /// The account.
        account: String,
        /// The user.
        user: Arc<Principal>,
        /// The key used.
        access_key_id: String,
        /// Its own temporary credentials (GetSessionToken), when it signed with them.
        session: Option<Arc<Session>>,
    },
    /// A federated user, made by an IAM user (`user`) or by root (`None`) with GetFederationToken.
    Federated {
        /// The account.
        account: String,
        /// The account's partition.
        partition: Partition,
        /// The IAM user whose permissions cap the federated user's, if a user made it.
        user: Option<Arc<Principal>>,
        /// The session (its `session_name` is the federated user's name).
        session: Arc<Session>,
    },
    /// An assumed-role session.
    Session {
        /// The account.
        account: String,
        /// The role.
        role: Arc<Principal>,
        /// The session.
        session: Arc<Session>,
    },
}

impl Identity {
    /// The caller's account.
    pub fn account(&self) -> &str {
        match self {
            Identity::Root { account, .. }
            | Identity::User { account, .. }
            | Identity::Federated { account, .. }
            | Identity::Session { account, .. } => account,
        }
    }

    /// The caller's partition: the root user's account's, or the one its user's or role's ARN
    /// was made in.
    pub fn partition(&self) -> Partition {
        let of = |arn: &str| Arn::parse(arn).and_then(|a| Partition::parse(a.partition())).unwrap_or_default();
        match self {
            Identity::Root { partition, .. } | Identity::Federated { partition, .. } => *partition,
            Identity::User { user, .. } => of(&user.arn),
            Identity::Session { role, .. } => of(&role.arn),
        }
    }

    /// The caller's ARN, as GetCallerIdentity and AccessDenied messages show it.
    pub fn arn(&self) -> String {
        match self {
            Identity::Root { account, partition, .. } => format!("arn:{partition}:iam::{account}:root"),
            Identity::User { user, .. } => user.arn.clone(),
            Identity::Federated { account, partition, session, .. } => {
                format!("arn:{partition}:sts::{account}:federated-user/{}", session.session_name)
            }
            Identity::Session { account, role, session } => {
                format!("arn:{}:sts::{account}:assumed-role/{}/{}", self.partition(), role.name, session.session_name)
            }
        }
    }

    /// `aws:userid`: the account id for root, the user's id, `ACCOUNT:NAME` for a federated user,
    /// or `ROLEID:session`.
    pub fn user_id(&self) -> String {
        match self {
            Identity::Root { account, .. } => account.clone(),
            Identity::User { user, .. } => user.id.clone(),
            Identity::Federated { account, session, .. } => format!("{account}:{}", session.session_name),
            Identity::Session { role, session, .. } => format!("{}:{}", role.id, session.session_name),
        }
    }

    /// The access key that signed the request.
    pub fn access_key_id(&self) -> &str {
        match self {
            Identity::Root { access_key_id, .. } | Identity::User { access_key_id, .. } => access_key_id,
            Identity::Federated { session, .. } | Identity::Session { session, .. } => &session.access_key_id,
        }
    }

    /// The temporary credentials the caller signed with, if any (a role session's, or a user's or
    /// root's own).
    pub fn session(&self) -> Option<&Session> {
        match self {
            Identity::Root { session, .. } | Identity::User { session, .. } => session.as_deref(),
            Identity::Federated { session, .. } | Identity::Session { session, .. } => Some(session),
        }
    }

    /// `aws:PrincipalType` and CloudTrail's `userIdentity.type`.
    pub fn principal_type(&self) -> &'static str {
        match self {
            Identity::Root { .. } => "Root",
            Identity::User { .. } => "IAMUser",
            Identity::Federated { .. } => "FederatedUser",
            Identity::Session { .. } => "AssumedRole",
        }
    }

    /// What the caller's policy set is cached under: a session's own key, since sessions of one
    /// role and name can carry different session policies.
    pub(super) fn cache_key(&self) -> String {
        match self {
            Identity::Session { session, .. } | Identity::Federated { session, .. } => {
                format!("{}|{}", self.account(), session.access_key_id)
            }
            // A root session from AssumeRoot has its task policy: not the root user's policy set.
            Identity::Root { session: Some(session), .. } if session.kind == SessionKind::RootTask => {
                format!("{}|{}", self.account(), session.access_key_id)
            }
            Identity::User { user, .. } => [self.account(), "|", &user.arn].concat(),
            _ => format!("{}|{}", self.account(), self.arn()),
        }
    }

    /// Whether `other` is this identity as authentication read it, from the same records (the
    /// same shared principal and session): a record read again after a write is another.
    pub(super) fn is_same(&self, other: &Identity) -> bool {
        let same_session = |a: &Option<Arc<Session>>, b: &Option<Arc<Session>>| match (a, b) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        match (self, other) {
            (
                Identity::Root { account, partition, access_key_id, session },
                Identity::Root { account: a, partition: p, access_key_id: k, session: s },
            ) => account == a && partition == p && access_key_id == k && same_session(session, s),
            (
                Identity::User { account, user, access_key_id, session },
                Identity::User { account: a, user: u, access_key_id: k, session: s },
            ) => account == a && Arc::ptr_eq(user, u) && access_key_id == k && same_session(session, s),
            (
                Identity::Federated { account, partition, user, session },
                Identity::Federated { account: a, partition: p, user: u, session: s },
            ) => {
                let same_user = match (user, u) {
                    (Some(x), Some(y)) => Arc::ptr_eq(x, y),
                    (None, None) => true,
                    _ => false,
                };
                account == a && partition == p && same_user && Arc::ptr_eq(session, s)
            }
            (Identity::Session { account, role, session }, Identity::Session { account: a, role: r, session: s }) => {
                account == a && Arc::ptr_eq(role, r) && Arc::ptr_eq(session, s)
            }
            _ => false,
        }
    }

    pub(super) fn caller(&self) -> Result<Caller, ApiError> {
        let role_arn = match self {
            Identity::Session { role, .. } => Some(role.arn.clone()),
            _ => None,
        };
        Caller::from_arn(&self.arn(), role_arn.as_deref()).map_err(|e| ApiError::internal(e.to_string()))
    }
}
