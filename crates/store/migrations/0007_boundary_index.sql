-- ListPolicies and GetAccountAuthorizationDetails count, for every policy at once, the users and
-- roles that use it as their permissions boundary; without an index that is a scan of every
-- principal of the account on each call.
CREATE INDEX principals_by_boundary ON principals(account_id, permissions_boundary)
    WHERE permissions_boundary IS NOT NULL;
