-- Principals are referenced by unique id where AWS does ("IAM identifiers": unique identifiers).
-- A session names its role by id, so that a role deleted and created again under the same name does
-- not bring its old sessions back, and keeps only the SHA-256 digest of its session token, so that a
-- copy of the database holds no usable token. Sessions issued before this migration stored their
-- token in plaintext: they end here (temporary credentials; callers assume the role again).
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN role_id TEXT NOT NULL DEFAULT '';
-- A role's trust policy names IAM users and roles by ARN; AWS turns each into the principal's unique
-- id when the policy is saved. This column holds that mapping, a JSON object from ARN to id.
ALTER TABLE principals ADD COLUMN trust_principal_ids TEXT;
