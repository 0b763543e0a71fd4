"""Conformance cases for the CloudFormation reader's intrinsic functions: each case is one value as a
template would hold it, what CloudFormation makes of it when it creates the stack, and the page of
the CloudFormation User Guide that says so. `None` means only deployment knows the value; the
reader must then say why, never guess.

Pages (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/...):
  REF    intrinsic-function-reference-ref.html
  PSEUDO pseudo-parameter-reference.html
  PARAMS parameters-section-structure.html
  GETATT intrinsic-function-reference-getatt.html
  SUB    intrinsic-function-reference-sub.html
  JOIN   intrinsic-function-reference-join.html
  SELECT intrinsic-function-reference-select.html
  SPLIT  intrinsic-function-reference-split.html
  MAP    intrinsic-function-reference-findinmap.html
  CIDR   intrinsic-function-reference-cidr.html
  COND   intrinsic-function-reference-conditions.html
  CONDS  conditions-section-structure.html
  B64    intrinsic-function-reference-base64.html
  IMPORT intrinsic-function-reference-importvalue.html
  AZS    intrinsic-function-reference-getavailabilityzones.html
  LANG   intrinsic-function-reference-length.html, intrinsic-function-reference-ToJsonString.html
  SECRET aws-resource-secretsmanager-secret.html (Return values)
  KMS    aws-resource-kms-key.html (Return values)
  SSM    aws-resource-ssm-parameter.html (Return values)
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml

from preflight.collect.plans.cloudformation import read_template
from preflight.errors import InputError

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Env": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "dev"]},
        "Port": {"Type": "Number", "Default": 5432},
        "NoDefault": {"Type": "String"},
        "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>", "Default": "subnet-a, subnet-b"},
        "Names": {"Type": "CommaDelimitedList", "Default": "a,b,c"},
        "Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                "Default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"},
        "Empty": {"Type": "String", "Default": ""},
    },
    "Mappings": {
        "Sizes": {"prod": {"Cidr": "10.0.0.0/16", "Port": 5432}, "dev": {"Cidr": "10.1.0.0/16"}},
        "Regions": {"us-east-1": {"Zone": "use1"}, "eu-west-1": {"Zone": "euw1"}},
    },
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsDev": {"Fn::Equals": [{"Ref": "Env"}, "dev"]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "ProdAndEast": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}]},
        "ProdOrDev": {"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]},
        "Undecided": {"Fn::Equals": [{"Ref": "NoDefault"}, "x"]},
        "UndecidedAndFalse": {"Fn::And": [{"Condition": "Undecided"}, {"Condition": "IsDev"}]},
        "UndecidedAndTrue": {"Fn::And": [{"Condition": "Undecided"}, {"Condition": "IsProd"}]},
        "UndecidedOrTrue": {"Fn::Or": [{"Condition": "Undecided"}, {"Condition": "IsProd"}]},
        "UndecidedOrFalse": {"Fn::Or": [{"Condition": "Undecided"}, {"Condition": "IsDev"}]},
        "NotUndecided": {"Fn::Not": [{"Condition": "Undecided"}]},
        "HasEmpty": {"Fn::Equals": [{"Ref": "Empty"}, ""]},
        "NumberEquals": {"Fn::Equals": [{"Ref": "Port"}, "5432"]},
        "SelfLoop": {"Fn::Not": [{"Condition": "SelfLoop"}]},
        "Imported": {"Fn::Equals": [{"Fn::ImportValue": "shared-env"}, "prod"]},
    },
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}, "RoleName": "app",
                                                          "Path": "/service/"}},
        "Unnamed": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "Named": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "prod/db"}},
        "UnnamedSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/app/url", "Type": "String",
                                                                "Value": "x"}},
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres"}},
        "Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora-mysql"}},
        "OnlyInProd": {"Type": "AWS::EC2::Subnet", "Condition": "IsProd",
                       "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}},
        "OnlyInDev": {"Type": "AWS::EC2::Subnet", "Condition": "IsDev",
                      "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.2.0/24"}},
        "Maybe": {"Type": "AWS::EC2::Subnet", "Condition": "Undecided",
                  "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.3.0/24"}},
    },
}
ACCOUNT = "111122223333"


def _cfn(region: str = "us-east-1", parameters: dict[str, str] | None = None, doc: dict[str, Any] | None = None):
    return read_template("t.yaml", yaml.safe_dump(doc or TEMPLATE), parameters or {}, region, ACCOUNT)


SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-XXXXXX"

# (page, expression, expected)
CASES: list[tuple[str, Any, Any]] = [
    # Ref: parameters
    ("PARAMS", {"Ref": "Env"}, "prod"),
    ("PARAMS", {"Ref": "Port"}, 5432),
    ("PARAMS", {"Ref": "NoDefault"}, None),
    ("PARAMS", {"Ref": "Subnets"}, ["subnet-a", "subnet-b"]),
    ("PARAMS", {"Ref": "Names"}, ["a", "b", "c"]),
    ("PARAMS", {"Ref": "Ami"}, None),  # SSM-typed: the value is the parameter's, read at deployment
    ("PARAMS", {"Ref": "Empty"}, ""),
    # Ref: pseudo parameters
    ("PSEUDO", {"Ref": "AWS::Region"}, "us-east-1"),
    ("PSEUDO", {"Ref": "AWS::AccountId"}, ACCOUNT),
    ("PSEUDO", {"Ref": "AWS::Partition"}, "aws"),
    ("PSEUDO", {"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
    ("PSEUDO", {"Ref": "AWS::NotificationARNs"}, []),
    ("PSEUDO", {"Ref": "AWS::StackName"}, None),
    ("PSEUDO", {"Ref": "AWS::StackId"}, None),
    ("PSEUDO", ["a", {"Ref": "AWS::NoValue"}, "b"], ["a", "b"]),
    # Ref: resources return what each type documents
    ("REF", {"Ref": "Vpc"}, "cfn:Vpc"),
    ("REF", {"Ref": "Role"}, "app"),  # aws-resource-iam-role.html: Ref returns the role's name
    ("SECRET", {"Ref": "Named"}, SECRET),
    ("SSM", {"Ref": "Param"}, "/app/url"),
    ("REF", {"Ref": "Nothing"}, None),
    # Fn::GetAtt, both forms
    ("GETATT", {"Fn::GetAtt": ["Role", "Arn"]}, f"arn:aws:iam::{ACCOUNT}:role/service/app"),
    ("GETATT", {"Fn::GetAtt": "Role.Arn"}, f"arn:aws:iam::{ACCOUNT}:role/service/app"),
    ("GETATT", {"Fn::GetAtt": ["Vpc", "VpcId"]}, "cfn:Vpc"),
    ("GETATT", {"Fn::GetAtt": ["Vpc", "CidrBlock"]}, "10.0.0.0/16"),
    ("GETATT", {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}, "cfn:Vpc.default-sg"),
    ("GETATT", {"Fn::GetAtt": ["Vpc", "DefaultNetworkAcl"]}, "cfn:Vpc.default-acl"),
    ("SECRET", {"Fn::GetAtt": ["Named", "Id"]}, SECRET),
    ("GETATT", {"Fn::GetAtt": ["Db", "Endpoint.Port"]}, 5432),
    ("GETATT", {"Fn::GetAtt": ["Cluster", "Endpoint.Port"]}, 3306),
    ("GETATT", {"Fn::GetAtt": ["Nothing", "Arn"]}, None),
    # Fn::Sub
    ("SUB", {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Env}-bucket"}, "arn:aws:s3:::prod-bucket"),
    ("SUB", {"Fn::Sub": "${Vpc.CidrBlock}"}, "10.0.0.0/16"),
    ("SUB", {"Fn::Sub": "${!Literal}-${Env}"}, "${Literal}-prod"),
    ("SUB", {"Fn::Sub": ["${A}.${Env}", {"A": "x"}]}, "x.prod"),
    ("SUB", {"Fn::Sub": ["${A}", {"A": {"Ref": "Env"}}]}, "prod"),
    ("SUB", {"Fn::Sub": "${NoDefault}-x"}, None),
    ("SUB", {"Fn::Sub": "${AWS::StackName}-x"}, None),
    ("SUB", {"Fn::Sub": "no variables"}, "no variables"),
    ("SUB", {"Fn::Sub": "${ Env }"}, "prod"),
    # Fn::Join
    ("JOIN", {"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}, "a-prod"),
    ("JOIN", {"Fn::Join": ["", []]}, ""),
    ("JOIN", {"Fn::Join": [",", {"Ref": "Names"}]}, "a,b,c"),
    ("JOIN", {"Fn::Join": [":", ["a", {"Ref": "NoDefault"}]]}, None),
    ("JOIN", {"Fn::Join": ["-", ["a", {"Ref": "AWS::NoValue"}, "b"]]}, "a-b"),
    # Fn::Select
    ("SELECT", {"Fn::Select": [1, ["a", "b", "c"]]}, "b"),
    ("SELECT", {"Fn::Select": ["0", {"Ref": "Subnets"}]}, "subnet-a"),
    ("SELECT", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, None),
    ("SELECT", {"Fn::Select": [5, ["a"]]}, None),  # out of range: CloudFormation fails; not a value
    # Fn::Split
    ("SPLIT", {"Fn::Split": [",", "a,b"]}, ["a", "b"]),
    ("SPLIT", {"Fn::Select": [2, {"Fn::Split": ["/", "arn:x/y/z"]}]}, "z"),
    ("SPLIT", {"Fn::Split": [",", {"Ref": "NoDefault"}]}, None),
    # Fn::FindInMap
    ("MAP", {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Cidr"]}, "10.0.0.0/16"),
    ("MAP", {"Fn::FindInMap": ["Sizes", "prod", "Port"]}, 5432),
    ("MAP", {"Fn::FindInMap": ["Regions", {"Ref": "AWS::Region"}, "Zone"]}, "use1"),
    ("MAP", {"Fn::FindInMap": ["Sizes", "dev", "Port"]}, None),  # missing key: CloudFormation rejects it
    ("MAP", {"Fn::FindInMap": ["Nope", "prod", "Cidr"]}, None),
    ("MAP", {"Fn::FindInMap": ["Sizes", "dev", "Port", {"DefaultValue": 3306}]}, 3306),
    ("MAP", {"Fn::FindInMap": ["Sizes", {"Ref": "NoDefault"}, "Cidr"]}, None),
    # Fn::Cidr: cidrBits is the host part
    ("CIDR", {"Fn::Cidr": ["10.0.0.0/16", 3, 8]}, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]),
    ("CIDR", {"Fn::Cidr": ["192.168.0.0/24", 2, 6]}, ["192.168.0.0/26", "192.168.0.64/26"]),
    ("CIDR", {"Fn::Select": [1, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 12]}]}, "10.0.16.0/20"),
    ("CIDR", {"Fn::Cidr": ["2001:db8::/56", 2, 64]}, ["2001:db8::/64", "2001:db8:0:1::/64"]),
    ("CIDR", {"Fn::Cidr": [{"Ref": "NoDefault"}, 2, 8]}, None),
    # Fn::If and the condition functions
    ("COND", {"Fn::If": ["IsProd", "big", "small"]}, "big"),
    ("COND", {"Fn::If": ["IsDev", "big", "small"]}, "small"),
    ("COND", {"Fn::If": ["NotProd", "big", "small"]}, "small"),
    ("COND", {"Fn::If": ["ProdAndEast", "yes", "no"]}, "yes"),
    ("COND", {"Fn::If": ["ProdOrDev", "yes", "no"]}, "yes"),
    ("COND", {"Fn::If": ["Undecided", "a", "b"]}, None),
    ("COND", {"Fn::If": ["Undecided", "same", "same"]}, "same"),
    ("COND", {"Fn::If": ["UndecidedAndFalse", "yes", "no"]}, "no"),
    ("COND", {"Fn::If": ["UndecidedAndTrue", "yes", "no"]}, None),
    ("COND", {"Fn::If": ["UndecidedOrTrue", "yes", "no"]}, "yes"),
    ("COND", {"Fn::If": ["UndecidedOrFalse", "yes", "no"]}, None),
    ("COND", {"Fn::If": ["NotUndecided", "yes", "no"]}, None),
    ("COND", {"Fn::If": ["HasEmpty", "yes", "no"]}, "yes"),
    ("COND", {"Fn::If": ["NumberEquals", "yes", "no"]}, "yes"),
    ("COND", {"Fn::If": ["SelfLoop", "yes", "no"]}, None),
    ("COND", {"Fn::If": ["Imported", "yes", "no"]}, None),
    ("COND", {"Fn::If": ["NoSuchCondition", "yes", "no"]}, None),
    ("COND", {"Fn::If": ["IsProd", {"Fn::If": ["IsDev", 1, 2]}, 3]}, 2),
    ("COND", ["a", {"Fn::If": ["IsDev", "b", {"Ref": "AWS::NoValue"}]}], ["a"]),
    ("COND", {"Fn::If": ["IsProd", {"Ref": "Env"}, {"Ref": "NoDefault"}]}, "prod"),
    # Fn::Base64, Fn::Length, Fn::ToJsonString
    ("B64", {"Fn::Base64": "#!/bin/sh"}, base64.b64encode(b"#!/bin/sh").decode()),
    ("B64", {"Fn::Base64": {"Fn::Sub": "${Env}"}}, base64.b64encode(b"prod").decode()),
    ("LANG", {"Fn::Length": {"Ref": "Names"}}, 3),
    ("LANG", {"Fn::ToJsonString": {"a": {"Ref": "Env"}}}, '{"a":"prod"}'),
    ("LANG", {"Fn::ToJsonString": {"a": {"Ref": "NoDefault"}}}, None),
    # what only deployment knows
    ("IMPORT", {"Fn::ImportValue": "shared-vpc-id"}, None),
    ("IMPORT", {"Fn::ImportValue": {"Fn::Sub": "${Env}-vpc"}}, None),
    ("AZS", {"Fn::GetAZs": ""}, None),
    ("AZS", {"Fn::GetAZs": {"Ref": "AWS::Region"}}, None),
    # malformed intrinsics are unknown, never a crash
    ("JOIN", {"Fn::Join": "not a list"}, None),
    ("SELECT", {"Fn::Select": "x"}, None),
    ("MAP", {"Fn::FindInMap": ["Sizes"]}, None),
    ("CIDR", {"Fn::Cidr": ["not a cidr", 2, 8]}, None),
]


@pytest.mark.parametrize(("page", "expression", "expected"), CASES,
                         ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(CASES)])
def test_an_intrinsic_resolves_as_cloudformation_does(page: str, expression: Any, expected: Any) -> None:
    cfn = _cfn()
    cfn.reason = ""
    assert cfn.resolve(expression) == expected
    if expected is None:
        assert cfn.reason, "an unknown value must say why"


@pytest.mark.parametrize(("region", "partition", "suffix"), [
    ("us-east-1", "aws", "amazonaws.com"), ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-west-1", "aws-us-gov", "amazonaws.com")])
def test_partition_and_url_suffix_follow_the_region(region: str, partition: str, suffix: str) -> None:
    cfn = _cfn(region)  # PSEUDO
    assert cfn.resolve({"Ref": "AWS::Partition"}) == partition
    assert cfn.resolve({"Ref": "AWS::URLSuffix"}) == suffix


def test_a_given_parameter_overrides_the_default_and_changes_conditions() -> None:
    cfn = _cfn(parameters={"Env": "dev"})  # PARAMS, CONDS
    assert cfn.resolve({"Ref": "Env"}) == "dev"
    assert cfn.resolve({"Fn::If": ["IsProd", "big", "small"]}) == "small"
    assert cfn.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Cidr"]}) == "10.1.0.0/16"


def test_a_given_ssm_typed_parameter_is_its_value() -> None:
    cfn = _cfn(parameters={"Ami": "ami-0123"})  # PARAMS: the value passed replaces the lookup
    assert cfn.resolve({"Ref": "Ami"}) == "ami-0123"


def test_a_parameter_outside_allowed_values_is_refused_like_cloudformation_does() -> None:
    with pytest.raises(InputError, match="AllowedValues"):  # PARAMS
        _cfn(parameters={"Env": "staging"})


def test_a_parameter_without_a_value_says_how_to_give_it() -> None:
    cfn = _cfn()
    assert cfn.resolve({"Ref": "NoDefault"}) is None
    assert "--parameter NoDefault=" in cfn.reason


def test_a_resource_whose_condition_is_false_is_not_created() -> None:
    cfn = _cfn()  # CONDS: "resources ... are created only if the condition is true"
    subnets = {s["id"] for s in cfn.out["subnets"]}
    assert "cfn:OnlyInProd" in subnets and "cfn:OnlyInDev" not in subnets
    assert any("OnlyInDev not created" in i for i in cfn.out["_inputs"][0]["inferred"])


def test_a_resource_whose_condition_only_deployment_decides_is_read_with_a_gap() -> None:
    cfn = _cfn()
    assert "cfn:Maybe" in {s["id"] for s in cfn.out["subnets"]}
    gap = next(g for g in cfn.out["_gaps"] if g["operation"] == "Maybe.Condition")
    assert gap["collections"] == ["subnets"] and "Undecided" in gap["error"]


def test_secrets_keys_and_parameters_get_the_identifiers_their_references_return() -> None:
    cfn = _cfn()  # SECRET, KMS, SSM
    secret = next(s for s in cfn.out["secrets"] if s["name"] == "prod/db")
    assert secret["arn"] == SECRET
    unnamed = next(s for s in cfn.out["secrets"] if s["name"] != "prod/db")
    assert unnamed["arn"].startswith(f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:UnnamedSecret-")
    # a role without RoleName gets a generated name; its ARN has the account, so key policies that
    # trust the account judge it
    role = next(r for r in cfn.out["roles"] if r["arn"] == cfn.resolve({"Fn::GetAtt": ["Unnamed", "Arn"]}))
    assert role["arn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/Unnamed-") and role["name"].startswith("Unnamed-")
    key = cfn.out["kms_keys"][0]
    assert cfn.resolve({"Ref": "Key"}) == key["id"] and cfn.resolve({"Fn::GetAtt": ["Key", "Arn"]}) == key["arn"]
    assert key["arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key['id']}"
    # a key created without a policy gets the default one: the account decides through IAM
    assert '"kms:*"' in key["policy"] and f"arn:aws:iam::{ACCOUNT}:root" in key["policy"]
    assert cfn.out["ssm_parameters"][0]["arn"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/url"


def test_the_same_template_gives_the_same_identifiers_every_time() -> None:
    assert _cfn().out["kms_keys"][0]["arn"] == _cfn().out["kms_keys"][0]["arn"]


def test_every_decisive_unknown_names_its_reason_in_the_gap() -> None:
    doc = {"Resources": {"Sub": {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": {"Fn::ImportValue": "network-vpc"}, "CidrBlock": "10.0.0.0/24"}}}}
    cfn = _cfn(doc=doc)
    gap = next(g for g in cfn.out["_gaps"] if g["operation"] == "Sub.VpcId")
    assert "another stack's export network-vpc" in gap["error"] and "known only after deployment" in gap["error"]


def test_a_mapping_without_the_key_is_a_template_error_not_a_deployment_unknown() -> None:
    doc = {"Mappings": {"M": {"a": {"b": "10.0.0.0/16"}}},
           "Resources": {"V": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Fn::FindInMap": ["M", "a", "c"]}}}}}
    gap = next(g for g in _cfn(doc=doc).out["_gaps"] if g["operation"] == "V.CidrBlock")
    assert "would reject" in gap["error"] and "known only after deployment" not in gap["error"]
