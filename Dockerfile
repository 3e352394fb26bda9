# syntax=docker/dockerfile:1
# The image of any one service, named by the SERVICE build argument; build it from the repository root:
#   docker build --build-arg SERVICE=scope -t leaf/scope:dev .
# SERVICE is any name in runtime/topology.py's GRPC_SERVICES, or gateway. The build stage does not read it,
# so it is built once and cached for every image; only the last layers differ between services.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; \
project = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(project['dependencies']))" > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt
COPY protos/ protos/
COPY kernel/ kernel/
COPY runtime/ runtime/
COPY services/ services/
COPY cli/ cli/
COPY demo/ demo/
# The runtime filesystem is read-only, so compile the bytecode now; unchecked-hash keeps
# Python from second-guessing it against source timestamps.
RUN pip install --no-cache-dir --no-deps . \
 && python protos/generate.py \
 && rm -rf build ./*.egg-info \
 && python -m compileall -q --invalidation-mode unchecked-hash /app

FROM python:3.11-slim AS runtime
# A real passwd entry for the numeric user: some libraries look the user up; its home is
# LEAF_HOME, the one writable place besides /tmp.
RUN groupadd --system --gid 10001 leaf \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/leaf --no-create-home leaf \
 && install -d -o 10001 -g 10001 /var/lib/leaf
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
ARG SERVICE
# A missing or misspelt SERVICE fails the build here rather than the pod at start.
RUN test -n "$SERVICE" && test -f "services/$SERVICE/__main__.py" \
 || { echo "--build-arg SERVICE=<name> must name a folder of services/ with a __main__.py" >&2; exit 1; }
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app:/app/gen \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LEAF_HOME=/var/lib/leaf \
    LEAF_SERVICE=$SERVICE \
    LEAF_GRPC_LISTEN=0.0.0.0:50051 \
    LEAF_GATEWAY_HOST=0.0.0.0 \
    LEAF_GATEWAY_PORT=8080
USER 10001:10001
# gRPC services listen on 50051 and the gateway on 8080 (the two listen settings above).
EXPOSE 50051 8080
# Exec form cannot expand a variable, so a shell does it once and execs: Python is PID 1 and gets SIGTERM.
# Arguments given to the container (a manifest's `args:`) follow as "$@".
ENTRYPOINT ["/bin/sh", "-c", "exec python -m \"services.$LEAF_SERVICE\" \"$@\"", "leaf"]
