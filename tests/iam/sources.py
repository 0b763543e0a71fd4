"""The AWS pages the conformance cases come from; every case names one of these keys."""

from __future__ import annotations

IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
SOURCES = {
    "eval": IAM + "reference_policies_evaluation-logic.html",
    "eval-deny": IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html",
    "xacct": IAM + "reference_policies_evaluation-logic-cross-account.html",
    "boundary": IAM + "access_policies_boundaries.html",
    "action": IAM + "reference_policies_elements_action.html",
    "notaction": IAM + "reference_policies_elements_notaction.html",
    "resource": IAM + "reference_policies_elements_resource.html",
    "notresource": IAM + "reference_policies_elements_notresource.html",
    "principal": IAM + "reference_policies_elements_principal.html",
    "notprincipal": IAM + "reference_policies_elements_notprincipal.html",
    "version": IAM + "reference_policies_elements_version.html",
    "variables": IAM + "reference_policies_variables.html",
    "condition": IAM + "reference_policies_elements_condition.html",
    "operators": IAM + "reference_policies_elements_condition_operators.html",
    "sets": IAM + "reference_policies_condition-single-vs-multi-valued-context-keys.html",
    "keys": IAM + "reference_policies_condition-keys.html",
    "fas": IAM + "access_forward_access_sessions.html",
    "scp": "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html",
    "rcp": "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html",
    "kms-policy": "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
    "kms-auth": "https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html",
    "kms-cond": "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html",
    "kms-sm": "https://docs.aws.amazon.com/kms/latest/developerguide/services-secrets-manager.html",
    "kms-xacct": "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
    "sm-arn": "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html",
    "sm-xacct": "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html",
    "sm-rp": "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html",
    "ssm-kms": "https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html",
    "ecs-exec": "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
    "ecs-secrets": "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html",
    "apprunner-env": "https://docs.aws.amazon.com/apprunner/latest/dg/env-variable.html",
    "logs-arn": "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html",
}
