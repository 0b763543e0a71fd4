"""The ECR images services run: does the tag or digest exist, and for which CPU architectures.

One `BatchGetImage` per repository (up to 100 image ids) answers both: a missing repository is
`RepositoryNotFoundException`, a missing tag or digest is a per-image failure, and the manifest
(metadata, never a layer) of a multi-platform image lists its platforms. A single-platform
manifest names no architecture (that is in its config blob, which preflight does not download),
so its architectures stay unknown (None), never guessed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from preflight.collect.aws import Operation
from preflight.collect.base import GapSink, Task, error_code
from preflight.enums import PRIVATE_ECR

BATCH_GET_IMAGE = Operation("ecr", "BatchGetImage")
OPERATIONS = (BATCH_GET_IMAGE,)
GAP = ("ecr_images",)

# Manifest media types to accept, so that ECR returns an image index as it is stored
# (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html)
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")
ACCEPTED = (*INDEX_TYPES, "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.v1+json")

_URI = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                  r"(?P<repo>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


def parse_uri(image: str) -> dict[str, str] | None:
    """(account, region, repository, tag or digest) of a private ECR image URI; a URI without a
    tag or digest means the tag `latest`, as docker and ECS read it."""
    m = _URI.match(image or "")
    if not m:
        return None
    ref = {"imageDigest": m["digest"]} if m["digest"] else {"imageTag": m["tag"] or "latest"}
    return {"account": m["account"], "region": m["region"], "repository": m["repo"], "image": image,
            "reference": ref.get("imageDigest") or ref["imageTag"], "key": next(iter(ref))}


def referenced(services: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """region -> the distinct private ECR images of the workloads (ECS containers, App Runner
    image services)."""
    uris: set[str] = set()
    for w in services:
        uris.update(str(i.get("image") or "") for i in w.get("images") or [] if i.get("registry") == "ecr")
        src = w.get("source") or {}
        if src.get("type") == "image" and src.get("repository_type") in PRIVATE_ECR and src.get("image"):
            uris.add(str(src["image"]))
    out: dict[str, list[dict[str, str]]] = {}
    for uri in sorted(uris):
        parsed = parse_uri(uri)
        if parsed:
            out.setdefault(parsed["region"], []).append(parsed)
    return out


def architectures(manifest: str | None, media_type: str | None) -> list[str] | None:
    """The platforms' architectures an image index lists (attestation entries, platform
    unknown/unknown, left out); None for a single-platform manifest or one that cannot be read."""
    try:
        doc = json.loads(manifest or "")
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    if (media_type or doc.get("mediaType")) not in INDEX_TYPES and "manifests" not in doc:
        return None
    archs = {str((m.get("platform") or {}).get("architecture"))
             for m in doc.get("manifests") or [] if isinstance(m, dict) and isinstance(m.get("platform"), dict)}
    archs.discard("unknown")
    archs.discard("None")
    return sorted(archs)


def images_task(region: str, images: list[dict[str, str]]) -> Task:
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        by_repo: dict[tuple[str, str], list[dict[str, str]]] = {}
        for i in images:
            by_repo.setdefault((i["account"], i["repository"]), []).append(i)
        for (account, repo), wanted in sorted(by_repo.items()):
            for start in range(0, len(wanted), 100):  # imageIds takes at most 100
                batch = wanted[start:start + 100]
                try:
                    answer = client.batch_get_image(
                        registryId=account, repositoryName=repo, acceptedMediaTypes=list(ACCEPTED),
                        imageIds=[{i["key"]: i["reference"]} for i in batch])
                except Exception as e:
                    if error_code(e) == "RepositoryNotFoundException":
                        out += [{**i, "state": "missing-repository", "architectures": None,
                                 "error": error_code(e)} for i in batch]
                    else:
                        gap(BATCH_GET_IMAGE, e)
                    continue
                found = {(k, str(img.get("imageId", {}).get(k))): img for img in answer.get("images") or []
                         for k in ("imageTag", "imageDigest") if img.get("imageId", {}).get(k)}
                failed = {(k, str(f.get("imageId", {}).get(k))): f for f in answer.get("failures") or []
                          for k in ("imageTag", "imageDigest") if f.get("imageId", {}).get(k)}
                for i in batch:
                    img = found.get((i["key"], i["reference"]))
                    if img is not None:
                        out.append({**i, "state": "present", "error": None,
                                    "media_type": img.get("imageManifestMediaType"),
                                    "architectures": architectures(img.get("imageManifest"),
                                                                   img.get("imageManifestMediaType"))})
                        continue
                    failure = failed.get((i["key"], i["reference"])) or {}
                    out.append({**i, "state": "failed", "architectures": None,
                                "error": failure.get("failureCode") or "not returned",
                                "reason": failure.get("failureReason")})
        return out

    def transform(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        return [{"region": region, "id": r["image"], "image": r["image"], "account": r["account"],
                 "repository": r["repository"], "reference": r["reference"], "state": r["state"],
                 "error": r.get("error"), "reason": r.get("reason"), "media_type": r.get("media_type"),
                 "architectures": r["architectures"]} for r in raw]

    return Task("ecr_images", BATCH_GET_IMAGE, region, fetch, transform, GAP)
