-- Outbound identity federation (IAM User Guide, "IAM outbound identity federation"): an account
-- that enabled it has an issuer of its own and the keys that sign the tokens STS
-- GetWebIdentityToken vends, one RSA (RS256, PKCS#1 DER) and one P-384 (ES384, PKCS#8 DER), sealed with the
-- server's secret key. Disabling keeps the row (`enabled` 0): enabled again, the account keeps its
-- issuer and keys, and the tokens it vended before still verify. `jwks` is the public key set as
-- published, kept beside the keys so that serving it never opens them.
CREATE TABLE outbound_federation (
    account_id  TEXT PRIMARY KEY REFERENCES accounts(account_id),
    issuer      TEXT NOT NULL UNIQUE,
    enabled     INTEGER NOT NULL,
    rsa_key     BLOB NOT NULL,
    ec_key      BLOB NOT NULL,
    jwks        TEXT NOT NULL,
    created     TEXT NOT NULL
);
