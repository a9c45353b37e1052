//! AWS Organizations' state: one document per organization, changed whole inside one transaction,
//! and an index from every member account to its organization.

use rusqlite::OptionalExtension as _;

use crate::{Result, Store};

/// An organization as stored: its id, its management account and its document (JSON, written and
/// read by the server, which owns its shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrganization {
    /// `o-` and 10 to 32 lower-case letters or digits.
    pub id: String,
    /// The account that created it.
    pub management_account: String,
    /// The document.
    pub document: String,
}

/// What a change to an organization leaves: the new document and every account that is a member
/// afterwards (the management account included); `None` deletes the organization.
pub struct Changed<T> {
    /// The document to store, or `None` to delete the organization.
    pub document: Option<String>,
    /// The member accounts afterwards.
    pub members: Vec<String>,
    /// What the change answers its caller.
    pub answer: T,
}

impl Store {
    /// The organization `account_id` belongs to, if any.
    pub async fn organization_of(&self, account_id: &str) -> Result<Option<StoredOrganization>> {
        self.reader.one(
            "SELECT o.id, o.management_account, o.document FROM organization_members m \
             JOIN organizations o ON o.id = m.organization_id WHERE m.account_id = ?",
            [account_id],
            |r| Ok(StoredOrganization { id: r.get(0)?, management_account: r.get(1)?, document: r.get(2)? }),
        )
    }

    /// Every organization, in order of id: what an account outside all of them looks through for
    /// the invitations addressed to it (a server holds few organizations).
    pub async fn organizations(&self) -> Result<Vec<StoredOrganization>> {
        self.reader.all("SELECT id, management_account, document FROM organizations ORDER BY id", [], |r| {
            Ok(StoredOrganization { id: r.get(0)?, management_account: r.get(1)?, document: r.get(2)? })
        })
    }

    /// Creates an organization whose only member is its management account, unless that account
    /// is a member of one already: then `Ok(false)`, and nothing is written.
    pub async fn create_organization(&self, organization: &StoredOrganization) -> Result<bool> {
        let o = organization.clone();
        self.writes
            .write(move |tx| {
                let member: Option<String> = tx
                    .prepare_cached("SELECT organization_id FROM organization_members WHERE account_id = ?")?
                    .query_row([&o.management_account], |r| r.get(0))
                    .optional()?;
                if member.is_some() {
                    return Ok(false);
                }
                tx.prepare_cached("INSERT INTO organizations (id, management_account, document) VALUES (?, ?, ?)")?
                    .execute([&o.id, &o.management_account, &o.document])?;
                tx.prepare_cached("INSERT INTO organization_members (account_id, organization_id) VALUES (?, ?)")?
                    .execute([&o.management_account, &o.id])?;
                Ok(true)
            })
            .await
    }

    /// Changes an organization in one transaction: `change` gets the document as committed and
    /// says what to store, or refuses with its own error (then nothing is written). `Ok(None)` when
    /// the organization does not exist. An account that `change` makes a member must not belong
    /// to another organization: the index refuses it, and nothing is written.
    pub async fn change_organization<T, E>(
        &self,
        organization_id: &str,
        change: impl FnOnce(&str) -> std::result::Result<Changed<T>, E> + Send + 'static,
    ) -> Result<Option<std::result::Result<T, E>>>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let id = organization_id.to_string();
        self.writes
            .write(move |tx| {
                let document: Option<String> = tx
                    .prepare_cached("SELECT document FROM organizations WHERE id = ?")?
                    .query_row([&id], |r| r.get(0))
                    .optional()?;
                let Some(document) = document else { return Ok(None) };
                let changed = match change(&document) {
                    Ok(changed) => changed,
                    Err(e) => return Ok(Some(Err(e))),
                };
                tx.prepare_cached("DELETE FROM organization_members WHERE organization_id = ?")?.execute([&id])?;
                match &changed.document {
                    None => {
                        tx.prepare_cached("DELETE FROM organizations WHERE id = ?")?.execute([&id])?;
                    }
                    Some(document) => {
                        tx.prepare_cached("UPDATE organizations SET document = ? WHERE id = ?")?
                            .execute([document, &id])?;
                        for account in &changed.members {
                            tx.prepare_cached(
                                "INSERT INTO organization_members (account_id, organization_id) VALUES (?, ?)",
                            )?
                            .execute([account, &id])?;
                        }
                    }
                }
                Ok(Some(Ok(changed.answer)))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organization(id: &str, management: &str) -> StoredOrganization {
        StoredOrganization { id: id.into(), management_account: management.into(), document: "{}".into() }
    }

    #[tokio::test]
    async fn an_account_belongs_to_one_organization_and_changes_are_whole() {
        let store = Store::open_in_memory().await.unwrap();
        assert!(store.create_organization(&organization("o-aaaaaaaaaa", "111111111111")).await.unwrap());
        assert!(!store.create_organization(&organization("o-bbbbbbbbbb", "111111111111")).await.unwrap());
        assert!(store.create_organization(&organization("o-cccccccccc", "222222222222")).await.unwrap());

        let added = store
            .change_organization("o-aaaaaaaaaa", |_| {
                Ok::<_, ()>(Changed {
                    document: Some("{\"n\":1}".into()),
                    members: vec!["111111111111".into(), "333333333333".into()],
                    answer: 7,
                })
            })
            .await
            .unwrap();
        assert_eq!(added, Some(Ok(7)));
        let found = store.organization_of("333333333333").await.unwrap().unwrap();
        assert_eq!((found.id.as_str(), found.document.as_str()), ("o-aaaaaaaaaa", "{\"n\":1}"));

        // Taking another organization's member fails whole: the document is unchanged.
        let taken = store
            .change_organization("o-aaaaaaaaaa", |_| {
                Ok::<_, ()>(Changed {
                    document: Some("{\"n\":2}".into()),
                    members: vec!["222222222222".into()],
                    answer: (),
                })
            })
            .await;
        assert!(taken.is_err());
        assert_eq!(store.organization_of("333333333333").await.unwrap().unwrap().document, "{\"n\":1}");

        let refused = store.change_organization("o-aaaaaaaaaa", |_| Err::<Changed<()>, _>("no")).await.unwrap();
        assert_eq!(refused, Some(Err("no")));
        assert_eq!(store.change_organization("o-zzzzzzzzzz", |_| Err::<Changed<()>, _>("no")).await.unwrap(), None);

        let deleted = store
            .change_organization("o-cccccccccc", |_| {
                Ok::<_, ()>(Changed { document: None, members: Vec::new(), answer: () })
            })
            .await
            .unwrap();
        assert_eq!(deleted, Some(Ok(())));
        assert!(store.organization_of("222222222222").await.unwrap().is_none());
    }
}
