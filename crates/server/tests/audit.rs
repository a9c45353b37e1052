//! The audit log (`audit.log` in the data directory): one CloudTrail-format record per call
//! (AWS CloudTrail User Guide, "CloudTrail record contents"), and never a secret: no secret access
//! key, session token, password, MFA seed or MFA code, in the request or the response.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Client;
use serde_json::Value;

#[test]
fn every_call_is_recorded_and_no_secret_is() {
    let data = tempfile::tempdir().unwrap();
    let (_runtime, addr) = common::start(Some(data.path()));
    let root = common::root();
    let mut client = Client::connect(addr).unwrap();
    let mut call = |action: &str, params: &[(&str, &str)]| client.call(&root, action, params).unwrap();

    assert_eq!(call("CreateUser", &[("UserName", "alice")]).status, 200);
    let key = call("CreateAccessKey", &[("UserName", "alice")]);
    let secret = key.field("SecretAccessKey").unwrap().to_string();
    let password = "correct-Horse-battery-staple-1";
    assert_eq!(call("CreateLoginProfile", &[("UserName", "alice"), ("Password", password)]).status, 200);
    let device = call("CreateVirtualMFADevice", &[("VirtualMFADeviceName", "alice")]);
    let seed = device.field("Base32StringSeed").unwrap().to_string();
    let serial = device.field("SerialNumber").unwrap().to_string();
    let enable = call(
        "EnableMFADevice",
        &[
            ("UserName", "alice"),
            ("SerialNumber", &serial),
            ("AuthenticationCode1", "000000"),
            ("AuthenticationCode2", "000001"),
        ],
    );
    assert_eq!(enable.status, 403, "{}", enable.body);

    let log = std::fs::read_to_string(data.path().join("audit.log")).unwrap();
    for (what, value) in [("secret access key", secret.as_str()), ("password", password), ("MFA seed", seed.as_str())] {
        assert!(!log.contains(value), "the audit log holds the {what}");
    }
    let records: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let names: Vec<&str> = records.iter().map(|r| r["eventName"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["CreateUser", "CreateAccessKey", "CreateLoginProfile", "CreateVirtualMFADevice", "EnableMFADevice"]
    );
    let enable = &records[4];
    assert_eq!(enable["errorCode"], "InvalidAuthenticationCode");
    assert_eq!(enable["requestParameters"]["serialNumber"], serial.as_str());
    assert!(enable["requestParameters"].get("authenticationCode1").is_none(), "{enable}");
    assert_eq!(records[3]["responseElements"]["virtualMFADevice"]["serialNumber"], serial.as_str());

    // CloudTrail's fields, in CloudTrail's order.
    let create = &records[0];
    let keys: Vec<&str> = create.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "eventVersion",
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "requestParameters",
            "responseElements",
            "resources",
            "additionalEventData",
            "errorCode",
            "errorMessage",
            "requestID",
            "eventID",
            "readOnly",
            "eventType",
            "managementEvent",
            "recipientAccountId",
        ]
    );
    assert_eq!(create["userIdentity"]["type"], "Root");
    assert_eq!(create["userIdentity"]["accountId"], common::ACCOUNT);
    assert_eq!(create["eventSource"], "iam.amazonaws.com");
    assert_eq!(create["sourceIPAddress"], "127.0.0.1");
    assert_eq!(create["requestParameters"]["userName"], "alice");
    let user_arn = format!("arn:aws:iam::{}:user/alice", common::ACCOUNT);
    assert_eq!(create["resources"][0]["ARN"], user_arn.as_str());
    assert_eq!(create["resources"][0]["type"], "AWS::IAM::User");
    assert_eq!(create["additionalEventData"]["authorizations"][0]["action"], "iam:CreateUser");
    assert_eq!(create["additionalEventData"]["authorizations"][0]["resource"], user_arn.as_str());
    assert_eq!(create["errorCode"], Value::Null);
    assert_eq!((&create["readOnly"], &create["managementEvent"]), (&Value::Bool(false), &Value::Bool(true)));
    assert_eq!(create["recipientAccountId"], common::ACCOUNT);
}
