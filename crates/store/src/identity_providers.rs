//! OpenID Connect and SAML identity providers (IAM User Guide, "Identity providers and federation
//! into AWS").

use super::*;

/// Which kind of identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// OpenID Connect.
    Oidc,
    /// SAML 2.0.
    Saml,
}

impl ProviderKind {
    fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Oidc => "oidc",
            ProviderKind::Saml => "saml",
        }
    }

    /// The quota on how many an account holds.
    pub fn quota(self) -> Quota {
        match self {
            ProviderKind::Oidc => Quota::OpenIdConnectProviders,
            ProviderKind::Saml => Quota::SamlProviders,
        }
    }

    /// The tags' owner kind.
    pub fn owner(self) -> Owner {
        match self {
            ProviderKind::Oidc => Owner::OidcProvider,
            ProviderKind::Saml => Owner::SamlProvider,
        }
    }
}

/// A stored identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    /// The ARN (`arn:aws:iam::ACCOUNT:oidc-provider/URL` or `...:saml-provider/NAME`).
    pub arn: String,
    /// The owning account.
    pub account_id: String,
    /// Which kind.
    pub kind: ProviderKind,
    /// OIDC: the issuer URL, without `https://`.
    pub url: Option<String>,
    /// OIDC: the audiences.
    pub client_ids: Vec<String>,
    /// OIDC: the certificate thumbprints (40 hex digits each).
    pub thumbprints: Vec<String>,
    /// SAML: the metadata document.
    pub metadata: Option<String>,
    /// SAML: when the metadata stops being valid.
    pub valid_until: Option<String>,
    /// SAML: the provider's UUID.
    pub uuid: Option<String>,
    /// Creation time.
    pub created: String,
}

impl Store {
    /// Stores a provider and its tags, within the account's quota; the ARN is unique.
    pub async fn create_identity_provider(&self, p: &IdentityProvider, tags: &[Tag]) -> Result<()> {
        let (p, tags) = (p.clone(), tags.to_vec());
        self.writes
            .write(move |tx| {
                let count: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM identity_providers WHERE account_id = ? AND kind = ?")?
                    .query_row(rusqlite::params![&p.account_id, p.kind.as_str()], |r| r.get(0))?;
                if count >= p.kind.quota().value() {
                    return Err(StoreError::LimitExceeded(Limit::Reached(p.kind.quota())));
                }
                let result = tx
                    .prepare_cached(
                        "INSERT INTO identity_providers (arn, account_id, kind, url, client_ids, thumbprints, \
                         metadata, valid_until, uuid, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    )?
                    .execute(rusqlite::params![
                        &p.arn,
                        &p.account_id,
                        p.kind.as_str(),
                        &p.url,
                        json_list(&p.client_ids),
                        json_list(&p.thumbprints),
                        &p.metadata,
                        &p.valid_until,
                        &p.uuid,
                        &p.created
                    ]);
                already_exists(result, || Existing::IdentityProvider(p.arn.clone()))?;
                insert_tags(tx, &p.account_id, p.kind.owner(), &p.arn, &tags)
            })
            .await
    }

    /// A provider by ARN.
    pub async fn identity_provider(&self, arn: &str) -> Result<Option<IdentityProvider>> {
        self.reader.one("SELECT * FROM identity_providers WHERE arn = ?", [arn], provider_from_row)
    }

    /// The account's providers of one kind, by ARN.
    pub async fn identity_providers(&self, account_id: &str, kind: ProviderKind) -> Result<Vec<IdentityProvider>> {
        self.reader.all(
            "SELECT * FROM identity_providers WHERE account_id = ? AND kind = ? ORDER BY arn",
            (account_id, kind.as_str()),
            provider_from_row,
        )
    }

    /// Replaces a provider's thumbprints or SAML metadata (each `None` is left as it is);
    /// `NotFound` if it is gone.
    pub async fn update_identity_provider(
        &self,
        arn: &str,
        thumbprints: Option<&[String]>,
        metadata: Option<(&str, Option<&str>)>,
    ) -> Result<()> {
        self.execute_existing(
            Bound::new(
                "UPDATE identity_providers SET thumbprints = COALESCE(?, thumbprints), \
                 metadata = COALESCE(?, metadata), valid_until = CASE WHEN ? THEN ? ELSE valid_until END \
                 WHERE arn = ?",
                vec![
                    Box::new(thumbprints.map(json_list)),
                    Box::new(metadata.map(|(m, _)| m.to_owned())),
                    Box::new(metadata.is_some()),
                    Box::new(metadata.and_then(|(_, v)| v.map(str::to_owned))),
                    Box::new(arn.to_owned()),
                ],
            ),
            || StoreError::NotFound(Missing::IdentityProvider(arn.to_string())),
        )
        .await
    }

    /// Adds (`add`) or removes a client id of an OpenID Connect provider, in one transaction with
    /// reading the current list and checking its quota. Adding one that is there, or removing one
    /// that is not, changes nothing (as in IAM).
    pub async fn edit_client_ids(&self, arn: &str, client_id: &str, add: bool) -> Result<()> {
        let (arn, client_id) = (arn.to_owned(), client_id.to_owned());
        self.writes
            .write(move |tx| {
                let text: Option<String> = tx
                    .prepare_cached("SELECT client_ids FROM identity_providers WHERE arn = ? AND kind = 'oidc'")?
                    .query_row(rusqlite::params![&arn], |r| r.get(0))
                    .optional()?;
                let text = text.ok_or_else(|| StoreError::NotFound(Missing::IdentityProvider(arn.clone())))?;
                let mut ids: Vec<String> = serde_json::from_str(&text).unwrap_or_default();
                let present = ids.contains(&client_id);
                match (add, present) {
                    (true, false) => {
                        let quota = Quota::ClientIdsPerOpenIdConnectProvider;
                        if ids.len() as i64 >= quota.value() {
                            return Err(StoreError::LimitExceeded(Limit::Reached(quota)));
                        }
                        ids.push(client_id);
                    }
                    (false, true) => ids.retain(|id| *id != client_id),
                    _ => return Ok(()),
                }
                tx.prepare_cached("UPDATE identity_providers SET client_ids = ? WHERE arn = ?")?
                    .execute(rusqlite::params![json_list(&ids), &arn])?;
                Ok(())
            })
            .await
    }

    /// Deletes a provider and its tags.
    pub async fn delete_identity_provider(&self, account_id: &str, kind: ProviderKind, arn: &str) -> Result<()> {
        let (account_id, arn) = (account_id.to_owned(), arn.to_owned());
        self.writes
            .write(move |tx| {
                let done = tx
                    .prepare_cached("DELETE FROM identity_providers WHERE arn = ? AND account_id = ? AND kind = ?")?
                    .execute(rusqlite::params![&arn, &account_id, kind.as_str()])?;
                if done == 0 {
                    return Err(StoreError::NotFound(Missing::IdentityProvider(arn.clone())));
                }
                delete_tags(tx, &account_id, kind.owner(), &arn)
            })
            .await
    }
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn provider_from_row(r: &rusqlite::Row) -> Result<IdentityProvider> {
    let list = |column: &str| -> Result<Vec<String>> {
        let text: String = r.get(column)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    };
    Ok(IdentityProvider {
        arn: r.get("arn")?,
        account_id: r.get("account_id")?,
        kind: if r.get::<_, String>("kind")? == "saml" { ProviderKind::Saml } else { ProviderKind::Oidc },
        url: r.get("url")?,
        client_ids: list("client_ids")?,
        thumbprints: list("thumbprints")?,
        metadata: r.get("metadata")?,
        valid_until: r.get("valid_until")?,
        uuid: r.get("uuid")?,
        created: r.get("created")?,
    })
}
