"""Virtual MFA devices and MFA-protected API access: CreateVirtualMFADevice,
ListVirtualMFADevices, EnableMFADevice, ListMFADevices, DeactivateMFADevice,
DeleteVirtualMFADevice (IAM API reference); sts:AssumeRole with SerialNumber and TokenCode (STS API
reference, AssumeRole); trust and identity policies conditioned on aws:MultiFactorAuthPresent and
aws:MultiFactorAuthAge (IAM User Guide, "Configuring MFA-protected API access"; "AWS global
condition context keys").

The codes come from a TOTP generator written here (RFC 6238: HMAC-SHA1, 30-second steps, 6
digits) that plays the part of the authenticator app.

Time steps: AWS accepts a code once per device. A device is enabled with the codes of the previous
and the current step (a person reads one code, waits for the next one and submits both); a later
AssumeRole waits for the next step to begin and sends that step's code, so it never reuses a code
and never sends one from the future.
"""

import base64
import datetime
import hashlib
import hmac
import re
import struct
import time

from helpers import ACCOUNT, allow, deny, expect_error, policy_doc, trust_account

STEP = 30  # RFC 6238: the default time step X, in seconds
DIGITS = 6  # IAM API reference, EnableMFADevice: "a string of six digits"
MFA_PRESENT = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


# TOTP ------------------------------------------------------------------------------------------


def time_step(now: float | None = None) -> int:
    """RFC 6238: T = floor((now - T0) / X) with T0 = 0."""
    return int((time.time() if now is None else now) // STEP)


def totp(seed: str, offset: int = 0, step: int | None = None) -> str:
    """The code of time step `step` (default: the current one) + `offset` for a base32 seed
    (RFC 6238 over RFC 4226: HMAC-SHA1, dynamic truncation, 6 digits)."""
    text = seed.strip().replace(" ", "").upper()
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    counter = (time_step() if step is None else step) + offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[start : start + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def wrong_code(seed: str) -> str:
    """Six digits that are no code of the seed within ten steps of now."""
    now = time_step()
    valid = {totp(seed, step=now + k) for k in range(-10, 11)}
    candidate = (int(totp(seed)) + 500_000) % 10**DIGITS
    while str(candidate).zfill(DIGITS) in valid:
        candidate = (candidate + 1) % 10**DIGITS
    return str(candidate).zfill(DIGITS)


def wait_for_step_start(after: int | None = None, margin: float = 10.0) -> int:
    """Sleeps until the current step is later than `after` and has at least `margin` seconds
    left (so that the requests that follow do not straddle a step boundary); returns the
    current step."""
    while True:
        now = time.time()
        step, left = time_step(now), STEP - now % STEP
        if (after is None or step > after) and left >= margin:
            return step
        time.sleep(left + 0.05)


# IAM helpers -----------------------------------------------------------------------------------


def seed_of(device: dict) -> str:
    """Base32StringSeed is a blob: boto3 returns the bytes of the base32 text."""
    raw = device["Base32StringSeed"]
    return raw.decode("ascii") if isinstance(raw, bytes) else raw


def create_device(root, name: str) -> tuple[str, str]:
    device = root.iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    return device["SerialNumber"], seed_of(device)


def enable(root, user: str, serial: str, seed: str) -> int:
    """EnableMFADevice with two consecutive codes, those of the previous and the current step;
    returns the current step (its code counts as used)."""
    t = wait_for_step_start()
    root.iam.enable_mfa_device(
        UserName=user,
        SerialNumber=serial,
        AuthenticationCode1=totp(seed, -1, step=t),
        AuthenticationCode2=totp(seed, step=t),
    )
    return t


def next_code(seed: str, used: int) -> str:
    """The code of the first step after `used`, once that step has begun."""
    return totp(seed, step=wait_for_step_start(after=used))


def virtual_serials(root, status: str) -> list[str]:
    devices = root.iam.list_virtual_mfa_devices(AssignmentStatus=status)["VirtualMFADevices"]
    return [d["SerialNumber"] for d in devices]


def make_role(root, name, trust=None, *statements):
    """A role with an inline policy of `statements`; by default the account's principals may
    assume it only with MFA (IAM User Guide, "Configuring MFA-protected API access": Condition
    Bool aws:MultiFactorAuthPresent true)."""
    root.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust or trust_account(Condition=MFA_PRESENT))
    if statements:
        root.iam.put_role_policy(RoleName=name, PolicyName="perms", PolicyDocument=policy_doc(*statements))
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


# The TOTP helper itself ------------------------------------------------------------------------


def test_totp_helper_matches_rfc_6238():
    # RFC 6238, Appendix B: the SHA1 test vectors (seed "12345678901234567890"), last 6 digits.
    seed = base64.b32encode(b"12345678901234567890").decode()
    vectors = {
        59: "287082",
        1111111109: "081804",
        1111111111: "050471",
        1234567890: "005924",
        2000000000: "279037",
        20000000000: "353130",
    }
    for at, code in vectors.items():
        assert totp(seed, step=time_step(at)) == code, at
    # Lower case and missing padding are accepted.
    assert totp(seed.lower().rstrip("="), step=time_step(59)) == "287082"
    assert wrong_code(seed) not in {totp(seed, k) for k in range(-10, 11)}


# Virtual MFA devices ---------------------------------------------------------------------------


def test_create_and_list_virtual_mfa_device(root):
    # IAM API reference, CreateVirtualMFADevice: the serial number is the device's ARN
    # (arn:aws:iam::ACCOUNT:mfa/NAME, path "/" by default) and the seed is returned base32-encoded.
    device = root.iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-mfa")["VirtualMFADevice"]
    assert device["SerialNumber"] == f"arn:aws:iam::{ACCOUNT}:mfa/alice-mfa"
    seed = seed_of(device)
    assert re.fullmatch(r"[A-Z2-7]+=*", seed), seed
    # RFC 4226, section 4 (R6): the shared secret is at least 128 bits.
    assert len(base64.b32decode(seed + "=" * (-len(seed) % 8))) >= 16
    assert re.fullmatch(r"\d{6}", totp(seed))
    # QRCodePNG: a PNG (its signature) of the otpauth URI; src/handlers/iam/mfa.rs reads one back.
    assert device["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")

    # CreateVirtualMFADevice, Errors: EntityAlreadyExists (409).
    expect_error(
        "EntityAlreadyExists", root.iam.create_virtual_mfa_device, VirtualMFADeviceName="alice-mfa", status=409
    )

    # ListVirtualMFADevices, AssignmentStatus: Assigned | Unassigned | Any (the default).
    assert virtual_serials(root, "Unassigned") == [device["SerialNumber"]]
    assert virtual_serials(root, "Any") == [device["SerialNumber"]]
    assert virtual_serials(root, "Assigned") == []


def test_enable_mfa_device(root):
    root.iam.create_user(UserName="alice")
    serial, seed = create_device(root, "alice-mfa")
    # IAM API reference, GetAccountSummary: MFADevices counts every device, MFADevicesInUse the
    # assigned ones.
    summary = root.iam.get_account_summary()["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"]) == (1, 0)
    # IAM API reference, EnableMFADevice: AuthenticationCode1 and a subsequent AuthenticationCode2.
    enable(root, "alice", serial, seed)
    summary = root.iam.get_account_summary()["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"]) == (1, 1)

    # IAM API reference, ListMFADevices.
    devices = root.iam.list_mfa_devices(UserName="alice")["MFADevices"]
    assert len(devices) == 1, devices
    assert devices[0]["SerialNumber"] == serial
    assert devices[0]["UserName"] == "alice"
    assert devices[0]["EnableDate"]

    # IAM API reference, ListVirtualMFADevices: an assigned device names its user.
    assigned = root.iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in assigned] == [serial]
    assert assigned[0]["User"]["UserName"] == "alice"
    assert assigned[0]["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert virtual_serials(root, "Unassigned") == []

    # IAM API reference, GetMFADevice: the device of a user, with when it was enabled.
    got = root.iam.get_mfa_device(SerialNumber=serial, UserName="alice")
    assert (got["UserName"], got["SerialNumber"]) == ("alice", serial) and got["EnableDate"]
    root.iam.create_user(UserName="bob")
    expect_error("NoSuchEntity", root.iam.get_mfa_device, SerialNumber=serial, UserName="bob")


def test_resync_accepts_two_fresh_consecutive_codes_once(root):
    """IAM API reference, ResyncMFADevice: two consecutive codes; accepted codes are spent."""
    root.iam.create_user(UserName="alice")
    serial, seed = create_device(root, "alice-mfa")
    t = enable(root, "alice", serial, seed)
    codes = {"AuthenticationCode1": totp(seed, step=t + 1), "AuthenticationCode2": totp(seed, step=t + 2)}
    root.iam.resync_mfa_device(UserName="alice", SerialNumber=serial, **codes)
    expect_error("InvalidAuthenticationCode", root.iam.resync_mfa_device, UserName="alice", SerialNumber=serial,
                 **codes, status=403)
    expect_error("InvalidAuthenticationCode", root.iam.resync_mfa_device, UserName="alice", SerialNumber=serial,
                 AuthenticationCode1=wrong_code(seed), AuthenticationCode2=wrong_code(seed))


def test_mfa_devices_carry_tags_from_creation_on(root):
    """IAM API reference, CreateVirtualMFADevice (Tags), TagMFADevice, ListMFADeviceTags."""
    device = root.iam.create_virtual_mfa_device(VirtualMFADeviceName="tagged", Tags=[{"Key": "team", "Value": "a"}])
    serial = device["VirtualMFADevice"]["SerialNumber"]
    root.iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "owner", "Value": "alice"}])
    tags = root.iam.list_mfa_device_tags(SerialNumber=serial)["Tags"]
    assert tags == [{"Key": "team", "Value": "a"}, {"Key": "owner", "Value": "alice"}]
    root.iam.untag_mfa_device(SerialNumber=serial, TagKeys=["team"])
    root.iam.delete_virtual_mfa_device(SerialNumber=serial)
    # A device of the same name later starts without the old one's tags.
    again = root.iam.create_virtual_mfa_device(VirtualMFADeviceName="tagged")["VirtualMFADevice"]["SerialNumber"]
    assert root.iam.list_mfa_device_tags(SerialNumber=again)["Tags"] == []
    expect_error("NoSuchEntity", root.iam.list_mfa_device_tags, SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/none")


def test_enable_mfa_device_rejects_wrong_codes_and_unknown_users(root):
    root.iam.create_user(UserName="alice")
    serial, seed = create_device(root, "alice-mfa")
    # IAM API reference, EnableMFADevice, Errors: InvalidAuthenticationCode (403) "The request was
    # rejected because the authentication code was not recognized."
    expect_error(
        "InvalidAuthenticationCode",
        root.iam.enable_mfa_device,
        UserName="alice",
        SerialNumber=serial,
        AuthenticationCode1=wrong_code(seed),
        AuthenticationCode2=wrong_code(seed),
        status=403,
    )
    assert root.iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    assert virtual_serials(root, "Unassigned") == [serial]

    # EnableMFADevice, Errors: NoSuchEntity (404) for a user that does not exist (with another
    # device, so that no code of alice's device is spent on it).
    spare, spare_seed = create_device(root, "spare")
    t = wait_for_step_start()
    expect_error(
        "NoSuchEntity",
        root.iam.enable_mfa_device,
        UserName="nobody",
        SerialNumber=spare,
        AuthenticationCode1=totp(spare_seed, -1, step=t),
        AuthenticationCode2=totp(spare_seed, step=t),
        status=404,
    )
    assert sorted(virtual_serials(root, "Unassigned")) == sorted([serial, spare])

    # The right codes still enable alice's device.
    enable(root, "alice", serial, seed)
    assert [d["SerialNumber"] for d in root.iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [serial]


def test_assigned_device_blocks_deletion(root):
    root.iam.create_user(UserName="alice")
    serial, seed = create_device(root, "alice-mfa")
    enable(root, "alice", serial, seed)

    # IAM API reference, DeleteUser: the user's MFA devices must be deactivated first
    # (DeleteConflict, 409).
    expect_error("DeleteConflict", root.iam.delete_user, UserName="alice", status=409)
    # IAM API reference, DeleteVirtualMFADevice: "You must deactivate a user's virtual MFA device
    # before you can delete it." (DeleteConflict, 409).
    expect_error("DeleteConflict", root.iam.delete_virtual_mfa_device, SerialNumber=serial, status=409)

    # IAM API reference, DeactivateMFADevice: deactivates the device and removes its association
    # with the user; the virtual device itself remains, unassigned.
    root.iam.deactivate_mfa_device(UserName="alice", SerialNumber=serial)
    assert root.iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    assert virtual_serials(root, "Unassigned") == [serial]

    root.iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert virtual_serials(root, "Any") == []
    expect_error("NoSuchEntity", root.iam.delete_virtual_mfa_device, SerialNumber=serial, status=404)
    root.iam.delete_user(UserName="alice")
    expect_error("NoSuchEntity", root.iam.get_user, UserName="alice")


# MFA-protected API access ----------------------------------------------------------------------


def test_mfa_protected_role_assumption(root, make_user, assume):
    role = make_role(root, "admin", None, allow("iam:ListUsers"))
    alice = make_user("alice", allow("sts:AssumeRole"))
    serial, seed = create_device(root, "alice-mfa")
    used = enable(root, "alice", serial, seed)

    # Without MFA the trust policy's condition does not hold: an ordinary AccessDenied.
    error = expect_error("AccessDenied", alice.sts.assume_role, RoleArn=role, RoleSessionName="session", status=403)
    message = error.response["Error"]["Message"]
    assert message.startswith(
        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: sts:AssumeRole on resource: {role}"
    ), message

    # A serial number without a code is no MFA either: STS answers AccessDenied
    # "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass
    # code." (as SDKs report it for an AssumeRole of a profile with mfa_serial and no code).
    error = expect_error(
        "AccessDenied", alice.sts.assume_role, RoleArn=role, RoleSessionName="session", SerialNumber=serial, status=403
    )
    message = error.response["Error"]["Message"]
    assert message.startswith("MultiFactorAuthentication failed"), message

    # STS API reference, AssumeRole, TokenCode: when the role requires MFA and the code is missing
    # or not valid, AssumeRole returns an access denied error ("MultiFactorAuthentication failed
    # with invalid MFA one time pass code.").
    error = expect_error(
        "AccessDenied",
        alice.sts.assume_role,
        RoleArn=role,
        RoleSessionName="session",
        SerialNumber=serial,
        TokenCode=wrong_code(seed),
        status=403,
    )
    message = error.response["Error"]["Message"]
    assert message.startswith("MultiFactorAuthentication failed with invalid MFA one time pass code"), message

    # The device's current code (of a step after the ones spent on EnableMFADevice) works.
    session, response = assume(alice, role, "with-mfa", SerialNumber=serial, TokenCode=next_code(seed, used))
    assert response["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/with-mfa"
    assert [u["UserName"] for u in session.iam.list_users()["Users"]] == ["alice"]


def test_sessions_carry_the_mfa_condition_keys(root, make_user, assume):
    # AWS global condition context keys: aws:MultiFactorAuthPresent is "true" in a session whose
    # credentials were obtained with MFA, aws:MultiFactorAuthAge is the seconds since that
    # authentication and is absent when MFA was not used. IAM User Guide, "Configuring
    # MFA-protected API access": "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"} in a
    # Deny denies every request not authenticated with MFA.
    statements = (
        allow("iam:ListUsers", Condition=MFA_PRESENT),
        allow("iam:ListRoles", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
        allow("iam:GetAccountSummary"),
        deny("iam:GetAccountSummary", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
    )
    protected = make_role(root, "admin", None, *statements)
    plain = make_role(root, "plain", trust_account(), *statements)
    alice = make_user("alice", allow("sts:AssumeRole"))
    serial, seed = create_device(root, "alice-mfa")
    used = enable(root, "alice", serial, seed)

    with_mfa, _ = assume(alice, protected, "with-mfa", SerialNumber=serial, TokenCode=next_code(seed, used))
    with_mfa.iam.list_users()
    with_mfa.iam.list_roles()
    with_mfa.iam.get_account_summary()

    without_mfa, _ = assume(alice, plain, "without-mfa")
    expect_error("AccessDenied", without_mfa.iam.list_users, status=403)
    expect_error("AccessDenied", without_mfa.iam.list_roles, status=403)
    error = expect_error("AccessDenied", without_mfa.iam.get_account_summary, status=403)
    assert "with an explicit deny in an identity-based policy" in error.response["Error"]["Message"]


def test_long_term_keys_have_no_mfa_key(make_user):
    # AWS global condition context keys, aws:MultiFactorAuthPresent: the key is not present when
    # a request is signed with long-term access keys, so {"Bool": {"aws:MultiFactorAuthPresent":
    # "false"}} does not match them while {"BoolIfExists": {...: "false"}} does.
    with_if_exists = make_user(
        "with-if-exists",
        allow(["iam:ListUsers", "iam:ListRoles"]),
        deny("iam:ListUsers", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
    )
    error = expect_error("AccessDenied", with_if_exists.iam.list_users, status=403)
    assert "with an explicit deny in an identity-based policy" in error.response["Error"]["Message"]
    with_if_exists.iam.list_roles()

    plain_bool = make_user(
        "plain-bool",
        allow("iam:ListUsers"),
        deny("iam:ListUsers", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
    )
    plain_bool.iam.list_users()

    # And an Allow that needs MFA never matches long-term keys.
    needs_mfa = make_user("needs-mfa", allow("iam:ListUsers", Condition=MFA_PRESENT))
    expect_error("AccessDenied", needs_mfa.iam.list_users, status=403)


def test_device_of_another_user_is_denied(root, make_user, assume):
    role = make_role(root, "admin", None, allow("iam:ListUsers"))
    make_user("alice", allow("sts:AssumeRole"))
    bob = make_user("bob", allow("sts:AssumeRole"))
    alice_serial, alice_seed = create_device(root, "alice-mfa")
    bob_serial, bob_seed = create_device(root, "bob-mfa")
    used = enable(root, "alice", alice_serial, alice_seed)
    used = max(used, enable(root, "bob", bob_serial, bob_seed))
    step = wait_for_step_start(after=used)

    # STS: the serial number must be that of a device associated with the caller
    # ("MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA
    # serial number is valid and associated with this user."), even with a valid code of it.
    error = expect_error(
        "AccessDenied",
        bob.sts.assume_role,
        RoleArn=role,
        RoleSessionName="session",
        SerialNumber=alice_serial,
        TokenCode=totp(alice_seed, step=step),
        status=403,
    )
    message = error.response["Error"]["Message"]
    assert message.startswith("MultiFactorAuthentication failed"), message
    # Bob's code with alice's serial number neither.
    expect_error(
        "AccessDenied",
        bob.sts.assume_role,
        RoleArn=role,
        RoleSessionName="session",
        SerialNumber=alice_serial,
        TokenCode=totp(bob_seed, step=step),
        status=403,
    )

    # With his own device, bob assumes the role.
    session, _ = assume(bob, role, "bob", SerialNumber=bob_serial, TokenCode=totp(bob_seed, step=step))
    assert session.sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/bob"


# GetSessionToken ------------------------------------------------------------------------------


def test_session_tokens_carry_mfa_to_iam_and_to_mfa_protected_roles(root, make_user, server):
    """STS API reference, GetSessionToken: a user's own temporary credentials, with its permissions;
    without MFA they cannot call IAM, with MFA they can and satisfy MFA-protected trust policies;
    in STS they call only AssumeRole and GetCallerIdentity."""
    role = make_role(root, "admin", None, allow("iam:ListUsers"))
    alice = make_user("alice", allow("sts:AssumeRole"), allow("iam:ListUsers"), allow("sts:GetAccessKeyInfo"))
    serial, seed = create_device(root, "alice-mfa")
    used = enable(root, "alice", serial, seed)

    plain = alice.sts.get_session_token()["Credentials"]
    session = server.clients(plain["AccessKeyId"], plain["SecretAccessKey"], plain["SessionToken"])
    assert session.sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    error = expect_error("AccessDenied", session.iam.list_users)
    assert "issued with MFA" in error.response["Error"]["Message"]
    expect_error("AccessDenied", session.sts.get_access_key_info, AccessKeyId=alice.key_id)
    error = expect_error("AccessDenied", session.sts.get_session_token)
    assert error.response["Error"]["Message"] == "Cannot call GetSessionToken with session credentials"
    # The MFA-protected role refuses the session made without MFA.
    expect_error("AccessDenied", session.sts.assume_role, RoleArn=role, RoleSessionName="sess")

    with_mfa = alice.sts.get_session_token(SerialNumber=serial, TokenCode=next_code(seed, used))["Credentials"]
    mfa_session = server.clients(with_mfa["AccessKeyId"], with_mfa["SecretAccessKey"], with_mfa["SessionToken"])
    assert [u["UserName"] for u in mfa_session.iam.list_users()["Users"]] == ["alice"]
    assumed = mfa_session.sts.assume_role(RoleArn=role, RoleSessionName="sess")["Credentials"]
    admin = server.clients(assumed["AccessKeyId"], assumed["SecretAccessKey"], assumed["SessionToken"])
    admin.iam.list_users()

    # Root's own session lasts at most an hour, whatever it asks for.
    root_session = root.sts.get_session_token(DurationSeconds=7200)["Credentials"]
    lifetime = root_session["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert lifetime <= datetime.timedelta(hours=1, seconds=5), lifetime


def test_get_mfa_device_is_authorized_before_the_device_is_looked_up(root, make_user):
    """GetMFADevice without UserName is about the caller: a user allowed only on itself learns
    nothing of another user's device from its serial number (neither its owner nor that it exists)."""
    root.iam.create_user(UserName="bob")
    serial, seed = create_device(root, "bob-mfa")
    enable(root, "bob", serial, seed)
    alice = make_user("alice", allow("iam:GetMFADevice", f"arn:aws:iam::{ACCOUNT}:user/alice"))
    for probe in (serial, f"arn:aws:iam::{ACCOUNT}:mfa/nobody"):
        error = expect_error("NoSuchEntity", alice.iam.get_mfa_device, SerialNumber=probe)
        assert "user/bob" not in error.response["Error"]["Message"]
    error = expect_error("AccessDenied", alice.iam.get_mfa_device, SerialNumber=serial, UserName="bob")
    assert "user/bob" in error.response["Error"]["Message"]
