"""Conformance cases for the Terraform plan resolver (preflight.collect.plans.tfplan).

Each case is a small plan in the shape `terraform show -json` writes, as the format is defined at
https://developer.hashicorp.com/terraform/internals/json-format:

- "Values Representation": `planned_values` holds one entry per resource *instance*, its
  `address` the absolute instance address (`module.a["x"].aws_subnet.b[0]`), nested under
  `child_modules`; a value unknown until apply is left out of `values`.
- "Change Representation": `resource_changes[].change.after_unknown` marks those values `true`.
- "Configuration Representation": `configuration.root_module` holds one entry per resource
  *block*, addressed within its module (`aws_subnet.b`), with `expressions`, `count_expression`,
  `for_each_expression`; `module_calls` hold a child's `expressions` (its arguments) and its
  `module` (resources, `outputs` with their `expression`).
- "Expression Representation": an expression is `constant_value` or `references`, where a
  reference is listed in every prefix form (`aws_vpc.a.id`, `aws_vpc.a`); `locals` are not part
  of the configuration representation, and neither are `dynamic` blocks.

Resource addressing (count keys are numbers, for_each keys strings) follows
https://developer.hashicorp.com/terraform/cli/state/resource-addressing.
"""

from __future__ import annotations

from typing import Any

import pytest

from preflight.collect.plans.tfplan import UNSET, Addr, Answer, Plan, instance_address


def _ref(*refs: str) -> dict[str, Any]:
    out: list[str] = []
    for r in refs:
        out.append(r)
        # Terraform lists each prefix of a traversal too
        if r.count(".") >= 2 and not r.startswith(("var.", "local.", "count.", "each.")):
            head = r.rsplit(".", 1)[0]
            out.append(head)
            if head.endswith("]"):
                out.append(head[: head.rindex("[")])
    return {"references": out}


def _nest(instances: list[dict[str, Any]]) -> dict[str, Any]:
    """planned_values.root_module with instances placed under their module's child_modules."""
    root: dict[str, Any] = {"resources": [], "child_modules": []}
    index: dict[str, dict[str, Any]] = {"": root}
    for inst in instances:
        a = Addr.parse(inst["address"])
        node, prefix = root, ""
        for name, key in a.modules:
            prefix += f"module.{name}" + ("" if key is None else f"[{key}]" if isinstance(key, int) else f'["{key}"]')
            if prefix not in index:
                index[prefix] = {"address": prefix, "resources": [], "child_modules": []}
                node["child_modules"].append(index[prefix])
            node = index[prefix]
            prefix += "."
        node["resources"].append(inst)
    return root


def plan(instances: list[tuple[str, dict[str, Any], dict[str, Any]]], config: dict[str, Any],
         data: list[tuple[str, dict[str, Any]]] = ()) -> Plan:  # type: ignore[assignment]
    """instances: (address, known values, after_unknown); config: configuration.root_module."""
    pv = []
    changes = []
    for address, values, unknown in instances:
        a = Addr.parse(address)
        pv.append({"address": address, "mode": a.mode, "type": a.type, "name": a.name,
                   **({} if a.key is None else {"index": a.key}), "values": values})
        changes.append({"address": address, "mode": a.mode, "type": a.type, "name": a.name,
                        "change": {"actions": ["create"], "after": values, "after_unknown": unknown}})
    prior = [{"address": address, "mode": "data", "type": Addr.parse(address).type,
              "name": Addr.parse(address).name, "values": values} for address, values in data]
    doc = {"format_version": "1.2", "planned_values": {"root_module": _nest(pv)},
           "resource_changes": changes, "configuration": {"root_module": config}}
    if prior:
        doc["prior_state"] = {"values": {"root_module": _nest(prior)}}
    return Plan(doc)


def res(address: str, rtype: str, expressions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    name = address.split(".")[-1]
    return {"address": address, "mode": "data" if address.startswith("data.") else "managed", "type": rtype,
            "name": name, "expressions": expressions, **extra}


def call(expressions: dict[str, Any], module: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"source": "./m", "expressions": expressions, "module": module, **extra}


def answer(p: Plan, address: str, path: tuple[str | int, ...], types: tuple[str, ...] = (),
           many: bool = False) -> Any:
    return p.resolve(Addr.parse(address), path, types, many)


def targets(ans: Any) -> list[str]:
    assert isinstance(ans, Answer), ans
    assert ans.why is None, ans.why
    return sorted(instance_address(t) for t in ans.targets)


U = {"vpc_id": True, "id": True}


# --- addresses ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "modules", "mode", "rtype", "name", "key"), [
    ("aws_vpc.main", (), "managed", "aws_vpc", "main", None),
    ("aws_subnet.private[0]", (), "managed", "aws_subnet", "private", 0),
    ("aws_subnet.private[12]", (), "managed", "aws_subnet", "private", 12),
    ('aws_subnet.private["eu-west-1a"]', (), "managed", "aws_subnet", "private", "eu-west-1a"),
    ('aws_subnet.private["a.b[0]"]', (), "managed", "aws_subnet", "private", "a.b[0]"),
    ('aws_subnet.private["say \\"hi\\""]', (), "managed", "aws_subnet", "private", 'say "hi"'),
    ("data.aws_region.current", (), "data", "aws_region", "current", None),
    ("module.vpc.aws_subnet.private[1]", (("vpc", None),), "managed", "aws_subnet", "private", 1),
    ('module.svc["web"].aws_ecs_service.this[0]', (("svc", "web"),), "managed", "aws_ecs_service", "this", 0),
    ("module.a[2].module.b.data.aws_iam_policy_document.x", (("a", 2), ("b", None)), "data",
     "aws_iam_policy_document", "x", None),
    ("module.with-dash.aws_vpc.my-vpc", (("with-dash", None),), "managed", "aws_vpc", "my-vpc", None),
])
def test_instance_addresses_parse_as_terraform_writes_them(text: str, modules: Any, mode: str, rtype: str,
                                                           name: str, key: Any) -> None:
    a = Addr.parse(text)
    assert (a.modules, a.mode, a.type, a.name, a.key) == (modules, mode, rtype, name, key)
    assert instance_address(a) == text


@pytest.mark.parametrize("text", ["", "aws_vpc", "module.vpc", "aws_vpc.main[", "aws vpc.main", "module..x.y",
                                  "aws_vpc.main[x]"])
def test_what_is_not_an_instance_address_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Addr.parse(text)


# --- known, unset, unknown ---------------------------------------------------------------------

def test_an_argument_the_configuration_does_not_set_is_the_providers_default() -> None:
    p = plan([("aws_apprunner_service.s", {}, {"instance_configuration": [{"instance_role_arn": True}]})],
             {"resources": [res("aws_apprunner_service.s", "aws_apprunner_service", {})]})
    assert answer(p, "aws_apprunner_service.s", ("instance_configuration", 0, "instance_role_arn")) is UNSET


def test_a_resource_the_configuration_does_not_show_is_not_taken_as_unset() -> None:
    p = plan([("aws_subnet.a", {}, U)], {"resources": []})
    ans = answer(p, "aws_subnet.a", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and ans.why and "configuration does not show" in ans.why


def test_unknown_marks_follow_nested_blocks_and_lists() -> None:
    p = plan([("aws_route_table.r", {"route": [{"cidr_block": "0.0.0.0/0"}]},
               {"route": [{"nat_gateway_id": True}], "id": True})], {"resources": []})
    assert p.is_unknown("aws_route_table.r", ("route", 0, "nat_gateway_id"))
    assert not p.is_unknown("aws_route_table.r", ("route", 0, "cidr_block"))
    assert p.is_unknown("aws_route_table.r", ("id",))
    assert p.known("aws_route_table.r", ("route", 0, "cidr_block")) == "0.0.0.0/0"


def test_a_whole_unknown_block_makes_every_member_unknown() -> None:
    p = plan([("aws_ecs_service.s", {}, {"network_configuration": True})], {"resources": []})
    assert p.is_unknown("aws_ecs_service.s", ("network_configuration", 0, "subnets"))


# --- references in one module ------------------------------------------------------------------

def _vpc_and_subnets(subnet_cfg: dict[str, Any], n: int = 1, keys: list[Any] | None = None) -> Plan:
    keys = keys if keys is not None else ([None] if n == 1 else list(range(n)))
    subnets = [(instance_address(Addr((), "managed", "aws_subnet", "a", k)), {}, U) for k in keys]
    return plan([("aws_vpc.main", {}, {"id": True}), ("aws_vpc.other", {}, {"id": True}), *subnets],
                {"resources": [res("aws_vpc.main", "aws_vpc", {}), res("aws_vpc.other", "aws_vpc", {}),
                               res("aws_subnet.a", "aws_subnet", subnet_cfg)]})


def test_a_reference_to_a_planned_resource_names_it() -> None:
    p = _vpc_and_subnets({"vpc_id": _ref("aws_vpc.main.id")})
    assert targets(answer(p, "aws_subnet.a", ("vpc_id",), ("aws_vpc",))) == ["aws_vpc.main"]


def test_a_reference_of_another_type_than_wanted_is_not_taken() -> None:
    p = _vpc_and_subnets({"vpc_id": _ref("aws_vpc.main.id")})
    ans = answer(p, "aws_subnet.a", ("vpc_id",), ("aws_internet_gateway",))
    assert isinstance(ans, Answer) and not ans.targets and ans.why


def test_two_candidates_for_one_value_are_not_guessed() -> None:
    # `vpc_id = var.x ? aws_vpc.main.id : aws_vpc.other.id`
    p = _vpc_and_subnets({"vpc_id": _ref("var.x", "aws_vpc.main.id", "aws_vpc.other.id")})
    ans = answer(p, "aws_subnet.a", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and not ans.targets and "any of 2" in (ans.why or "")


def test_two_candidates_for_a_list_are_both_members() -> None:
    p = _vpc_and_subnets({"vpc_id": _ref("aws_vpc.main.id", "aws_vpc.other.id")})
    assert targets(answer(p, "aws_subnet.a", ("vpc_id",), ("aws_vpc",), many=True)) == ["aws_vpc.main",
                                                                                          "aws_vpc.other"]


def test_count_index_picks_the_instance_with_the_referrers_own_index() -> None:
    # route_table_id = aws_route_table.private[count.index].id
    p = plan([("aws_route_table.private[0]", {}, {"id": True}), ("aws_route_table.private[1]", {}, {"id": True}),
              ("aws_route_table_association.a[0]", {}, {"route_table_id": True}),
              ("aws_route_table_association.a[1]", {}, {"route_table_id": True})],
             {"resources": [res("aws_route_table.private", "aws_route_table", {}),
                            res("aws_route_table_association.a", "aws_route_table_association",
                                {"route_table_id": _ref("aws_route_table.private.id", "count.index")})]})
    for i in (0, 1):
        assert targets(answer(p, f"aws_route_table_association.a[{i}]", ("route_table_id",),
                              ("aws_route_table",))) == [f"aws_route_table.private[{i}]"]


def test_each_key_picks_the_instance_with_the_referrers_own_key() -> None:
    p = plan([('aws_route_table.private["a"]', {}, {"id": True}), ('aws_route_table.private["b"]', {}, {"id": True}),
              ('aws_route_table_association.x["b"]', {}, {"route_table_id": True})],
             {"resources": [res("aws_route_table.private", "aws_route_table", {}),
                            res("aws_route_table_association.x", "aws_route_table_association",
                                {"route_table_id": _ref("aws_route_table.private.id", "each.key")})]})
    assert targets(answer(p, 'aws_route_table_association.x["b"]', ("route_table_id",),
                          ("aws_route_table",))) == ['aws_route_table.private["b"]']


def test_an_explicit_index_picks_that_instance() -> None:
    p = plan([("aws_vpc.v[0]", {}, {"id": True}), ("aws_vpc.v[1]", {}, {"id": True}), ("aws_subnet.s", {}, U)],
             {"resources": [res("aws_vpc.v", "aws_vpc", {}),
                            res("aws_subnet.s", "aws_subnet", {"vpc_id": {"references": [
                                "aws_vpc.v[1].id", "aws_vpc.v[1]", "aws_vpc.v"]}})]})
    assert targets(answer(p, "aws_subnet.s", ("vpc_id",), ("aws_vpc",))) == ["aws_vpc.v[1]"]


def test_a_string_key_is_an_explicit_index_too() -> None:
    p = plan([('aws_vpc.v["x"]', {}, {"id": True}), ('aws_vpc.v["y"]', {}, {"id": True}), ("aws_subnet.s", {}, U)],
             {"resources": [res("aws_vpc.v", "aws_vpc", {}),
                            res("aws_subnet.s", "aws_subnet", {"vpc_id": {"references": [
                                'aws_vpc.v["y"].id', 'aws_vpc.v["y"]', "aws_vpc.v"]}})]})
    assert targets(answer(p, "aws_subnet.s", ("vpc_id",), ("aws_vpc",))) == ['aws_vpc.v["y"]']


def test_a_splat_over_counted_instances_names_them_all_in_a_list() -> None:
    # subnet_ids = aws_subnet.private[*].id
    p = plan([("aws_subnet.private[0]", {}, U), ("aws_subnet.private[1]", {}, U),
              ("aws_db_subnet_group.g", {}, {"subnet_ids": True})],
             {"resources": [res("aws_subnet.private", "aws_subnet", {}),
                            res("aws_db_subnet_group.g", "aws_db_subnet_group",
                                {"subnet_ids": {"references": ["aws_subnet.private"]}})]})
    assert targets(answer(p, "aws_db_subnet_group.g", ("subnet_ids",), ("aws_subnet",), many=True)) == [
        "aws_subnet.private[0]", "aws_subnet.private[1]"]


def test_a_reference_to_a_resource_not_in_the_plan_is_unresolved() -> None:
    # count = 0: the block exists, no instance does
    p = _vpc_and_subnets({"vpc_id": _ref("aws_vpc.gone.id")})
    ans = answer(p, "aws_subnet.a", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and not ans.targets and ans.why


def test_a_nested_block_argument_is_looked_up_in_the_blocks_list() -> None:
    p = plan([("aws_nat_gateway.n", {}, {"id": True}),
              ("aws_route_table.r", {"route": [{"cidr_block": "0.0.0.0/0"}]}, {"route": [{"nat_gateway_id": True}]})],
             {"resources": [res("aws_nat_gateway.n", "aws_nat_gateway", {}),
                            res("aws_route_table.r", "aws_route_table", {"route": [
                                {"cidr_block": {"constant_value": "0.0.0.0/0"},
                                 "nat_gateway_id": _ref("aws_nat_gateway.n.id")}]})]})
    assert targets(answer(p, "aws_route_table.r", ("route", 0, "nat_gateway_id"), ("aws_nat_gateway",))) == [
        "aws_nat_gateway.n"]


# --- attributes that name another resource -----------------------------------------------------

def test_a_subnets_vpc_id_is_the_vpc_not_the_subnet() -> None:
    # aws_security_group.sg.vpc_id = aws_subnet.a.vpc_id
    p = plan([("aws_vpc.main", {}, {"id": True}), ("aws_subnet.a", {}, U), ("aws_security_group.sg", {}, U)],
             {"resources": [res("aws_vpc.main", "aws_vpc", {}),
                            res("aws_subnet.a", "aws_subnet", {"vpc_id": _ref("aws_vpc.main.id")}),
                            res("aws_security_group.sg", "aws_security_group", {"vpc_id": _ref("aws_subnet.a.vpc_id")})]})
    assert targets(answer(p, "aws_security_group.sg", ("vpc_id",), ("aws_vpc",))) == ["aws_vpc.main"]


def test_a_known_vpc_id_through_a_subnet_is_a_value() -> None:
    p = plan([("aws_subnet.a", {"vpc_id": "vpc-0abc"}, {"id": True}), ("aws_security_group.sg", {}, U)],
             {"resources": [res("aws_subnet.a", "aws_subnet", {"vpc_id": {"constant_value": "vpc-0abc"}}),
                            res("aws_security_group.sg", "aws_security_group", {"vpc_id": _ref("aws_subnet.a.vpc_id")})]})
    ans = answer(p, "aws_security_group.sg", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and ans.values == ["vpc-0abc"] and not ans.targets


def test_a_data_source_read_at_apply_stands_for_the_resource_it_looks_up() -> None:
    # data "aws_subnet" "x" { id = aws_subnet.a.id } read at apply; sg.vpc_id = data.aws_subnet.x.vpc_id
    # (a deferred read is a change with action "read" and its attributes unknown)
    p = plan([("aws_vpc.main", {}, {"id": True}), ("aws_subnet.a", {}, U), ("aws_security_group.sg", {}, U),
              ("data.aws_subnet.x", {}, {"vpc_id": True, "cidr_block": True})],
             {"resources": [res("aws_vpc.main", "aws_vpc", {}),
                            res("aws_subnet.a", "aws_subnet", {"vpc_id": _ref("aws_vpc.main.id")}),
                            res("data.aws_subnet.x", "aws_subnet", {"id": _ref("aws_subnet.a.id")}),
                            res("aws_security_group.sg", "aws_security_group",
                                {"vpc_id": _ref("data.aws_subnet.x.vpc_id")})]})
    assert targets(answer(p, "aws_security_group.sg", ("vpc_id",), ("aws_vpc",))) == ["aws_vpc.main"]


def test_a_data_source_read_at_plan_time_gives_its_value() -> None:
    p = plan([("aws_security_group.sg", {}, U)],
             {"resources": [res("data.aws_vpc.default", "aws_vpc", {"default": {"constant_value": True}}),
                            res("aws_security_group.sg", "aws_security_group",
                                {"vpc_id": _ref("data.aws_vpc.default.id")})]},
             data=[("data.aws_vpc.default", {"id": "vpc-0def", "default": True})])
    ans = answer(p, "aws_security_group.sg", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and [instance_address(t) for t in ans.targets] == ["data.aws_vpc.default"]


# --- modules -------------------------------------------------------------------------------------

def _vpc_module(key: Any = None, count: int | None = None) -> tuple[list[Any], dict[str, Any]]:
    mods = [f"module.vpc[{i}]" for i in range(count)] if count else ["module.vpc"]
    inst = []
    for m in mods:
        inst += [(f"{m}.aws_vpc.this[0]", {}, {"id": True}),
                 (f"{m}.aws_subnet.private[0]", {}, U), (f"{m}.aws_subnet.private[1]", {}, U)]
    child = {"resources": [res("aws_vpc.this", "aws_vpc", {}),
                           res("aws_subnet.private", "aws_subnet", {"vpc_id": {"references": ["local.vpc_id"]}})],
             "outputs": {"private_subnets": {"expression": {"references": ["aws_subnet.private"]}},
                         "vpc_id": {"expression": {"references": ["aws_vpc.this[0].id", "aws_vpc.this[0]",
                                                                   "aws_vpc.this"]}},
                         "summary": {"expression": {"references": ["local.summary"]}}}}
    return inst, child


def test_a_module_output_is_followed_into_the_module() -> None:
    inst, child = _vpc_module()
    p = plan([*inst, ("aws_apprunner_vpc_connector.c", {}, {"subnets": True})],
             {"module_calls": {"vpc": call({}, child)},
              "resources": [res("aws_apprunner_vpc_connector.c", "aws_apprunner_vpc_connector",
                                {"subnets": _ref("module.vpc.private_subnets")})]})
    assert targets(answer(p, "aws_apprunner_vpc_connector.c", ("subnets",), ("aws_subnet",), many=True)) == [
        "module.vpc.aws_subnet.private[0]", "module.vpc.aws_subnet.private[1]"]


def test_an_indexed_module_output_picks_that_module_instance() -> None:
    inst, child = _vpc_module(count=2)
    p = plan([*inst, ("aws_security_group.sg", {}, U)],
             {"module_calls": {"vpc": call({}, child, count_expression={"constant_value": 2})},
              "resources": [res("aws_security_group.sg", "aws_security_group",
                                {"vpc_id": {"references": ["module.vpc[1].vpc_id", "module.vpc[1]", "module.vpc"]}})]})
    assert targets(answer(p, "aws_security_group.sg", ("vpc_id",), ("aws_vpc",))) == ["module.vpc[1].aws_vpc.this[0]"]


def test_an_output_through_a_local_is_not_followed() -> None:
    inst, child = _vpc_module()
    p = plan([*inst, ("aws_ssm_parameter.p", {}, {"value": True})],
             {"module_calls": {"vpc": call({}, child)},
              "resources": [res("aws_ssm_parameter.p", "aws_ssm_parameter", {"value": _ref("module.vpc.summary")})]})
    ans = answer(p, "aws_ssm_parameter.p", ("value",), ())
    assert isinstance(ans, Answer) and not ans.targets and "local.summary" in (ans.why or "")


def test_a_variable_is_followed_to_the_module_calls_argument() -> None:
    child = {"resources": [res("aws_security_group.this", "aws_security_group", {"vpc_id": _ref("var.vpc_id")})]}
    p = plan([("aws_vpc.main", {}, {"id": True}), ("module.sg.aws_security_group.this", {}, U)],
             {"resources": [res("aws_vpc.main", "aws_vpc", {})],
              "module_calls": {"sg": call({"vpc_id": _ref("aws_vpc.main.id")}, child)}})
    assert targets(answer(p, "module.sg.aws_security_group.this", ("vpc_id",), ("aws_vpc",))) == ["aws_vpc.main"]


def test_a_variable_from_a_sibling_modules_output() -> None:
    inst, vpc = _vpc_module()
    sg = {"resources": [res("aws_security_group.this", "aws_security_group", {"vpc_id": _ref("var.vpc_id")})]}
    p = plan([*inst, ("module.sg.aws_security_group.this", {}, U)],
             {"module_calls": {"vpc": call({}, vpc), "sg": call({"vpc_id": _ref("module.vpc.vpc_id")}, sg)}})
    assert targets(answer(p, "module.sg.aws_security_group.this", ("vpc_id",), ("aws_vpc",))) == [
        "module.vpc.aws_vpc.this[0]"]


def test_a_variable_left_to_its_default_is_not_known() -> None:
    child = {"resources": [res("aws_security_group.this", "aws_security_group", {"vpc_id": _ref("var.vpc_id")})]}
    p = plan([("aws_vpc.main", {}, {"id": True}), ("aws_vpc.b", {}, {"id": True}),
              ("module.sg.aws_security_group.this", {}, U)],
             {"resources": [res("aws_vpc.main", "aws_vpc", {}), res("aws_vpc.b", "aws_vpc", {})],
              "module_calls": {"sg": call({}, child)}})
    ans = answer(p, "module.sg.aws_security_group.this", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and not ans.targets and "var.vpc_id" in (ans.why or "")


def test_a_root_variable_is_not_known() -> None:
    p = _vpc_and_subnets({"vpc_id": _ref("var.vpc_id")})
    ans = answer(p, "aws_subnet.a", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and not ans.targets and "var.vpc_id" in (ans.why or "")


def test_a_for_each_module_instance_passes_its_own_element() -> None:
    # module "svc" { for_each = toset(["a", "b"]); subnet = aws_subnet.s[each.key].id }
    child = {"resources": [res("aws_ecs_service.this", "aws_ecs_service",
                               {"network_configuration": [{"subnets": _ref("var.subnet")}]})]}
    p = plan([('aws_subnet.s["a"]', {}, U), ('aws_subnet.s["b"]', {}, U),
              ('module.svc["a"].aws_ecs_service.this', {}, {"network_configuration": True}),
              ('module.svc["b"].aws_ecs_service.this', {}, {"network_configuration": True})],
             {"resources": [res("aws_subnet.s", "aws_subnet", {})],
              "module_calls": {"svc": call({"subnet": _ref("aws_subnet.s.id", "each.key")}, child,
                                           for_each_expression={"constant_value": ["a", "b"]})}})
    assert targets(answer(p, 'module.svc["b"].aws_ecs_service.this', ("network_configuration", 0, "subnets"),
                          ("aws_subnet",), many=True)) == ['aws_subnet.s["b"]']


# --- what the JSON does not show --------------------------------------------------------------

def test_a_local_with_one_candidate_of_the_type_is_inferred_and_says_so() -> None:
    inst, child = _vpc_module()
    p = plan(inst, {"module_calls": {"vpc": call({}, child)}})
    ans = answer(p, "module.vpc.aws_subnet.private[0]", ("vpc_id",), ("aws_vpc",))
    assert targets(ans) == ["module.vpc.aws_vpc.this[0]"] and ans.inferred


def test_a_local_with_two_candidates_is_unresolved() -> None:
    p = _vpc_and_subnets({"vpc_id": {"references": ["local.vpc_id"]}})
    ans = answer(p, "aws_subnet.a", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and not ans.targets and "local.vpc_id" in (ans.why or "")


def test_a_local_is_never_inferred_for_a_list() -> None:
    p = plan([("aws_subnet.x", {}, U), ("aws_db_subnet_group.g", {}, {"subnet_ids": True})],
             {"resources": [res("aws_subnet.x", "aws_subnet", {}),
                            res("aws_db_subnet_group.g", "aws_db_subnet_group",
                                {"subnet_ids": {"references": ["local.subnets"]}})]})
    ans = answer(p, "aws_db_subnet_group.g", ("subnet_ids",), ("aws_subnet",), many=True)
    assert isinstance(ans, Answer) and not ans.targets and ans.why


def test_each_value_follows_the_for_each_collection_and_is_marked_inferred() -> None:
    # for_each = { a = aws_vpc.main.id }; vpc_id = each.value
    p = plan([("aws_vpc.main", {}, {"id": True}), ('aws_security_group.sg["a"]', {}, U)],
             {"resources": [res("aws_vpc.main", "aws_vpc", {}),
                            res("aws_security_group.sg", "aws_security_group", {"vpc_id": {"references": ["each.value"]}},
                                for_each_expression=_ref("aws_vpc.main.id"))]})
    ans = answer(p, 'aws_security_group.sg["a"]', ("vpc_id",), ("aws_vpc",))
    assert targets(ans) == ["aws_vpc.main"] and ans.inferred


def test_each_value_over_several_candidates_is_not_pinned_on_one_element() -> None:
    p = plan([("aws_vpc.main", {}, {"id": True}), ("aws_vpc.other", {}, {"id": True}),
              ('aws_security_group.sg["a"]', {}, U)],
             {"resources": [res("aws_vpc.main", "aws_vpc", {}), res("aws_vpc.other", "aws_vpc", {}),
                            res("aws_security_group.sg", "aws_security_group", {"vpc_id": {"references": ["each.value"]}},
                                for_each_expression=_ref("aws_vpc.main.id", "aws_vpc.other.id"))]})
    ans = answer(p, 'aws_security_group.sg["a"]', ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and not ans.targets and "for_each" in (ans.why or "")


def test_a_dynamic_block_takes_the_resource_named_for_the_attribute() -> None:
    # instance_configuration written as `dynamic`: absent from expressions, present in values
    p = plan([("aws_iam_role.instance", {}, {"arn": True}), ("aws_iam_role.access", {}, {"arn": True}),
              ("aws_apprunner_service.this", {"instance_configuration": [{"cpu": "1024"}]},
               {"instance_configuration": [{"instance_role_arn": True}]})],
             {"resources": [res("aws_iam_role.instance", "aws_iam_role", {}), res("aws_iam_role.access", "aws_iam_role", {}),
                            res("aws_apprunner_service.this", "aws_apprunner_service", {})]})
    ans = answer(p, "aws_apprunner_service.this", ("instance_configuration", 0, "instance_role_arn"), ("aws_iam_role",))
    assert targets(ans) == ["aws_iam_role.instance"] and ans.inferred


def test_a_dynamic_block_without_a_named_candidate_is_unresolved() -> None:
    p = plan([("aws_subnet.a", {}, U), ("aws_subnet.b", {}, U),
              ("aws_ecs_service.s", {"network_configuration": [{"assign_public_ip": False}]},
               {"network_configuration": [{"subnets": True}]})],
             {"resources": [res("aws_subnet.a", "aws_subnet", {}), res("aws_subnet.b", "aws_subnet", {}),
                            res("aws_ecs_service.s", "aws_ecs_service", {})]})
    ans = answer(p, "aws_ecs_service.s", ("network_configuration", 0, "subnets"), ("aws_subnet",), many=True)
    assert isinstance(ans, Answer) and not ans.targets and "dynamic block" in (ans.why or "")


def test_a_reference_cycle_ends_and_says_so() -> None:
    # two modules whose outputs are each other's inputs (Terraform refuses this at plan time;
    # a plan edited by hand can still hold it)
    a = {"resources": [], "outputs": {"v": {"expression": {"references": ["var.x"]}}}}
    b = {"resources": [], "outputs": {"v": {"expression": {"references": ["var.x"]}}}}
    p = plan([("aws_security_group.sg", {}, U)],
             {"module_calls": {"a": call({"x": _ref("module.b.v")}, a), "b": call({"x": _ref("module.a.v")}, b)},
              "resources": [res("aws_security_group.sg", "aws_security_group", {"vpc_id": _ref("module.a.v")})]})
    # neither module has a planned instance, so module outputs are not entered: no cycle, no target
    ans = answer(p, "aws_security_group.sg", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and not ans.targets


def test_a_self_referencing_variable_chain_is_a_cycle() -> None:
    child = {"resources": [res("aws_security_group.this", "aws_security_group", {"vpc_id": _ref("var.v")})],
             "module_calls": {}}
    # module.m's own argument refers to its own output, whose expression is the resource's vpc_id
    child["outputs"] = {"vpc": {"expression": _ref("aws_security_group.this.vpc_id")}}
    p = plan([("module.m.aws_security_group.this", {}, U)],
             {"module_calls": {"m": call({"v": _ref("module.m.vpc")}, child)}})
    ans = answer(p, "module.m.aws_security_group.this", ("vpc_id",), ("aws_vpc",))
    assert isinstance(ans, Answer) and not ans.targets and "cycle" in (ans.why or "")


# --- plans written by other tools ------------------------------------------------------------

def test_a_null_set_from_a_reference_without_an_unknown_mark_is_followed() -> None:
    # hand-written or older plans write an unknown id as null and mark nothing
    p = plan([("aws_vpc.main", {}, {}), ("aws_subnet.a", {"vpc_id": None}, {})],
             {"resources": [res("aws_vpc.main", "aws_vpc", {}),
                            res("aws_subnet.a", "aws_subnet", {"vpc_id": _ref("aws_vpc.main.id")})]})
    assert p.null_reference("aws_subnet.a", ("vpc_id",))
    assert targets(answer(p, "aws_subnet.a", ("vpc_id",), ("aws_vpc",))) == ["aws_vpc.main"]


def test_a_null_stated_known_is_null() -> None:
    p = plan([("aws_vpc.main", {}, {}), ("aws_subnet.a", {"vpc_id": None}, {"vpc_id": False})],
             {"resources": [res("aws_vpc.main", "aws_vpc", {}),
                            res("aws_subnet.a", "aws_subnet", {"vpc_id": _ref("aws_vpc.main.id")})]})
    assert not p.null_reference("aws_subnet.a", ("vpc_id",))


def test_a_constant_null_is_not_a_reference() -> None:
    p = plan([("aws_subnet.a", {"vpc_id": None}, {})],
             {"resources": [res("aws_subnet.a", "aws_subnet", {"vpc_id": {"constant_value": None}})]})
    assert not p.null_reference("aws_subnet.a", ("vpc_id",))


@pytest.mark.parametrize("doc", [{}, {"planned_values": None}, {"planned_values": {"root_module": None}},
                                 {"planned_values": {"root_module": {"resources": [None, 3, {"address": 7}]}}},
                                 {"planned_values": {"root_module": {"resources": [{"address": "not an address"}]}}},
                                 {"resource_changes": [None, {"address": "aws_vpc.a"}]},
                                 {"configuration": {"root_module": {"module_calls": {"m": None}}}}])
def test_odd_shapes_give_an_empty_plan_not_an_error(doc: dict[str, Any]) -> None:
    p = Plan(doc)
    assert [a for a in p.addrs if a != "aws_vpc.a"] == []
