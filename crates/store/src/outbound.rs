//! Outbound identity federation: an account's issuer and signing keys for the tokens STS
//! GetWebIdentityToken vends (IAM User Guide, "IAM outbound identity federation").

use super::*;

/// An account's outbound federation, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundFederation {
    /// The account.
    pub account_id: String,
    /// The issuer identifier (`https://UUID.tokens.sts.global.api.aws`): the tokens' `iss`.
    pub issuer: String,
    /// Whether tokens may be vended now.
    pub enabled: bool,
    /// The RS256 key, PKCS#1 DER sealed by the caller.
    pub rsa_key: Vec<u8>,
    /// The ES384 key, PKCS#8 DER sealed by the caller.
    pub ec_key: Vec<u8>,
    /// The public keys as a JSON Web Key Set: what the issuer publishes.
    pub jwks: String,
    /// When it was first enabled.
    pub created: String,
}

impl Store {
    /// The account's outbound federation, enabled or not, if it was ever enabled.
    pub async fn outbound_federation(&self, account_id: &str) -> Result<Option<OutboundFederation>> {
        self.reader.one("SELECT * FROM outbound_federation WHERE account_id = ?", [account_id], outbound_row)
    }

    /// The outbound federation of the account whose issuer this is.
    pub async fn outbound_federation_by_issuer(&self, issuer: &str) -> Result<Option<OutboundFederation>> {
        self.reader.one("SELECT * FROM outbound_federation WHERE issuer = ?", [issuer], outbound_row)
    }

    /// Enables outbound federation: with `fresh`'s issuer and keys the first time, with those it
    /// had when enabled again. `false` when it was already enabled (checked and written in one
    /// statement, so two concurrent calls cannot both enable it).
    pub async fn enable_outbound_federation(&self, fresh: &OutboundFederation) -> Result<bool> {
        let changed = self
            .execute(Bound::new(
                "INSERT INTO outbound_federation (account_id, issuer, enabled, rsa_key, ec_key, jwks, created) \
                 VALUES (?, ?, 1, ?, ?, ?, ?) \
                 ON CONFLICT(account_id) DO UPDATE SET enabled = 1 WHERE enabled = 0",
                vec![
                    Box::new(fresh.account_id.clone()),
                    Box::new(fresh.issuer.clone()),
                    Box::new(fresh.rsa_key.clone()),
                    Box::new(fresh.ec_key.clone()),
                    Box::new(fresh.jwks.clone()),
                    Box::new(fresh.created.clone()),
                ],
            ))
            .await?;
        Ok(changed == 1)
    }

    /// Disables outbound federation; `false` when it was not enabled.
    pub async fn disable_outbound_federation(&self, account_id: &str) -> Result<bool> {
        let changed = self
            .execute(Bound::new(
                "UPDATE outbound_federation SET enabled = 0 WHERE account_id = ? AND enabled = 1",
                vec![Box::new(account_id.to_owned())],
            ))
            .await?;
        Ok(changed == 1)
    }
}

fn outbound_row(r: &rusqlite::Row<'_>) -> Result<OutboundFederation> {
    Ok(OutboundFederation {
        account_id: r.get("account_id")?,
        issuer: r.get("issuer")?,
        enabled: r.get("enabled")?,
        rsa_key: r.get("rsa_key")?,
        ec_key: r.get("ec_key")?,
        jwks: r.get("jwks")?,
        created: r.get("created")?,
    })
}
