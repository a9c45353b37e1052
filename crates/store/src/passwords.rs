//! Console passwords: login profiles (the password as an argon2id hash, never in plain) and the
//! account password policy they follow.

use super::*;

/// A user's login profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfile {
    /// Creation time.
    pub created: String,
    /// Whether the user must set a new password at the next sign-in.
    pub reset_required: bool,
    /// The password's hash (a PHC string), if one was set.
    pub password_hash: Option<String>,
    /// The hashes of earlier passwords, newest first, for reuse prevention.
    pub previous_hashes: Vec<String>,
    /// When the password was last set.
    pub password_changed: Option<String>,
}

/// A change to a login profile: a new password and whether a reset is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfileUpdate {
    /// The new password's hash and the time it is set, if the password changes.
    pub password: Option<(String, String)>,
    /// The new reset flag, if it changes.
    pub reset_required: Option<bool>,
    /// The hashes of earlier passwords to keep, newest first.
    pub previous_hashes: Vec<String>,
    /// The hash the caller read and checked the change against: the write happens only if it is
    /// still the stored one, so that no concurrent change slips between check and write.
    pub expected_hash: Option<String>,
}

/// The account password policy (IAM API Reference, `PasswordPolicy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length.
    pub minimum_length: i64,
    /// At least one of ``!@#$%^&*()_+-=[]{}|'``.
    pub require_symbols: bool,
    /// At least one digit.
    pub require_numbers: bool,
    /// At least one uppercase letter.
    pub require_uppercase: bool,
    /// At least one lowercase letter.
    pub require_lowercase: bool,
    /// Whether every user may change their own password.
    pub allow_users_to_change: bool,
    /// Days a password is valid, if it expires.
    pub max_age_days: Option<i64>,
    /// How many previous passwords cannot be reused.
    pub reuse_prevention: Option<i64>,
    /// Whether an expired password can only be reset by an administrator.
    pub hard_expiry: bool,
}

impl Store {
    /// A user's login profile, if it has one.
    pub async fn login_profile(&self, account_id: &str, user: &str) -> Result<Option<LoginProfile>> {
        self.reader.one(
            "SELECT * FROM login_profiles WHERE account_id = ? AND user_key = ?",
            (account_id, key(user)),
            |r| {
                let previous: String = r.get("previous_hashes")?;
                Ok(LoginProfile {
                    created: r.get("created")?,
                    reset_required: r.get::<_, i64>("reset_required")? != 0,
                    password_hash: r.get("password_hash")?,
                    previous_hashes: previous.lines().map(String::from).collect(),
                    password_changed: r.get("password_changed")?,
                })
            },
        )
    }

    /// Creates a user's login profile with its password's hash.
    pub async fn create_login_profile(
        &self,
        account_id: &str,
        user: &str,
        now: &str,
        reset_required: bool,
        password_hash: &str,
    ) -> Result<()> {
        let result = self
            .execute_checked(
                account_id,
                &[(PrincipalKind::User, user)],
                None,
                Bound::new(
                    "INSERT INTO login_profiles (account_id, user_key, created, reset_required, password_hash, \
                     password_changed) VALUES (?1, ?2, ?3, ?4, ?5, ?3)",
                    vec![
                        Box::new(account_id.to_owned()),
                        Box::new(key(user)),
                        Box::new(now.to_owned()),
                        Box::new(i64::from(reset_required)),
                        Box::new(password_hash.to_owned()),
                    ],
                ),
            )
            .await;
        already_exists(result, || Existing::LoginProfile(user.to_string()))?;
        Ok(())
    }

    /// Changes a login profile. `NotFound` if it is gone; `Conflict(PasswordChanged)` if its
    /// password is no longer the one the change was checked against.
    pub async fn update_login_profile(&self, account_id: &str, user: &str, update: LoginProfileUpdate) -> Result<()> {
        let (account_id, user) = (account_id.to_owned(), user.to_owned());
        self.writes
            .write(move |tx| {
                require_in(tx, &account_id, PrincipalKind::User, &user)?;
                let stored: Option<Option<String>> = tx
                    .prepare_cached("SELECT password_hash FROM login_profiles WHERE account_id = ? AND user_key = ?")?
                    .query_row(rusqlite::params![&account_id, key(&user)], |r| r.get(0))
                    .optional()?;
                let Some(stored) = stored else {
                    return Err(StoreError::NotFound(Missing::LoginProfile(user.clone())));
                };
                if stored != update.expected_hash {
                    return Err(StoreError::Conflict(Conflict::PasswordChanged));
                }
                let (hash, changed) = update.password.unzip();
                tx.prepare_cached(
                    "UPDATE login_profiles SET password_hash = COALESCE(?1, password_hash), \
                         password_changed = COALESCE(?2, password_changed), \
                         previous_hashes = CASE WHEN ?1 IS NULL THEN previous_hashes ELSE ?3 END, \
                         reset_required = COALESCE(?4, reset_required) WHERE account_id = ?5 AND user_key = ?6",
                )?
                .execute(rusqlite::params![
                    hash,
                    changed,
                    update.previous_hashes.join("\n"),
                    update.reset_required.map(i64::from),
                    &account_id,
                    key(&user)
                ])?;
                Ok(())
            })
            .await
    }

    /// Deletes a user's login profile.
    pub async fn delete_login_profile(&self, account_id: &str, user: &str) -> Result<()> {
        self.require_principal(account_id, PrincipalKind::User, user).await?;
        self.execute_existing(
            Bound::new(
                "DELETE FROM login_profiles WHERE account_id = ? AND user_key = ?",
                vec![Box::new(account_id.to_owned()), Box::new(key(user))],
            ),
            || StoreError::NotFound(Missing::LoginProfile(user.to_string())),
        )
        .await
    }

    /// The account password policy, if one is set.
    pub async fn password_policy(&self, account_id: &str) -> Result<Option<PasswordPolicy>> {
        self.reader.one("SELECT * FROM password_policies WHERE account_id = ?", [account_id], |r| {
            Ok(PasswordPolicy {
                minimum_length: r.get("minimum_length")?,
                require_symbols: r.get("require_symbols")?,
                require_numbers: r.get("require_numbers")?,
                require_uppercase: r.get("require_uppercase")?,
                require_lowercase: r.get("require_lowercase")?,
                allow_users_to_change: r.get("allow_users_to_change")?,
                max_age_days: r.get("max_age_days")?,
                reuse_prevention: r.get("reuse_prevention")?,
                hard_expiry: r.get("hard_expiry")?,
            })
        })
    }

    /// Sets (replacing) the account password policy.
    pub async fn put_password_policy(&self, account_id: &str, p: &PasswordPolicy) -> Result<()> {
        self.execute(Bound::new(
            "INSERT OR REPLACE INTO password_policies (account_id, minimum_length, require_symbols, \
                 require_numbers, require_uppercase, require_lowercase, allow_users_to_change, max_age_days, \
                 reuse_prevention, hard_expiry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                Box::new(account_id.to_owned()),
                Box::new(p.minimum_length),
                Box::new(p.require_symbols),
                Box::new(p.require_numbers),
                Box::new(p.require_uppercase),
                Box::new(p.require_lowercase),
                Box::new(p.allow_users_to_change),
                Box::new(p.max_age_days),
                Box::new(p.reuse_prevention),
                Box::new(p.hard_expiry),
            ],
        ))
        .await?;
        Ok(())
    }

    /// Removes the account password policy.
    pub async fn delete_password_policy(&self, account_id: &str) -> Result<()> {
        self.execute_existing(
            Bound::new("DELETE FROM password_policies WHERE account_id = ?", vec![Box::new(account_id.to_owned())]),
            || StoreError::NotFound(Missing::PasswordPolicy(account_id.to_string())),
        )
        .await
    }
}
