//! Console passwords: the account password policy, login profiles and ChangePassword (IAM User
//! Guide, "Set an account password policy for IAM users" and "Manage passwords for IAM users").
//! monban has no console to sign in to; the password is kept as an argon2id hash so that the
//! policy, ChangePassword and reuse prevention behave as in IAM.

use std::sync::Arc;

use monban_store::{LoginProfileUpdate, PasswordPolicy};
use serde_json::{json, Map, Value};

use super::*;

/// The characters that count as symbols (`RequireSymbols`).
const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

fn flag(input: &Value, key: &str) -> bool {
    input.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn number(input: &Value, key: &str) -> Option<i64> {
    input.get(key).and_then(Value::as_i64)
}

/// Whether `password` follows the account's policy or, without one, IAM's default: at least 8
/// characters and three of the four kinds (upper case, lower case, digits, symbols).
fn conforms(policy: Option<&PasswordPolicy>, password: &str) -> bool {
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password.chars().any(|c| SYMBOLS.contains(c));
    let length = password.chars().count() as i64;
    match policy {
        None => length >= 8 && [upper, lower, digit, symbol].iter().filter(|kind| **kind).count() >= 3,
        Some(p) => {
            length >= p.minimum_length
                && (upper || !p.require_uppercase)
                && (lower || !p.require_lowercase)
                && (digit || !p.require_numbers)
                && (symbol || !p.require_symbols)
        }
    }
}

fn violation() -> ApiError {
    ApiError::password_policy_violation("Password does not conform to the account password policy.")
}

pub(super) async fn update_password_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:UpdateAccountPasswordPolicy", "*")).await?;
    // Parameters left out take IAM's documented defaults (6, false, no expiry, no reuse check).
    let policy = PasswordPolicy {
        minimum_length: number(input, "MinimumPasswordLength").unwrap_or(6),
        require_symbols: flag(input, "RequireSymbols"),
        require_numbers: flag(input, "RequireNumbers"),
        require_uppercase: flag(input, "RequireUppercaseCharacters"),
        require_lowercase: flag(input, "RequireLowercaseCharacters"),
        allow_users_to_change: flag(input, "AllowUsersToChangePassword"),
        max_age_days: number(input, "MaxPasswordAge"),
        reuse_prevention: number(input, "PasswordReusePrevention"),
        hard_expiry: flag(input, "HardExpiry"),
    };
    call.state.store.put_password_policy(call.account(), &policy).await?;
    Ok(json!({}))
}

pub(super) async fn get_password_policy(call: &Call<'_>) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:GetAccountPasswordPolicy", "*")).await?;
    let account = call.account();
    let p = call.state.store.password_policy(account).await?.ok_or_else(|| {
        ApiError::no_such_entity(format!("The Password Policy with domain name {account} cannot be found."))
    })?;
    let mut out = Map::new();
    out.insert("MinimumPasswordLength".into(), json!(p.minimum_length));
    out.insert("RequireSymbols".into(), json!(p.require_symbols));
    out.insert("RequireNumbers".into(), json!(p.require_numbers));
    out.insert("RequireUppercaseCharacters".into(), json!(p.require_uppercase));
    out.insert("RequireLowercaseCharacters".into(), json!(p.require_lowercase));
    out.insert("AllowUsersToChangePassword".into(), json!(p.allow_users_to_change));
    out.insert("ExpirePasswords".into(), json!(p.max_age_days.is_some()));
    if let Some(days) = p.max_age_days {
        out.insert("MaxPasswordAge".into(), json!(days));
    }
    if let Some(n) = p.reuse_prevention {
        out.insert("PasswordReusePrevention".into(), json!(n));
    }
    if p.hard_expiry {
        out.insert("HardExpiry".into(), json!(true));
    }
    Ok(json!({"PasswordPolicy": out}))
}

pub(super) async fn delete_password_policy(call: &Call<'_>) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:DeleteAccountPasswordPolicy", "*")).await?;
    call.state.store.delete_password_policy(call.account()).await.map_err(|e| match e {
        monban_store::StoreError::NotFound(_) => {
            ApiError::no_such_entity("The account policy with name PasswordPolicy cannot be found.")
        }
        other => other.into(),
    })?;
    Ok(json!({}))
}

/// Sets a user's password after checking it against the policy and, where the policy prevents
/// reuse, against the user's previous passwords; `old` is the caller's proof for ChangePassword.
async fn set_password(
    call: &Call<'_>,
    name: &str,
    password: &str,
    old: Option<&str>,
    reset_required: Option<bool>,
) -> Result<(), ApiError> {
    let store = &call.state.store;
    let account = call.account();
    let policy = store.password_policy(account).await?;
    let profile = store
        .login_profile(account, name)
        .await?
        .ok_or_else(|| ApiError::no_such_entity(format!("Login Profile for User {name} cannot be found.")))?;
    let current: Vec<String> = profile.password_hash.iter().cloned().collect();
    if let Some(old) = old {
        if current.is_empty() {
            return Err(ApiError::entity_temporarily_unmodifiable(format!(
                "The password of user {name} was set before monban kept password hashes: an administrator must set \
                 it again (UpdateLoginProfile) before it can be changed."
            )));
        }
        let user_id = call.identity().user_id();
        let now = call.context.now;
        if !call.state.password_attempt_allowed(&user_id, now) {
            return Err(ApiError::limit_exceeded(
                "Too many attempts to change the password with a wrong old password; try again later.",
            ));
        }
        let matches = util::password_matches(old, current.clone()).await?;
        call.state.note_password_attempt(&user_id, now, !matches);
        if !matches {
            return Err(ApiError::access_denied("The old password is incorrect."));
        }
    }
    if !conforms(policy.as_ref(), password) {
        return Err(violation());
    }
    let remembered = policy.as_ref().and_then(|p| p.reuse_prevention).unwrap_or(0).max(0) as usize;
    let mut history: Vec<String> = current.iter().chain(&profile.previous_hashes).cloned().collect();
    history.truncate(remembered);
    if !history.is_empty() && util::password_matches(password, history.clone()).await? {
        return Err(violation());
    }
    let hash = util::hash_password(password).await?;
    let previous = history.into_iter().take(remembered.saturating_sub(1)).collect();
    let update = LoginProfileUpdate {
        password: Some((hash, call.now())),
        reset_required,
        previous_hashes: previous,
        expected_hash: profile.password_hash,
    };
    store.update_login_profile(account, name, update).await.map_err(|e| match e {
        monban_store::StoreError::Conflict(_) => ApiError::entity_temporarily_unmodifiable(format!(
            "The password of user {name} changed while this change was checked; try again."
        )),
        other => other.into(),
    })
}

/// Create, Get, Update and DeleteLoginProfile.
pub(super) async fn login_profile(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
    let name = user_name_or_caller(call, input)?;
    let existing = on_principal(call, User, &name, op.action(), |a| a).await?;
    let name = existing.ok_or_else(|| not_found(User, &name))?.name.clone();
    let (store, account) = (&call.state.store, call.account());
    let reset = input.get("PasswordResetRequired").and_then(Value::as_bool);
    match op {
        IamOperation::CreateLoginProfile => {
            let password = optional(input, "Password").ok_or_else(|| ApiError::validation("Password is required"))?;
            let policy = store.password_policy(account).await?;
            if !conforms(policy.as_ref(), password) {
                return Err(violation());
            }
            let hash = util::hash_password(password).await?;
            store.create_login_profile(account, &name, &call.now(), reset.unwrap_or(false), &hash).await?;
        }
        IamOperation::UpdateLoginProfile => {
            match optional(input, "Password") {
                Some(password) => set_password(call, &name, password, None, reset).await?,
                None => {
                    let profile = store.login_profile(account, &name).await?;
                    let update = LoginProfileUpdate {
                        password: None,
                        reset_required: reset,
                        previous_hashes: Vec::new(),
                        expected_hash: profile.and_then(|p| p.password_hash),
                    };
                    store.update_login_profile(account, &name, update).await?;
                }
            }
            return Ok(json!({}));
        }
        IamOperation::DeleteLoginProfile => {
            store.delete_login_profile(account, &name).await?;
            return Ok(json!({}));
        }
        _ => {}
    }
    let profile = store
        .login_profile(account, &name)
        .await?
        .ok_or_else(|| ApiError::no_such_entity(format!("Login Profile for User {name} cannot be found.")))?;
    Ok(json!({"LoginProfile": {"UserName": name, "CreateDate": profile.created,
        "PasswordResetRequired": profile.reset_required}}))
}

/// ChangePassword: an IAM user changes their own password, proving the old one. The account's
/// `AllowUsersToChangePassword` lets every user do so without a policy that allows it; monban
/// gives that setting to the engine as a resource policy on the user, so an explicit deny still
/// wins (IAM User Guide, "Permit IAM users to change their own password").
pub(super) async fn change_password(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let Identity::User { user, .. } = call.identity() else {
        return Err(ApiError::invalid_user_type("Only IAM users can change their own password."));
    };
    let policy = call.state.store.password_policy(call.account()).await?;
    let mut authz = Authorization::new("iam:ChangePassword", &user.arn);
    if policy.as_ref().is_some_and(|p| p.allow_users_to_change) {
        let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": user.arn}, "Action": "iam:ChangePassword", "Resource": user.arn}]});
        let grant = Policy::parse(&document.to_string()).map_err(|e| ApiError::internal(e.to_string()))?;
        authz.resource_policy = Some(Arc::new(grant));
    }
    call.authorize(authz).await?;
    set_password(call, &user.name, text(input, "NewPassword"), Some(text(input, "OldPassword")), Some(false)).await?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 10,
            require_symbols: true,
            require_numbers: false,
            require_uppercase: true,
            require_lowercase: false,
            allow_users_to_change: false,
            max_age_days: None,
            reuse_prevention: None,
            hard_expiry: false,
        }
    }

    /// IAM User Guide, "Set an account password policy for IAM users": the default policy asks
    /// for 8 characters of three kinds; a custom one for exactly what it sets.
    #[test]
    fn passwords_follow_the_default_rules_or_the_account_policy() {
        assert!(conforms(None, "Abcdefg1"));
        assert!(!conforms(None, "abcdefg1"), "two kinds only");
        assert!(!conforms(None, "Abcde1!"), "seven characters");
        assert!(conforms(Some(&policy()), "ABCDEFGHI!"));
        assert!(!conforms(Some(&policy()), "ABCDEFGHIJ"), "no symbol");
        assert!(!conforms(Some(&policy()), "abcdefghi!"), "no upper case");
        assert!(!conforms(Some(&policy()), "ABCDEFGH!"), "nine characters");
    }
}
