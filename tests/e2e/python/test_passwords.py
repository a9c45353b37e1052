"""Console passwords: UpdateAccountPasswordPolicy, GetAccountPasswordPolicy and
DeleteAccountPasswordPolicy (IAM API Reference; IAM User Guide, "Set an account password policy
for IAM users"), the policy enforced on CreateLoginProfile, UpdateLoginProfile and ChangePassword,
and who may change their own password ("Permit IAM users to change their own password")."""

from helpers import ACCOUNT, allow, deny, expect_error, policy_doc

GOOD = "Correct-Horse-9"


def test_the_password_policy_round_trips_with_iam_s_defaults_and_words(root):
    err = expect_error("NoSuchEntity", root.iam.get_account_password_policy, status=404)
    assert err.response["Error"]["Message"] == f"The Password Policy with domain name {ACCOUNT} cannot be found."
    root.iam.update_account_password_policy()
    # "If you do not specify a value for this parameter, then the operation uses the default value".
    assert root.iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6,
        "RequireSymbols": False,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
    }
    root.iam.update_account_password_policy(MinimumPasswordLength=12, MaxPasswordAge=90, PasswordReusePrevention=3,
                                            RequireSymbols=True, HardExpiry=True)
    policy = root.iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 12 and policy["ExpirePasswords"] and policy["MaxPasswordAge"] == 90
    assert policy["PasswordReusePrevention"] == 3 and policy["HardExpiry"] and policy["RequireSymbols"]
    expect_error("ValidationError", root.iam.update_account_password_policy, MinimumPasswordLength=200)
    root.iam.delete_account_password_policy()
    err = expect_error("NoSuchEntity", root.iam.delete_account_password_policy)
    assert err.response["Error"]["Message"] == "The account policy with name PasswordPolicy cannot be found."


def test_login_profiles_follow_the_default_rules_and_then_the_account_policy(root):
    root.iam.create_user(UserName="alice")
    # Without a policy: 8 characters of three kinds.
    err = expect_error("PasswordPolicyViolation", root.iam.create_login_profile, UserName="alice",
                       Password="lowercase1", status=400)
    assert err.response["Error"]["Message"] == "Password does not conform to the account password policy."
    root.iam.create_login_profile(UserName="alice", Password=GOOD, PasswordResetRequired=True)
    assert root.iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is True
    root.iam.update_account_password_policy(MinimumPasswordLength=20)
    expect_error("PasswordPolicyViolation", root.iam.update_login_profile, UserName="alice", Password=GOOD)
    root.iam.update_login_profile(UserName="alice", Password="a-much-longer-passphrase", PasswordResetRequired=False)
    assert root.iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False


def test_users_change_their_own_password_with_the_account_setting_or_a_policy(root, make_user):
    alice = make_user("alice")
    root.iam.create_login_profile(UserName="alice", Password=GOOD)
    # Neither the setting nor a policy: denied.
    expect_error("AccessDenied", alice.iam.change_password, OldPassword=GOOD, NewPassword="Another-Good-1")
    root.iam.update_account_password_policy(AllowUsersToChangePassword=True, PasswordReusePrevention=2)
    err = expect_error("AccessDenied", alice.iam.change_password, OldPassword="wrong", NewPassword="Another-Good-1")
    assert "old password" in err.response["Error"]["Message"]
    alice.iam.change_password(OldPassword=GOOD, NewPassword="Another-Good-1")
    # The last two passwords cannot come back.
    expect_error("PasswordPolicyViolation", alice.iam.change_password, OldPassword="Another-Good-1", NewPassword=GOOD)
    alice.iam.change_password(OldPassword="Another-Good-1", NewPassword="Third-Good-1")
    alice.iam.change_password(OldPassword="Third-Good-1", NewPassword=GOOD)
    # The setting is a grant like any other: an explicit deny still wins.
    root.iam.put_user_policy(UserName="alice", PolicyName="no", PolicyDocument=policy_doc(deny("iam:ChangePassword")))
    expect_error("AccessDenied", alice.iam.change_password, OldPassword=GOOD, NewPassword="Fourth-Good-1")


def test_without_the_setting_a_policy_on_the_user_itself_allows_the_change(root, make_user):
    bob = make_user("bob", allow("iam:ChangePassword", f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"))
    root.iam.create_login_profile(UserName="bob", Password=GOOD)
    bob.iam.change_password(OldPassword=GOOD, NewPassword="Another-Good-1")


def test_only_iam_users_change_their_own_password(root):
    expect_error("InvalidUserType", root.iam.change_password, OldPassword=GOOD, NewPassword="Another-Good-1")



def test_wrong_old_passwords_pause_the_user(root, make_user):
    """Guessing the old password is slowed: after five wrong ones, even the right one waits."""
    alice = make_user("alice")
    root.iam.create_login_profile(UserName="alice", Password=GOOD)
    root.iam.update_account_password_policy(AllowUsersToChangePassword=True)
    for _ in range(5):
        expect_error("AccessDenied", alice.iam.change_password, OldPassword="wrong", NewPassword="Another-Good-1")
    expect_error("LimitExceeded", alice.iam.change_password, OldPassword=GOOD, NewPassword="Another-Good-1")
