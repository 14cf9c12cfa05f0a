# `sc2mesh run` as a container: the whole pipeline in one process, for a Deployment in the
# cluster (deploy/kubernetes/). Build from the repository root:  docker build -t sc2mesh .
# (The watcher image of the serverless deployment is watcher/Dockerfile.)
#
# No bundle: Node 24 runs the TypeScript sources directly (type stripping, which it refuses
# only under node_modules), and the embedded state store (dynalite) loads a native LevelDB
# binding from its package folder, which a bundle would not carry.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Production dependencies only. No install scripts: the one native module (classic-level,
# under dynalite) ships prebuilt binaries and picks one when loaded.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Debian, not alpine: classic-level has a musl build for x64 only, so on arm64 nodes
# (Graviton) alpine would load its glibc build and fail when the embedded state opens.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY lib ./lib
# Non-root, numeric so that Kubernetes can verify runAsNonRoot: the image's `node` user.
# The root filesystem can be read-only: only the state folder (a volume) is written.
USER 1000:1000
EXPOSE 9464
STOPSIGNAL SIGTERM
# Node itself is PID 1: sc2mesh handles SIGTERM (pushes what it holds, then exits) and
# starts no child processes, so no init process is needed. Flags after the image name go to
# `run` (e.g. `docker run sc2mesh --once`); configuration is SC2MESH_* variables.
ENTRYPOINT ["node", "--disable-warning=ExperimentalWarning", "bin/sc2mesh.js", "run"]
