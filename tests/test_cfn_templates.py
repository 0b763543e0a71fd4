"""CloudFormation templates as users write them, end to end: a known-good private layout and one
edit per way it breaks, each with the finding CloudFormation's result would explain; nested stacks,
macros and the language extensions; and what the reader must never do (pass silently)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun

CFN = Path(__file__).parent / "plans" / "cfn"
GOOD = (CFN / "private-aurora.yaml").read_text()


def _scan(cli: CliRun, tmp_path: Path, text: str, *argv: str, name: str = "t.yaml") -> tuple[int, dict[str, Any]]:
    path = tmp_path / name
    path.write_text(text)
    out = tmp_path / "report.json"
    code, _, err = cli(["scan", "--plan", str(path), *argv, "--format", "json", "--fail-on", "low",
                        "--output", str(out)])
    assert out.exists(), err
    return code, json.loads(out.read_text())


def _rules(report: dict[str, Any]) -> set[str]:
    """The rules that judge the template: info notes (COST001's NAT cost, OPS003's App Runner closure
    on a plan) are left out."""
    return {f["rule"] for f in report["findings"] if f["severity"] != "info"}


NACL = """  DbAcl:
    Type: AWS::EC2::NetworkAcl
    Properties: {VpcId: !Ref Vpc}
  DbAclOut:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref DbAcl, RuleNumber: 100, Protocol: -1, RuleAction: allow, Egress: true,
                 CidrBlock: 0.0.0.0/0}
  DbAclIn:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref DbAcl, RuleNumber: 100, Protocol: 6, RuleAction: allow, CidrBlock: 0.0.0.0/0,
                 PortRange: {From: 443, To: 443}}
  DbSubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: !Select [4, !Cidr [!GetAtt Vpc.CidrBlock, 6, 8]]}
  DbSubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: !Select [5, !Cidr [!GetAtt Vpc.CidrBlock, 6, 8]]}
  DbAclA:
    Type: AWS::EC2::SubnetNetworkAclAssociation
    Properties: {SubnetId: !Ref DbSubnetA, NetworkAclId: !Ref DbAcl}
  DbAclB:
    Type: AWS::EC2::SubnetNetworkAclAssociation
    Properties: {SubnetId: !Ref DbSubnetB, NetworkAclId: !Ref DbAcl}
"""


def _nacl(text: str) -> str:
    return (text.replace("!Cidr [!GetAtt Vpc.CidrBlock, 4, 8]", "!Cidr [!GetAtt Vpc.CidrBlock, 6, 8]")
            .replace("      SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]",
                     "      SubnetIds: [!Ref DbSubnetA, !Ref DbSubnetB]") + NACL)


READ = """              - Sid: ReadSecret
                Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: !Ref DbSecret
"""
DECRYPT = """              - Sid: DecryptSecret
                Effect: Allow
                Action: kms:Decrypt
                Resource: !GetAtt SecretKey.Arn
"""
DB_INGRESS = "          SourceSecurityGroupId: !GetAtt ConnectorSg.GroupId"

# (what changes, the template after the change, extra arguments, the rules that must fire)
BREAKS: list[tuple[str, str, tuple[str, ...], set[str]]] = [
    ("the role may not read the secret (IAM003)", GOOD.replace(READ, ""), (), {"IAM003"}),
    ("the role may not decrypt the secret's key (IAM004)", GOOD.replace(DECRYPT, ""), (), {"IAM004"}),
    ("the key policy does not trust the account, so the role's grant does not count (IAM004)",
     GOOD.replace("      Description: database credentials\n", """      Description: database credentials
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/admin"}
            Action: "kms:*"
            Resource: "*"
"""), (), {"IAM004"}),
    ("the secret's resource policy denies the role (IAM003)",
     GOOD + """  DenyRead:
    Type: AWS::SecretsManager::ResourcePolicy
    Properties:
      SecretId: !Ref DbSecret
      ResourcePolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: secretsmanager:GetSecretValue
            Resource: "*"
""", (), {"IAM003"}),
    ("the role is not trusted by App Runner (IAM002)",
     GOOD.replace("Principal: {Service: tasks.apprunner.amazonaws.com}", "Principal: {Service: ec2.amazonaws.com}"),
     (), {"IAM002"}),
    ("the database group admits nothing (NET009)",
     GOOD.replace(f"""      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 5432
          ToPort: 5432
{DB_INGRESS}
""", ""), (), {"NET009"}),
    ("the database group admits the world (NET012)", GOOD.replace(DB_INGRESS, "          CidrIp: 0.0.0.0/0"),
     (), {"NET012"}),
    ("the connector uses the VPC's default group, which the database does not admit (NET009)",
     GOOD.replace("      SecurityGroups: [!GetAtt ConnectorSg.GroupId]\n", ""), (), {"NET009"}),
    ("the condition leaves out the NAT gateway (NET002)", GOOD, ("--parameter", "CreateNat=false"), {"NET002"}),
    ("a network ACL on the database subnets admits only 443 (NET011)", _nacl(GOOD), (), {"NET011"}),
    ("the private route goes to the internet gateway instead (NET002, NET003)",
     GOOD.replace("      NatGatewayId: !Ref Nat", "      GatewayId: !Ref Igw"), (), {"NET002", "NET003"}),
]


def test_the_good_layout_passes_with_every_rule_evaluated(cli: CliRun, tmp_path: Path) -> None:
    code, report = _scan(cli, tmp_path, GOOD)
    assert code == 0 and _rules(report) == set(), report["findings"]
    assert report["scan"]["rules_not_evaluated"] == [] and report["scan"]["gaps"] == []
    inputs = report["scan"]["inputs"][0]
    assert inputs["read"]["AWS::RDS::DBCluster"] == 1 and inputs["read"]["AWS::KMS::Key"] == 1
    assert inputs["ignored"] == {"AWS::EC2::EIP": 1}


def test_the_good_layout_passes_in_its_other_environment(cli: CliRun, tmp_path: Path) -> None:
    code, report = _scan(cli, tmp_path, GOOD, "--parameter", "Env=dev")  # FindInMap on the dev row
    assert code == 0 and _rules(report) == set()


@pytest.mark.parametrize(("change", "text", "argv", "expected"), BREAKS, ids=[b[0] for b in BREAKS])
def test_each_break_is_found(cli: CliRun, tmp_path: Path, change: str, text: str, argv: tuple[str, ...],
                             expected: set[str]) -> None:
    code, report = _scan(cli, tmp_path, text, *argv)
    assert expected <= _rules(report), (change, report["findings"])
    assert code == 1


def test_a_planned_secret_the_role_cannot_read_is_never_a_silent_pass(cli: CliRun, tmp_path: Path) -> None:
    # the smallest form of the bug: the secret is in the template, the role has no grant
    text = """Resources:
  Secret: {Type: AWS::SecretsManager::Secret, Properties: {Name: db}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: tasks.apprunner.amazonaws.com}, Action: sts:AssumeRole}]
  Service:
    Type: AWS::AppRunner::Service
    Properties:
      SourceConfiguration:
        ImageRepository:
          ImageIdentifier: public.ecr.aws/nginx/nginx:1.27
          ImageRepositoryType: ECR_PUBLIC
          ImageConfiguration:
            RuntimeEnvironmentSecrets: [{Name: DB_PASSWORD, Value: !Ref Secret}]
      InstanceConfiguration: {InstanceRoleArn: !GetAtt Role.Arn}
"""
    code, report = _scan(cli, tmp_path, text)
    assert code == 1 and "IAM003" in _rules(report)


def test_a_grant_by_name_pattern_covers_the_planned_secret(cli: CliRun, tmp_path: Path) -> None:
    # Secrets Manager appends six characters to the name: `name-??????` is how policies match it
    # (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html)
    text = GOOD.replace("                Resource: !Ref DbSecret",
                        '                Resource: !Sub "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:'
                        '${AWS::AccountId}:secret:${Env}/talk-be/db-??????"')
    code, report = _scan(cli, tmp_path, text)
    assert code == 0 and _rules(report) == set(), report["findings"]
    # and a pattern for another name does not
    code, report = _scan(cli, tmp_path, text.replace("/talk-be/db-??????", "/other/db-??????"))
    assert "IAM003" in _rules(report)


def test_an_imported_subnet_list_leaves_the_database_rules_not_evaluated(cli: CliRun, tmp_path: Path) -> None:
    text = GOOD.replace("      SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]",
                        "      SubnetIds: !Split [',', !ImportValue db-subnets]")
    code, report = _scan(cli, tmp_path, text)
    assert code == 3
    assert {"NET004", "NET009", "NET011"} <= {r["rule"] for r in report["scan"]["rules_not_evaluated"]}
    assert "another stack's export db-subnets" in report["scan"]["gaps"][0]["error"]


def test_a_parameter_outside_allowed_values_is_one_line(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(GOOD)
    code, _, err = cli(["scan", "--plan", str(path), "--parameter", "Env=qa"])
    assert code == 2 and "AllowedValues" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


# --- nested stacks, macros, language extensions ---------------------------------------------


def test_a_nested_stack_in_a_local_file_is_read_with_its_parameters_and_outputs(cli: CliRun) -> None:
    code, out, _ = cli(["scan", "--plan", str(CFN / "nested" / "parent.yaml"), "--format", "json"])
    report = json.loads(out)
    assert code == 0 and report["scan"]["gaps"] == []
    files = {i["file"].rsplit("/", 1)[-1]: i for i in report["scan"]["inputs"]}
    assert files["network.yaml"]["read"]["AWS::EC2::Subnet"] == 3
    cost = next(f for f in report["findings"] if f["rule"] == "COST001")  # the NAT in the child was followed
    assert cost["location"]["file"].endswith("network.yaml")


def test_a_break_inside_the_nested_stack_is_found_there(cli: CliRun, tmp_path: Path) -> None:
    for name in ("parent.yaml", "network.yaml"):
        (tmp_path / name).write_text((CFN / "nested" / name).read_text())
    child = tmp_path / "network.yaml"
    child.write_text(child.read_text().replace("NatGatewayId: !Ref Nat", "GatewayId: !Ref Igw"))
    code, out, _ = cli(["scan", "--plan", str(tmp_path / "parent.yaml"), "--format", "json"])
    found = {f["rule"]: f for f in json.loads(out)["findings"]}
    assert code == 1 and "NET002" in found and "NET003" in found


@pytest.mark.parametrize(("url", "words"), [
    ("https://s3.amazonaws.com/bucket/network.yaml", "does not fetch"),
    ("missing.yaml", "could not be read"),
    ("parent.yaml", "deeper than"),  # a stack that nests itself ends, with a gap
])
def test_a_nested_stack_preflight_cannot_read_is_a_gap_over_everything(cli: CliRun, tmp_path: Path, url: str,
                                                                       words: str) -> None:
    text = (CFN / "nested" / "parent.yaml").read_text().replace("TemplateURL: network.yaml", f"TemplateURL: {url}")
    code, report = _scan(cli, tmp_path, text, name="parent.yaml")
    assert code == 3
    gap = next(g for g in report["scan"]["gaps"] if g["operation"].endswith("Network.TemplateURL"))
    assert words in gap["error"] and {"NET002", "IAM003", "NET009"} <= set(gap["rules_not_evaluated"])


def test_a_macro_is_a_gap_and_sam_is_not(cli: CliRun, tmp_path: Path) -> None:
    code, report = _scan(cli, tmp_path, "Transform: MyCompanyMacro\n" + GOOD)
    assert code == 3 and any("macro MyCompanyMacro" in g["error"] for g in report["scan"]["gaps"])
    sam = ("Transform: AWS::Serverless-2016-10-31\n" + GOOD + """  Worker:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, InlineCode: "exports.handler = async () => 1"}
""")
    code, report = _scan(cli, tmp_path, sam)
    assert code == 0 and report["scan"]["inputs"][0]["ignored"]["AWS::Serverless::Function"] == 1


def test_fn_foreach_is_a_gap_for_what_it_makes(cli: CliRun, tmp_path: Path) -> None:
    text = "Transform: AWS::LanguageExtensions\n" + GOOD + """  Fn::ForEach::Extra:
    - Name
    - [A, B]
    - ExtraSubnet${Name}:
        Type: AWS::EC2::Subnet
        Properties: {VpcId: !Ref Vpc, CidrBlock: 10.20.9.0/24}
"""
    code, report = _scan(cli, tmp_path, text)
    gap = next(g for g in report["scan"]["gaps"] if "ForEach" in g["operation"])
    assert code == 3 and "NET003" in gap["rules_not_evaluated"] and "IAM003" not in gap["rules_not_evaluated"]


def test_findings_name_the_logical_id_and_the_cdk_construct(cli: CliRun, tmp_path: Path) -> None:
    text = GOOD.replace("  Db:\n    Type: AWS::RDS::DBCluster\n",
                        "  Db:\n    Type: AWS::RDS::DBCluster\n"
                        "    Metadata: {aws:cdk:path: TalkStack/Db/Resource}\n")
    text = text.replace(DB_INGRESS, "          CidrIp: 0.0.0.0/0")
    _, report = _scan(cli, tmp_path, text)
    net012 = next(f for f in report["findings"] if f["rule"] == "NET012")
    assert net012["location"]["address"] == "Db (TalkStack/Db/Resource)"
    assert net012["location"]["line"] == text.splitlines().index("  Db:") + 1


def test_a_preprocessor_tag_is_one_line_saying_what_to_pass(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(GOOD.replace("      Description: database credentials",
                                 "      Description: !Rain::Embed description.txt"))
    code, _, err = cli(["scan", "--plan", str(path)])
    assert code == 2 and "!Rain::Embed is not a CloudFormation intrinsic" in err and "Traceback" not in err


def test_the_rules_section_functions_parse(cli: CliRun, tmp_path: Path) -> None:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
    rules = """Rules:
  SubnetsInVpc:
    Assertions:
      - Assert: !EachMemberEquals [!ValueOfAll ["AWS::EC2::Subnet::Id", VpcId], !Ref Env]
      - Assert: !Contains [[prod, dev], !Ref Env]
"""
    code, report = _scan(cli, tmp_path, rules + GOOD)
    assert code == 0 and _rules(report) == set()


# --- hostile shapes ------------------------------------------------------------------------------

BASES = {"private-aurora": GOOD, "ecs": (CFN.parent / "ecs-template.yaml").read_text(),
         "talk": (CFN.parent / "talk-template.yaml").read_text()}


def _good_doc(base: str = "private-aurora") -> dict[str, Any]:
    import yaml

    from preflight.collect.plans.cloudformation import _CfnLoader

    doc: dict[str, Any] = yaml.load(BASES[base], Loader=_CfnLoader)
    return doc


_SHAPES: list[Any] = [{"Fn::ImportValue": "elsewhere"}, 42, [], {"Unexpected": {"Nested": [1]}}, "", [None], True]
_EDITS = [(base, logical, prop, i) for base in BASES for logical, res in _good_doc(base)["Resources"].items()
          for prop in (res.get("Properties") or {}) for i in range(len(_SHAPES))]


@pytest.mark.parametrize(("base", "logical", "prop", "shape"), _EDITS,
                         ids=[f"{b}-{lg}.{pr}-{i}" for b, lg, pr, i in _EDITS])
def test_any_property_in_any_shape_is_a_verdict_or_a_gap_never_a_crash(tmp_path: Path, base: str, logical: str,
                                                                       prop: str, shape: int) -> None:
    from preflight import engine
    from preflight.collect.plans import load_plan_file, overlay
    from preflight.errors import InputError
    from preflight.snapshot import empty_resources

    doc = _good_doc(base)
    doc["Resources"][logical]["Properties"][prop] = _SHAPES[shape]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    try:
        records = load_plan_file(str(path), {}, "us-east-1", "000000000000")
    except InputError:
        return  # one clear line is an acceptable answer to a shape no tool writes
    assert records["_inputs"][0]["format"] == "cloudformation", records["_gaps"]
    snapshot = overlay({"resources": empty_resources(), "gaps": [], "regions": []}, records, [str(path)])
    result = engine.run(snapshot)
    assert result.crashed == {}
