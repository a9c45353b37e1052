//! The store's rules: case-insensitive names, AWS's DeleteConflict and quota rules, persistence
//! across reopen, and concurrent writers that never see "database is locked".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use monban_store::{AccessKey, ManagedPolicy, Principal, PrincipalKind, Store, StoreError};

const ACCOUNT: &str = "123456789012";
const NOW: &str = "2026-01-01T00:00:00Z";

fn user(name: &str) -> Principal {
    Principal::new(
        PrincipalKind::User,
        name,
        &format!("AIDA{}", name.to_uppercase()),
        "/",
        &format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        NOW,
    )
}

async fn store() -> Store {
    let store = Store::open_in_memory().await.unwrap();
    store.ensure_account(ACCOUNT, NOW, "aws").await.unwrap();
    store
}

#[tokio::test]
async fn names_are_unique_regardless_of_case() {
    let store = store().await;
    store.create_principal(ACCOUNT, &user("Alice")).await.unwrap();
    let mut again = user("alice");
    again.id = "AIDAOTHER".into();
    assert!(matches!(store.create_principal(ACCOUNT, &again).await, Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.principal(ACCOUNT, PrincipalKind::User, "ALICE").await.unwrap().unwrap().name, "Alice");
}

#[tokio::test]
async fn a_user_with_keys_policies_or_a_login_profile_cannot_be_deleted() {
    let store = store().await;
    store.create_principal(ACCOUNT, &user("bob")).await.unwrap();
    store.put_inline_policy(ACCOUNT, PrincipalKind::User, "bob", "p", "{}").await.unwrap();
    assert!(matches!(store.delete_principal(ACCOUNT, PrincipalKind::User, "bob").await, Err(StoreError::Conflict(_))));
    store.delete_inline_policy(ACCOUNT, PrincipalKind::User, "bob", "p").await.unwrap();
    let key = AccessKey {
        access_key_id: "AKIAEXAMPLE".into(),
        account_id: ACCOUNT.into(),
        user_name: Some("bob".into()),
        secret: vec![1, 2, 3],
        status: "Active".into(),
        created: NOW.into(),
        last_used: None,
        last_used_service: None,
        last_used_region: None,
    };
    store.create_access_key(&key).await.unwrap();
    assert!(matches!(store.delete_principal(ACCOUNT, PrincipalKind::User, "bob").await, Err(StoreError::Conflict(_))));
    store.create_access_key(&AccessKey { access_key_id: "AKIA2".into(), ..key.clone() }).await.unwrap();
    assert!(matches!(
        store.create_access_key(&AccessKey { access_key_id: "AKIA3".into(), ..key.clone() }).await,
        Err(StoreError::LimitExceeded(_))
    ));
    store.delete_access_key(ACCOUNT, Some("bob"), "AKIAEXAMPLE").await.unwrap();
    store.delete_access_key(ACCOUNT, Some("BOB"), "AKIA2").await.unwrap();
    store.create_login_profile(ACCOUNT, "bob", NOW, false, "$argon2id$placeholder").await.unwrap();
    match store.delete_principal(ACCOUNT, PrincipalKind::User, "bob").await {
        Err(StoreError::Conflict(c)) => assert_eq!(c, monban_store::Conflict::LoginProfile),
        other => panic!("{other:?}"),
    }
    store.delete_login_profile(ACCOUNT, "bob").await.unwrap();
    store.delete_principal(ACCOUNT, PrincipalKind::User, "bob").await.unwrap();
    assert!(store.principal(ACCOUNT, PrincipalKind::User, "bob").await.unwrap().is_none());
}

#[tokio::test]
async fn managed_policies_keep_at_most_five_versions() {
    let store = store().await;
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/p");
    let policy = ManagedPolicy {
        arn: arn.clone(),
        name: "p".into(),
        id: "ANPAEXAMPLE".into(),
        path: "/".into(),
        description: None,
        default_version: "v1".into(),
        created: NOW.into(),
        updated: NOW.into(),
        attachment_count: 0,
    };
    store.create_managed_policy(ACCOUNT, &policy, "{}", &[]).await.unwrap();
    for i in 2..=5 {
        let v = store.create_policy_version(&arn, "{}", i == 5, NOW).await.unwrap();
        assert_eq!(v.version_id, format!("v{i}"));
    }
    assert!(matches!(store.create_policy_version(&arn, "{}", false, NOW).await, Err(StoreError::LimitExceeded(_))));
    assert!(matches!(store.delete_policy_version(&arn, "v5").await, Err(StoreError::Conflict(_))));
    store.delete_policy_version(&arn, "v1").await.unwrap();
    assert_eq!(store.create_policy_version(&arn, "{}", false, NOW).await.unwrap().version_id, "v6");
    let versions = store.policy_versions(&arn).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version_id.as_str()).collect::<Vec<_>>(), ["v6", "v5", "v4", "v3", "v2"]);
    assert!(versions[1].is_default);
    store.create_principal(ACCOUNT, &user("carol")).await.unwrap();
    store.attach_policy(ACCOUNT, PrincipalKind::User, "carol", &arn).await.unwrap();
    assert!(matches!(store.delete_managed_policy(&arn).await, Err(StoreError::Conflict(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_all_succeed_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monban.db");
    {
        let store = Store::open(&path).await.unwrap();
        store.ensure_account(ACCOUNT, NOW, "aws").await.unwrap();
        let mut tasks = Vec::new();
        for client in 0..32 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    store.create_principal(ACCOUNT, &user(&format!("u{client}x{i}"))).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.list_principals(ACCOUNT, PrincipalKind::User, "/").await.unwrap().len(), 320);
}

/// Whatever writes to the database, a policy, attachment, membership or key of a principal that
/// does not exist cannot be stored (migration 0006), and a rename carries them along.
#[tokio::test]
async fn foreign_keys_refuse_orphans_and_follow_renames() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monban.db");
    let store = Store::open(&path).await.unwrap();
    store.ensure_account(ACCOUNT, NOW, "aws").await.unwrap();
    store.create_principal(ACCOUNT, &user("carol")).await.unwrap();
    store.put_inline_policy(ACCOUNT, PrincipalKind::User, "carol", "p", "{}").await.unwrap();

    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    raw.pragma_update(None, "foreign_keys", true).unwrap();
    for sql in [
        "INSERT INTO inline_policies (account_id, kind, owner_key, name, document) VALUES (?, 'user', 'ghost', 'p', '{}')",
        "INSERT INTO attachments (account_id, kind, owner_key, policy_arn) VALUES (?, 'user', 'ghost', 'arn:aws:iam::aws:policy/x')",
        "INSERT INTO group_members (account_id, group_key, user_key) VALUES (?, 'nogroup', 'carol')",
        "INSERT INTO login_profiles (account_id, user_key, created, reset_required) VALUES (?, 'ghost', '', 0)",
        "INSERT INTO access_keys (access_key_id, account_id, user_key, secret, status, created) \
         VALUES ('AKIAGHOST', ?, 'ghost', x'00', 'Active', '')",
    ] {
        let result = raw.execute(sql, [ACCOUNT]);
        assert!(result.is_err(), "an orphan was stored: {sql}");
    }
    drop(raw);

    store
        .rename_principal(ACCOUNT, PrincipalKind::User, "carol", "dave", "/", "arn:aws:iam::123456789012:user/dave")
        .await
        .unwrap();
    let policies = store.inline_policies(ACCOUNT, PrincipalKind::User, "dave").await.unwrap();
    assert_eq!(policies.len(), 1);
    assert!(matches!(store.delete_principal(ACCOUNT, PrincipalKind::User, "dave").await, Err(StoreError::Conflict(_))));
}

/// A change read from a role applies to that role only: after the role is deleted and another is
/// created under its name, the old read changes nothing (its trust policy would otherwise trust
/// whom the deleted role trusted).
#[tokio::test]
async fn a_change_applies_to_the_principal_it_was_read_from() {
    let store = store().await;
    let role = |id: &str| {
        let mut r =
            Principal::new(PrincipalKind::Role, "app", id, "/", &format!("arn:aws:iam::{ACCOUNT}:role/app"), NOW);
        r.trust_policy = Some(format!("{{\"trusts\": \"{id}\"}}"));
        r
    };
    store.create_principal(ACCOUNT, &role("AROAOLD")).await.unwrap();
    let read = store.principal(ACCOUNT, PrincipalKind::Role, "app").await.unwrap().unwrap();
    store.delete_principal(ACCOUNT, PrincipalKind::Role, "app").await.unwrap();
    store.create_principal(ACCOUNT, &role("AROANEW")).await.unwrap();
    let change = monban_store::PrincipalChange::Trust { policy: "{\"trusts\": \"stale\"}".into(), principal_ids: None };
    assert!(matches!(store.change_principal(ACCOUNT, &read, change).await, Err(StoreError::NotFound(_))));
    let now = store.principal(ACCOUNT, PrincipalKind::Role, "app").await.unwrap().unwrap();
    assert_eq!(now.trust_policy.as_deref(), Some("{\"trusts\": \"AROANEW\"}"));
    // The same change on the current role applies, and leaves the rest alone.
    let change = monban_store::PrincipalChange::Description("new".into());
    store.change_principal(ACCOUNT, &now, change).await.unwrap();
    let after = store.principal(ACCOUNT, PrincipalKind::Role, "app").await.unwrap().unwrap();
    assert_eq!((after.description.as_deref(), after.trust_policy), (Some("new"), now.trust_policy));
}
