//! A user's SSH public keys, signing certificates and service-specific credentials: each belongs
//! to one user, has an id, a status and a date, and counts against a per-user quota.

use super::*;

/// Which kind of user credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserCredentialKind {
    /// An SSH public key (AWS CodeCommit).
    SshPublicKey,
    /// An X.509 signing certificate.
    SigningCertificate,
    /// A user name and password for one service (AWS CodeCommit, Amazon Keyspaces, Amazon Bedrock).
    ServiceSpecific,
}

impl UserCredentialKind {
    fn as_str(self) -> &'static str {
        match self {
            UserCredentialKind::SshPublicKey => "ssh-public-key",
            UserCredentialKind::SigningCertificate => "signing-certificate",
            UserCredentialKind::ServiceSpecific => "service-specific",
        }
    }

    fn parse(text: &str) -> UserCredentialKind {
        match text {
            "ssh-public-key" => UserCredentialKind::SshPublicKey,
            "signing-certificate" => UserCredentialKind::SigningCertificate,
            _ => UserCredentialKind::ServiceSpecific,
        }
    }

    /// The per-user quota ("IAM and AWS STS quotas"); service-specific credentials count per service.
    pub fn quota(self) -> Quota {
        match self {
            UserCredentialKind::SshPublicKey => Quota::SshPublicKeysPerUser,
            UserCredentialKind::SigningCertificate => Quota::SigningCertificatesPerUser,
            UserCredentialKind::ServiceSpecific => Quota::ServiceSpecificCredentialsPerService,
        }
    }
}

/// One stored user credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredential {
    /// The id (`APKA...`, a certificate id, `ACCA...`).
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// The owning user's name, as created.
    pub user_name: String,
    /// Which kind.
    pub kind: UserCredentialKind,
    /// `Active`, `Inactive` (or `Expired` for service-specific credentials).
    pub status: String,
    /// The SSH public key or the certificate, as uploaded.
    pub body: Option<String>,
    /// What makes two uploads the same key or certificate: the SSH key's MD5 fingerprint, the
    /// certificate's SHA-256 digest.
    pub fingerprint: Option<String>,
    /// Service-specific credentials: the service.
    pub service_name: Option<String>,
    /// Service-specific credentials: the user name to sign in with.
    pub service_user_name: Option<String>,
    /// Service-specific credentials: the password's argon2id hash.
    pub secret_hash: Option<String>,
    /// Upload or creation time.
    pub created: String,
}

const SELECT_CREDENTIALS: &str = "SELECT c.*, p.name AS user_name FROM user_credentials c JOIN principals p ON \
     p.account_id = c.account_id AND p.kind = 'user' AND p.name_key = c.user_key";

impl Store {
    /// Adds a credential to a user, checking in the same transaction that the user exists, that
    /// the user's quota is not reached and that the same key or certificate is not there already
    /// (SSH keys: on this user; certificates: anywhere in the account). A service-specific
    /// credential gets its sign-in name here, the first of `user-at-ACCOUNT`, `user+1-at-ACCOUNT`,
    /// ... that is free, so that no two share one. Returns the credential as stored.
    pub async fn add_user_credential(&self, c: &UserCredential) -> Result<UserCredential> {
        let mut c = c.clone();
        self.writes
            .write(move |tx| {
                require_in(tx, &c.account_id, PrincipalKind::User, &c.user_name)?;
                let user_key = key(&c.user_name);
                let count: i64 = tx
                    .prepare_cached(
                        "SELECT COUNT(*) FROM user_credentials WHERE account_id = ? AND user_key = ? AND kind = ? \
                         AND service_name IS ?",
                    )?
                    .query_row(rusqlite::params![&c.account_id, &user_key, c.kind.as_str(), &c.service_name], |r| {
                        r.get(0)
                    })?;
                let quota = c.kind.quota();
                if count >= quota.value() {
                    return Err(StoreError::LimitExceeded(Limit::Reached(quota)));
                }
                if c.kind == UserCredentialKind::ServiceSpecific {
                    let taken: Vec<String> = writer::column(
                        tx,
                        "SELECT service_user_name FROM user_credentials WHERE account_id = ? AND service_name IS ? \
                             AND service_user_name IS NOT NULL",
                        rusqlite::params![&c.account_id, &c.service_name],
                    )?;
                    let name = |n: usize| match n {
                        0 => format!("{}-at-{}", c.user_name, c.account_id),
                        n => format!("{}+{n}-at-{}", c.user_name, c.account_id),
                    };
                    let free = (0..).map(name).find(|candidate| !taken.contains(candidate));
                    c.service_user_name = free;
                }
                if let Some(fingerprint) = &c.fingerprint {
                    let same_user = c.kind == UserCredentialKind::SshPublicKey;
                    let duplicate: Option<i64> = tx
                        .prepare_cached(
                            "SELECT 1 FROM user_credentials WHERE account_id = ? AND kind = ? AND fingerprint = ? \
                             AND (NOT ? OR user_key = ?)",
                        )?
                        .query_row(
                            rusqlite::params![&c.account_id, c.kind.as_str(), fingerprint, same_user, &user_key],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if duplicate.is_some() {
                        return Err(StoreError::AlreadyExists(Existing::UserCredential(c.kind)));
                    }
                }
                tx.prepare_cached(
                    "INSERT INTO user_credentials (id, account_id, user_key, kind, status, body, fingerprint, \
                         service_name, service_user_name, secret_hash, created) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )?
                .execute(rusqlite::params![
                    &c.id,
                    &c.account_id,
                    &user_key,
                    c.kind.as_str(),
                    &c.status,
                    &c.body,
                    &c.fingerprint,
                    &c.service_name,
                    &c.service_user_name,
                    &c.secret_hash,
                    &c.created
                ])?;
                Ok(c)
            })
            .await
    }

    /// A user's credentials of one kind (every user's, for `None`), oldest first.
    pub async fn user_credentials(
        &self,
        account_id: &str,
        user: Option<&str>,
        kind: UserCredentialKind,
    ) -> Result<Vec<UserCredential>> {
        self.reader.all(
            &format!(
                "{SELECT_CREDENTIALS} WHERE c.account_id = ?1 AND (?2 IS NULL OR c.user_key = ?2) AND c.kind = ?3 \
                 ORDER BY c.created, c.id"
            ),
            (account_id, user.map(key), kind.as_str()),
            credential_from_row,
        )
    }

    /// One of a user's credentials, by id.
    pub async fn user_credential(
        &self,
        account_id: &str,
        user: &str,
        kind: UserCredentialKind,
        id: &str,
    ) -> Result<Option<UserCredential>> {
        self.reader.one(
            &format!("{SELECT_CREDENTIALS} WHERE c.account_id = ? AND c.user_key = ? AND c.kind = ? AND c.id = ?"),
            (account_id, key(user), kind.as_str(), id),
            credential_from_row,
        )
    }

    /// Sets a credential's status and, for a reset, its password hash.
    pub async fn update_user_credential(
        &self,
        account_id: &str,
        user: &str,
        kind: UserCredentialKind,
        id: &str,
        status: Option<&str>,
        secret_hash: Option<&str>,
    ) -> Result<()> {
        self.execute_existing(
            Bound::new(
                "UPDATE user_credentials SET status = COALESCE(?, status), secret_hash = COALESCE(?, secret_hash) \
                 WHERE account_id = ? AND user_key = ? AND kind = ? AND id = ?",
                vec![
                    Box::new(status.map(str::to_owned)),
                    Box::new(secret_hash.map(str::to_owned)),
                    Box::new(account_id.to_owned()),
                    Box::new(key(user)),
                    Box::new(kind.as_str()),
                    Box::new(id.to_owned()),
                ],
            ),
            || StoreError::NotFound(Missing::UserCredential(kind, id.to_string())),
        )
        .await
    }

    /// Deletes one of a user's credentials.
    pub async fn delete_user_credential(
        &self,
        account_id: &str,
        user: &str,
        kind: UserCredentialKind,
        id: &str,
    ) -> Result<()> {
        self.execute_existing(
            Bound::new(
                "DELETE FROM user_credentials WHERE account_id = ? AND user_key = ? AND kind = ? AND id = ?",
                vec![
                    Box::new(account_id.to_owned()),
                    Box::new(key(user)),
                    Box::new(kind.as_str()),
                    Box::new(id.to_owned()),
                ],
            ),
            || StoreError::NotFound(Missing::UserCredential(kind, id.to_string())),
        )
        .await
    }
}

fn credential_from_row(r: &rusqlite::Row) -> Result<UserCredential> {
    Ok(UserCredential {
        id: r.get("id")?,
        account_id: r.get("account_id")?,
        user_name: r.get("user_name")?,
        kind: UserCredentialKind::parse(&r.get::<_, String>("kind")?),
        status: r.get("status")?,
        body: r.get("body")?,
        fingerprint: r.get("fingerprint")?,
        service_name: r.get("service_name")?,
        service_user_name: r.get("service_user_name")?,
        secret_hash: r.get("secret_hash")?,
        created: r.get("created")?,
    })
}
