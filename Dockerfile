# preflight in a container, for the engines that fan an organization scan out over shards
# (AWS Step Functions Distributed Map, ECS tasks, Kubernetes jobs); see docs/org.md.
#
#   docker build -t preflight .
#   docker run --rm -e AWS_REGION -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN \
#     -v "$PWD/out:/out" preflight scan --org --shard 1/4 --format json --output /out/shard-1.json \
#     --save-snapshot /out/shard-1.snapshot.json
FROM python:3.12-slim
WORKDIR /src
COPY pyproject.toml setup.cfg constraints.txt README.md ./
COPY preflight ./preflight
RUN pip install --no-cache-dir -c constraints.txt . && rm -rf /src
RUN useradd --create-home --uid 10001 preflight
USER preflight
WORKDIR /work
ENTRYPOINT ["preflight"]
CMD ["--help"]
