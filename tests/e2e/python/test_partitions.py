"""Partitions: an account lives in one (`monban serve --partition aws|aws-cn|aws-us-gov`), and its
ARNs, its AWS managed policies' ARNs, the regions requests may be signed for and the ARNs its
policies may name follow it (AWS General Reference, "Amazon Resource Names (ARNs)": partition;
IAM User Guide, "IAM JSON policy elements: Resource")."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT, CLIENT_CONFIG, serve_and_read_exports


@pytest.fixture
def china():
    process, exported = serve_and_read_exports(["--ephemeral", "--partition", "aws-cn"])
    try:
        yield exported
    finally:
        process.kill()
        process.wait()


def client(exported, service, region=None):
    return boto3.session.Session().client(
        service, endpoint_url=exported["AWS_ENDPOINT_URL"], region_name=region or exported["AWS_DEFAULT_REGION"],
        aws_access_key_id=exported["AWS_ACCESS_KEY_ID"], aws_secret_access_key=exported["AWS_SECRET_ACCESS_KEY"],
        config=CLIENT_CONFIG)


def test_an_account_in_aws_cn_speaks_its_partition(china):
    assert china["AWS_DEFAULT_REGION"] == "cn-north-1"
    iam, sts = client(china, "iam"), client(china, "sts")
    assert sts.get_caller_identity()["Arn"] == f"arn:aws-cn:iam::{ACCOUNT}:root"
    user = iam.create_user(UserName="alice")["User"]
    assert user["Arn"] == f"arn:aws-cn:iam::{ACCOUNT}:user/alice"
    read_only = "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
    iam.attach_user_policy(UserName="alice", PolicyArn=read_only)
    assert iam.get_policy(PolicyArn=read_only)["Policy"]["Arn"] == read_only
    listed = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert [p["Arn"] for p in listed] == [read_only]
    # The standard partition's ARN names nothing here.
    with pytest.raises(ClientError) as missing:
        iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    # Policies name this partition's ARNs.
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]})
    with pytest.raises(ClientError) as refused:
        iam.create_policy(PolicyName="p", PolicyDocument=document)
    assert refused.value.response["Error"]["Message"] == (
        'Partition "aws" is not valid for resource "arn:aws:s3:::bucket/*".')
    iam.create_policy(PolicyName="p", PolicyDocument=document.replace("arn:aws:", "arn:aws-cn:"))
    # A request signed for a region of another partition is refused before anything is looked up.
    with pytest.raises(ClientError) as elsewhere:
        client(china, "sts", region="us-east-1").get_caller_identity()
    assert elsewhere.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
