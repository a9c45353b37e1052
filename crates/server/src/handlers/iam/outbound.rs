//! Outbound identity federation's switch (IAM API Reference, EnableOutboundWebIdentityFederation,
//! DisableOutboundWebIdentityFederation, GetOutboundWebIdentityFederationInfo): an account that
//! enables it gets an issuer and signing keys for STS GetWebIdentityToken (see
//! [`crate::federation::outbound`]).

use base64::Engine as _;
use serde_json::{json, Value};

use crate::auth::Authorization;
use crate::error::ApiError;
use crate::federation::outbound;
use crate::operation::IamOperation;
use crate::Call;

/// Enable, Disable and GetOutboundWebIdentityFederationInfo.
pub(super) async fn switch(call: &Call<'_>, op: IamOperation) -> Result<Value, ApiError> {
    call.authorize(Authorization::new(op.action(), "*")).await?;
    let store = &call.state.store;
    let account = call.account();
    match op {
        IamOperation::EnableOutboundWebIdentityFederation => {
            let stored = store.outbound_federation(account).await?;
            let already =
                || ApiError::feature_enabled("Outbound web identity federation is already enabled for this account.");
            // Enabled again, an account keeps its issuer and keys: tokens it vended still verify.
            let fresh = match stored {
                Some(stored) if stored.enabled => return Err(already()),
                Some(stored) => stored,
                None => {
                    // Tens of milliseconds of CPU for the RSA key: off the runtime's threads.
                    let made = tokio::task::spawn_blocking(outbound::new_keys).await;
                    let (rsa_key, ec_key) = made.map_err(|_| ApiError::internal("could not make signing keys"))??;
                    let seal =
                        |der: &[u8]| call.state.secrets.seal(&base64::engine::general_purpose::STANDARD.encode(der));
                    monban_store::OutboundFederation {
                        account_id: account.to_string(),
                        issuer: outbound::new_issuer()?,
                        enabled: true,
                        rsa_key: seal(&rsa_key)?,
                        ec_key: seal(&ec_key)?,
                        jwks: outbound::key_set(&rsa_key, &ec_key)?.to_string(),
                        created: call.now(),
                    }
                }
            };
            if !store.enable_outbound_federation(&fresh).await? {
                return Err(already());
            }
            // Read back: a concurrent first enable may have won with its own issuer.
            let enabled = store.outbound_federation(account).await?.ok_or_else(already)?;
            Ok(json!({"IssuerIdentifier": enabled.issuer}))
        }
        IamOperation::DisableOutboundWebIdentityFederation => {
            if !store.disable_outbound_federation(account).await? {
                return Err(disabled());
            }
            Ok(json!({}))
        }
        _ => {
            let stored = store.outbound_federation(account).await?.ok_or_else(disabled)?;
            Ok(json!({"IssuerIdentifier": stored.issuer, "JwtVendingEnabled": stored.enabled}))
        }
    }
}

fn disabled() -> ApiError {
    ApiError::feature_disabled("Outbound web identity federation is disabled for this account.")
}
